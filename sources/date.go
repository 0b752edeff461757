package sources

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// zoneOffsets maps the zone abbreviations upstreams write to their offsets.
// CST is China Standard Time: every Chinese site that writes it means +0800,
// while Go and gofeed read it as US Central, fourteen hours off.
var zoneOffsets = map[string]string{
	"CST": "+0800", "BJT": "+0800", "CCT": "+0800", "HKT": "+0800", "SGT": "+0800",
	"JST": "+0900", "KST": "+0900",
	"UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
}

var trailingZone = regexp.MustCompile(`\s+\(?([A-Z]{1,4})\)?$`)

// zonedLayouts carry their own offset; zonelessLayouts are read in the source's zone.
var (
	zonedLayouts = []string{
		time.RFC3339Nano,
		time.RFC3339,
		"Mon, _2 Jan 2006 15:04:05 -0700",
		"Mon, _2 Jan 2006 15:04 -0700",
		"_2 Jan 2006 15:04:05 -0700",
		"_2 Jan 2006 15:04 -0700",
		"Mon, _2 January 2006 15:04:05 -0700",
		"Monday, _2 Jan 2006 15:04:05 -0700",
		"Mon, _2 Jan 06 15:04:05 -0700",
		"Mon _2 Jan 2006 15:04:05 -0700",
		"Mon Jan _2 15:04:05 -0700 2006",
		"2006-01-02T15:04:05-07:00",
		"2006-01-02T15:04:05-0700",
		"2006-01-02T15:04-07:00",
		"2006-01-02 15:04:05 -0700",
		"2006-01-02 15:04:05-07:00",
		"2006-01-02 15:04:05 -07:00",
	}
	zonelessLayouts = []string{
		"Mon, _2 Jan 2006 15:04:05",
		"Mon, _2 Jan 2006 15:04",
		"_2 Jan 2006 15:04:05",
		"_2 Jan 2006",
		"Mon, _2 Jan 2006",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04",
		"January _2, 2006 15:04",
		"January _2, 2006",
		"Jan _2, 2006",
	}
)

// cnDate matches the numeric dates of Chinese sites: 2020-04-20 08:48,
// 20-04-20 08:48, 2020年04月20日08:48, 2020/4/20, 2020.04.20 08:48:05.
// A weekday may follow the day (2024年5月22日週三), and 上午/下午 precede the
// hour of a 12-hour clock (下午2:05 is 14:05).
var cnDate = regexp.MustCompile(`(\d{4}|\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*(?:星期|周|週|礼拜)[一二三四五六日天])?` +
	`(?:\s*(?:T|\s)?\s*(?:上午|下午|凌晨|早上|中午|晚上)?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?`)

// afternoon marks the hours of a 12-hour clock that are after noon.
var afternoon = regexp.MustCompile(`下午|晚上|中午\s*1\D`)

// ParseTime reads an upstream date string: RFC 822/1123 and RFC 3339 in their
// common variants, and the numeric forms of Chinese sites (2020年04月20日 08:48,
// 20-04-20 08:48, 2020/4/20). A date without a zone is read in loc; "CST" is
// China Standard Time. It reports false when nothing date-like is found.
func ParseTime(s string, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	s = normalizeDate(s)
	if s == "" {
		return time.Time{}, false
	}
	if m := trailingZone.FindStringSubmatch(s); m != nil {
		if off, ok := zoneOffsets[m[1]]; ok {
			s = s[:len(s)-len(m[0])] + " " + off
		}
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	for _, l := range zonelessLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return FindTime(s, loc)
}

// FindTime finds the first numeric Chinese-style date in text, such as
// "发布时间：2020年04月20日 08:48 来源：人民日报", and reads it in loc.
func FindTime(text string, loc *time.Location) (time.Time, bool) {
	t, _, ok := dateIn(text, loc)
	return t, ok
}

// dateIn finds the first Chinese-style numeric date in text and reads it in
// loc; clock reports whether the text gave a time of day as well.
func dateIn(text string, loc *time.Location) (t time.Time, clock, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	text = normalizeDate(text)
	for _, ix := range cnDate.FindAllStringSubmatchIndex(text, -1) {
		// A match inside a longer run of digits is not a date: 06/02/2022
		// (day first) holds "06/02/20".
		// A time glued to what follows (04:29:4439健康网) is still one.
		if ix[0] > 0 && isDigit(text[ix[0]-1]) || ix[8] < 0 && ix[1] < len(text) && isDigit(text[ix[1]]) {
			continue
		}
		m := make([]string, len(ix)/2)
		for i := range m {
			if ix[2*i] >= 0 {
				m[i] = text[ix[2*i]:ix[2*i+1]]
			}
		}
		if t, ok := cnTime(m, loc); ok {
			return t, m[4] != "", true
		}
	}
	return time.Time{}, false, false
}

func cnTime(m []string, loc *time.Location) (time.Time, bool) {
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	year := n(m[1])
	if len(m[1]) == 2 {
		year += 2000
	}
	month, day, hour, minute, sec := n(m[2]), n(m[3]), n(m[4]), n(m[5]), n(m[6])
	if m[4] != "" && hour < 12 && afternoon.MatchString(m[0]) {
		hour += 12
	}
	if year < 1990 || year > 2100 || month < 1 || month > 12 || day < 1 || day > 31 ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc)
	if t.Day() != day { // 2月31日 and the like
		return time.Time{}, false
	}
	return t, true
}

var dateReplacer = strings.NewReplacer(
	"：", ":", "　", " ", "\u00a0", " ", "／", "/", "－", "-",
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4",
	"５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
)

func normalizeDate(s string) string {
	return strings.Join(strings.Fields(dateReplacer.Replace(s)), " ")
}
