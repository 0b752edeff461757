package feeds

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	cfg := testConfig()
	cfg.Settings.Title = "驿站 · 人民网与各地新闻"
	cfg.Settings.FeedSize = 15
	cfg.Settings.LatestSize = 8
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	defer srv.Close()
	// The handler's links are absolute under base_url: serve it there.
	cfg.Settings.BaseURL = srv.URL
	srv.Config.Handler = NewHandler(Options{Config: cfg, Store: newMemStore(cfg, corpusPageItems(t)...), Now: fixedNow})

	pages := slices.Clone(browserPages)
	for _, width := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"desktop", 1280, 900, false}, {"phone", 360, 780, true}} {
		for i := range pages {
			p := &pages[i]
			if p.path == "" {
				continue
			}
			var viewport []chromedp.EmulateViewportOption
			if width.mobile {
				viewport = append(viewport, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			if err := chromedp.Do(b.ctx,
				chromedp.EmulateViewport(width.w, width.h, viewport...),
				chromedp.Navigate(srv.URL+p.path),
			); err != nil {
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
