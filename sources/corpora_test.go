package sources

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
)

// The corpora are real feeds this project did not write (../shared/corpora,
// see its README.md). They are read in place, never copied here.

// corpora returns the corpora folder, skipping the test when it is absent
// (and failing when CI=true, where it must be present).
func corpora(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("YIZHAN_CORPORA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpora")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpora missing at %s (set YIZHAN_CORPORA): %v", dir, err)
		}
		t.Skipf("corpora missing at %s: skipping (set YIZHAN_CORPORA to run)", dir)
	}
	return dir
}

// corpusSource is the source every corpus file is ingested as.
var corpusSource = hub.Source{ID: "corpus", Name: "Corpus", Kind: hub.KindFeed, Attribution: "Corpus Publisher", Timezone: time.UTC}

// corpusResult is the outcome of ingesting one corpus file.
type corpusResult struct {
	file  string // relative to the corpus folder
	items []hub.Item
	err   error
}

// ingestFile parses one corpus file as the fetcher would, with the
// Content-Type a feedparser test declares in its Header: comment.
func ingestFile(t *testing.T, root, rel string) corpusResult {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	items, err := ParseFeed(body, headerContentType(body), "http://corpus.example/"+filepath.ToSlash(rel), corpusSource)
	if errors.Is(err, errParserPanic) {
		t.Errorf("%s: gofeed panicked: %v", rel, err)
	}
	for _, it := range items {
		checkItemText(t, rel, it)
	}
	return corpusResult{file: rel, items: items, err: err}
}

var headerRe = regexp.MustCompile(`(?im)^Header:\s*Content-type:\s*(.+?)\s*$`)

func headerContentType(body []byte) string {
	if m := headerRe.FindSubmatch(body[:min(len(body), 2048)]); m != nil {
		return string(m[1])
	}
	return ""
}

// corpusFiles lists the regular files under dir (relative to root) whose
// names end in one of exts.
func corpusFiles(t *testing.T, root, dir string, exts ...string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && slices.Contains(exts, filepath.Ext(path)) {
			rel, _ := filepath.Rel(root, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// knownFailures reads testdata/corpus_known_failures.txt: one corpus file
// per line, a tab, and why it is expected to fail to ingest.
func knownFailures(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus_known_failures.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, why, _ := strings.Cut(line, "\t")
		known[file] = why
	}
	return known
}

// errorCategory names the kind of an ingest error, for the report.
func errorCategory(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, ErrNotFeed) && strings.Contains(msg, "HTML"):
		return "not a feed: HTML page"
	case errors.Is(err, ErrNotFeed):
		return "not a feed: no RSS/Atom/JSON root"
	case errors.Is(err, errParserPanic):
		return "gofeed panic"
	}
	if i := strings.Index(msg, ": "); i >= 0 {
		rest := msg[i+2:]
		// Keep the parser's message without line numbers, so that like errors group.
		rest = regexp.MustCompile(`line \d+`).ReplaceAllString(rest, "line N")
		rest = regexp.MustCompile(`"[^"]*"`).ReplaceAllString(rest, `"…"`)
		return msg[:i] + ": " + rest
	}
	return msg
}

// report checks results against the known failures (when known is not nil)
// and logs a summary per corpus: files, failures and why.
func report(t *testing.T, corpus string, results []corpusResult, known map[string]string) {
	t.Helper()
	failed := map[string][]string{}
	nfail := 0
	for _, r := range results {
		why, isKnown := known[r.file]
		switch {
		case known == nil:
		case r.err != nil && !isKnown:
			t.Errorf("%s: %v (not a known failure)", r.file, r.err)
		case r.err == nil && isKnown:
			t.Logf("%s: listed as a known failure (%s) but ingests now: remove it from the list", r.file, why)
		}
		if r.err != nil {
			nfail++
			failed[errorCategory(r.err)] = append(failed[errorCategory(r.err)], r.file)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "corpus %s: %d files, %d ingested, %d failed", corpus, len(results), len(results)-nfail, nfail)
	cats := make([]string, 0, len(failed))
	for c := range failed {
		cats = append(cats, c)
	}
	sort.Slice(cats, func(i, j int) bool { return len(failed[cats[i]]) > len(failed[cats[j]]) })
	for _, c := range cats {
		fmt.Fprintf(&b, "\n  %4d  %s (e.g. %s)", len(failed[c]), c, failed[c][0])
	}
	t.Log(b.String())
}

func TestCorpusFeedparser(t *testing.T) {
	root := corpora(t)
	known := knownFailures(t)
	for _, dir := range []string{"wellformed", "illformed", "encoding", "entities", "json"} {
		t.Run(dir, func(t *testing.T) {
			var results []corpusResult
			for _, rel := range corpusFiles(t, root, filepath.Join("feedparser", dir), ".xml", ".json") {
				results = append(results, ingestFile(t, root, rel))
			}
			if dir == "wellformed" {
				report(t, "feedparser/"+dir, results, known)
				return
			}
			// Ill-formed, encoding and entity cases: no panic and clean
			// output are the requirement; failures are counted, not checked.
			report(t, "feedparser/"+dir, results, nil)
		})
	}
}

// TestCorpusFeedparserExpectations checks the machine-readable expectations
// of feedparser's tests that concern what we keep of an entry: its title,
// link and id (our Key). Feed-level expectations do not apply: yizhan keeps
// items, not upstream feed metadata.
func TestCorpusFeedparserExpectations(t *testing.T) {
	root := corpora(t)
	raw, err := os.ReadFile(filepath.Join(root, "feedparser", "expect-simple.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		File     string `json:"file"`
		Scope    string `json:"scope"`
		Field    string `json:"field"`
		Expected string `json:"expected"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	known := knownFailures(t)
	var applied, passed, skipped int
	for _, c := range cases {
		if c.Scope != "entry0" {
			skipped++
			continue
		}
		applied++
		rel := filepath.ToSlash(filepath.Join("feedparser", c.File))
		r := ingestFile(t, root, rel)
		id := rel + " " + c.Field
		if r.err != nil || len(r.items) == 0 {
			_, fileKnown := known[rel]
			if _, ok := known[id]; !ok && !fileKnown {
				t.Errorf("%s: no entry (%v)", id, r.err)
			}
			continue
		}
		it := r.items[0]
		got := map[string]string{"title": it.Title, "link": it.URL, "id": it.Key}[c.Field]
		want := c.Expected
		if c.Field == "title" {
			// feedparser keeps a title's spacing; we collapse it.
			want = strings.Join(strings.Fields(want), " ")
		}
		if got == want {
			passed++
			if why, ok := known[id]; ok {
				t.Logf("%s: listed as a known failure (%s) but passes now", id, why)
			}
			continue
		}
		if why, ok := known[id]; ok {
			t.Logf("%s: %q, feedparser expects %q (known: %s)", id, got, want, why)
			continue
		}
		t.Errorf("%s = %q, want %q", id, got, want)
	}
	t.Logf("feedparser expect-simple.json: %d cases, %d about entries applied, %d pass, %d known differences, %d feed-level skipped",
		len(cases), applied, passed, applied-passed, skipped)
}

func TestCorpusChardetCJK(t *testing.T) {
	root := corpora(t)
	known := knownFailures(t)
	itemTag := regexp.MustCompile(`<(item|entry)[\s>]`)
	var results []corpusResult
	titles := 0
	for _, rel := range corpusFiles(t, root, "chardet-cjk-feeds", ".xml") {
		r := ingestFile(t, root, rel)
		results = append(results, r)
		if r.err != nil {
			continue
		}
		raw, _ := os.ReadFile(filepath.Join(root, rel))
		if want := len(itemTag.FindAll(raw, -1)); len(r.items) != want {
			t.Errorf("%s: %d items, want %d (one per <item>/<entry>)", rel, len(r.items), want)
		}
		han := false
		for _, it := range r.items {
			titles++
			if strings.ContainsRune(it.Title, utf8.RuneError) {
				t.Errorf("%s: title %q holds U+FFFD", rel, it.Title)
			}
			if i := strings.IndexFunc(it.Title, mojibake); i >= 0 {
				t.Errorf("%s: title %q looks like mojibake", rel, it.Title)
			}
			han = han || strings.IndexFunc(it.Title+it.Content+it.Summary, isHan) >= 0
		}
		if !han && len(r.items) > 0 {
			t.Errorf("%s: no Chinese character in any item: decoded with the wrong charset?", rel)
		}
	}
	report(t, "chardet-cjk-feeds", results, known)
	t.Logf("chardet-cjk-feeds: %d titles checked", titles)
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// mojibake reports characters that GB2312 or Big5 read as Latin-1 or
// Windows-1252 turn into, and which these Chinese blogs never write.
func mojibake(r rune) bool {
	return r >= 0x80 && r <= 0x24F || r >= 0x400 && r <= 0x4FF
}

// TestCorpusROME ingests every file of ROME's test resources (no panic,
// clean output) and checks that the values of its self-describing feeds
// (rss_2.0.xml: "rss_2.0.channel.item[0].title" …) land in the right fields.
func TestCorpusROME(t *testing.T) {
	root := corpora(t)
	known := knownFailures(t)
	var results []corpusResult
	for _, rel := range corpusFiles(t, root, "rome", ".xml", ".rss", ".atom", ".opml", ".json") {
		results = append(results, ingestFile(t, root, rel))
	}
	report(t, "rome", results, known)

	selfDescribing := regexp.MustCompile(`^(rss|atom)_[^/]*\.xml$`)
	dir := filepath.Join(root, "rome", "rome", "src", "test", "resources")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		if !selfDescribing.MatchString(e.Name()) {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			// No feed URL: the values are not URLs and must come through as written.
			items, err := ParseFeed(raw, "", "", corpusSource)
			if err != nil {
				t.Fatal(err)
			}
			checked += romeChecks(t, string(raw), strings.TrimSuffix(e.Name(), ".xml"), items)
		})
	}
	t.Logf("rome: %d field values checked in self-describing feeds", checked)
}

// romeChecks compares items with the values a ROME test feed names, and
// returns how many it compared.
func romeChecks(t *testing.T, raw, prefix string, items []hub.Item) int {
	t.Helper()
	// Some files reuse another file's values (rss_0.92_alt.xml holds
	// "rss_0.92.channel.item[0].title"), so the prefix is read from the file.
	m := regexp.MustCompile(`>\s*([A-Za-z0-9_.-]+?)\.(channel\.item|item|feed\.entry)\[0\]\.title\s*<`).FindStringSubmatch(raw)
	if m == nil {
		t.Skipf("%s is not self-describing: ingested above, no field values to check", prefix)
	}
	prefix = m[1]
	m = m[1:]
	chunks := regexp.MustCompile(`(?s)<(item|entry)[\s>].*?</(item|entry)>`).FindAllString(raw, -1)
	if len(items) != len(chunks) {
		t.Fatalf("%d items, want %d", len(items), len(chunks))
	}
	n := 0
	for i, it := range items {
		ip := fmt.Sprintf("%s.%s[%d]", prefix, m[1], i)
		has := func(suffix string) bool { return strings.Contains(raw, ip+suffix) }
		text := func(suffix string) bool { return strings.Contains(raw, ">"+ip+suffix+"<") }
		eq := func(field, got, want string) {
			n++
			if got != want {
				t.Errorf("item %d: %s = %q, want %q", i, field, got, want)
			}
		}
		contains := func(field, got, want string) {
			n++
			if !strings.Contains(got, want) {
				t.Errorf("item %d: %s = %q, want it to contain %q", i, field, got, want)
			}
		}
		if has(".title") {
			eq("Title", it.Title, ip+".title")
		}
		switch {
		case text(".link"):
			eq("URL", it.URL, ip+".link")
		case has(".link^href"):
			// Not a real URL: resolving it (xml:base) escapes [ ] and ^.
			got, _ := url.PathUnescape(it.URL)
			eq("URL", got, ip+".link^href")
		}
		for _, s := range []string{".description", ".summary"} {
			if has(s) {
				contains("Summary or Content", it.Summary+it.Content, ip+s)
			}
		}
		switch {
		case has(".content<"), has(".content]]"):
			contains("Content", it.Content, ip+".content")
		case has(".content[0]"):
			// Atom 0.3 entries may hold several contents; we keep one.
			contains("Content", it.Content, ip+".content[")
		}
		switch {
		case text(".author"):
			eq("Author", it.Author, ip+".author")
		case has(".author.name"):
			eq("Author", it.Author, ip+".author.name")
		case has(".dc:creator[0]"):
			contains("Author", it.Author, ip+".dc:creator[0]")
		case has(".dc:creator"):
			eq("Author", it.Author, ip+".dc:creator")
		}
		switch {
		case text(".rights"):
			eq("Copyright", it.Copyright, ip+".rights")
		case has(".dc:rights[0]"):
			eq("Copyright", it.Copyright, ip+".dc:rights[0]")
		case has(".dc:rights"):
			eq("Copyright", it.Copyright, ip+".dc:rights")
		}
		if text(".source") {
			eq("Credit", it.Credit, ip+".source")
			eq("CreditURL", it.CreditURL, ip+".source^url")
		}
		if has(".guid") {
			eq("Key", it.Key, ip+".guid")
		}
		if want, ok := romeDate(chunks[i]); ok {
			n++
			if !it.Published.Equal(want) && !it.Updated.Equal(want) {
				t.Errorf("item %d: Published, Updated = %v, %v; want %v", i, it.Published, it.Updated, want)
			}
		}
	}
	return n
}

var romeDateRe = regexp.MustCompile(`<(pubDate|dc:date|published|issued|modified|updated|created)>\s*([^<]+?)\s*<`)

// romeDate is the first date an item chunk carries, read in UTC.
func romeDate(chunk string) (time.Time, bool) {
	m := romeDateRe.FindStringSubmatch(chunk)
	if m == nil {
		return time.Time{}, false
	}
	if _, err := strconv.Atoi(m[2]); err == nil {
		return time.Time{}, false
	}
	return ParseTime(m[2], time.UTC)
}

func TestCorpusJSONFeed(t *testing.T) {
	root := corpora(t)
	for _, rel := range corpusFiles(t, root, "jsonfeed", ".json") {
		r := ingestFile(t, root, rel)
		invalid := strings.HasPrefix(filepath.Base(rel), "invalid-")
		switch {
		case !invalid && r.err != nil:
			t.Errorf("%s: %v", rel, r.err)
		case !invalid && len(r.items) == 0:
			t.Errorf("%s: no items", rel)
		case invalid && r.err != nil:
			t.Logf("%s: rejected: %v", rel, r.err)
		case invalid:
			// gofeed is lenient: a feed missing a title or an item id still
			// yields items (keyed by link or hash). What we keep is clean.
			t.Logf("%s: accepted leniently with %d items", rel, len(r.items))
		}
	}
}

// TestCorpusDecodeHTML decodes the real Chinese pages of cn-html with no
// Content-Type, so that every trap of its SOURCE.txt reaches DecodeHTML:
// UTF-8 bytes under a GB2312 <meta>, GBK bytes under a gb2312 <meta>, and GB
// bytes with no declaration at all. Each must come out without U+FFFD and
// with its known headline.
func TestCorpusDecodeHTML(t *testing.T) {
	root := corpora(t)
	tests := []struct{ file, want string }{
		{"gne/people.com.cn-culture-2019-06-15.html", "女儿出嫁，郑板桥画了几笔兰花当嫁妆"},
		{"fundus/People_2024_04_24.html", "来源：新华网"},
		{"readability/qq/source.html", "DeepMind新电脑已可利用记忆自学"},
		{"derived-gbk/people-culture-2019-06-15.gbk.html", "女儿出嫁，郑板桥画了几笔兰花当嫁妆"},
		{"derived-gbk/people-politics-2024-04-24.gbk.html", "来源：新华网"},
		{"chardet-raw-gb/_chromium_gb18030_with_no_encoding_specified.html", "中国制造的领军者3名"},
		{"gne/xinhuanet-world-article.html", "法国全国大罢工再次严重影响交通"},
		{"gne/shanxi.gov.cn-provincial-portal-article.html", "山西品牌丝路行"},
		{"readability/gmw/source.html", "宇航员在太空中喝酒会怎么样"},
		{"readability/youth/source.html", "海外留学生看两会"},
	}
	for _, tt := range tests {
		body, err := os.ReadFile(filepath.Join(root, "cn-html", tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		got, err := DecodeHTML(body, "", "")
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		// fundus' People page already holds two U+FFFD (its crawler's
		// mojibake, see SOURCE.txt): count only those we would add.
		if n, had := strings.Count(string(got), "\uFFFD"), strings.Count(string(body), "\uFFFD"); n > had {
			t.Errorf("%s: %d U+FFFD after decoding, %d before", tt.file, n, had)
		}
		if !strings.Contains(string(got), tt.want) {
			t.Errorf("%s: decoded page lacks %q", tt.file, tt.want)
		}
	}
}
