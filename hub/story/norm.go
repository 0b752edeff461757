package story

import (
	"hash/fnv"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"
)

// CanonicalURL returns the form of an article link that two copies of it
// share: scheme and host in lower case (http and https alike), no default
// port, no fragment, no tracking parameters (utm_*, spm, from …), the other
// parameters sorted. It is empty for what names no article: not an absolute
// http(s) URL, or a site's home page.
func CanonicalURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return ""
	}
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		host += ":" + p
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	var params []string
	if u.RawQuery != "" {
		for _, kv := range strings.Split(u.RawQuery, "&") {
			k, _, _ := strings.Cut(kv, "=")
			if kv == "" || tracking(strings.ToLower(k)) {
				continue
			}
			params = append(params, kv)
		}
		slices.Sort(params)
	}
	if path == "/" && len(params) == 0 {
		return ""
	}
	s := "//" + host + path
	if len(params) > 0 {
		s += "?" + strings.Join(params, "&")
	}
	return s
}

// tracking reports whether a query parameter (its name in lower case) only
// says where a reader came from.
func tracking(k string) bool {
	if strings.HasPrefix(k, "utm_") {
		return true
	}
	switch k {
	case "spm", "from", "ref", "share_token", "wxfrom", "isappinstalled", "scene", "clicktime",
		"enterid", "fbclid", "gclid", "yclid", "mc_cid", "mc_eid", "_hsenc", "_hsmi":
		return true
	}
	return false
}

// titleSeparators split a page title into the headline and the column or
// site names a portal puts around it ("持之以恒为基层减负--观点--人民网",
// "专访｜…", "标题_某省网").
var titleSeparators = []string{"--", "——", "_", " - ", " | ", "|", "｜"}

// Title returns the normalised form of a headline: NFKC (full-width letters
// and digits as half-width), lower case, leading column tags (【理论】,
// [评论], 〔时评〕) dropped, the longest part when separators join the
// headline with column and site names, then letters and digits only
// (spaces and punctuation out, so 评论员文章（一） stays apart from （二）).
func Title(s string) string {
	s = nfkc(strings.TrimSpace(s))
	for {
		t := strings.TrimLeft(s, " \t\u3000")
		rest, ok := dropTag(t)
		if !ok {
			s = t
			break
		}
		s = rest
	}
	if !strings.ContainsAny(s, "-_|｜—") {
		return letters(s)
	}
	best := s
	parts := []string{s}
	for _, sep := range titleSeparators {
		var next []string
		for _, p := range parts {
			next = append(next, strings.Split(p, sep)...)
		}
		parts = next
	}
	if len(parts) > 1 {
		best = ""
		for _, p := range parts {
			if utf8.RuneCountInString(letters(p)) > utf8.RuneCountInString(letters(best)) {
				best = p
			}
		}
	}
	return letters(best)
}

// nfkc returns s in NFKC as far as matching needs it: letters keeps only
// letters and digits and folds full-width ASCII itself, so a string of
// ASCII, CJK ideographs, CJK and general punctuation and full-width forms
// is returned as it is (the titles of nearly every item saved); anything
// else goes through NFKC (circled digits, compatibility ideographs …).
func nfkc(s string) string {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf, 0x4E00 <= r && r <= 0x9FFF, 0x3000 <= r && r <= 0x303F,
			0x2000 <= r && r <= 0x206F, 0xFF01 <= r && r <= 0xFF5E:
			continue
		}
		return norm.NFKC.String(s)
	}
	return s
}

// tagPairs open and close a leading column tag.
var tagPairs = [][2]string{{"【", "】"}, {"[", "]"}, {"〔", "〕"}, {"〖", "〗"}, {"「", "」"}, {"［", "］"}}

// dropTag removes one leading column tag of at most 8 characters from s.
func dropTag(s string) (string, bool) {
	for _, p := range tagPairs {
		if !strings.HasPrefix(s, p[0]) {
			continue
		}
		end := strings.Index(s, p[1])
		if end < 0 || utf8.RuneCountInString(s[len(p[0]):end]) > 8 {
			return s, false
		}
		return s[end+len(p[1]):], true
	}
	return s, false
}

// letters returns s in lower case with every character that is not a letter
// or a digit removed.
func letters(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			b.WriteRune(r)
		case 'A' <= r && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case 0xFF10 <= r && r <= 0xFF19: // full-width digits, as NFKC folds them
			b.WriteRune(r - 0xFF10 + '0')
		case 0xFF21 <= r && r <= 0xFF3A:
			b.WriteRune(r - 0xFF21 + 'a')
		case 0xFF41 <= r && r <= 0xFF5A:
			b.WriteRune(r - 0xFF41 + 'a')
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Credit returns the normalised name of a credited publisher: NFKC, letters
// and digits only, and of "人民网－人民日报" (where a site names the paper it
// took an article from) the last part.
func Credit(s string) string {
	s = nfkc(strings.TrimSpace(s))
	for _, sep := range []string{"-", "－", "—", "/"} {
		if i := strings.LastIndex(s, sep); i >= 0 {
			if last := letters(s[i+len(sep):]); last != "" {
				return last
			}
		}
	}
	return letters(s)
}

// metaLines start the lines of an article's text that a portal adds or
// drops when it reposts: the original title, the source, the editors, the
// photo credits.
var metaLines = []string{"原标题", "来源", "责任编辑", "责编", "编辑", "作者", "本文来源", "转载", "图片来源", "图源", "图:", "图为", "摄影", "版权声明"}

// brackets writes full-width brackets as NFKC does, which nfkc leaves to
// letters, for the prefixes and suffixes Text looks for.
var brackets = strings.NewReplacer("（", "(", "）", ")", "［", "[", "］", "]", "：", ":")

// Text returns the normalised text of an item's HTML: visible text without
// scripts, styles and image captions (<figcaption>), lines that name the
// original title, source, editors or photo credits dropped, then NFKC,
// letters and digits only, in lower case.
func Text(html string) string {
	var b strings.Builder
	line := func(s string) {
		s = brackets.Replace(nfkc(strings.TrimSpace(s)))
		for _, m := range metaLines {
			if strings.HasPrefix(s, m) || strings.HasPrefix(s, "("+m) || strings.HasPrefix(s, "["+m) {
				return
			}
		}
		if strings.HasSuffix(s, "摄)") || strings.HasSuffix(s, "摄") && utf8.RuneCountInString(s) < 40 {
			return // a photo credit: (新华社记者 张三 摄)
		}
		b.WriteString(letters(s))
	}
	var cur strings.Builder
	skip := 0
	z := xhtml.NewTokenizer(strings.NewReader(html))
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			line(cur.String())
			return b.String()
		case xhtml.TextToken:
			if skip == 0 {
				text := string(z.Text())
				for {
					before, after, found := strings.Cut(text, "\n")
					cur.WriteString(before)
					if !found {
						break
					}
					line(cur.String())
					cur.Reset()
					text = after
				}
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken, xhtml.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "figcaption":
				if tt == xhtml.SelfClosingTagToken {
					break
				}
				if tt == xhtml.EndTagToken {
					skip = max(0, skip-1)
				} else {
					skip++
				}
			case "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "blockquote", "figure", "table":
				line(cur.String())
				cur.Reset()
			}
		}
	}
}

// OriginalTitle returns the title that a 原标题 line of an article's HTML
// names ("原标题：持之以恒为基层减负", quotes and brackets aside), or "".
func OriginalTitle(html string) string {
	// Portals put the line first or last: look there, not through the
	// whole article of every item saved.
	const reach = 2048
	i := strings.Index(html[:min(len(html), reach)], "原标题")
	if i < 0 && len(html) > reach {
		tail := max(reach, len(html)-reach)
		if j := strings.Index(html[tail:], "原标题"); j >= 0 {
			i = tail + j
		}
	}
	if i < 0 {
		return ""
	}
	s := html[i+len("原标题"):]
	s = strings.TrimLeft(s, " \t:：\u3000")
	if j := strings.IndexAny(s, "<\n\r"); j >= 0 {
		s = s[:j]
	}
	s = strings.Trim(strings.TrimSpace(xhtml.UnescapeString(s)), "《》“”\"'「」()（）")
	if utf8.RuneCountInString(s) > 80 {
		return ""
	}
	return s
}

// TitleKey is the 64-bit key under which stores find the copies that credit
// the same publisher under the same title: a hash of Credit and Title forms.
// It is never 0, which stores keep for "no key".
func TitleKey(credit, title string) int64 {
	if title == "" {
		return 0
	}
	return key(credit + "\x00" + title)
}

// URLKey is the 64-bit key of a CanonicalURL, 0 for the empty one.
func URLKey(canonical string) int64 {
	if canonical == "" {
		return 0
	}
	return key(canonical)
}

func key(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	k := int64(h.Sum64())
	if k == 0 {
		k = 1
	}
	return k
}

// shingleLen is the length of the character shingles texts are compared
// by: three Chinese characters are about a word and a half.
const shingleLen = 3

// Agree reports whether two normalised texts tell the same article: the
// share of the shorter one's shingles found in the longer one is at least
// 0.7 for copies of the same day, 0.9 across days.
func Agree(a, b string, sameDay bool) bool {
	bar := otherDayContainment
	if sameDay {
		bar = sameDayContainment
	}
	return Containment(a, b) >= bar
}

// Containment returns the share of the shorter text's shingles (runs of
// shingleLen characters) that occur in the longer one: 1 when one text is a
// part of the other, near 0 for unrelated texts, 0 when either is empty.
func Containment(a, b string) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	short := shingles(a)
	if len(short) == 0 {
		return 0
	}
	long := make(map[uint64]struct{}, len(b)/2)
	for _, h := range shingles(b) {
		long[h] = struct{}{}
	}
	n := 0
	for _, h := range short {
		if _, ok := long[h]; ok {
			n++
		}
	}
	return float64(n) / float64(len(short))
}

// shingles returns the hashes of the text's runs of shingleLen characters
// (the whole text when it is shorter).
func shingles(s string) []uint64 {
	if s == "" {
		return nil
	}
	var starts []int
	for i := range s {
		starts = append(starts, i)
	}
	if len(starts) < shingleLen {
		return []uint64{uint64(key(s))}
	}
	out := make([]uint64, 0, len(starts)-shingleLen+1)
	for i := 0; i+shingleLen <= len(starts); i++ {
		end := len(s)
		if i+shingleLen < len(starts) {
			end = starts[i+shingleLen]
		}
		out = append(out, uint64(key(s[starts[i]:end])))
	}
	return out
}
