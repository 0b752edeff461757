package feeds

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/internal/testenv"
)

// corpusPageItems are the labelled Chinese pages of the shared corpus as
// items of the test configuration's sources: their labelled titles, dates
// and credits, and as summary the text that follows the title in the page.
// Government pages go to politics, the others to theory.
func corpusPageItems(t testing.TB) []hub.Item {
	t.Helper()
	dir := testenv.Corpora(t, "cn-html/labelled")
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []struct {
		File, Title, Date, Encoding, URL, Credit, Kind string
	}
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?is)<body[^>]*>(.*)</body>`)
	var out []hub.Item
	for i, l := range labels {
		enc, err := htmlindex.Get(l.Encoding)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		page, err := io.ReadAll(enc.NewDecoder().Reader(f))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		text := string(page)
		if m := body.FindStringSubmatch(text); m != nil {
			text = m[1]
		}
		text = htmlText(text)
		if j := strings.Index(text, l.Title); j >= 0 {
			text = text[j+len(l.Title):]
		}
		pub := time.Date(2000, 1, 1, 0, 0, 0, 0, shanghai).Add(time.Duration(i) * time.Hour) // undated
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02"} {
			if d, err := time.ParseInLocation(layout, l.Date, shanghai); err == nil {
				pub = d
				break
			}
		}
		src := "people-theory"
		if strings.Contains(l.Kind, "government") {
			src = "people-politics"
		}
		if l.Credit == "ambiguous" { // the label's word for "no one publisher"
			l.Credit = ""
		}
		out = append(out, hub.Item{
			ID: int64(i + 1), SourceID: src, Key: l.File, URL: l.URL, Title: l.Title,
			Summary: "<p>" + firstRunes(strings.TrimSpace(text), 300) + "</p>", Published: pub,
			Attribution: hub.Attribution{Credit: l.Credit, Via: "人民网"},
		})
	}
	return out
}

// browser is headless Chromium driven through chromedp, recording what
// pages write to the console and the errors they raise.
type browser struct {
	ctx context.Context

	mu     sync.Mutex
	errors []string
}

// newBrowser starts Debian's chromium, or skips t (fails it under CI)
// when it is not installed. --no-sandbox: CI runs as root in a container.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := testenv.Tool(t, "chromium", "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("lang", "zh-CN"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	b := &browser{ctx: ctx}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				b.mu.Lock()
				b.errors = append(b.errors, m.String()+" "+m.URL)
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc(); <-done })
	return b
}

// takeErrors returns the console errors recorded since the last call.
func (b *browser) takeErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	errs := b.errors
	b.errors = nil
	return errs
}

// screenWidth is a screen the pages are loaded on.
type screenWidth struct {
	name   string
	w, h   int64
	mobile bool
}

// screenWidths are a desktop's and a phone's, 360 px wide.
var screenWidths = []screenWidth{{"desktop", 1280, 900, false}, {"phone", 360, 780, true}}

// visit loads a page on a screen of width w.
func (b *browser) visit(w screenWidth, url string) error {
	var viewport []chromedp.EmulateViewportOption
	if w.mobile {
		viewport = append(viewport, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	return chromedp.Do(b.ctx,
		chromedp.EmulateViewport(w.w, w.h, viewport...),
		chromedp.Navigate(url),
	)
}

// pagesServer serves the pages of the test configuration over the labelled
// pages of the corpus, with search or without ([hub] search = false).
func pagesServer(t *testing.T, searchOff bool) *httptest.Server {
	t.Helper()
	cfg := testConfig()
	cfg.Settings.Title = "驿站 · 人民网与各地新闻"
	cfg.Settings.FeedSize = 15
	cfg.Settings.LatestSize = 8
	cfg.Settings.SearchOff = searchOff
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	// The handler's links are absolute under base_url: serve it there.
	cfg.Settings.BaseURL = srv.URL
	srv.Config.Handler = NewHandler(Options{Config: cfg, Store: newMemStore(cfg, corpusPageItems(t)...), Now: fixedNow})
	return srv
}

// pageState is what TestBrowser reads of a loaded page.
type pageState struct {
	N       int    `json:"n"`       // elements that hold items
	ScrollW int64  `json:"scrollW"` // the document's width
	InnerW  int64  `json:"innerW"`  // the window's
	Text    string `json:"text"`
	Older   string `json:"older"` // the rel=next link
}

// pageCheck is what a page must show in the browser.
type pageCheck struct {
	name, path string
	selector   string // elements that hold the items
	min        int    // at least this many of them
	text       string // and this text in the page
}

var browserPages = []pageCheck{
	{"index", "/", "ol.ticker li a", 3, "搜索"},
	{"channel", "/channels/theory", "ol.items article h2 a", 10, "更早的条目"},
	{"search", "/search?q=" + "经济", "ol.items article mark", 3, "订阅这个搜索"},
	{"search-form", "/search", "form.search input[name=q]", 1, "简体繁体通用"},
	{"status", "/status", "table tbody tr", 3, "来源状态"},
	{"channel-older", "", "ol.items article h2 a", 1, ""}, // filled in: the channel's older link
}

// TestBrowser loads the pages in headless Chromium at a desktop width and
// at 360 px: each renders its items, logs no error and, on the phone, does
// not scroll sideways. With -update it also writes the screenshots of
// docs/screenshots that the README shows.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	srv := pagesServer(t, false)
	pages := slices.Clone(browserPages)
	for _, width := range screenWidths {
		for i := range pages {
			p := &pages[i]
			if p.path == "" {
				continue
			}
			if err := b.visit(width, srv.URL+p.path); err != nil {
				t.Fatalf("%s %s: %v", width.name, p.path, err)
			}
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[pageState](fmt.Sprintf(`({n: document.querySelectorAll(%q).length,
				scrollW: document.documentElement.scrollWidth, innerW: window.innerWidth,
				text: document.body.innerText,
				older: (document.querySelector('a[rel=next]')||{}).href||''})`, p.selector)))
			if err != nil {
				t.Fatalf("%s %s: %v", width.name, p.path, err)
			}
			n, scrollW, innerW, text, older := got.N, got.ScrollW, got.InnerW, got.Text, got.Older
			if n < p.min {
				t.Errorf("%s %s: %d of %q, want at least %d", width.name, p.name, n, p.selector, p.min)
			}
			if !strings.Contains(text, p.text) {
				t.Errorf("%s %s: the page does not read %q", width.name, p.name, p.text)
			}
			// A mobile browser widens the window to the content, so the
			// width to hold to is the screen's.
			if scrollW > width.w || innerW > width.w {
				t.Errorf("%s %s: scrolls sideways: %d px wide, window %d px, on a %d px screen", width.name, p.name, scrollW, innerW, width.w)
			}
			if errs := b.takeErrors(); len(errs) > 0 {
				t.Errorf("%s %s: console errors: %q", width.name, p.name, errs)
			}
			if p.name == "channel" && older != "" {
				pages[len(pages)-1].path = strings.TrimPrefix(older, srv.URL)
			}
			if *update && (p.name == "index" || p.name == "channel" || p.name == "search") {
				png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
				if err != nil {
					t.Fatalf("screenshot %s: %v", p.name, err)
				}
				name := filepath.Join("..", "docs", "screenshots", p.name+"-"+width.name+".png")
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if pages[len(pages)-1].path == "" {
		t.Error("the channel page links no older items")
	}
}

// axeScript returns axe-core's axe.min.js, the accessibility checker
// TestAccessibility runs in the pages: YIZHAN_AXE_JS names it (.ci/run
// installs axe-core and sets it). Without it the test skips, or fails
// under CI.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("YIZHAN_AXE_JS")
	if path == "" {
		testenv.Skip(t, "YIZHAN_AXE_JS is not set: it names axe-core's axe.min.js (npm install axe-core, as .ci/run does)")
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		testenv.Skip(t, "axe-core: %v (YIZHAN_AXE_JS names axe.min.js; .ci/run installs it)", err)
		return ""
	}
	return string(b)
}

// axeViolation is a rule of axe-core that a page breaks, and where.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // the elements, as CSS selectors, and why
}

func (v axeViolation) String() string {
	return fmt.Sprintf("%s (%s): %s\n\t\t%s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t\t"))
}

// axeRun runs axe-core, every rule it runs by default (WCAG 2.x A and
// AA, and its best practices), on the page loaded, and returns what it
// found broken.
func (b *browser) axeRun(script string) ([]axeViolation, error) {
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](script+";true")); err != nil {
		return nil, fmt.Errorf("load axe-core: %w", err)
	}
	return chromedp.Run(b.ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ['violations']}).then(r =>
		r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
			nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`,
		chromedp.EvalAwaitPromise))
}

// focusState is the element that has the focus, and its outline.
type focusState struct {
	El    string  `json:"el"`
	Style string  `json:"style"`
	Width float64 `json:"width"`
}

// unseenFocus tabs through the first n elements of the page loaded and
// returns those whose focus does not show, by an outline of 2 px or more:
// axe-core does not look at focus styles.
func (b *browser) unseenFocus(n int) ([]string, error) {
	var out []string
	for range n {
		if err := chromedp.Do(b.ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			return nil, err
		}
		f, err := chromedp.Run(b.ctx, chromedp.Evaluate[focusState](`(() => {
			const e = document.activeElement, s = getComputedStyle(e);
			return {el: e.outerHTML.slice(0, 80), style: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0};
		})()`))
		if err != nil {
			return nil, err
		}
		if f.El == "" || strings.HasPrefix(f.El, "<body") {
			break
		}
		if f.Style == "none" || f.Width < 2 {
			out = append(out, fmt.Sprintf("%s shows no focus: outline %s %gpx", f.El, f.Style, f.Width))
		}
	}
	return out, nil
}

// TestAccessibility runs axe-core in headless Chromium on the pages for
// people, at a desktop's width and at 360 px: the index (with search and
// without), a channel (with and without), the ticker's page, a search with
// results, one without, the search form alone, /status. Any violation
// fails it, named by rule, impact and element. Tabbing through the first
// elements of each (links, the search box, the channel list, the button),
// every one must show an outline.
func TestAccessibility(t *testing.T) {
	script := axeScript(t)
	b := newBrowser(t)
	on, off := pagesServer(t, false), pagesServer(t, true)
	pages := []struct{ name, url string }{
		{"index", on.URL + "/"},
		{"index without search", off.URL + "/"},
		{"channel", on.URL + "/channels/theory"},
		{"channel without search", off.URL + "/channels/politics"},
		{"latest", on.URL + "/channels/latest"},
		{"search", on.URL + "/search?q=" + "经济"},
		{"search without results", on.URL + "/search?q=" + "没有这个词语"},
		{"search form", on.URL + "/search"},
		{"status", on.URL + "/status"},
	}
	for _, width := range screenWidths {
		for _, p := range pages {
			if err := b.visit(width, p.url); err != nil {
				t.Fatalf("%s %s: %v", width.name, p.name, err)
			}
			vs, err := b.axeRun(script)
			if err != nil {
				t.Fatalf("%s %s: %v", width.name, p.name, err)
			}
			for _, v := range vs {
				t.Errorf("%s %s: %s", width.name, p.name, v)
			}
			unseen, err := b.unseenFocus(8)
			if err != nil {
				t.Fatalf("%s %s: %v", width.name, p.name, err)
			}
			for _, u := range unseen {
				t.Errorf("%s %s: %s", width.name, p.name, u)
			}
			if errs := b.takeErrors(); len(errs) > 0 {
				t.Errorf("%s %s: console errors: %q", width.name, p.name, errs)
			}
		}
	}
}

// TestAccessibilityFails: the check of TestAccessibility finds what is
// wrong with a page made to break its rules.
func TestAccessibilityFails(t *testing.T) {
	script := axeScript(t)
	b := newBrowser(t)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!DOCTYPE html><html><head><meta charset="utf-8"/><title>坏页面</title>
<style>a:focus{outline:none}.faint{color:#bbb;background:#fff}</style></head>
<body><h3>标题跳级</h3><p class="faint">浅灰色的字，对比度不够。</p>
<form><input name="q" type="search"/></form><img src="data:,"/><a href="/">没有焦点样式的链接</a></body></html>`)
	}))
	defer bad.Close()
	if err := b.visit(screenWidths[0], bad.URL); err != nil {
		t.Fatal(err)
	}
	vs, err := b.axeRun(script)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, v := range vs {
		found[v.ID] = true
	}
	for _, rule := range []string{"html-has-lang", "color-contrast", "label", "image-alt", "landmark-one-main", "page-has-heading-one"} {
		if !found[rule] {
			t.Errorf("axe-core did not report %s on the bad page; it reported %v", rule, vs)
		}
	}
	// Its link hides its focus; the search box shows Chromium's own ring,
	// thinner than 2 px.
	unseen, err := b.unseenFocus(5)
	if err != nil {
		t.Fatal(err)
	}
	if len(unseen) != 2 {
		t.Errorf("unseenFocus on the bad page = %q, want its search box and its link", unseen)
	}
}
