package sources

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

func TestMaxAge(t *testing.T) {
	tests := []struct {
		in   []string
		want time.Duration
	}{
		{nil, 0},
		{[]string{"max-age=600"}, 10 * time.Minute},
		{[]string{"public, max-age=3600, must-revalidate"}, time.Hour},
		{[]string{"public", "Max-Age=60"}, time.Minute},
		{[]string{`max-age="120"`}, 2 * time.Minute},
		{[]string{"max-age=600, no-cache"}, 0},
		{[]string{"no-store"}, 0},
		{[]string{"max-age=-5"}, 0},
		{[]string{"max-age=soon"}, 0},
		{[]string{"max-age=99999999999999999999"}, 0}, // overflows int64: ignored
		{[]string{"max-age=9999999999"}, maxSeconds * time.Second},
	}
	for _, tt := range tests {
		h := http.Header{"Cache-Control": tt.in}
		if got := maxAge(h); got != tt.want {
			t.Errorf("maxAge(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRSSTTL(t *testing.T) {
	tests := []struct {
		doc  string
		want time.Duration
	}{
		{`<rss><channel><title>x</title><ttl>60</ttl><item><title>a</title></item></channel></rss>`, time.Hour},
		{"<rss><channel><ttl>\n 15 \n</ttl></channel></rss>", 15 * time.Minute},
		{`<rss><channel><item><ttl>60</ttl></item></channel></rss>`, 0}, // not the channel's
		{`<rss><channel><ttl>0</ttl></channel></rss>`, 0},
		{`<rss><channel><ttl>often</ttl></channel></rss>`, 0},
		{`<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>`, 0},
	}
	for _, tt := range tests {
		if got := rssTTL([]byte(tt.doc)); got != tt.want {
			t.Errorf("rssTTL(%q) = %v, want %v", tt.doc, got, tt.want)
		}
	}
}

// TestFetchMinInterval: the upstream's ttl and max-age reach the runner as
// MinInterval, the larger of the two; a 304 and a skipped identical body
// carry them too.
func TestFetchMinInterval(t *testing.T) {
	feed := `<rss><channel><title>x</title><ttl>30</ttl><item><title>a</title><link>http://e/a</link></item></channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", r.URL.Query().Get("cc"))
		if r.Header.Get("If-None-Match") == `"1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"1"`)
		w.Write([]byte(strings.Replace(feed, "30", r.URL.Query().Get("ttl"), 1)))
	}))
	defer srv.Close()
	f := New(Options{})
	tests := []struct {
		name  string
		query string
		prev  hub.FetchState
		want  time.Duration
	}{
		{"ttl", "?ttl=30", hub.FetchState{}, 30 * time.Minute},
		{"max-age larger", "?ttl=30&cc=max-age%3D7200", hub.FetchState{}, 2 * time.Hour},
		{"ttl larger", "?ttl=180&cc=max-age%3D60", hub.FetchState{}, 3 * time.Hour},
		{"neither", "?ttl=x", hub.FetchState{}, 0},
		{"304", "?cc=max-age%3D900", hub.FetchState{ETag: `"1"`}, 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.Fetch(t.Context(), testSource(t, srv.URL+"/"+tt.query), tt.prev)
			if err != nil {
				t.Fatal(err)
			}
			if res.MinInterval != tt.want {
				t.Errorf("MinInterval = %v, want %v", res.MinInterval, tt.want)
			}
		})
	}
	// The same body again, skipped by its hash, still carries its ttl.
	src := testSource(t, srv.URL+"/?ttl=45")
	first, err := f.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.Fetch(t.Context(), src, hub.FetchState{BodyHash: first.BodyHash})
	if err != nil || !again.NotModified || again.MinInterval != 45*time.Minute {
		t.Errorf("identical body: NotModified %v, MinInterval %v, %v; want skipped with 45m", again.NotModified, again.MinInterval, err)
	}
}
