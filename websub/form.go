package websub

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits of a subscription request.
const (
	// MaxFormBytes caps the body of POST /websub: two URLs, a secret and a
	// few words.
	MaxFormBytes = 16 << 10
	// MaxURLBytes caps hub.callback and hub.topic.
	MaxURLBytes = 2048
	// MaxSecretBytes: the Recommendation wants a secret shorter than 200 bytes.
	MaxSecretBytes = 200
)

// Modes of a request (hub.mode).
const (
	ModeSubscribe   = "subscribe"
	ModeUnsubscribe = "unsubscribe"
	ModeDenied      = "denied"
)

// Request is a parsed, well-formed subscription request.
type Request struct {
	Mode     string // ModeSubscribe or ModeUnsubscribe
	Topic    string
	Callback string
	Lease    time.Duration // asked for; 0: the hub's default
	Secret   string
}

// RequestError is a malformed request: 400, in plain text.
type RequestError struct{ Reason string }

func (e *RequestError) Error() string { return e.Reason }

func bad(format string, args ...any) error {
	return &RequestError{Reason: fmt.Sprintf(format, args...)}
}

// ReadRequest reads and parses the form of a POST /websub, at most
// MaxFormBytes of it.
func ReadRequest(w http.ResponseWriter, r *http.Request) (Request, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return Request{}, bad("the body must be application/x-www-form-urlencoded")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxFormBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Request{}, bad("the body is larger than %d bytes", MaxFormBytes)
		}
		return Request{}, bad("the body could not be read")
	}
	return ParseForm(body)
}

// ParseForm parses the body of a subscription request: hub.mode
// (subscribe or unsubscribe), hub.topic and hub.callback (absolute http or
// https URLs), hub.lease_seconds (optional, a positive integer) and
// hub.secret (optional, under MaxSecretBytes). Other parameters are
// ignored; a parameter given twice is bad.
func ParseForm(body []byte) (Request, error) {
	if len(body) > MaxFormBytes {
		return Request{}, bad("the body is larger than %d bytes", MaxFormBytes)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Request{}, bad("the body is not a valid form")
	}
	get := func(name string) (string, error) {
		switch v := form[name]; len(v) {
		case 0:
			return "", nil
		case 1:
			return v[0], nil
		}
		return "", bad("%s is given more than once", name)
	}
	var req Request
	if req.Mode, err = get("hub.mode"); err != nil {
		return Request{}, err
	}
	if req.Mode != ModeSubscribe && req.Mode != ModeUnsubscribe {
		return Request{}, bad("hub.mode must be subscribe or unsubscribe")
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"hub.topic", &req.Topic}, {"hub.callback", &req.Callback}} {
		v, err := get(p.name)
		if err != nil {
			return Request{}, err
		}
		if err := checkURL(p.name, v); err != nil {
			return Request{}, err
		}
		*p.dst = v
	}
	lease, err := get("hub.lease_seconds")
	if err != nil {
		return Request{}, err
	}
	if lease != "" {
		n, err := strconv.ParseUint(lease, 10, 32)
		if err != nil || n == 0 {
			return Request{}, bad("hub.lease_seconds must be a positive integer")
		}
		req.Lease = time.Duration(n) * time.Second
	}
	if req.Secret, err = get("hub.secret"); err != nil {
		return Request{}, err
	}
	if len(req.Secret) >= MaxSecretBytes {
		return Request{}, bad("hub.secret must be shorter than %d bytes", MaxSecretBytes)
	}
	return req, nil
}

// checkURL checks a hub.topic or hub.callback.
func checkURL(name, v string) error {
	switch {
	case v == "":
		return bad("%s is missing", name)
	case len(v) > MaxURLBytes:
		return bad("%s is longer than %d bytes", name, MaxURLBytes)
	case strings.ContainsAny(v, " \t\r\n"):
		return bad("%s is not a URL", name)
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Hostname() == "" || u.User != nil ||
		(u.Scheme != "http" && u.Scheme != "https") {
		return bad("%s must be an absolute http or https URL", name)
	}
	if u.Fragment != "" {
		return bad("%s must not have a fragment", name)
	}
	return nil
}
