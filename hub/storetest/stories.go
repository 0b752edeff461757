package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// storyTests are the cases of stories (hub.Query.Dedup); Run runs them with
// the others.
var storyTests = []struct {
	name string
	fn   func(t *testing.T, s hub.Store)
}{
	{"StoryFormation", testStoryFormation},
	{"StoryIDStableInEveryOrder", testStoryIDStableInEveryOrder},
	{"StoryRepresentativeSwitch", testStoryRepresentativeSwitch},
	{"StoryByURL", testStoryByURL},
	{"StoryNeverMerges", testStoryNeverMerges},
	{"StoryPruneOneCopy", testStoryPruneOneCopy},
	{"StoryLimitAndOrder", testStoryLimitAndOrder},
	{"Paging", testPaging},
}

// article is the text of a People's Daily commentary, long enough for its
// copies to be compared by text.
const article = `<p>为基层减负，是党中央着眼新时代新征程党和国家事业发展全局作出的重要部署。</p>
<p>近年来，各地区各部门认真贯彻落实党中央决策部署，整治形式主义为基层减负取得明显成效。</p>
<p>同时也要看到，一些地方文山会海反弹回潮，督查检查考核过多过频，基层负担仍然较重。</p>
<p>持之以恒为基层减负，要从思想上正本清源，树立和践行正确政绩观，让基层干部把更多精力用在抓落实上。</p>`

// publisher's copy of the commentary: in the people source, its own.
func ownCopy(pub time.Time) hub.Item {
	return hub.Item{
		SourceID:    "people",
		Key:         "people-1",
		URL:         "http://opinion.people.com.cn/n1/2025/0301/c1003-1.html",
		Title:       "持之以恒为基层减负",
		Summary:     "<p>为基层减负，是党中央着眼新时代新征程党和国家事业发展全局作出的重要部署。</p>",
		Published:   pub,
		Attribution: hub.Attribution{Credit: "人民日报", Via: "人民网 · 观点"},
		Own:         true,
	}
}

// repost is a portal's copy: another template and URL, a column tag, a
// 责任编辑 line, crediting the publisher.
func repost(src string, pub time.Time) hub.Item {
	return hub.Item{
		SourceID:    src,
		Key:         src + "-art-1",
		URL:         "http://www." + src + ".example.gov.cn/art/2025/3/1/art_1.html",
		Title:       "【理论】持之以恒为基层减负",
		Content:     `<div class="TRS_Editor">` + article + `<p>（责任编辑：张三）</p></div>`,
		Published:   pub,
		Attribution: hub.Attribution{Credit: "人民日报", Via: src + "网"},
	}
}

func dedup(t *testing.T, s hub.Store, channel string, limit int) []hub.Item {
	t.Helper()
	got, err := s.Items(t.Context(), hub.Query{Channel: channel, Limit: limit, Dedup: true})
	if err != nil {
		t.Fatalf("Items(%q, %d, dedup): %v", channel, limit, err)
	}
	return got
}

func carriers(it hub.Item) []string {
	var out []string
	for _, c := range it.Carriers {
		out = append(out, c.Name+" "+c.URL)
	}
	return out
}

func checkCarriers(t *testing.T, what string, it hub.Item, want ...string) {
	t.Helper()
	if got := carriers(it); !slices.Equal(got, want) {
		t.Errorf("%s: Carriers = %q, want %q", what, got, want)
	}
}

func guidOf(it hub.Item) string { return it.GUID() }

// testStoryFormation: the publisher's copy and a repost are one story in the
// ticker and in a channel fed by both; each channel of one source still
// shows its copy, which knows the other; without Dedup every copy shows.
func testStoryFormation(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"people": {"opinion", "all"}, "prov": {"theory", "all"}})
	own, rp := ownCopy(at(0)), repost("prov", at(3))
	save(t, s, "people", []hub.Item{own}, at(1))
	save(t, s, "prov", []hub.Item{rp}, at(4))

	for _, ch := range []string{"", "all"} {
		got := dedup(t, s, ch, 10)
		checkKeys(t, "Items("+ch+", dedup)", got, "people/people-1")
		if len(got) == 1 {
			if got[0].FeedGUID() != guidOf(own) {
				t.Errorf("%q: FeedGUID = %q, want the first-stored copy's %q", ch, got[0].FeedGUID(), guidOf(own))
			}
			checkCarriers(t, ch, got[0], "prov网 "+rp.URL)
		}
		checkKeys(t, "Items("+ch+")", items(t, s, ch, 10), "prov/prov-art-1", "people/people-1")
	}

	got := dedup(t, s, "theory", 10)
	checkKeys(t, "Items(theory, dedup)", got, "prov/prov-art-1")
	if len(got) == 1 {
		if got[0].CreditURL != own.URL {
			t.Errorf("repost's CreditURL = %q, want the publisher's copy %q", got[0].CreditURL, own.URL)
		}
		if got[0].FeedGUID() != guidOf(rp) {
			t.Errorf("repost's FeedGUID = %q, want its own GUID", got[0].FeedGUID())
		}
		checkCarriers(t, "theory", got[0])
	}
	got = dedup(t, s, "opinion", 10)
	checkKeys(t, "Items(opinion, dedup)", got, "people/people-1")
	if len(got) == 1 {
		checkCarriers(t, "opinion", got[0], "prov网 "+rp.URL)
		if got[0].CreditURL != "" {
			t.Errorf("publisher's copy CreditURL = %q, want its own, empty", got[0].CreditURL)
		}
	}
}

// testStoryIDStableInEveryOrder: three copies arrive in each of the six
// orders; after every arrival the story's id in the ticker is the GUID of
// the copy stored first, and the representative is the publisher's copy
// once it is there.
func testStoryIDStableInEveryOrder(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"people": {"all"}, "prov": {"all"}, "city": {"all"}})
	orders := [][]string{
		{"people", "prov", "city"}, {"people", "city", "prov"}, {"prov", "people", "city"},
		{"prov", "city", "people"}, {"city", "people", "prov"}, {"city", "prov", "people"},
	}
	for n, order := range orders {
		// Each order is its own story: another day, other keys and links.
		day := at(24 * 5 * n)
		copies := map[string]hub.Item{"people": ownCopy(day), "prov": repost("prov", day.Add(2*time.Hour)), "city": repost("city", day.Add(5*time.Hour))}
		for src, it := range copies {
			it.Key += fmt.Sprint("-", n)
			it.URL += fmt.Sprint("?id=", n)
			copies[src] = it
		}
		first := copies[order[0]]
		for i, src := range order {
			save(t, s, src, []hub.Item{copies[src]}, day.Add(time.Duration(i+6)*time.Hour))
			got := dedup(t, s, "", 1)
			if len(got) != 1 {
				t.Fatalf("order %v after %s: %d items, want 1", order, src, len(got))
			}
			if got[0].FeedGUID() != first.GUID() {
				t.Errorf("order %v after %s: FeedGUID = %q, want %s's %q", order, src, got[0].FeedGUID(), order[0], first.GUID())
			}
			wantRep := order[0]
			if slices.Contains(order[:i+1], "people") {
				wantRep = "people"
			}
			if got[0].SourceID != wantRep {
				t.Errorf("order %v after %s: representative from %s, want %s", order, src, got[0].SourceID, wantRep)
			}
			if n := len(got[0].Carriers); n != i {
				t.Errorf("order %v after %s: %d carriers %q, want %d", order, src, n, carriers(got[0]), i)
			}
		}
		if got := dedup(t, s, "all", 100); len(got) != n+1 {
			t.Errorf("order %v: channel shows %d stories, want %d", order, len(got), n+1)
		}
	}
}

// testStoryRepresentativeSwitch: a repost stored first, the publisher's copy
// later: the story keeps the repost's id but shows the publisher's copy, and
// the repost's source counts as changed (its feeds show a new carrier).
func testStoryRepresentativeSwitch(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"people": {"all"}, "prov": {"all", "theory"}})
	rp, own := repost("prov", at(3)), ownCopy(at(0))
	save(t, s, "prov", []hub.Item{rp}, at(4))
	before := dedup(t, s, "", 10)
	checkKeys(t, "before", before, "prov/prov-art-1")
	cs, err := s.Changes(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	save(t, s, "people", []hub.Item{own}, at(5))
	after := dedup(t, s, "", 10)
	checkKeys(t, "after", after, "people/people-1")
	if len(before) == 1 && len(after) == 1 {
		if after[0].FeedGUID() != before[0].FeedGUID() {
			t.Errorf("FeedGUID changed from %q to %q when the publisher's copy arrived", before[0].FeedGUID(), after[0].FeedGUID())
		}
		if after[0].URL != own.URL {
			t.Errorf("URL = %q, want the publisher's %q", after[0].URL, own.URL)
		}
		checkCarriers(t, "after", after[0], "prov网 "+rp.URL)
	}
	changed, err := s.Changes(t.Context(), cs.Version)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed.Sources, []string{"people", "prov"}) {
		t.Errorf("Changes after the publisher's copy = %q, want people and prov", changed.Sources)
	}
	if got := dedup(t, s, "theory", 10); len(got) != 1 || got[0].CreditURL != own.URL {
		t.Errorf("theory = %q, want the repost crediting %s", keys(got), own.URL)
	}
}

// testStoryByURL: copies under one canonical URL are one story whatever
// their titles; a source that links two titles to one page keeps both.
func testStoryByURL(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}, "b": {"c"}})
	x := item("a", "1", at(0))
	x.URL = "http://news.example.cn/2025/0301/a.html"
	y := item("b", "1", at(30))
	y.URL = "HTTP://News.Example.cn:80/2025/0301/a.html?utm_source=rss#top"
	y.Title, y.Credit = "完全不同的标题", "某网"
	save(t, s, "a", []hub.Item{x}, at(1))
	save(t, s, "b", []hub.Item{y}, at(31))
	checkKeys(t, "Items(c, dedup)", dedup(t, s, "c", 10), "a/1")

	z1, z2 := item("a", "2", at(40)), item("a", "3", at(41))
	z1.URL, z2.URL = "http://news.example.cn/list.html", "http://news.example.cn/list.html"
	save(t, s, "a", []hub.Item{z1, z2}, at(42))
	checkKeys(t, "Items(c, dedup) with one page for two titles", dedup(t, s, "c", 10), "a/3", "a/2", "a/1")
}

// testStoryNeverMerges stores what must stay apart (SPEC.md): the same
// title on different days, a generic title over other texts, the parts of
// a series, and other articles of the publisher's day.
func testStoryNeverMerges(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"people": {"c"}, "prov": {"c"}})
	var ps, qs []hub.Item
	for d := range 3 {
		it := ownCopy(at(24 * d))
		it.Key, it.URL = fmt.Sprint("daily-", d), fmt.Sprint("http://bureau.example.gov.cn/yqtb/", d, ".html")
		it.Title = "全省新冠肺炎疫情通报"
		it.Summary = fmt.Sprintf("<p>%d日0—24时，全省新增本土确诊病例%d例、无症状感染者%d例，累计报告确诊病例%d例。</p>", d+1, 3*d+1, 7*d+2, 100+13*d)
		ps = append(ps, it)
	}
	notice := func(src, key string, h int, text string) hub.Item {
		it := repost(src, at(h))
		it.Key, it.URL, it.Title, it.Content = key, "http://www."+src+".example.gov.cn/"+key+".html", "通知", text
		return it
	}
	qs = append(qs,
		notice("prov", "n1", 1, "<p>关于二〇二五年春节放假安排的通知：根据国务院办公厅通知精神，现将放假安排通知如下。</p>"),
		notice("prov", "n2", 2, "<p>关于开展安全生产大检查的通知：各县区要立即组织力量，全面排查各类安全隐患。</p>"))
	one, two := repost("prov", at(3)), repost("prov", at(4))
	one.Key, one.Title, one.Content = "s1", "本报评论员文章（一）", article
	two.Key, two.Title, two.Content = "s2", "本报评论员文章（二）", `<p>第二篇评论员文章讨论的是另一个问题，与第一篇的内容并不相同，论述的是科技创新。</p>`
	two.URL += "?p=2"
	other := repost("prov", at(5))
	other.Key, other.URL, other.Title = "o1", other.URL+"?o=1", "加快建设现代化产业体系"
	other.Content = `<p>加快建设以实体经济为支撑的现代化产业体系，关系我们在未来发展和国际竞争中赢得战略主动。</p>`
	qs = append(qs, one, two, other)
	save(t, s, "people", ps, at(80))
	save(t, s, "prov", qs, at(80))
	if got, all := dedup(t, s, "c", 100), items(t, s, "c", 100); len(got) != len(all) || len(all) != len(ps)+len(qs) {
		t.Errorf("dedup shows %d of %d items, want all %d:\n%s", len(got), len(all), len(ps)+len(qs), strings.Join(keys(got), "\n"))
	}
}

// testStoryPruneOneCopy: retention removes the publisher's copy; the repost
// stays, shown alone, and the removed copy's tombstone holds.
func testStoryPruneOneCopy(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"people": {"opinion"}, "prov": {"theory"}})
	own, rp := ownCopy(daysAgo(10)), repost("prov", daysAgo(9.9))
	save(t, s, "people", []hub.Item{own}, daysAgo(9))
	save(t, s, "prov", []hub.Item{rp}, daysAgo(9))
	cs, err := s.Changes(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	checkPruned(t, prune(t, s, []hub.Channel{{ID: "opinion", KeepDays: 5}}, now), map[string]int{"people": 1})
	got := dedup(t, s, "", 10)
	checkKeys(t, "Items(dedup) after prune", got, "prov/prov-art-1")
	if len(got) == 1 {
		checkCarriers(t, "after prune", got[0])
		if got[0].FeedGUID() != rp.GUID() {
			t.Errorf("FeedGUID = %q, want the repost's own", got[0].FeedGUID())
		}
	}
	changed, err := s.Changes(t.Context(), cs.Version)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(changed.Sources, "prov") {
		t.Errorf("Changes after pruning the publisher's copy = %q, want prov too (its carrier is gone)", changed.Sources)
	}
	checkResult(t, save(t, s, "people", []hub.Item{own}, now), hub.SaveResult{Pruned: 1})
	checkKeys(t, "Items(dedup) after the pruned copy came again", dedup(t, s, "", 10), "prov/prov-art-1")
}

// testStoryLimitAndOrder: with many reposts among the newest items, Dedup
// still returns limit stories, newest first by their representatives.
func testStoryLimitAndOrder(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"people": {"c"}, "prov": {"c"}})
	var own, rps []hub.Item
	for i := range 30 {
		o, r := ownCopy(at(i)), repost("prov", at(i).Add(30*time.Minute))
		tail := fmt.Sprintf("第%d号", i)
		o.Key, o.URL, o.Title = fmt.Sprint("o", i), fmt.Sprint(o.URL, "?n=", i), o.Title+tail
		o.Summary = strings.Replace(o.Summary, "<p>", "<p>"+tail+"。", 1)
		r.Key, r.URL, r.Title = fmt.Sprint("r", i), fmt.Sprint(r.URL, "?n=", i), r.Title+tail
		r.Content = strings.Replace(r.Content, "<p>", "<p>"+tail+"。", 1)
		own, rps = append(own, o), append(rps, r)
	}
	save(t, s, "prov", rps, at(40))
	save(t, s, "people", own, at(41))
	got := dedup(t, s, "c", 7)
	var want []string
	for i := 29; i > 22; i-- {
		want = append(want, fmt.Sprint("people/o", i))
	}
	checkKeys(t, "Items(c, 7, dedup)", got, want...)
	if n := len(dedup(t, s, "", 1000)); n != 30 {
		t.Errorf("Items(latest, dedup) = %d stories, want 30", n)
	}
}

// testPaging: following Before from the first page visits every item of
// a channel once, newest first, with and without Dedup, also when newer
// items arrive between two pages; the page after the last is empty.
func testPaging(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}, "b": {"c"}, "people": {"c"}, "prov": {"c"}})
	var a, b []hub.Item
	for i := range 23 {
		// Pairs of items share a date, so that ties are broken by id across pages.
		a = append(a, item("a", fmt.Sprint("a", i), at(-i/2)))
		b = append(b, item("b", fmt.Sprint("b", i), at(-i)))
	}
	save(t, s, "a", a, at(1))
	save(t, s, "b", b, at(1))
	save(t, s, "people", []hub.Item{ownCopy(at(-5))}, at(1))
	save(t, s, "prov", []hub.Item{repost("prov", at(-4))}, at(1))
	for _, dedup := range []bool{false, true} {
		all, err := s.Items(t.Context(), hub.Query{Channel: "c", Limit: 100, Dedup: dedup})
		if err != nil {
			t.Fatal(err)
		}
		var walked []hub.Item
		var before *hub.Position
		for page := 0; ; page++ {
			if page == 2 {
				// Newer items arrive meanwhile: they are on the first page, not the next.
				save(t, s, "a", []hub.Item{item("a", fmt.Sprint("late", dedup), at(2))}, at(2))
			}
			got, err := s.Items(t.Context(), hub.Query{Channel: "c", Limit: 7, Dedup: dedup, Before: before})
			if err != nil {
				t.Fatal(err)
			}
			walked = append(walked, got...)
			if len(got) < 7 {
				break
			}
			p := got[len(got)-1].Position()
			before = &p
		}
		if !slices.Equal(keys(walked), keys(all)) {
			t.Errorf("dedup %v: pages walked %q, want every item once %q", dedup, keys(walked), keys(all))
		}
		// 46 items, the story's two copies, and with Dedup the late item of
		// the first round beside the story shown once.
		if want := 48; len(all) != want {
			t.Errorf("dedup %v: %d items in all, want %d", dedup, len(all), want)
		}
	}
}
