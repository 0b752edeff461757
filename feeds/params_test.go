package feeds

import (
	"strings"
	"testing"
)

// TestIndexListsParams: the index page lists every parameter with an
// example that the hub answers with 200.
func TestIndexListsParams(t *testing.T) {
	cfg := testConfig()
	cfg.Settings.FeedSize = 50 // as shipped: the examples' limit=10 fits
	h := NewHandler(Options{Config: cfg, Store: newMemStore(cfg, variantItems()...), Now: fixedNow})
	body := get(t, h, "GET", "/").Body.String()
	wellFormed(t, []byte(body))
	for _, d := range queryParamDocs {
		if !strings.Contains(body, "<code>"+d.name+"</code>") {
			t.Errorf("index page does not list %s", d.name)
		}
	}
	for _, p := range queryExamples(newConfig(cfg), "politics") {
		if !strings.Contains(body, `href="`+strings.ReplaceAll(p.URL, "&", "&amp;")+`"`) {
			t.Errorf("index page lacks the example %s", p.URL)
		}
		target := strings.TrimPrefix(p.URL, "http://hub.example")
		if target == p.URL || !strings.HasPrefix(target, "/feeds/politics.rss?") {
			t.Errorf("example %s is not on the politics feed", p.URL)
		}
		if w := get(t, h, "GET", target); w.Code != 200 {
			t.Errorf("example %s: status %d: %s", target, w.Code, w.Body)
		}
	}
}
