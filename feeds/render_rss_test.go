package feeds

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
	"time"

	gfeeds "github.com/gorilla/feeds"

	"github.com/yizhan-hub/yizhan/hub"
)

// The RSS writer as it was, with encoding/xml over gorilla/feeds' structs
// extended: writeRSS must write the same bytes.

// rssDoc is <rss>: gorilla declares only the content namespace.
type rssDoc struct {
	XMLName   xml.Name    `xml:"rss"`
	Version   string      `xml:"version,attr"`
	ContentNS string      `xml:"xmlns:content,attr"`
	DCNS      string      `xml:"xmlns:dc,attr"`
	AtomNS    string      `xml:"xmlns:atom,attr"`
	Channel   *rssChannel `xml:"channel"`
}

// rssChannel is gorilla's channel plus its atom:link rel="self"; its items
// replace gorilla's.
type rssChannel struct {
	*gfeeds.RssFeed
	AtomLink []rssAtomLink `xml:"atom:link"`
	Items    []*rssItem    `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

// rssItem is gorilla's item plus categories, dc:creator, dc:contributor and dc:rights, with
// <source> replaced: gorilla writes <source>URL</source>, RSS 2.0 wants
// <source url="URL">name</source>.
type rssItem struct {
	*gfeeds.RssItem
	Categories  []string   `xml:"category"`
	Creator     string     `xml:"dc:creator,omitempty"`
	Contributor string     `xml:"dc:contributor,omitempty"`
	Rights      string     `xml:"dc:rights,omitempty"`
	Source      *rssSource `xml:"source,omitempty"`
}

type rssSource struct {
	URL  string `xml:"url,attr,omitempty"`
	Name string `xml:",chardata"`
}

func writeRSSEncoder(w io.Writer, v *feedView) error {
	ch := (&gfeeds.Rss{Feed: v.gorilla()}).RssFeed()
	ch.Language = Language
	ch.Ttl = max(1, int((v.TTL+time.Minute-1)/time.Minute))
	out := &rssChannel{
		RssFeed:  ch,
		AtomLink: []rssAtomLink{{Href: v.selfURL(formatRSS), Rel: "self", Type: "application/rss+xml"}},
		Items:    make([]*rssItem, len(ch.Items)),
	}
	if v.HubURL != "" {
		out.AtomLink = append(out.AtomLink, rssAtomLink{Href: v.HubURL, Rel: "hub"})
	}
	if v.nextURL != nil {
		out.AtomLink = append(out.AtomLink, rssAtomLink{Href: v.nextURL(formatRSS), Rel: "next", Type: "application/rss+xml"})
	}
	for i, gi := range ch.Items {
		it := &v.Items[i]
		ri := &rssItem{
			RssItem:     gi,
			Categories:  it.Categories,
			Creator:     it.Author,
			Contributor: it.Editor,
			Rights:      it.Copyright,
		}
		if it.Summary == "" {
			// The description is the content then: once is enough.
			ri.Content = nil
		}
		if it.Credit != "" {
			// RSS 2.0 requires the url attribute: where the credited publisher
			// has the item, else the feed we took it from, which is what the
			// element meant in the first place.
			u := it.CreditURL
			if u == "" {
				u = it.SourceURL
			}
			ri.Source = &rssSource{URL: u, Name: it.Credit}
		}
		out.Items[i] = ri
	}
	return writeXML(w, &rssDoc{
		Version:   "2.0",
		ContentNS: nsContent,
		DCNS:      nsDC,
		AtomNS:    nsAtom,
		Channel:   out,
	})
}

// rssTestView returns a feed of items whose texts are texts in turn, in
// every field, with and without summaries, dates and attribution.
func rssTestView(texts []string, next bool) *feedView {
	v := &feedView{
		ID: "theory", Title: texts[0], Description: texts[len(texts)-1], Copyright: texts[1%len(texts)],
		HomeURL: "http://hub.example/", Updated: time.Date(2025, 3, 1, 8, 30, 0, 0, shanghai), TTL: 90 * time.Second,
		HubURL:  "http://hub.example/websub",
		selfURL: func(f format) string { return "http://hub.example/feeds/theory.rss?filter=a&b=" + texts[0] },
	}
	if next {
		v.nextURL = func(f format) string { return "http://hub.example/feeds/theory.rss?before=x&q=" + texts[0] }
		v.HubURL = ""
		v.Updated = time.Time{}
		v.Copyright = ""
	}
	for i, s := range texts {
		t := func(k int) string { return texts[(i+k)%len(texts)] }
		it := itemView{
			GUID: t(0), Title: t(1), URL: t(2), Summary: t(3), Content: t(4) + s,
			Categories:  []string{t(5), t(6)},
			Date:        time.Date(2025, 3, 1, 8, i, 0, 0, shanghai),
			Attribution: hub.Attribution{Credit: t(7), CreditURL: t(8), Author: t(9), Editor: t(10), Copyright: t(11)},
			SourceURL:   t(12),
		}
		switch i % 4 {
		case 1:
			it.Summary, it.Categories, it.Date = "", nil, time.Time{}
			it.Updated = time.Date(2025, 3, 2, 8, i, 0, 0, time.UTC)
		case 2:
			it.CreditURL, it.Date = "", time.Time{}
		case 3:
			it.CreditURL, it.SourceURL, it.Content = "", "", ""
		}
		v.Items = append(v.Items, it)
	}
	return v
}

// rssTexts are texts with what XML escapes or forbids.
var rssTexts = []string{
	"理论频道", "", "<p class=\"a\">正文 &amp; 图</p>", "it's \"quoted\" <b>", "\t tab\nnewline\r\n",
	"控制\x01\x08\x1f字符\x7f", "无效\xff\xfe\xc3\x28\xa0\xe2\x82", "\ufffe\uffff\ufffd\U0001F600", "CDATA ]]> 结束]]]>",
	"http://theory.people.com.cn/n1/2025/0301/c40531-40428001.html?a=1&b=2", "\xed\xa0\x80 surrogate \xe0\x80\x80 overlong",
	"   ", "\u0085\u2028 中文。", "\xef\xbf", "\xef",
}

// TestRSSWriterMatchesEncoder: writeRSS writes what encoding/xml wrote.
func TestRSSWriterMatchesEncoder(t *testing.T) {
	for _, texts := range [][]string{rssTexts, {"一"}, {"a", "b"}, rssTexts[3:]} {
		for _, next := range []bool{false, true} {
			v := rssTestView(texts, next)
			checkRSSWriter(t, v)
			v.Items = nil
			checkRSSWriter(t, v)
		}
	}
}

// FuzzRSSWriter: writeRSS writes what encoding/xml wrote, whatever the texts.
func FuzzRSSWriter(f *testing.F) {
	for _, s := range rssTexts {
		f.Add(s, "标题")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		checkRSSWriter(t, rssTestView([]string{a, b, a + b}, len(a)%2 == 0))
	})
}

func checkRSSWriter(t *testing.T, v *feedView) {
	t.Helper()
	var want, got bytes.Buffer
	if err := writeRSSEncoder(&want, v); err != nil {
		t.Fatal(err)
	}
	if err := writeRSS(&got, v); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		g, w := got.String(), want.String()
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		t.Errorf("writeRSS differs from encoding/xml at byte %d:\ngot  %q\nwant %q", i, g[max(0, i-80):min(len(g), i+80)], w[max(0, i-80):min(len(w), i+80)])
	}
}
