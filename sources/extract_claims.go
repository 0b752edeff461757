package sources

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reads the labelled claims of Chinese article pages out of plain
// text: 来源/稿源/出处 (who published it first), 作者/记者/编辑/责编 (who
// wrote or edited it), the publication time, and 版权声明/版权所有 notices.
// Every function here is a pure function of its text, fuzzed in
// extract_claims_test.go.

// labelSep is what sites put between a label and its value.
const labelSep = `\s*[:：︰/／|｜︱丨]\s*`

var (
	// creditLabel: 来源, 稿源, 出处 and their compounds (信息来源 …). A Han
	// character before the label other than a known prefix means the word is
	// part of a sentence or another label (图片来源 credits a photo).
	// 来源于 and 本文来源于 may have a blank for a colon, 来源 a bar; 转自
	// needs none before a title mark (转自《北京科技报》); 来自 and 原创 name
	// a publisher only after a colon (来自北京市 is an IP location).
	creditLabel = regexp.MustCompile(`(?:^|[^\p{Han}]|信息|文章|新闻|消息|稿件|内容|转载|本文)(?:来源于?|稿源|出处)\s*(?:[:：︰|｜丨]|\s)\s*` +
		`|转自\s*[:：︰]?\s*|(?:^|[^\p{Han}])(?:来自|原创)\s*[:：︰]\s*`)

	// writerLabel and editorLabel: who wrote it and who edited it.
	writerLabel = regexp.MustCompile(`(?:^|[^\p{Han}]|本报|本刊|本网|新华社|特约|见习|实习|首席)(?:作者|记者|撰稿|撰文|执笔|通讯员)` + labelSep +
		`|(?:^|[^\p{Han}])文\s*[/／|｜︱丨]\s*`)
	editorLabel = regexp.MustCompile(`(?:^|[^\p{Han}])(?:责任编辑|责编|编辑|编审|审核)` + labelSep)

	// anyLabel ends a value that runs into the next field without a blank:
	// "来源：人民网编辑：李红军".
	anyLabel = regexp.MustCompile(`(?:来源|稿源|出处|作者|记者|撰稿|执笔|通讯员|责任编辑|责编|编辑|编审|审核|校对|摄影|摄|时间|日期|发布|发稿|更新|浏览|点击|阅读|字号|打印|分享|关闭|纠错)\s*[:：︰]`)

	// reporterPrefix is dropped from the front of a name: "作者：本报记者 张三".
	reporterPrefix = regexp.MustCompile(`^(?:本报|本刊|本网|新华社|人民日报|光明日报|特约|见习|实习|首席)?(?:记者|通讯员)\s*`)
)

// noClaim are credit values that name no publisher.
var noClaim = map[string]bool{
	"本站": true, "本网": true, "本站原创": true, "本网原创": true, "原创": true, "未知": true,
	"网络": true, "转载文章": true, "互联网": true, "网络转载": true, "转载": true, "其他": true, "其它": true,
}

// creditIn returns the publisher a text credits: "2019年06月15日08:18 来源：
// 人民网-文化频道" gives "人民网-文化频道", "来源：人民网-文化频道 原创稿"
// gives "人民网-文化频道". It returns "" when the text credits nobody.
func creditIn(text string) string {
	v, _ := creditClaimIn(text)
	return v
}

// creditClaimIn is creditIn, and else the first placeholder a label gives
// (来源：转载文章, 来自: 互联网, 来源：本站原创): the page's word when it names
// no publisher anywhere else.
func creditClaimIn(text string) (credit, placeholder string) {
	for _, loc := range creditLabel.FindAllStringIndex(text, -1) {
		raw := bracketed(text[loc[1]:])
		if raw == "" {
			raw = takeValue(text[loc[1]:], false)
		}
		if v := cleanCredit(raw); v != "" {
			return v, ""
		}
		if v := strings.TrimSpace(raw); noClaim[v] && placeholder == "" {
			placeholder = v
		}
	}
	return "", placeholder
}

// brackets are the pairs a credit's value may be set in.
var brackets = map[rune]rune{'[': ']', '［': '］', '【': '】', '《': '》', '(': ')', '（': '）', '「': '」', '〔': '〕'}

// bracketed returns the inside of the bracket s starts with ("[ 国际金融报 ]",
// "《理财周刊》"), or "".
func bracketed(s string) string {
	s = strings.TrimLeft(s, " ")
	open, n := utf8.DecodeRuneInString(s)
	closer, ok := brackets[open]
	if !ok {
		return ""
	}
	if i := strings.IndexRune(s[n:], closer); i > 0 && !strings.ContainsRune(s[n:n+i], '\n') {
		return strings.TrimSpace(s[n : n+i])
	}
	return ""
}

// cleanCredit validates a credit value read from a label, a meta tag or an
// element: a short name, not a date, not a placeholder.
func cleanCredit(v string) string {
	v = strings.ToValidUTF8(v, "")
	v = strings.TrimSpace(creditLabel.ReplaceAllString(oneLine(v), ""))
	v = strings.Trim(v, " “”\"'‘’「」:：-—|")
	// Title marks around the whole name go, inner ones stay: 光明网-《光明日报》.
	if strings.HasPrefix(v, "《") && strings.HasSuffix(v, "》") && strings.Count(v, "《") == 1 {
		v = strings.TrimSuffix(strings.TrimPrefix(v, "《"), "》")
	}
	if !strings.Contains(v, "《") {
		v = strings.TrimSuffix(v, "》")
	}
	if !strings.Contains(v, "》") {
		v = strings.TrimPrefix(v, "《")
	}
	n := utf8.RuneCountInString(v)
	if n < 2 || n > 30 || noClaim[v] || !hasLetter(v) || cnDate.MatchString(v) || strings.Contains(v, "://") {
		return ""
	}
	return v
}

// authorIn returns who a text says wrote the item and who edited it, each
// a list joined with "、": "(责编：汤诗瑶、丁涛)" gives editor "汤诗瑶、丁涛";
// "作者：张三 编辑：李四" gives writer "张三" and editor "李四"; see peopleIn.
func authorIn(text string) (writer, editor string) {
	w, e := peopleIn(text)
	return strings.Join(w, "、"), strings.Join(e, "、")
}

// cleanAuthor validates a name list read from a label or a meta tag.
func cleanAuthor(v string) string {
	v = strings.TrimSpace(oneLine(strings.ToValidUTF8(v, "")))
	v = strings.TrimSpace(reporterPrefix.ReplaceAllString(v, ""))
	v = strings.Trim(v, " 、,，&＆/:：")
	n := utf8.RuneCountInString(v)
	if n < 1 || n > 40 || !hasLetter(v) || cnDate.MatchString(v) || strings.Contains(v, "://") ||
		anyLabel.MatchString(v) {
		return ""
	}
	return v
}

// takeValue reads the value that follows a label, up to the end of its field:
// a line break, a bracket, a bar, sentence punctuation, the next label, a
// date, or a blank that does not sit inside a Latin name. With names set, a
// list "汤诗瑶、丁涛" or "张三，李四" is read whole.
func takeValue(s string, names bool) string {
	s = strings.TrimLeft(s, " ")
	if names {
		s = reporterPrefix.ReplaceAllString(s, "")
	}
	if loc := anyLabel.FindStringIndex(s); loc != nil {
		s = s[:loc[0]]
	}
	if loc := cnDate.FindStringIndex(s); loc != nil {
		s = s[:loc[0]]
	}
	var prev rune
	for i, r := range s {
		switch r {
		case '\n', '|', '｜', '丨', '︱', '(', ')', '（', '）', '[', ']', '【', '】', '<', '>', '〔', '〕',
			';', '；', '。', '!', '！', '?', '？', '"':
			return strings.TrimSpace(s[:i])
		case ',', '，':
			if !names {
				return strings.TrimSpace(s[:i])
			}
		case ' ':
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			if !(isLatin(prev) && isLatin(next)) {
				return strings.TrimSpace(s[:i])
			}
		}
		prev = r
	}
	return strings.TrimSpace(s)
}

func isLatin(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.')
}

// hasLetter reports whether s has a letter or a Han character: a value of
// digits and punctuation names nobody (people.com.cn's meta author is an id).
func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// slashByline matches a byline of the form "writer/publisher" with no
// label at all, as thepaper.cn prints it: "石佳/中国青年报".
var slashByline = regexp.MustCompile(`^([\p{Han}·]{2,6}(?:[、 ][\p{Han}·]{2,6}){0,3})\s*[/／]\s*([\p{Han}A-Za-z0-9·]{2,20})$`)

// slashBylineIn returns the writer and publisher of a "石佳/中国青年报"
// line, or "", "".
func slashBylineIn(line string) (writer, publisher string) {
	m := slashByline.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil || nonName.MatchString(m[1]) || nonName.MatchString(m[2]) {
		return "", ""
	}
	return cleanAuthor(m[1]), cleanCredit(m[2])
}

// Copyright statements, best first: an explicit 版权声明 with its text; a
// reprint notice (未经授权不得转载); a 版权所有 line; a "Copyright © 1997-2019"
// line.
const (
	rightsDeclared = iota
	rightsReprint
	rightsReserved
	rightsMeta
	rightsEnglish
	rightsNone
)

var (
	rightsDeclaredRe = regexp.MustCompile(`版权(?:与免责|及免责)?声明\s*[:：]\s*\S{4,}`)
	rightsReprintRe  = regexp.MustCompile(`未经[^，。,]{0,8}(?:授权|许可|同意)|(?:不得|禁止|严禁|谢绝|请勿)[^，。,]{0,4}(?:转载|复制|使用|镜像|摘编)|转载(?:须|需|请)`)
	rightsReservedRe = regexp.MustCompile(`版权所有|版權所有|著作权所有`)
	rightsEnglishRe  = regexp.MustCompile(`(?i)(?:copyright|©|\(c\))\s*(?:©\s*)?(?:\d{4})|©\s*[A-Za-z\p{Han}]{2,}`)
	rightsSplit      = regexp.MustCompile(`\n|[|｜丨]| {2,}`)
)

// rightsRank ranks one segment of text as a copyright statement.
func rightsRank(seg string) int {
	switch {
	case rightsDeclaredRe.MatchString(seg):
		return rightsDeclared
	case rightsReprintRe.MatchString(seg):
		return rightsReprint
	case rightsReservedRe.MatchString(seg):
		return rightsReserved
	case rightsEnglishRe.MatchString(seg):
		return rightsEnglish
	}
	return rightsNone
}

// rightsLabel is the heading a rights statement starts with on many pages.
var rightsLabel = regexp.MustCompile(`^(?:版权(?:与免责|及免责)?声明|版权说明|免责声明)\s*[:：]\s*`)

// rightsPage matches the name of a link to a site's rights statement.
var rightsPage = regexp.MustCompile(`^(?:版权(?:与免责|及免责)?声明|免责(?:与|及)?版权声明|版权说明|版权信息)$`)

// rightsIn returns the copyright statement in a block of text and its rank:
// the fields of the block that state rights, without the ones around them
// (ICP numbers, addresses, "中文网址：…"). Letter-spaced notices are closed up.
func rightsIn(raw string) (string, int) {
	raw = strings.NewReplacer("\u3000", "  ", "\u00a0", " ", "\t", "  ", "\r", "").Replace(raw)
	best := rightsNone
	var parts []string
	for _, seg := range rightsSplit.Split(raw, -1) {
		seg = strings.Trim(closeWideGaps(oneLine(seg)), " 【】[]")
		if seg == "" || utf8.RuneCountInString(seg) > 120 {
			continue
		}
		r := rightsRank(seg)
		if r == rightsNone {
			continue
		}
		// The label itself is not the statement: the footer adds its own.
		if rest := rightsLabel.ReplaceAllString(seg, ""); rest != "" {
			seg = rest
		}
		parts = append(parts, seg)
		best = min(best, r)
	}
	if best == rightsNone {
		return "", rightsNone
	}
	return strings.Join(parts, " "), best
}
