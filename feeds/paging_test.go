package feeds

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// manyItems returns n items of people-theory, two at each date, so that
// pages end between items of one date.
func manyItems(n int) []hub.Item {
	var out []hub.Item
	for i := range n {
		out = append(out, hub.Item{
			ID: int64(i + 1), SourceID: "people-theory", Key: fmt.Sprint("k", i),
			URL:       fmt.Sprint("http://theory.people.com.cn/n1/", i, ".html"),
			Title:     fmt.Sprint("第", i, "篇"),
			Published: time.Date(2025, 3, 1, 8, 0, 0, 0, shanghai).Add(time.Duration(i/2) * time.Hour),
		})
	}
	return out
}

// walkJSON follows next_url from path and returns the titles of every page's
// items, and the pages' sizes.
func walkJSON(t *testing.T, h *Handler, path string) (titles []string, sizes []int) {
	t.Helper()
	for page := 0; path != ""; page++ {
		if page > 100 {
			t.Fatal("more than 100 pages")
		}
		w := get(t, h, "GET", path)
		if w.Code != 200 {
			t.Fatalf("GET %s = %d: %s", path, w.Code, w.Body)
		}
		var doc struct {
			NextURL string `json:"next_url"`
			FeedURL string `json:"feed_url"`
			Items   []struct {
				Title string `json:"title"`
			} `json:"items"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if page > 0 && !strings.Contains(doc.FeedURL, "before=") {
			t.Errorf("page %d: feed_url %q does not name its page", page, doc.FeedURL)
		}
		for _, it := range doc.Items {
			titles = append(titles, it.Title)
		}
		sizes = append(sizes, len(doc.Items))
		path = ""
		if doc.NextURL != "" {
			u, err := url.Parse(doc.NextURL)
			if err != nil {
				t.Fatal(err)
			}
			path = u.RequestURI()
		}
	}
	return titles, sizes
}

// TestPaging: following next from a channel's feed visits every item once,
// newest first, in pages of the feed's size (or ?limit=), the last without
// a next link; variants page too; a bad cursor is a 400.
func TestPaging(t *testing.T) {
	items := manyItems(13)
	h := newTestHandler(t, newMemStore(testConfig(), items...))
	var want []string
	for i := len(items) - 1; i >= 0; i-- {
		want = append(want, items[i].Title)
	}
	for _, tt := range []struct {
		path  string
		sizes []int
		want  []string
	}{
		{"/feeds/theory.json", []int{5, 5, 3}, want},
		{"/feeds/theory.json?limit=4", []int{4, 4, 4, 1}, want},
		{"/feeds/theory.json?opencc=s2t&limit=3", []int{3, 3, 3, 3, 1}, nil},
		{"/feeds/theory.json?filter_title=[02468]篇", []int{3, 2, 2}, nil},
	} {
		titles, sizes := walkJSON(t, h, tt.path)
		if !slices.Equal(sizes, tt.sizes) {
			t.Errorf("%s: pages of %v, want %v", tt.path, sizes, tt.sizes)
		}
		if tt.want != nil && !slices.Equal(titles, tt.want) {
			t.Errorf("%s: walked %q, want %q", tt.path, titles, tt.want)
		}
		if tt.want == nil && len(titles) != sum(tt.sizes) {
			t.Errorf("%s: %d titles", tt.path, len(titles))
		}
	}
	for _, ext := range []string{"rss", "atom"} {
		body := get(t, h, "GET", "/feeds/theory."+ext).Body.String()
		if !strings.Contains(body, `rel="next"`) || !strings.Contains(body, "/feeds/theory."+ext+"?before=") {
			t.Errorf("theory.%s has no next link:\n%s", ext, body)
		}
	}
	for _, bad := range []string{"before=x", "before=AAAAAAAAAAAAAAAAAAAAAA", "before=" + strings.Repeat("A", 30), "before=a&before=b"} {
		w := get(t, h, "GET", "/feeds/theory.rss?"+bad)
		if w.Code != 400 || !strings.Contains(w.Body.String(), "before") {
			t.Errorf("?%s = %d %q, want 400 naming before", bad, w.Code, w.Body)
		}
	}
}

// TestPagingWhileItemsArrive: items stored between two page fetches are
// newer than the cursor: the walk neither repeats nor skips an item.
func TestPagingWhileItemsArrive(t *testing.T) {
	items := manyItems(12)
	st := newMemStore(testConfig(), items...)
	h := newTestHandler(t, st)
	w := get(t, h, "GET", "/feeds/theory.json")
	var first struct {
		NextURL string                   `json:"next_url"`
		Items   []struct{ Title string } `json:"items"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &first); err != nil {
		t.Fatal(err)
	}
	late := manyItems(20)[12:]
	for i := range late {
		late[i].Published = late[i].Published.Add(100 * time.Hour)
	}
	st.add(late...)
	h.Cache().Invalidate("theory")
	u, _ := url.Parse(first.NextURL)
	rest, _ := walkJSON(t, h, u.RequestURI())
	var got []string
	for _, it := range first.Items {
		got = append(got, it.Title)
	}
	got = append(got, rest...)
	var want []string
	for i := len(items) - 1; i >= 0; i-- {
		want = append(want, items[i].Title)
	}
	if !slices.Equal(got, want) {
		t.Errorf("walked %q, want the 12 items of the first fetch once, %q", got, want)
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// TestPageGzip: an archive page is made without its gzip form, which the
// first request accepting gzip makes and the cache then counts; it is
// served with its own ETag and 304 like any feed's.
func TestPageGzip(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), manyItems(13)...))
	var next struct {
		NextURL string `json:"next_url"`
	}
	if err := json.Unmarshal(get(t, h, "GET", "/feeds/theory.json").Body.Bytes(), &next); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(next.NextURL)
	page := strings.Replace(u.RequestURI(), ".json", ".rss", 1)

	plain := get(t, h, "GET", page)
	if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("GET %s = %d, %q", page, plain.Code, plain.Header().Get("Content-Encoding"))
	}
	_, before := h.cache.vars.stats()
	head := get(t, h, "HEAD", page, "Accept-Encoding", "gzip")
	zipped := get(t, h, "GET", page, "Accept-Encoding", "gzip")
	if zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET %s with gzip: Content-Encoding %q", page, zipped.Header().Get("Content-Encoding"))
	}
	if head.Header().Get("Content-Length") != zipped.Header().Get("Content-Length") || head.Body.Len() != 0 {
		t.Errorf("HEAD: Content-Length %s, %d bytes; GET: %s", head.Header().Get("Content-Length"), head.Body.Len(), zipped.Header().Get("Content-Length"))
	}
	size := int64(zipped.Body.Len())
	zr, err := gzip.NewReader(bytes.NewReader(zipped.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(body, plain.Body.Bytes()) {
		t.Errorf("gunzipped page differs from the plain one (%v)", err)
	}
	_, after := h.cache.vars.stats()
	if after-before != size {
		t.Errorf("the cache grew by %d bytes with a gzip form of %d", after-before, size)
	}
	etag := zipped.Header().Get("ETag")
	if etag == plain.Header().Get("ETag") || !strings.HasSuffix(etag, `-gz"`) {
		t.Errorf("gzip ETag %s, plain %s", etag, plain.Header().Get("ETag"))
	}
	if w := get(t, h, "GET", page, "Accept-Encoding", "gzip", "If-None-Match", etag); w.Code != 304 {
		t.Errorf("If-None-Match the gzip ETag: %d, want 304", w.Code)
	}
}
