package sources

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reads who wrote an article and who edited it out of a line of
// plain text, as a reader does: a role label (作者, 记者, 通讯员, 采写, 文/,
// 编辑, 责任编辑, 责编) with or without a colon, then one or several names
// separated by blanks, 、 or commas; a wire dateline's parenthesis
// (新华社北京5月19日电（刘艺、杨吉）); an end signature (（总台记者 张倩）).
// Like the rest of extract_claims.go it is a pure function of its text,
// fuzzed in extract_people_test.go.

// roleLabel finds the labels that name people. The separator group is
// empty or blanks when the label has no colon: then the names must be
// followed by the end of the text or of a bracket, so that prose such as
// 记者了解到，… names nobody.
var roleLabel = regexp.MustCompile(`(责任编辑|责编|编辑|作者|记者|通讯员|撰稿|撰文|执笔人|执笔|采写|文)(\s*[:：︰/／|｜︱丨]\s*|\s*)`)

// wireDateline finds the parenthesis after a dateline (…电, …讯), where
// the reporters stand with or without a 记者 label.
var wireDateline = regexp.MustCompile(`[电讯]\s*[（(]`)

// peopleIn returns the writers and editors a text names, each once, in
// the order the text names them.
func peopleIn(text string) (writers, editors []string) {
	text = strings.ToValidUTF8(text, "")
	add := func(list *[]string, names []string) {
		for _, n := range names {
			if !slices.Contains(*list, n) {
				*list = append(*list, n)
			}
		}
	}
	for _, m := range roleLabel.FindAllStringSubmatchIndex(text, -1) {
		role, sep := text[m[2]:m[3]], text[m[4]:m[5]]
		colon := strings.TrimSpace(sep) != ""
		before, _ := utf8.DecodeLastRuneInString(text[:m[0]])
		if role == "文" && (!colon || unicode.Is(unicode.Han, before)) {
			continue
		}
		editor := strings.Contains(role, "编")
		names := parseNames(text[m[1]:], colon, editor)
		if editor {
			add(&editors, names)
		} else {
			add(&writers, names)
		}
	}
	for _, loc := range wireDateline.FindAllStringIndex(text, -1) {
		add(&writers, parseNames(text[loc[1]:], false, false))
	}
	return writers, editors
}

// roleGlue is a writer's role at the start of a word, up to the name:
// 南都见习记者 林子沛, 记者 张三 实习生 李四, 记者唐霁.
var roleGlue = regexp.MustCompile(`^.*(?:记者|通讯员|实习生)`)

// nameEnd are the words that end a list of names: the role a reporter had
// (整合, 编译), where the report was filed (北京报道, 发自北京), the next field.
var nameEnd = regexp.MustCompile(`^(?:整合|综合|编译|整理|报道|来源|发自.*|.*报道|供稿|等|讯|联合出品)$`)

// orgSuffix marks a word as an organisation, a desk or a placeholder
// rather than a person: 新京报, 医技药剂党支部, 网络整理, 系统管理员.
var orgSuffix = regexp.MustCompile(`(?:报|网|社|台|部|局|厅|委|办|处|院|所|站|馆|中心|支部|公司|集团|网络|整理|评论员|管理员|频道|客户端|新闻|网友|小编|编辑部)$`)

// nonName are the words of page furniture and prose that a label may be
// followed by: 仅代表作者本人, 该作者文章, 作者：南帆 分享到.
var nonName = regexp.MustCompile(`^(?:本人|本文|.*文章|分享.*|举报|关注|更多|评论|点击|阅读|收藏|打印|关闭|返回|首页|网友|原创|转载|声明|简介|主页|粉丝|登录|注册|订阅|介绍|信息|反馈|纠错)$`)

// roleWord marks a word that is itself a label: the next field.
var roleWord = regexp.MustCompile(`编辑|责编|作者|来源|摄影|校对|审核|监制|选稿|时间|日期|发布|出品|策划|制作|统筹|主编|审校|审签`)

// parseNames reads the names at the start of s, after a label. With colon
// set the label had a separator, and the list may be followed by anything;
// without it the list must end the text or a bracket (or end in a role
// word such as 报道), else it is prose and names nobody. A photographer's
// line (张三 摄) names no writer. Staff codes after a name (SF099,
// _NBJ11143) are dropped; single characters set apart by blanks are one
// name (方 敏).
func parseNames(s string, colon, editor bool) []string {
	var (
		names []string
		word  strings.Builder
		latin bool // word holds Latin letters
	)
	type token struct {
		text  string
		latin bool
		space bool // a blank, not a list mark, came before it
	}
	var toks []token
	ended := false // the list reached a proper end
	space := false
	flush := func() {
		if word.Len() > 0 {
			toks = append(toks, token{word.String(), latin, space})
			word.Reset()
			space = false
		}
	}
	i := 0
scan:
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.Is(unicode.Han, r) || r == '·' || r == '•':
			if latin {
				flush()
			}
			latin = false
			word.WriteRune(r)
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-'):
			if !latin {
				flush()
			}
			latin = true
			word.WriteRune(r)
		case r == ' ' || r == '\u3000' || r == '\u00a0' || r == '\t':
			if latin && word.Len() > 0 && i+n < len(s) {
				// "Demi Xia": a blank between Latin words is inside a name.
				if next, _ := utf8.DecodeRuneInString(s[i+n:]); next < utf8.RuneSelf && unicode.IsLetter(next) {
					word.WriteRune(' ')
					break
				}
			}
			flush()
			space = true
		case strings.ContainsRune("、，,;；&＆_", r):
			flush()
			space = false
		case r == '/' || r == '／':
			flush()
			// 某报记者张三/文: the writer's mark after the name.
			if rest := strings.TrimSpace(s[i+n:]); strings.HasPrefix(rest, "文") {
				ended = true
			}
			break scan
		case strings.ContainsRune(")）]】」〕\n", r):
			flush()
			ended = true
			break scan
		default:
			flush()
			break scan
		}
		i += n
	}
	if i >= len(s) {
		flush()
		ended = true
	}
	for j := 0; j < len(toks); j++ {
		t := toks[j]
		if t.latin {
			t.text = strings.TrimSpace(t.text)
			if strings.ContainsAny(t.text, "0123456789") && (len(names) > 0 || !colon) {
				continue // a staff code
			}
			if !colon || !hasLetter(t.text) {
				return nil
			}
			names = append(names, t.text)
			continue
		}
		if !editor {
			// 记者唐霁, 新华社记者邹多为: the label glued to the name.
			if i := roleGlue.FindStringIndex(t.text); i != nil {
				if t.text = t.text[i[1]:]; t.text == "" {
					continue
				}
			}
		}
		k := utf8.RuneCountInString(t.text)
		switch {
		case t.text == "图" || strings.Contains(t.text, "摄"):
			return nil // 张三 摄, 摄影/张三, 记者 张三 翻摄: a photographer
		case nonName.MatchString(t.text):
			if !colon {
				return nil
			}
			j = len(toks)
			continue
		case nameEnd.MatchString(t.text):
			ended = true
			j = len(toks)
			continue
		case roleWord.MatchString(t.text):
			ended = true
			j = len(toks)
			continue
		case k == 1 && j+1 < len(toks) && toks[j+1].space && !toks[j+1].latin && utf8.RuneCountInString(toks[j+1].text) == 1:
			names = append(names, t.text+toks[j+1].text) // 方 敏
			j++
			continue
		case k >= 2 && k <= 4 && !orgSuffix.MatchString(t.text),
			k > 4 && k <= 12 && strings.ContainsAny(t.text, "·•"):
			names = append(names, t.text)
			continue
		}
		// Not a name: prose, an organisation, a description.
		if !colon {
			return nil
		}
		break
	}
	if !colon && !ended {
		return nil
	}
	return names
}

// looksLikeName reports whether a meta tag's value is a person's name or a
// list of them: Han names of two to four characters, or Latin words.
func looksLikeName(v string) bool {
	names := parseNames(v, true, false)
	bare := func(s string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(" 、，,;；&＆", r) {
				return -1
			}
			return r
		}, s)
	}
	return len(names) > 0 && bare(strings.Join(names, "")) == bare(v)
}
