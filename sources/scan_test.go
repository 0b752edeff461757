package sources

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanLayout(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		ok    bool
		items []string // the items' bytes
		dates []string
		texts []string
	}{
		{
			name: "rss",
			doc: `<?xml version="1.0"?><!-- <item>not one</item> --><rss xmlns:content="c"><channel><title>t</title>
<lastBuildDate>Mon</lastBuildDate><item><title>a</title><description><![CDATA[<p>x</p></item>]]></description></item>
<item><title x='>'>b</title><content:encoded>
 <![CDATA[y]]> </content:encoded></item><item/></channel></rss>`,
			ok:    true,
			items: []string{`<item><title>a</title><description><![CDATA[<p>x</p></item>]]></description></item>`, `<item><title x='>'>b</title><content:encoded>` + "\n" + ` <![CDATA[y]]> </content:encoded></item>`, `<item/>`},
			dates: []string{`<lastBuildDate>Mon</lastBuildDate>`},
			texts: []string{`<p>x</p></item>`, `y`},
		},
		{
			name:  "atom",
			doc:   `<feed xmlns="http://www.w3.org/2005/Atom"><updated>2025</updated><entry><updated>2024</updated><content type="html"><![CDATA[c]]></content><summary>s<![CDATA[t]]></summary></entry></feed>`,
			ok:    true,
			items: []string{`<entry><updated>2024</updated><content type="html"><![CDATA[c]]></content><summary>s<![CDATA[t]]></summary></entry>`},
			dates: []string{`<updated>2025</updated>`},
			texts: []string{`c`},
		},
		{
			name:  "rdf",
			doc:   `<rdf:RDF><channel><dc:date>d</dc:date></channel><item><title>a</title></item></rdf:RDF>`,
			ok:    true,
			items: []string{`<item><title>a</title></item>`},
			dates: []string{`<dc:date>d</dc:date>`},
		},
		{
			name:  "items deeper down are not items",
			doc:   `<rss><channel><item><source><item>x</item></source></item></channel></rss>`,
			ok:    true,
			items: []string{`<item><source><item>x</item></source></item>`},
		},
		{name: "misnamed end tag", doc: `<rss><channel><item></items></channel></rss>`},
		{name: "unclosed element", doc: `<rss><channel><item></item></channel>`},
		{name: "unterminated comment", doc: `<rss><!-- </rss>`},
		{name: "unterminated CDATA", doc: `<rss><![CDATA[</rss>`},
		{name: "unterminated attribute", doc: `<rss a="></rss>`},
		{name: "internal subset", doc: `<!DOCTYPE rss [<!ENTITY e "x">]><rss><channel><item>&e;</item></channel></rss>`},
		{name: "nested items", doc: `<rss><channel><item><channel><item/></channel></item></channel></rss>`},
		{name: "lone <", doc: `<rss>a < b</rss>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := []byte(tt.doc)
			l, ok := scanLayout(doc)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			for _, c := range []struct {
				what  string
				got   []span
				want  []string
				inner bool
			}{{"items", l.items, tt.items, false}, {"dates", l.dates, tt.dates, false}, {"texts", l.texts, tt.texts, true}} {
				var got []string
				for _, s := range c.got {
					got = append(got, string(doc[s.start:s.end]))
				}
				if strings.Join(got, "|") != strings.Join(c.want, "|") {
					t.Errorf("%s = %q, want %q", c.what, got, c.want)
				}
			}
		})
	}
}

// TestScanLayoutFixtures checks the scan against every XML fixture: the
// items it finds are as many as gofeed finds. A scan that gave up on every
// fixture would compare nothing, so at least one comparison must be made.
func TestScanLayoutFixtures(t *testing.T) {
	names, _ := filepath.Glob("testdata/*.xml")
	compared := 0
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			body, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := DecodeXML(body, "", "")
			if err != nil {
				t.Skip(err)
			}
			l, ok := scanLayout(doc)
			feed, err := parseSafely(doc)
			if err != nil {
				if ok {
					t.Logf("gofeed: %v; scan found %d items", err, len(l.items))
				}
				return
			}
			if ok {
				compared++
				if len(l.items) != len(feed.Items) {
					t.Errorf("scan found %d items, gofeed %d", len(l.items), len(feed.Items))
				}
			}
		})
	}
	if compared == 0 {
		t.Errorf("the scan took apart none of %d fixtures", len(names))
	}
}

// FuzzScanLayout holds the scan and rebuild to their promises on any input:
// spans in bounds, in order and apart, and a rebuilt document that the
// vault restores to the original byte for byte.
func FuzzScanLayout(f *testing.F) {
	names, _ := filepath.Glob("testdata/*.xml")
	for _, name := range names {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<rss><channel><item><description><![CDATA[` + strings.Repeat("长", 100) + `]]></description></item></channel></rss>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		l, ok := scanLayout(doc)
		if !ok {
			return
		}
		for _, spans := range [][]span{l.items, l.dates, l.texts} {
			at := 0
			for _, s := range spans {
				if s.start < at || s.end < s.start || s.end > len(doc) {
					t.Fatalf("span %v out of order or bounds (after %d, len %d)", s, at, len(doc))
				}
				at = s.end
			}
		}
		out, v := rebuild(doc, l, nil)
		if got := v.restore(string(out)); got != string(doc) {
			t.Fatalf("restore(rebuild(doc)) = %q, want %q", got, doc)
		}
		if v != nil && bytes.Contains(doc, []byte(vaultOpen)) {
			t.Fatal("vaulted a document holding a placeholder character")
		}
		// Every other item left out.
		keep := make([]bool, len(l.items))
		var want []byte
		at := 0
		for i, s := range l.items {
			keep[i] = i%2 == 1
			if !keep[i] {
				want = append(want, doc[at:s.start]...)
				at = s.end
			}
		}
		want = append(want, doc[at:]...)
		out, v = rebuild(doc, l, keep)
		if got := v.restore(string(out)); got != string(want) {
			t.Fatalf("restore(rebuild(doc, %v)) = %q, want %q", keep, got, want)
		}
	})
}
