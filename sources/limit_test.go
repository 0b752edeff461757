package sources

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

// TestTrimItems keeps the newest items of a long feed, in document order,
// for each format, and leaves short feeds alone.
func TestTrimItems(t *testing.T) {
	loc := asiaShanghai(t)
	day := func(d int) time.Time { return time.Date(2025, 3, d, 8, 0, 0, 0, loc) }
	// Days in document order: 3 1 5 2 4 (item i is day[i]).
	days := []int{3, 1, 5, 2, 4}
	var rss, rdf, atom, jsonItems, undated []string
	for i, d := range days {
		rss = append(rss, fmt.Sprintf("<item><title>%d</title><pubDate>%s</pubDate></item>", i, day(d).Format(time.RFC1123Z)))
		rdf = append(rdf, fmt.Sprintf(`<item rdf:about="http://e/%d"><title>%d</title><dc:date>%s</dc:date></item>`, i, i, day(d).Format(time.RFC3339)))
		atom = append(atom, fmt.Sprintf("<entry><title>%d</title><source><updated>2030-01-01T00:00:00Z</updated></source><updated>%s</updated></entry>", i, day(d).Format(time.RFC3339)))
		jsonItems = append(jsonItems, fmt.Sprintf(`{"id":"%d","title":"%d","date_published":%q}`, i, i, day(d).Format(time.RFC3339)))
		undated = append(undated, fmt.Sprintf("<item><title>%d</title></item>", i))
	}
	tests := []struct {
		name  string
		kind  gofeed.FeedType
		doc   string
		limit int
		want  []string // titles kept, in order
	}{
		{"rss", gofeed.FeedTypeRSS, "<rss><channel><title>c</title>" + strings.Join(rss, "\n") + "<ttl>5</ttl></channel></rss>", 3, []string{"0", "2", "4"}},
		{"rss 1.0", gofeed.FeedTypeRSS, `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="http://e/"><title>c</title></channel>` + strings.Join(rdf, "") + "</rdf:RDF>", 2, []string{"2", "4"}},
		{"atom", gofeed.FeedTypeAtom, `<feed xmlns="http://www.w3.org/2005/Atom"><title>c</title>` + strings.Join(atom, " ") + "</feed>", 1, []string{"2"}},
		{"json feed", gofeed.FeedTypeJSON, `{"version":"https://jsonfeed.org/version/1.1","title":"c","items":[` + strings.Join(jsonItems, ", ") + `],"home_page_url":"http://e/"}`, 3, []string{"0", "2", "4"}},
		{"undated", gofeed.FeedTypeRSS, "<rss><channel>" + strings.Join(undated, "") + "</channel></rss>", 2, []string{"0", "1"}},
		{"under the limit", gofeed.FeedTypeRSS, "<rss><channel>" + strings.Join(rss, "") + "</channel></rss>", 5, []string{"0", "1", "2", "3", "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, n, err := trimItems([]byte(tt.doc), tt.kind, tt.limit, loc)
			if err != nil {
				t.Fatal(err)
			}
			if n != -1 && n != len(days) {
				t.Errorf("counted %d items, want %d", n, len(days))
			}
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(doc))
			if err != nil {
				t.Fatalf("trimmed document does not parse: %v\n%s", err, doc)
			}
			var got []string
			for _, it := range feed.Items {
				got = append(got, it.Title)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
			if feed.Title != "c" && tt.name != "undated" && tt.name != "under the limit" {
				t.Errorf("feed title = %q: the channel around the items was lost", feed.Title)
			}
		})
	}
}

func TestTrimItemsMalformed(t *testing.T) {
	items := strings.Repeat("<item><title>x</title></item>", 20)
	for _, doc := range []string{
		"<rss><channel>" + items + "<item><title>cut",         // truncated
		"</x></y><rss><channel>" + items + "</channel></rss>", // stray end tags
		"<rss><channel>" + items + "</channel></rss></rss>",   // one end tag too many
		`{"items":[` + strings.Repeat(`{"title":"x"},`, 20) + `{"title":`,
		`{"items":{` + strings.Repeat(`{`, 20),
		`[` + strings.Repeat(`{},`, 20) + `{}]`,
	} {
		kind := gofeed.FeedTypeRSS
		if doc[0] == '{' || doc[0] == '[' {
			kind = gofeed.FeedTypeJSON
		}
		out, n, err := trimItems([]byte(doc), kind, 5, time.UTC)
		if err == nil && n > 5 && bytes.Count(out, []byte("<item>"))+bytes.Count(out, []byte(`"title"`)) > 5 {
			t.Errorf("trimItems(%.40q…) kept more than 5 of %d items", doc, n)
		}
	}
}

func FuzzTrimItems(f *testing.F) {
	for _, name := range feedSeeds {
		f.Add(readFixture(f, name), 1)
	}
	f.Add([]byte(`{"items":[{"date_published":"2020-01-01T00:00:00Z"},{},{"date_modified":"x"}]}`), 1)
	f.Fuzz(func(t *testing.T, doc []byte, limit int) {
		limit = 1 + limit&7
		kind := gofeed.DetectFeedType(bytes.NewReader(doc))
		out, n, err := trimItems(doc, kind, limit, time.UTC)
		if err != nil || n <= limit {
			return
		}
		if _, m, err := trimItems(out, kind, limit, time.UTC); err == nil && m > limit {
			t.Errorf("trimmed document still has %d items, limit %d", m, limit)
		}
	})
}

func TestCheckMarkup(t *testing.T) {
	tests := []struct {
		doc  string
		fail string // part of the error; empty: within the bounds
	}{
		{`<a><b/><c x="1"/></a>`, ""},
		{`<a><b><c><d/></c></b></a>`, ""},
		{`<a><b><c><d></d></c></b></a>`, "nested more than 3"},
		{`<a/><b/><c/><d/><e/><f/>`, "more than 5 elements"},
		{`<a><!-- <b><c><d> --></a>`, ""},
		{`<a><![CDATA[<b><c><d><e><f><g>]]></a>`, ""},
		{`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "<b><c><d>">]><a>&x;</a>`, ""},
		{`<a x="/>" y='>'><b z="<c><d>"/></a>`, ""},
		{`</x></y></z><a><b><c></c></b></a>`, ""}, // stray end tags do not bank depth
		{`<a><b><c><d`, ""},                       // truncated: gofeed says so
		{`<a><!-- never closed <b><c><d>`, ""},
	}
	for _, tt := range tests {
		err := checkMarkup([]byte(tt.doc), 5, 3)
		if tt.fail == "" && err != nil || tt.fail != "" && (!errors.Is(err, ErrTooComplex) || !strings.Contains(err.Error(), tt.fail)) {
			t.Errorf("checkMarkup(%q) = %v, want %q", tt.doc, err, tt.fail)
		}
	}
}
