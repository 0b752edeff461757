package websub

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
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
