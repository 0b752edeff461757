// Package story decides when two stored items are copies of one article: the
// publisher's own and the reposts portals make of it (SPEC.md "Reposts: one
// story, one item"). It normalises what portals change when they repost —
// URLs, titles, credits and text — and judges a pair of copies; stores use it
// to link the items they save into stories.
//
// story imports hub and the standard library's and golang.org/x's packages
// only. Every function is pure and safe for concurrent use.
package story

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
)

// Window is how far apart two copies of one story may be published: a
// portal reposts a morning's People's Daily article the same day or the
// next.
const Window = 36 * time.Hour

// URLWindow is how far apart two items with the same canonical URL may be
// published and still be found as copies: stores index every key by the
// item's day, so that keeping the index costs ingest a few pages a
// transaction rather than a random page per item, and look URLs up over
// this many days around an item.
const URLWindow = 7 * 24 * time.Hour

// Thresholds of Agree: the share of the shorter text's shingles that must
// occur in the longer one. A repost that drops or adds a paragraph keeps
// nearly all of the shorter text (about 1.0); a feed's summary of the lead
// is contained in the article. Two daily reports of one bureau share their
// template but not their figures, and usually come on different days, where
// the bar is higher.
const (
	sameDayContainment  = 0.7
	otherDayContainment = 0.9
)

// minText is the fewest letters a text needs to be compared: below it (a
// title-only feed item) only a specific title on the same day links copies.
const minText = 24

// minSpecific is the fewest letters of a title that names one article by
// itself; shorter titles (通知, 今日要闻) need texts that agree.
const minSpecific = 8

// china is the zone in which "the same day" is counted: the hub's upstreams
// are Chinese, and a bureau's daily report is daily in Beijing time.
var china = time.FixedZone("CST", 8*60*60)

// Copy is what matching knows of one item. Make it with New.
type Copy struct {
	SourceID string
	URL      string    // CanonicalURL of the item's link; empty when it names no article
	Credit   string    // Credit of the item's credit
	Titles   []string  // Title of its headline, then of the 原标题 its text names, if another
	Date     time.Time // hub.Item.Date

	html     string // the item's content, else its summary
	text     string
	textDone bool
}

// New returns the matching form of it. The text is normalised only when a
// comparison needs it (Same), so that the many items that share no title
// with any other cost little.
func New(it *hub.Item) *Copy {
	c := &Copy{
		SourceID: it.SourceID,
		URL:      CanonicalURL(it.URL),
		Credit:   Credit(it.Credit),
		Date:     it.Date(),
		html:     cmpOr(it.Content, it.Summary),
	}
	if t := Title(it.Title); t != "" {
		c.Titles = append(c.Titles, t)
	}
	if o := Title(OriginalTitle(c.html)); o != "" && (len(c.Titles) == 0 || o != c.Titles[0]) {
		c.Titles = append(c.Titles, o)
	}
	return c
}

// Text returns the copy's normalised text (see Text).
func (c *Copy) Text() string {
	if !c.textDone {
		c.text, c.textDone = Text(c.html), true
	}
	return c.text
}

// Same reports whether a and b are copies of one story: the same canonical
// URL within URLWindow (within one source, also a title in common: a feed
// that links every item to one page does not make them one story), or the same credited
// publisher, a title in common, publication within Window, and texts that
// agree (Agree). A false merge hides news from readers, so every doubt
// answers false.
func Same(a, b *Copy) bool {
	shared := sharedTitle(a, b)
	d := a.Date.Sub(b.Date)
	if a.URL != "" && a.URL == b.URL && (a.SourceID != b.SourceID || shared != "") && -URLWindow <= d && d <= URLWindow {
		return true
	}
	if shared == "" || a.Credit == "" || a.Credit != b.Credit {
		return false
	}
	if d < -Window || d > Window {
		return false
	}
	sameDay := sameDate(a.Date, b.Date)
	ta, tb := a.Text(), b.Text()
	if min(utf8.RuneCountInString(ta), utf8.RuneCountInString(tb)) < minText {
		return sameDay && Specific(shared) && !bothTexts(ta, tb)
	}
	return Agree(ta, tb, sameDay)
}

// bothTexts reports whether both texts have something to compare: a short
// text that is not contained in the other one means another article.
func bothTexts(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return !strings.Contains(b, a)
}

func sharedTitle(a, b *Copy) string {
	for _, x := range a.Titles {
		for _, y := range b.Titles {
			if x == y {
				return x
			}
		}
	}
	return ""
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.In(china).Date()
	by, bm, bd := b.In(china).Date()
	return ay == by && am == bm && ad == bd
}

// Specific reports whether a normalised title names one article by itself:
// long enough, and not one of the titles every bureau uses (通知, 公告,
// 今日要闻, 天气预报).
func Specific(title string) bool {
	return utf8.RuneCountInString(title) >= minSpecific && !generic[title]
}

// generic are normalised titles that many different articles carry.
var generic = map[string]bool{}

func init() {
	for _, t := range []string{
		"通知", "公告", "通告", "公示", "启事", "声明", "快讯", "简讯", "要闻", "今日要闻",
		"新闻联播", "天气预报", "疫情通报", "每日疫情通报", "工作动态", "图片新闻", "视频新闻",
		"重要通知", "紧急通知", "招聘公告", "招标公告", "中标公告", "采购公告", "政策解读",
		"领导活动", "新闻发布会", "本地新闻", "国内新闻", "国际新闻", "早间新闻", "晚间新闻",
	} {
		generic[Title(t)] = true
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Day is the day of a stored date (unix nanoseconds) that stores index title
// keys under: whole days since 1970, UTC.
func Day(unixNanos int64) int64 {
	d := unixNanos / int64(24*time.Hour)
	if unixNanos < 0 && unixNanos%int64(24*time.Hour) != 0 {
		d-- // floor, not toward zero
	}
	return d
}

// AppendDays appends to days, once each, the days (Day) on which a copy of
// an item dated unixNanos may be stored: those within window of it.
func AppendDays(days []int64, unixNanos int64, window time.Duration) []int64 {
	lo, hi := Day(satAdd(unixNanos, -int64(window))), Day(satAdd(unixNanos, int64(window)))
	for d := lo; d <= hi; d++ {
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	return days
}

// satAdd adds without wrapping around.
func satAdd(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}
