package sources

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrTooLarge is returned when a response body, after decompression, exceeds
// the client's MaxBody. The body is never truncated silently.
var ErrTooLarge = errors.New("sources: response body too large")

// ErrTooManyRedirects is returned when an upstream redirects more often than
// the client's MaxRedirects allows.
var ErrTooManyRedirects = errors.New("sources: too many redirects")

// Defaults for the zero values of ClientOptions.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultTimeout        = 60 * time.Second
	DefaultMaxBody        = 16 << 20
	DefaultMaxRedirects   = 5
	DefaultUserAgent      = "yizhan (+https://github.com/yizhan-hub/yizhan)"
)

// ClientOptions configure a Client. Zero values take the defaults above.
type ClientOptions struct {
	UserAgent      string
	ConnectTimeout time.Duration // dialling and TLS handshake
	Timeout        time.Duration // the whole request, body included
	MaxBody        int64         // bytes of decoded body
	MaxRedirects   int
	// Transport, if set, carries every request instead of the client's own
	// transport (its timeouts then are the Transport's): tests route the
	// requests for real sites' URLs to saved pages with it.
	Transport http.RoundTripper
}

// Client is the one HTTP client every source shares: conditional GET, gzip,
// a User-Agent, timeouts, a body cap that fails and bounded redirects. It is
// safe for concurrent use.
type Client struct {
	hc   *http.Client
	opts ClientOptions
}

// NewClient returns a Client with one shared Transport.
func NewClient(opts ClientOptions) *Client {
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   opts.ConnectTimeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
		// We ask for gzip ourselves and decode it, so that the body cap
		// counts decoded bytes.
		DisableCompression: true,
	}
	c := &Client{opts: opts}
	var rt http.RoundTripper = tr
	if opts.Transport != nil {
		rt = opts.Transport
	}
	c.hc = &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > opts.MaxRedirects {
				return fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, opts.MaxRedirects)
			}
			return nil
		},
	}
	return c
}

// Request is one conditional GET.
type Request struct {
	URL          string
	ETag         string // sent as If-None-Match
	LastModified string // sent as If-Modified-Since
}

// Response is what an upstream answered with a 2xx or a 304.
type Response struct {
	URL         string // final URL, after redirects
	Status      int
	Header      http.Header
	Body        []byte        // decoded (gunzipped); empty for a 304
	NotModified bool          // the upstream answered 304
	MovedTo     string        // set when every redirect on the way was permanent (301/308)
	MaxAge      time.Duration // Cache-Control max-age; zero if none
}

// StatusError is an upstream's answer other than 2xx or 304.
type StatusError struct {
	URL        string
	Code       int
	RetryAfter time.Duration // from Retry-After (seconds or HTTP date); zero if absent
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.URL, e.Code, http.StatusText(e.Code))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// RetryHint returns the upstream's Retry-After, so that hub.Runner backs off
// at least that long (it implements hub.RetryHinter).
func (e *StatusError) RetryHint() time.Duration { return e.RetryAfter }

// Gone reports a 410: the upstream removed the resource for good, and
// hub.Runner disables the source (it implements hub.GoneReporter).
func (e *StatusError) Gone() bool { return e.Code == http.StatusGone }

// Get fetches req.URL. It returns a *StatusError for an answer other than 2xx
// or 304, ErrTooLarge when the decoded body exceeds MaxBody and
// ErrTooManyRedirects when the redirects do not end.
func (c *Client) Get(ctx context.Context, req Request) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	hreq.Header.Set("Accept-Encoding", "gzip")
	hreq.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5")
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	out := &Response{
		URL:     resp.Request.URL.String(),
		Status:  resp.StatusCode,
		Header:  resp.Header,
		MovedTo: movedTo(resp),
		MaxAge:  maxAge(resp.Header),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Drain a little so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{
			URL:        out.URL,
			Code:       resp.StatusCode,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	if resp.ContentLength > c.opts.MaxBody {
		return nil, fmt.Errorf("%s: %w (Content-Length %d, limit %d)", out.URL, ErrTooLarge, resp.ContentLength, c.opts.MaxBody)
	}
	var body io.Reader = resp.Body
	if strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", out.URL, err)
		}
		defer zr.Close()
		body = zr
	}
	out.Body, err = io.ReadAll(io.LimitReader(body, c.opts.MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read body: %w", out.URL, err)
	}
	if int64(len(out.Body)) > c.opts.MaxBody {
		return nil, fmt.Errorf("%s: %w (limit %d bytes)", out.URL, ErrTooLarge, c.opts.MaxBody)
	}
	return out, nil
}

// movedTo returns the final URL when the response was reached through
// redirects that were all permanent, else "".
func movedTo(resp *http.Response) string {
	r := resp.Request
	if r.Response == nil {
		return ""
	}
	for ; r.Response != nil; r = r.Response.Request {
		if c := r.Response.StatusCode; c != http.StatusMovedPermanently && c != http.StatusPermanentRedirect {
			return ""
		}
	}
	return resp.Request.URL.String()
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		const limit = 1 << 31 // about 68 years: beyond that a header is nonsense
		return time.Duration(min(n, limit)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
