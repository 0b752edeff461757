package websub

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrDenied is the error of a connection to an address callbacks may not
// have (loopback, private, link-local, multicast and other non-public
// ranges) while private callbacks are not allowed.
var ErrDenied = errors.New("websub: callback address not allowed")

// deniedPrefixes are the ranges, besides those netip classifies, that no
// public callback has: "this network", carrier-grade NAT, IETF protocol
// assignments, benchmarking, reserved, NAT64 (which reaches IPv4 of any
// kind), documentation and discard-only.
var deniedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Denied reports whether a callback may not reach addr when private
// callbacks are not allowed: anything but a public unicast address.
func Denied(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() ||
		addr.IsMulticast() || !addr.IsGlobalUnicast() {
		return true
	}
	for _, p := range deniedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// control is a net.Dialer's Control: it sees the address the connection is
// about to dial, after name resolution, so a name that resolves (or is
// rebound) to a denied address is refused at every connection, redirects
// included.
func control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrDenied, address)
	}
	if Denied(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrDenied, ap.Addr())
	}
	return nil
}

// maxRedirects is how many redirects a verification request follows; a
// delivery follows none (a POST redirected is a callback misconfigured).
const maxRedirects = 3

// NewClient returns the HTTP client of callbacks: requests time out after
// timeout, and unless allowPrivate, every connection to a denied address
// fails with ErrDenied. It uses no proxy: the check is on the address
// actually dialled.
func NewClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = control
	}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   DefaultWorkers, // a burst of pushes to one host reuses its connections
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.Method != http.MethodGet || len(via) >= maxRedirects {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}
