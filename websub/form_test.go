package websub

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func netipParse(s string) (netip.Addr, error) { return netip.ParseAddr(s) }

func TestParseForm(t *testing.T) {
	req, err := ParseForm([]byte("hub.mode=subscribe&hub.topic=http%3A%2F%2Fhub.example%2Ffeeds%2Ftheory.rss%3Flimit%3D5" +
		"&hub.callback=https%3A%2F%2Fsub.example%2Fcb%3Fx%3D1&hub.lease_seconds=60&hub.secret=k&other=1"))
	if err != nil {
		t.Fatal(err)
	}
	want := Request{Mode: "subscribe", Topic: "http://hub.example/feeds/theory.rss?limit=5",
		Callback: "https://sub.example/cb?x=1", Lease: time.Minute, Secret: "k"}
	if req != want {
		t.Errorf("ParseForm = %+v, want %+v", req, want)
	}
	if _, err := ParseForm([]byte("hub.mode=subscribe&hub.topic=http://a.example/&hub.callback=http://u:p@b.example/")); err == nil {
		t.Error("a callback with credentials was taken")
	}
}

// FuzzParseForm: whatever the body, ParseForm returns a well-formed request
// or a RequestError, and never panics.
func FuzzParseForm(f *testing.F) {
	for _, seed := range []string{
		"hub.mode=subscribe&hub.topic=http%3A%2F%2Fhub.example%2Ffeeds%2Ftheory.rss&hub.callback=http%3A%2F%2Fsub.example%2F",
		"hub.mode=unsubscribe&hub.topic=http://hub.example/feeds/latest.json?opencc=s2t&hub.callback=https://sub.example/cb?a=1&b=2",
		"hub.mode=subscribe&hub.topic=x&hub.callback=y&hub.lease_seconds=99999999999999999999",
		"hub.mode=subscribe&hub.secret=" + strings.Repeat("%FF", 70),
		"hub.mode=subscribe&hub.mode=unsubscribe",
		"%zz=1;&&==",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseForm(body)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Reason == "" {
				t.Fatalf("ParseForm error %v is not a RequestError with a reason", err)
			}
			return
		}
		if req.Mode != ModeSubscribe && req.Mode != ModeUnsubscribe {
			t.Fatalf("mode %q", req.Mode)
		}
		for _, s := range []string{req.Topic, req.Callback} {
			u, err := url.Parse(s)
			if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || len(s) > MaxURLBytes {
				t.Fatalf("URL %q taken", s)
			}
		}
		if len(req.Secret) >= MaxSecretBytes || req.Lease < 0 {
			t.Fatalf("secret of %d bytes or lease %v taken", len(req.Secret), req.Lease)
		}
	})
}

// TestControl: the dialler's check sees the resolved address.
func TestControl(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{{"127.0.0.1:80", false}, {"[::1]:443", false}, {"10.0.0.1:8080", false}, {"169.254.169.254:80", false},
		{"93.184.216.34:80", true}, {"[2606:2800:220:1:248:1893:25c8:1946]:443", true}, {"not-an-address", false}} {
		err := control("tcp", tc.addr, nil)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrDenied) {
			t.Errorf("control(%s) = %v, want ok %v", tc.addr, err, tc.ok)
		}
	}
}

// TestRedirects: a push follows no redirect; a verification follows a
// few, each dialled through the same check.
func TestRedirects(t *testing.T) {
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	c := NewClient(time.Second, true)
	resp, err := c.Post(redirect.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || hits.Load() != 0 {
		t.Errorf("POST redirected: %d, %d hits at the target; want 307 returned and none", resp.StatusCode, hits.Load())
	}
	resp, err = c.Get(redirect.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Errorf("GET redirected: %d hits at the target, want 1", hits.Load())
	}
	// Without private callbacks, the redirect to loopback is dialled through the check.
	if _, err := NewClient(time.Second, false).Get(redirect.URL); err == nil || !errors.Is(err, ErrDenied) {
		t.Errorf("GET through a denying client: %v, want ErrDenied", err)
	}
}
