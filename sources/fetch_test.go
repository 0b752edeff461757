package sources

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

func TestClientGet(t *testing.T) {
	feed := []byte("<rss><channel><title>x</title></channel></rss>")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(feed)
	zw.Close()
	var bomb bytes.Buffer // 4 KiB on the wire, 2 MiB decoded
	zw = gzip.NewWriter(&bomb)
	zw.Write(bytes.Repeat([]byte{' '}, 2<<20))
	zw.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"abc"` && r.Header.Get("If-Modified-Since") == "Mon, 20 Apr 2020 00:48:00 GMT" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"abc"`)
		w.Write(feed)
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "want gzip", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 2<<20)) // declares its Content-Length
	})
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 64 {
			w.Write(bytes.Repeat([]byte("x"), 32<<10))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 1<<20))
	})
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/410", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", 410) })
	mux.HandleFunc("/429", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "slow down", 429)
	})
	mux.HandleFunc("/503", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
		http.Error(w, "later", 503)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 50; i++ {
			if _, err := w.Write([]byte("<")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("/loop/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		http.Redirect(w, r, fmt.Sprintf("/loop/%d", n+1), http.StatusFound)
	})
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			http.Redirect(w, r, "/feed", http.StatusPermanentRedirect)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusMovedPermanently)
	})
	mux.HandleFunc("/temp", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hop/0", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c := NewClient(ClientOptions{UserAgent: "yizhan-test", Timeout: 700 * time.Millisecond, MaxBody: 1 << 20, MaxRedirects: 3})
	statusIs := func(code int, retry time.Duration) func(*testing.T, *Response, error) {
		return func(t *testing.T, _ *Response, err error) {
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want a *StatusError", err)
			}
			if se.Code != code {
				t.Errorf("Code = %d, want %d", se.Code, code)
			}
			if d := se.RetryAfter - retry; d < -5*time.Second || d > 5*time.Second {
				t.Errorf("RetryAfter = %v, want about %v", se.RetryAfter, retry)
			}
		}
	}
	errorIs := func(target error) func(*testing.T, *Response, error) {
		return func(t *testing.T, _ *Response, err error) {
			if !errors.Is(err, target) {
				t.Errorf("error = %v, want %v", err, target)
			}
		}
	}
	fails := func(t *testing.T, _ *Response, err error) {
		if err == nil {
			t.Error("want an error")
		}
	}
	body := func(want []byte, moved string) func(*testing.T, *Response, error) {
		return func(t *testing.T, r *Response, err error) {
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.Body, want) || r.Status != 200 || r.NotModified {
				t.Errorf("Get = %d %v %q, want 200 %q", r.Status, r.NotModified, r.Body, want)
			}
			if moved != "" {
				moved = srv.URL + moved
			}
			if r.MovedTo != moved {
				t.Errorf("MovedTo = %q, want %q", r.MovedTo, moved)
			}
		}
	}
	tests := []struct {
		name  string
		req   Request
		check func(*testing.T, *Response, error)
	}{
		{"plain", Request{URL: "/feed"}, body(feed, "")},
		{"not modified", Request{URL: "/feed", ETag: `"abc"`, LastModified: "Mon, 20 Apr 2020 00:48:00 GMT"},
			func(t *testing.T, r *Response, err error) {
				if err != nil || !r.NotModified || r.Status != 304 || len(r.Body) != 0 {
					t.Errorf("Get = %+v, %v; want a 304", r, err)
				}
			}},
		{"gzip", Request{URL: "/gzip"}, body(feed, "")},
		{"exactly the cap", Request{URL: "/exact"}, body(bytes.Repeat([]byte("x"), 1<<20), "")},
		{"too large", Request{URL: "/big"}, errorIs(ErrTooLarge)},
		{"too large chunked", Request{URL: "/big-chunked"}, errorIs(ErrTooLarge)},
		{"gzip bomb", Request{URL: "/bomb"}, errorIs(ErrTooLarge)},
		{"404", Request{URL: "/404"}, statusIs(404, 0)},
		{"500", Request{URL: "/500"}, statusIs(500, 0)},
		{"410", Request{URL: "/410"}, statusIs(410, 0)},
		{"429 retry-after seconds", Request{URL: "/429"}, statusIs(429, 2*time.Minute)},
		{"503 retry-after date", Request{URL: "/503"}, statusIs(503, time.Hour)},
		{"timeout", Request{URL: "/slow"}, fails},
		{"trickle", Request{URL: "/trickle"}, fails},
		{"redirect loop", Request{URL: "/loop/0"}, errorIs(ErrTooManyRedirects)},
		{"permanent redirects", Request{URL: "/hop/2"}, body(feed, "/feed")},
		{"one redirect too many", Request{URL: "/hop/3"}, errorIs(ErrTooManyRedirects)},
		{"temporary then permanent", Request{URL: "/temp"}, body(feed, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.URL = srv.URL + req.URL
			start := time.Now()
			r, err := c.Get(t.Context(), req)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Get took %v, want it bounded by the 700ms timeout", d)
			}
			tt.check(t, r, err)
		})
	}
}

func TestClientSendsHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{UserAgent: "yizhan/1.0 (+http://hub.example)"})
	if _, err := c.Get(t.Context(), Request{URL: srv.URL, ETag: `W/"1"`, LastModified: "Mon, 20 Apr 2020 00:48:00 GMT"}); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"User-Agent":        "yizhan/1.0 (+http://hub.example)",
		"If-None-Match":     `W/"1"`,
		"If-Modified-Since": "Mon, 20 Apr 2020 00:48:00 GMT",
		"Accept-Encoding":   "gzip",
	} {
		if got.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, got.Get(k), want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2020, 4, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"120", 2 * time.Minute},
		{" 30 ", 30 * time.Second},
		{"Mon, 20 Apr 2020 01:00:00 GMT", time.Hour},
		{"Sun, 19 Apr 2020 23:00:00 GMT", 0}, // in the past
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStatusErrorHintsTheRunner(t *testing.T) {
	err := fmt.Errorf("fetch s: %w", &StatusError{URL: "http://x/", Code: 429, RetryAfter: 90 * time.Second})
	var h hub.RetryHinter
	if !errors.As(err, &h) || h.RetryHint() != 90*time.Second {
		t.Errorf("StatusError does not give the runner its Retry-After: %v", err)
	}
}

func TestStatusErrorGoneDisables(t *testing.T) {
	for code, want := range map[int]bool{410: true, 404: false, 500: false} {
		err := fmt.Errorf("fetch s: %w", &StatusError{URL: "http://x/", Code: code})
		var g hub.GoneReporter
		if !errors.As(err, &g) || g.Gone() != want {
			t.Errorf("HTTP %d: Gone() = %v, want %v", code, g != nil && g.Gone(), want)
		}
	}
}
