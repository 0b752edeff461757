package feeds

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"html"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.* from the current output")

// TestGolden compares the served feeds of a fixed channel and of the ticker,
// under a fixed clock, with testdata/*.golden.{rss,atom,json}. A library
// upgrade or a rendering change shows up here; review the diff, then rewrite
// them with go test ./feeds -update.
func TestGolden(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	for _, feed := range []string{"theory", "latest"} {
		for _, ext := range []string{"rss", "atom", "json"} {
			name := feed + ".golden." + ext
			t.Run(name, func(t *testing.T) {
				w := get(t, h, "GET", "/feeds/"+feed+"."+ext)
				if w.Code != 200 {
					t.Fatalf("status = %d, want 200", w.Code)
				}
				got := w.Body.Bytes()
				path := filepath.Join("testdata", name)
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./feeds -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the output; review and run go test ./feeds -update\n%s", path, firstDiff(got, want))
				}
			})
		}
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}

// wellFormed fails t unless doc is well-formed XML.
func wellFormed(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
}

// wantAttribution is what every format must carry for each test item, by GUID.
func wantAttribution(t *testing.T) map[string]hub.Item {
	t.Helper()
	m := make(map[string]hub.Item)
	for _, it := range testItems() {
		if it.SourceID == "people-theory" {
			m[it.FeedGUID()] = it
		}
	}
	return m
}

// checkFooter checks that content ends with exactly one attribution
// paragraph naming the item's credit, via, author and copyright.
func checkFooter(t *testing.T, content string, it hub.Item) {
	t.Helper()
	if n := strings.Count(content, `class="yizhan-attribution"`); n != 1 {
		t.Errorf("%s: %d attribution footers, want 1", it.Key, n)
	}
	i := strings.LastIndex(content, `<p class="yizhan-attribution">`)
	if i < 0 || !strings.HasSuffix(content, "</p>") {
		t.Fatalf("%s: content does not end with the footer: %q", it.Key, content)
	}
	f := content[i:]
	for _, s := range []string{it.Credit, it.Via, it.Author, it.Editor, it.Copyright} {
		if s != "" && !strings.Contains(f, s) {
			t.Errorf("%s: footer %q lacks %q", it.Key, f, s)
		}
	}
	if it.Editor != "" && !strings.Contains(f, footerEditor+it.Editor) {
		t.Errorf("%s: footer %q does not name %q as editor", it.Key, f, it.Editor)
	}
	var names []string
	for _, c := range it.Carriers {
		names = append(names, `<a href="`+html.EscapeString(c.URL)+`">`+c.Name+`</a>`)
	}
	if len(names) > 0 && !strings.Contains(f, footerCarried+strings.Join(names, carrierSep)) {
		t.Errorf("%s: footer %q does not list the carriers %q", it.Key, f, names)
	}
	if len(names) == 0 && strings.Contains(f, footerCarried) {
		t.Errorf("%s: footer %q names carriers the item lacks", it.Key, f)
	}
	if it.CreditURL != "" && !strings.Contains(f, `href="`+it.CreditURL+`"`) {
		t.Errorf("%s: footer %q does not link %s", it.Key, f, it.CreditURL)
	}
	if it.Author == "" && strings.Contains(f, footerAuthor) {
		t.Errorf("%s: footer %q names an author the item lacks", it.Key, f)
	}
}

type rssT struct {
	Version string `xml:"version,attr"`
	Channel struct {
		Title     string `xml:"title"`
		Copyright string `xml:"copyright"`
		TTL       int    `xml:"ttl"`
		Language  string `xml:"language"`
		SelfLinks []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"http://www.w3.org/2005/Atom link"`
		Items []struct {
			Title string `xml:"title"`
			GUID  struct {
				ID          string `xml:",chardata"`
				IsPermaLink string `xml:"isPermaLink,attr"`
			} `xml:"guid"`
			Source *struct {
				URL  string `xml:"url,attr"`
				Name string `xml:",chardata"`
			} `xml:"source"`
			Creator     string   `xml:"http://purl.org/dc/elements/1.1/ creator"`
			Contributor string   `xml:"http://purl.org/dc/elements/1.1/ contributor"`
			Rights      string   `xml:"http://purl.org/dc/elements/1.1/ rights"`
			Categories  []string `xml:"category"`
			Content     string   `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
			Description string   `xml:"description"`
			PubDate     string   `xml:"pubDate"`
		} `xml:"item"`
	} `xml:"channel"`
}

func TestRSSCarriesAttribution(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	body := get(t, h, "GET", "/feeds/theory.rss").Body.Bytes()
	wellFormed(t, body)
	var doc rssT
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	ch := doc.Channel
	if doc.Version != "2.0" {
		t.Errorf("version = %q, want 2.0", doc.Version)
	}
	if ch.Copyright != "本频道条目版权归原作者及原发媒体所有" {
		t.Errorf("channel copyright = %q", ch.Copyright)
	}
	if ch.TTL != 15 {
		t.Errorf("ttl = %d, want 15 (the channel's max-age in minutes)", ch.TTL)
	}
	if len(ch.SelfLinks) != 2 || ch.SelfLinks[0].Rel != "self" || ch.SelfLinks[0].Href != "http://hub.example/feeds/theory.rss" ||
		ch.SelfLinks[1].Rel != "hub" || ch.SelfLinks[1].Href != "http://hub.example/websub" {
		t.Errorf("atom:link = %+v, want rel=self to http://hub.example/feeds/theory.rss and rel=hub to http://hub.example/websub", ch.SelfLinks)
	}
	want := wantAttribution(t)
	if len(ch.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(ch.Items), len(want))
	}
	for _, got := range ch.Items {
		it, ok := want[got.GUID.ID]
		if !ok {
			t.Errorf("guid %q is no test item's FeedGUID()", got.GUID.ID)
			continue
		}
		if got.GUID.IsPermaLink != "false" {
			t.Errorf("%s: isPermaLink = %q, want false", it.Key, got.GUID.IsPermaLink)
		}
		if got.Title != it.Title {
			t.Errorf("title = %q, want %q", got.Title, it.Title)
		}
		wantURL := it.CreditURL
		if wantURL == "" {
			wantURL = "http://www.people.com.cn/rss/theory.xml" // the source's feed
		}
		if got.Source == nil || got.Source.Name != it.Credit || got.Source.URL != wantURL {
			t.Errorf("%s: source = %+v, want %q at %q", it.Key, got.Source, it.Credit, wantURL)
		}
		if got.Creator != it.Author {
			t.Errorf("%s: dc:creator = %q, want %q", it.Key, got.Creator, it.Author)
		}
		if got.Contributor != it.Editor {
			t.Errorf("%s: dc:contributor = %q, want %q", it.Key, got.Contributor, it.Editor)
		}
		if got.Rights != it.Copyright {
			t.Errorf("%s: dc:rights = %q, want %q", it.Key, got.Rights, it.Copyright)
		}
		if strings.Join(got.Categories, ",") != strings.Join(it.Categories, ",") {
			t.Errorf("%s: categories = %q, want %q", it.Key, got.Categories, it.Categories)
		}
		if d, err := time.Parse(time.RFC1123Z, got.PubDate); err != nil || !d.Equal(it.Date()) {
			t.Errorf("%s: pubDate = %q (%v), want %v", it.Key, got.PubDate, err, it.Date())
		}
		// The content is content:encoded, else the description: an item
		// with no summary of its own carries its article once.
		content := got.Content
		if content == "" {
			content = got.Description
		} else if it.Content == "" {
			t.Errorf("%s: content:encoded beside a description that is the same article", it.Key)
		}
		checkFooter(t, content, it)
	}
}

type atomT struct {
	ID      string `xml:"id"`
	Updated string `xml:"updated"`
	Rights  string `xml:"rights"`
	Authors []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	} `xml:"link"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Published string `xml:"published"`
		Updated   string `xml:"updated"`
		Rights    string `xml:"rights"`
		Content   struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
		Authors []struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Contributors []struct {
			Name string `xml:"name"`
		} `xml:"contributor"`
		Links []struct {
			Href  string `xml:"href,attr"`
			Rel   string `xml:"rel,attr"`
			Title string `xml:"title,attr"`
		} `xml:"link"`
		Categories []struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
		Source *struct {
			Title string `xml:"title"`
			Links []struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"source"`
	} `xml:"entry"`
}

func TestAtomCarriesAttribution(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	body := get(t, h, "GET", "/feeds/theory.atom").Body.Bytes()
	wellFormed(t, body)
	var doc atomT
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Rights != "本频道条目版权归原作者及原发媒体所有" {
		t.Errorf("feed rights = %q", doc.Rights)
	}
	if doc.Updated != "2025-03-01T08:30:00+08:00" {
		t.Errorf("feed updated = %q, want the newest item's date", doc.Updated)
	}
	rels := map[string]string{}
	for _, l := range doc.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != "http://hub.example/feeds/theory.atom" || rels["alternate"] != "http://hub.example/" {
		t.Errorf("feed links = %+v, want self and alternate", doc.Links)
	}
	if len(doc.Authors) != 1 || doc.Authors[0].Name != "驿站测试" {
		t.Errorf("feed authors = %+v, want the hub", doc.Authors)
	}
	want := wantAttribution(t)
	if len(doc.Entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(doc.Entries), len(want))
	}
	for _, e := range doc.Entries {
		it, ok := want[e.ID]
		if !ok {
			t.Errorf("id %q is no test item's FeedGUID()", e.ID)
			continue
		}
		if e.Rights != it.Copyright {
			t.Errorf("%s: rights = %q, want %q", it.Key, e.Rights, it.Copyright)
		}
		if e.Source == nil || e.Source.Title != it.Credit {
			t.Errorf("%s: source = %+v, want title %q", it.Key, e.Source, it.Credit)
		} else {
			var hrefs []string
			for _, l := range e.Source.Links {
				hrefs = append(hrefs, l.Href)
			}
			if got := strings.Join(hrefs, " "); got != it.CreditURL {
				t.Errorf("%s: source links = %q, want %q", it.Key, got, it.CreditURL)
			}
		}
		var authors []string
		for _, a := range e.Authors {
			authors = append(authors, a.Name)
		}
		if got := strings.Join(authors, ","); got != it.Author {
			t.Errorf("%s: authors = %q, want %q", it.Key, got, it.Author)
		}
		var editors []string
		for _, c := range e.Contributors {
			editors = append(editors, c.Name)
		}
		if got := strings.Join(editors, ","); got != it.Editor {
			t.Errorf("%s: contributors = %q, want %q", it.Key, got, it.Editor)
		}
		var links, wantLinks []string
		for _, l := range e.Links {
			links = append(links, l.Rel+" "+l.Href+" "+l.Title)
		}
		wantLinks = append(wantLinks, "alternate "+it.URL+" ")
		for _, c := range it.Carriers {
			wantLinks = append(wantLinks, "related "+c.URL+" "+c.Name)
		}
		if !slices.Equal(links, wantLinks) {
			t.Errorf("%s: links = %q, want %q", it.Key, links, wantLinks)
		}
		if p, err := time.Parse(time.RFC3339, e.Published); err != nil || !p.Equal(it.Date()) {
			t.Errorf("%s: published = %q, want %v", it.Key, e.Published, it.Date())
		}
		if e.Updated == "" {
			t.Errorf("%s: no updated", it.Key)
		}
		if len(e.Categories) != len(it.Categories) {
			t.Errorf("%s: categories = %+v, want %q", it.Key, e.Categories, it.Categories)
		}
		if e.Content.Type != "html" {
			t.Errorf("%s: content type = %q, want html", it.Key, e.Content.Type)
		}
		checkFooter(t, e.Content.Body, it)
	}
}

type jsonT struct {
	Version     string `json:"version"`
	FeedURL     string `json:"feed_url"`
	HomePageURL string `json:"home_page_url"`
	Language    string `json:"language"`
	Attribution *struct {
		Copyright string `json:"copyright"`
	} `json:"_attribution"`
	Items []struct {
		ID            string   `json:"id"`
		Title         string   `json:"title"`
		ContentHTML   string   `json:"content_html"`
		DatePublished string   `json:"date_published"`
		Tags          []string `json:"tags"`
		Authors       []struct {
			Name string `json:"name"`
		} `json:"authors"`
		Attribution struct {
			Credit    string        `json:"credit"`
			CreditURL string        `json:"credit_url"`
			Via       string        `json:"via"`
			Editor    string        `json:"editor"`
			Copyright string        `json:"copyright"`
			CarriedBy []hub.Carrier `json:"carried_by"`
		} `json:"_attribution"`
	} `json:"items"`
}

func TestJSONCarriesAttribution(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	body := get(t, h, "GET", "/feeds/theory.json").Body.Bytes()
	var doc jsonT
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "https://jsonfeed.org/version/1.1" {
		t.Errorf("version = %q", doc.Version)
	}
	if doc.FeedURL != "http://hub.example/feeds/theory.json" || doc.HomePageURL != "http://hub.example/" {
		t.Errorf("feed_url, home_page_url = %q, %q", doc.FeedURL, doc.HomePageURL)
	}
	if doc.Language != "zh-CN" {
		t.Errorf("language = %q, want zh-CN", doc.Language)
	}
	if doc.Attribution == nil || doc.Attribution.Copyright != "本频道条目版权归原作者及原发媒体所有" {
		t.Errorf("_attribution = %+v, want the channel copyright", doc.Attribution)
	}
	want := wantAttribution(t)
	if len(doc.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(doc.Items), len(want))
	}
	for _, got := range doc.Items {
		it, ok := want[got.ID]
		if !ok {
			t.Errorf("id %q is no test item's FeedGUID()", got.ID)
			continue
		}
		a := got.Attribution
		if a.Credit != it.Credit || a.CreditURL != it.CreditURL || a.Via != it.Via || a.Editor != it.Editor || a.Copyright != it.Copyright {
			t.Errorf("%s: _attribution = %+v, want %+v", it.Key, a, it.Attribution)
		}
		if !slices.Equal(a.CarriedBy, it.Carriers) {
			t.Errorf("%s: _attribution.carried_by = %+v, want %+v", it.Key, a.CarriedBy, it.Carriers)
		}
		var authors []string
		for _, x := range got.Authors {
			authors = append(authors, x.Name)
		}
		if got := strings.Join(authors, ","); got != it.Author {
			t.Errorf("%s: authors = %q, want %q", it.Key, got, it.Author)
		}
		if strings.Join(got.Tags, ",") != strings.Join(it.Categories, ",") {
			t.Errorf("%s: tags = %q, want %q", it.Key, got.Tags, it.Categories)
		}
		if p, err := time.Parse(time.RFC3339, got.DatePublished); err != nil || !p.Equal(it.Date()) {
			t.Errorf("%s: date_published = %q, want %v", it.Key, got.DatePublished, it.Date())
		}
		checkFooter(t, got.ContentHTML, it)
	}
}

// TestControlCharacters feeds characters XML forbids through every text
// field: the XML feeds stay well-formed and the characters are gone.
func TestControlCharacters(t *testing.T) {
	cfg := testConfig()
	cfg.Channels[0].Title = "理论\x0c频道"
	it := hub.Item{
		SourceID:   "people-theory",
		Key:        "ctl",
		URL:        "http://theory.people.com.cn/ctl\x01.html",
		Title:      "标题\x0b含控制符\x00",
		Summary:    "摘要\x1b",
		Content:    "<p>正文\x08\uFFFE</p>",
		Categories: []string{"理论\x07"},
		Published:  time.Date(2025, 3, 1, 8, 0, 0, 0, shanghai),
		Attribution: hub.Attribution{
			Credit:    "人民\x1f日报",
			Author:    "李\x02红军",
			Copyright: "版权\x1e所有",
			Via:       "人民网\x7f",
		},
	}
	for _, ext := range []string{"rss", "atom", "json"} {
		t.Run(ext, func(t *testing.T) {
			h := NewHandler(Options{Config: cfg, Store: newMemStore(cfg, it), Now: fixedNow})
			w := get(t, h, "GET", "/feeds/theory."+ext)
			if w.Code != 200 {
				t.Fatalf("status = %d, want 200", w.Code)
			}
			body := w.Body.Bytes()
			for i, c := range body {
				if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
					t.Fatalf("control character %#x at offset %d", c, i)
				}
			}
			if bytes.Contains(body, []byte("\uFFFE")) {
				t.Errorf("U+FFFE survived")
			}
			if ext == "json" {
				if bytes.Contains(body, []byte(`\u00`)) {
					t.Errorf("an escaped control character survived in JSON")
				}
				if !json.Valid(body) {
					t.Fatal("invalid JSON")
				}
			} else {
				wellFormed(t, body)
			}
			if !bytes.Contains(body, []byte("标题含控制符")) {
				t.Errorf("title text lost with the control characters:\n%s", body)
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"人民日报", "人民日报"},
		{"tab\tnewline\ncr\r", "tab\tnewline\ncr\r"},
		{"a\x0bb", "ab"},
		{"\x00\x01\x1f", ""},
		{"x\uFFFEy\uFFFFz", "xyz"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"emoji 😀 ok", "emoji 😀 ok"},
		{"del\x7f kept", "del\x7f kept"}, // allowed by XML 1.0
		{"\uFFFD\uFFEF\uE000\u3000。", "\uFFFD\uFFEF\uE000\u3000。"},
		{"surrogate\xed\xa0\x80", "surrogate\uFFFD\uFFFD\uFFFD"},
		{"overlong\xe0\x80\xaf", "overlong\uFFFD\uFFFD\uFFFD"},
		{"cut\xe4\xb8", "cut\uFFFD\uFFFD"},
		{"cut\xef\xbf", "cut\uFFFD\uFFFD"},
		{"cut\xef", "cut\uFFFD"},
		{"cont\xe4\xb8a", "cont\uFFFD\uFFFDa"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFooter(t *testing.T) {
	tests := []struct {
		name     string
		a        hub.Attribution
		carriers []hub.Carrier
		want     string
	}{
		{"every field", hub.Attribution{Credit: "人民日报", CreditURL: "http://paper.people.com.cn/a?x=1&y=2", Via: "人民网",
			Author: "李红军、王五", Editor: "赵六", Copyright: "版权所有"}, nil,
			`<p class="yizhan-attribution">来源：<a href="http://paper.people.com.cn/a?x=1&amp;y=2">人民日报</a> · 经由：人民网 · 作者：李红军、王五 · 编辑：赵六 · 版权声明：版权所有</p>`},
		{"credit only", hub.Attribution{Credit: "新华社"}, nil,
			`<p class="yizhan-attribution">来源：新华社</p>`},
		{"editor only", hub.Attribution{Editor: "李红军"}, nil,
			`<p class="yizhan-attribution">编辑：李红军</p>`},
		{"escaped", hub.Attribution{Credit: `<b>"X"</b>`, CreditURL: `javascript:"x"`, Author: "A&B"}, nil,
			`<p class="yizhan-attribution">来源：<a href="javascript:&#34;x&#34;">&lt;b&gt;&#34;X&#34;&lt;/b&gt;</a> · 作者：A&amp;B</p>`},
		{"carriers", hub.Attribution{Credit: "人民日报"},
			[]hub.Carrier{{Name: "某省网", URL: "http://a.example/1.html?x=1&y=2"}, {Name: "", URL: "http://b.example/2"}, {Name: "<某县>"}},
			`<p class="yizhan-attribution">来源：人民日报<br>转载：<a href="http://a.example/1.html?x=1&amp;y=2">某省网</a>、<a href="http://b.example/2">http://b.example/2</a>、&lt;某县&gt;</p>`},
		{"carriers only", hub.Attribution{}, []hub.Carrier{{Name: "某省网", URL: "http://a.example/1"}},
			`<p class="yizhan-attribution">转载：<a href="http://a.example/1">某省网</a></p>`},
		{"nothing", hub.Attribution{}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := footer(&tt.a, tt.carriers); got != tt.want {
				t.Errorf("footer = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain  text\n here", "plain text here"},
		{"<p>一段</p><p>二段 &amp; 更多</p>", "一段 二段 & 更多"},
		{"<script>x()</script>可见", "可见"},
	}
	for _, tt := range tests {
		if got := htmlText(tt.in); got != tt.want {
			t.Errorf("htmlText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEmptyFeed: a channel without items is dated by the injected clock,
// so that its rendering is the same every time.
func TestEmptyFeed(t *testing.T) {
	var bodies []string
	for range 2 {
		h := newTestHandler(t, newMemStore(testConfig()))
		for _, ext := range []string{"rss", "atom", "json"} {
			w := get(t, h, "GET", "/feeds/politics."+ext)
			if w.Code != 200 {
				t.Fatalf("%s: status = %d", ext, w.Code)
			}
			if got, want := w.Header().Get("Last-Modified"), "Sun, 02 Mar 2025 12:00:00 GMT"; got != want {
				t.Errorf("%s: Last-Modified = %q, want the clock's %q", ext, got, want)
			}
			bodies = append(bodies, w.Body.String())
		}
	}
	for i := range 3 {
		if bodies[i] != bodies[i+3] {
			t.Errorf("format %d renders differently twice", i)
		}
	}
	if !strings.Contains(bodies[1], "<updated>2025-03-02T20:00:00+08:00</updated>") {
		t.Errorf("empty Atom feed is not dated by the clock:\n%s", bodies[1])
	}
	if !strings.Contains(bodies[2], `"items": []`) {
		t.Errorf("empty JSON feed lacks the required items array:\n%s", bodies[2])
	}
}

// TestWebSubDiscovery: every feed response, the 304 too, names the hub and
// itself in Link headers, as the documents do (SPEC.md "WebSub"); a
// variant's self link is its own; without WebSub nothing is advertised.
func TestWebSubDiscovery(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	for _, tc := range []struct{ path, self, inBody string }{
		{"/feeds/theory.rss", "http://hub.example/feeds/theory.rss", `<atom:link href="http://hub.example/websub" rel="hub"></atom:link>`},
		{"/feeds/theory.atom?limit=2", "http://hub.example/feeds/theory.atom?limit=2", `<link href="http://hub.example/websub" rel="hub"></link>`},
		{"/feeds/latest.json", "http://hub.example/feeds/latest.json", `"hubs": [`},
		{"/feeds/theory.json?opencc=s2t", "http://hub.example/feeds/theory.json?opencc=s2t", `"url": "http://hub.example/websub"`},
	} {
		w := get(t, h, "GET", tc.path)
		want := []string{`<http://hub.example/websub>; rel="hub"`, "<" + tc.self + `>; rel="self"`}
		if got := w.Header().Values("Link"); !slices.Equal(got, want) {
			t.Errorf("%s: Link = %q, want %q", tc.path, got, want)
		}
		if !strings.Contains(w.Body.String(), tc.inBody) {
			t.Errorf("%s: body lacks %s", tc.path, tc.inBody)
		}
		r := httptest.NewRequest("GET", tc.path, nil)
		r.Header.Set("If-None-Match", w.Header().Get("ETag"))
		w304 := httptest.NewRecorder()
		h.ServeHTTP(w304, r)
		if w304.Code != 304 || len(w304.Header().Values("Link")) != 2 {
			t.Errorf("%s: conditional GET = %d with Link %q, want 304 with both", tc.path, w304.Code, w304.Header().Values("Link"))
		}
	}
	cfg := testConfig()
	cfg.WebSub = false
	h.SetConfig(cfg)
	for _, ext := range []string{"rss", "atom", "json"} {
		w := get(t, h, "GET", "/feeds/theory."+ext)
		if l := w.Header().Values("Link"); l != nil || strings.Contains(w.Body.String(), "websub") {
			t.Errorf("%s without WebSub: Link %q, or the body names the hub", ext, l)
		}
	}
}
