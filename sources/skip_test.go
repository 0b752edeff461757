package sources

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/yizhan-hub/yizhan/hub"
)

// rssFeed is an RSS document with a lastBuildDate of built and items
// numbered first to last, newest first, each with a long CDATA description.
func rssFeed(built string, items ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>人民网</title><lastBuildDate>%s</lastBuildDate>
`, built)
	for _, it := range items {
		b.WriteString(it)
		b.WriteByte('\n')
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

func rssItem(guid, title string) string {
	return `<item><title>` + title + `</title><link>http://www.people.com.cn/n1/` + guid + `.html</link><guid>` + guid +
		`</guid><pubDate>Sat, 01 Mar 2025 08:00:00 CST</pubDate><description><![CDATA[<p>` +
		strings.Repeat(title+"的正文。", 40) + `</p><script>alert(1)</script>]]></description></item>`
}

// read reads body as the fetch after prev would, failing the test on error.
func read(t *testing.T, body []byte, src hub.Source, prev hub.FetchState) hub.FetchResult {
	t.Helper()
	res, err := ReadFeed(body, "application/rss+xml", src.URL, src, prev)
	if err != nil {
		t.Fatalf("ReadFeed: %v", err)
	}
	return res
}

// next is the fetch state after res, as the runner keeps it.
func next(prev hub.FetchState, res hub.FetchResult) hub.FetchState {
	if !res.NotModified {
		prev.BodyHash, prev.ItemHashes = res.BodyHash, res.ItemHashes
	}
	return prev
}

func itemKeys(items []hub.Item) []string {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	return keys
}

func TestReadFeedSkipsUnchangedItems(t *testing.T) {
	src := testSource(t, "http://www.people.com.cn/rss/politics.xml")
	a, b, c, d := rssItem("a", "甲"), rssItem("b", "乙"), rssItem("c", "丙"), rssItem("d", "丁")

	res := read(t, rssFeed("Mon", c, b, a), src, hub.FetchState{})
	if got := itemKeys(res.Items); !reflect.DeepEqual(got, []string{"c", "b", "a"}) || res.Unchanged != 0 || res.ItemHashes == "" {
		t.Fatalf("first read: keys %q, unchanged %d, memo %q", got, res.Unchanged, res.ItemHashes)
	}
	st := next(hub.FetchState{}, res)

	steps := []struct {
		name          string
		body          []byte
		src           hub.Source
		wantKeys      []string
		wantUnchanged int
		wantListed    int
		notModified   bool
	}{
		{"same bytes", rssFeed("Mon", c, b, a), src, nil, 0, 0, true},
		{"new lastBuildDate", rssFeed("Tue", c, b, a), src, nil, 3, 3, false},
		{"one new item on top", rssFeed("Tue", d, c, b, a), src, []string{"d"}, 3, 4, false},
		{"the oldest gone, fewer blank lines", rssFeed("Wed", d, c, b), src, nil, 3, 3, false},
		{"one item edited", rssFeed("Wed", d, rssItem("c", "丙改"), b), src, []string{"c"}, 2, 3, false},
		{"a new item takes a known guid", rssFeed("Thu", rssItem("b", "乙二"), d, rssItem("c", "丙改"), b), src, []string{"b", "d", "c", "b#"}, 0, 4, false},
		{"the source's attribution changed", rssFeed("Thu", rssItem("b", "乙二"), d, rssItem("c", "丙改"), b),
			func() hub.Source { s := src; s.Attribution = "新华社"; return s }(), []string{"b", "d", "c", "b#"}, 0, 4, false},
		{"a namespace changed", []byte(strings.Replace(string(rssFeed("Thu", rssItem("b", "乙二"), d, rssItem("c", "丙改"), b)),
			`<rss version="2.0">`, `<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">`, 1)),
			func() hub.Source { s := src; s.Attribution = "新华社"; return s }(), []string{"b", "d", "c", "b#"}, 0, 4, false},
	}
	for _, step := range steps {
		res := read(t, step.body, step.src, st)
		var got []string
		for _, k := range itemKeys(res.Items) {
			k, _, dup := strings.Cut(k, "#")
			if dup {
				k += "#"
			}
			got = append(got, k)
		}
		if res.NotModified != step.notModified || !reflect.DeepEqual(got, step.wantKeys) ||
			res.Unchanged != step.wantUnchanged || (!step.notModified && res.Listed != step.wantListed) {
			t.Errorf("%s: not modified %v, keys %q, unchanged %d, listed %d; want %v, %q, %d, %d", step.name,
				res.NotModified, got, res.Unchanged, res.Listed, step.notModified, step.wantKeys, step.wantUnchanged, step.wantListed)
		}
		// What is read must be what a whole parse makes of those items.
		full, err := ParseFeed(step.body, "application/rss+xml", step.src.URL, step.src)
		if err != nil {
			t.Fatal(err)
		}
		byKey := make(map[string]hub.Item)
		for _, it := range full {
			byKey[it.Key] = it
		}
		for _, it := range res.Items {
			if !reflect.DeepEqual(it, byKey[it.Key]) {
				t.Errorf("%s: item %q read as\n%+v\nwhole parse gives\n%+v", step.name, it.Key, it, byKey[it.Key])
			}
			if it.Credit != step.src.Attribution {
				t.Errorf("%s: item %q credit %q, want %q", step.name, it.Key, it.Credit, step.src.Attribution)
			}
		}
		st = next(st, res)
	}
}

// TestReadFeedMemoIgnoresJunk: a memo that is not one, or made for other
// bytes, only costs a whole parse.
func TestReadFeedMemoIgnoresJunk(t *testing.T) {
	src := testSource(t, "http://www.people.com.cn/rss/politics.xml")
	body := rssFeed("Mon", rssItem("b", "乙"), rssItem("a", "甲"))
	for _, memo := range []string{"", "x", "m", "m" + strings.Repeat("\x00", entryLen), "m" + strings.Repeat("\x01", entryLen+1)} {
		res := read(t, body, src, hub.FetchState{ItemHashes: memo})
		if len(res.Items) != 2 || res.Unchanged != 0 {
			t.Errorf("memo %q: %d items, %d unchanged; want 2 and 0", memo, len(res.Items), res.Unchanged)
		}
	}
}

// parsePlain is parseFeed without the scan, the memo and the vault: the
// document straight to gofeed, as before they existed.
func parsePlain(body []byte, contentType, feedURL string, src hub.Source) ([]hub.Item, error) {
	doc, err := DecodeXML(body, contentType, src.Encoding)
	if err != nil {
		return nil, err
	}
	kind := gofeed.DetectFeedType(strings.NewReader(string(doc[:min(len(doc), 4096)])))
	doc, _, err = trimItems(doc, kind, MaxFeedItems, src.Timezone)
	if err != nil {
		return nil, err
	}
	if kind == gofeed.FeedTypeRSS {
		doc = cstToOffset(doc)
	}
	feed, err := parseSafely(doc)
	if err != nil {
		return nil, err
	}
	items, _ := feedItems(feed, nil, src, nil)
	return items, nil
}

// TestVaultChangesNothing reads every feed of testdata and of the corpora
// both ways: with the large CDATA texts vaulted and without.
func TestVaultChangesNothing(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	if root := corporaIfPresent(t); root != "" {
		for _, dir := range []string{"feedparser", "chardet-cjk-feeds", "rome"} {
			for _, rel := range corpusFiles(t, root, dir, ".xml", ".rss", ".atom") {
				files = append(files, filepath.Join(root, rel))
			}
		}
	}
	vaulted := 0
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if doc, err := DecodeXML(body, "", corpusSource.Encoding); err == nil {
			if l, ok := scanLayout(doc); ok {
				if _, v := rebuild(doc, l, nil); v != nil {
					vaulted++
				}
			}
		}
		want, wantErr := parsePlain(body, "", "", corpusSource)
		got, err := ParseFeed(body, "", "", corpusSource)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, without the vault %v", name, err, wantErr)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: items differ with the vault:\n%+v\nwithout:\n%+v", name, got, want)
		}
	}
	if vaulted == 0 {
		t.Error("no document had a text vaulted: the test tests nothing")
	}
	t.Logf("%d documents, %d with vaulted texts", len(files), vaulted)
}

// corporaIfPresent is corpora(t) without the skip: "" when they are absent
// outside CI.
func corporaIfPresent(t *testing.T) string {
	t.Helper()
	if os.Getenv("YIZHAN_CORPORA") == "" && os.Getenv("CI") != "true" {
		if _, err := os.Stat(filepath.Join("..", "..", "shared", "corpora")); err != nil {
			return ""
		}
	}
	return corpora(t)
}
