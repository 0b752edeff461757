package sources

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func TestCreditIn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2019年06月15日08:18  来源：人民网-文化频道", "人民网-文化频道"},
		{"来源：人民网-文化频道 原创稿", "人民网-文化频道"},
		{"来源:人民日报", "人民日报"},
		{"20-04-20 08:48 来源:人民日报 编辑:李红军", "人民日报"},
		{"稿源：光明日报", "光明日报"},
		{"信息来源：省发改委", "省发改委"},
		{"出处：新华网", "新华网"},
		{"来源： 新华网", "新华网"},
		{"2024年04月24日23:52 | 来源：新华网", "新华网"},
		{"来源：《人民日报》（2020年04月20日 04 版）", "人民日报"},
		{"来源：China Daily", "China Daily"},
		{"【来源：新华社】", "新华社"},
		{"来源：人民网编辑：李红军", "人民网"},
		{"来源:新华网2020-04-20 08:48", "新华网"},
		{"时间：2019-09-18 06:23 来源： 山西日报 打印 字体：放大", "山西日报"},
		{"发稿时间：2017-03-10 08:42:00 来源： 人民日报海外版 中国青年网", "人民日报海外版"},
		{"图片来源：视觉中国", ""},
		{"来源：本站", ""},
		{"资料来源于网络", ""},
		{"来源：", ""},
		{"来源：2020-04-20", ""},
		{"稿源：A00\xe6", "A00"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := creditIn(tt.in); got != tt.want {
			t.Errorf("creditIn(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAuthorIn(t *testing.T) {
	tests := []struct{ in, writer, editor string }{
		{"(责编：汤诗瑶、丁涛)", "", "汤诗瑶、丁涛"},
		{"（责编：牛镛、岳弘彬）", "", "牛镛、岳弘彬"},
		{"[责任编辑:肖春芳]", "", "肖春芳"},
		{"责任编辑：\n尹世杰", "", "尹世杰"},
		{"责任编辑： 尹世杰", "", "尹世杰"},
		{"20-04-20 08:48 来源:人民日报 编辑:李红军", "", "李红军"},
		{"作者：张三 编辑：李四", "张三", "李四"},
		{"记者：王五", "王五", ""},
		{"作者：本报记者 李四", "李四", ""},
		{"本报记者：张三", "张三", ""},
		{"作者︱春春", "春春", ""},
		{"执笔/叨叨姐、胡一刀&李小飞刀", "叨叨姐、胡一刀、李小飞刀", ""},
		{"文/张三", "张三", ""},
		{"作者： 责任编辑：肖春芳", "", "肖春芳"},
		{"[责任编辑：alonliu]", "", "alonliu"},
		{"编辑：Tom Smith", "", "Tom Smith"},
		{"新华社记者", "", ""},
		{"全文/完", "", ""},
		{"编辑部", "", ""},
		{"作者：104363", "", ""},
		{"作者：\xacA00", "A00", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		w, e := authorIn(tt.in)
		if w != tt.writer || e != tt.editor {
			t.Errorf("authorIn(%q) = %q, %q; want %q, %q", tt.in, w, e, tt.writer, tt.editor)
		}
	}
}

func TestSlashBylineIn(t *testing.T) {
	tests := []struct{ in, writer, publisher string }{
		{"石佳/中国青年报", "石佳", "中国青年报"},
		{"张三、李四 / 新华社", "张三、李四", "新华社"},
		{"2019-09-24 09:10", "", ""},
		{"首页/新闻/正文", "", ""},
		{"这是一个很长的句子/不是署名", "", ""},
	}
	for _, tt := range tests {
		w, p := slashBylineIn(tt.in)
		if w != tt.writer || p != tt.publisher {
			t.Errorf("slashBylineIn(%q) = %q, %q; want %q, %q", tt.in, w, p, tt.writer, tt.publisher)
		}
	}
}

func TestDateIn(t *testing.T) {
	sh := shanghaiZone(t)
	d := time.Date(2020, 4, 20, 8, 48, 0, 0, sh)
	day := time.Date(2020, 4, 20, 0, 0, 0, 0, sh)
	tests := []struct {
		in    string
		want  time.Time
		clock bool
	}{
		{"2020-04-20 08:48", d, true},
		{"20-04-20 08:48 来源:人民日报 编辑:李红军", d, true},
		{"2020年04月20日 08:48", d, true},
		{"2020年04月20日08:48  来源：人民网", d, true},
		{"2020/4/20", day, false},
		{"2020年4月20日週一 上午8:48", d, true},
		{"2020年4月20日星期一 下午8:48", d.Add(12 * time.Hour), true},
		{"发布时间：2020-04-20 08:48", d, true},
		{"时间：2020-04-20 08:48", d, true},
		{"发布日期：2020-04-20", day, false},
		{"２０２０年４月２０日 ０８：４８", d, true},
		{"2020年4月20日 8时48分", d, true},
		{"2020-04-20 08:48:0039健康网", d, true},
	}
	for _, tt := range tests {
		got, clock, ok := dateIn(tt.in, sh)
		if !ok || !got.Equal(tt.want) || clock != tt.clock {
			t.Errorf("dateIn(%q) = %v, %v, %v; want %v, %v", tt.in, got, clock, ok, tt.want, tt.clock)
		}
	}
	for _, bad := range []string{"", "编辑:李红军", "1-10月", "浏览次数：3", "发表时间： 06/02/2022 - 13:48"} {
		if got, _, ok := dateIn(bad, sh); ok {
			t.Errorf("dateIn(%q) = %v, want none", bad, got)
		}
	}
}

func TestRightsIn(t *testing.T) {
	tests := []struct {
		in   string
		want string
		rank int
	}{
		{"人 民 网 版 权 所 有 ，未 经 书 面 授 权 禁 止 使 用\nCopyright © 1997-2019 by www.people.com.cn. all rights reserved",
			"人民网版权所有，未经书面授权禁止使用 Copyright © 1997-2019 by www.people.com.cn. all rights reserved", rightsReprint},
		{"中国·浙江省发展和改革委员会 版权所有\u00a0\u00a0\u00a0\u00a0中文网址：浙江省发展和改革委员会", "中国·浙江省发展和改革委员会版权所有", rightsReserved},
		{"澎湃新闻报料：4009-20-4009 \u00a0 澎湃新闻，未经授权不得转载", "澎湃新闻，未经授权不得转载", rightsReprint},
		{" 版权声明： 转载须经版权人书面授权并注明来源", "转载须经版权人书面授权并注明来源", rightsDeclared},
		{"共青团中央主办\u3000共青团中央网络影视中心承办\u3000版权所有：中国青年网", "版权所有：中国青年网", rightsReserved},
		{"Copyright © 1996-2019 SINA Corporation", "Copyright © 1996-2019 SINA Corporation", rightsEnglish},
		{"版权与免责声明：本网所刊载的作品，版权均属本网所有", "本网所刊载的作品，版权均属本网所有", rightsDeclared},
		{"© Baidu 使用百度前必读", "© Baidu 使用百度前必读", rightsEnglish},
		{"新华社简介 公司官网 版权声明 法律顾问 广告服务", "", rightsNone},
		{"以前网上音乐免费听，后来必须支付版权费", "", rightsNone},
		{"", "", rightsNone},
	}
	for _, tt := range tests {
		got, rank := rightsIn(tt.in)
		if got != tt.want || rank != tt.rank {
			t.Errorf("rightsIn(%q) = %q, %d; want %q, %d", tt.in, got, rank, tt.want, tt.rank)
		}
	}
}

func TestCloseWideGaps(t *testing.T) {
	tests := []struct{ in, want string }{
		{"人 民 网 版 权 所 有 ，未 经", "人民网版权所有，未经"},
		{"Copyright © 1997 by www.people.com.cn", "Copyright © 1997 by www.people.com.cn"},
		{"腾讯公司 版权所有 Tencent", "腾讯公司版权所有 Tencent"},
	}
	for _, tt := range tests {
		if got := closeWideGaps(tt.in); got != tt.want {
			t.Errorf("closeWideGaps(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// claimSeeds are the short lines of the HTML fixtures, where bylines,
// editor lines and notices are.
func claimSeeds(f *testing.F) {
	f.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "html", "*.html"))
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		page, err := DecodeHTML(raw, "", "")
		if err != nil {
			continue
		}
		root, err := html.Parse(bytes.NewReader(page))
		if err != nil {
			continue
		}
		for _, b := range flatten(root) {
			if b.runes() <= 200 {
				f.Add(b.raw)
			}
		}
	}
}

func FuzzCreditIn(f *testing.F) {
	claimSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		got := creditIn(s)
		if got == "" {
			return
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > 30 || strings.ContainsAny(got, "\n|") ||
			creditLabel.MatchString(got) {
			t.Errorf("creditIn(%q) = %q", s, got)
		}
	})
}

func FuzzAuthorIn(f *testing.F) {
	claimSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		w, e := authorIn(s)
		for _, got := range append(strings.Split(w, "、"), strings.Split(e, "、")...) {
			if got == "" {
				continue
			}
			if !utf8.ValidString(got) || utf8.RuneCountInString(got) > 40 || strings.Contains(got, "\n") ||
				anyLabel.MatchString(got) || !hasLetter(got) {
				t.Errorf("authorIn(%q) gave %q", s, got)
			}
		}
	})
}

func FuzzDateIn(f *testing.F) {
	claimSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		got, clock, ok := dateIn(s, time.UTC)
		if !ok {
			if !got.IsZero() || clock {
				t.Errorf("dateIn(%q) = %v, %v with ok false", s, got, clock)
			}
			return
		}
		if got.Year() < 1990 || got.Year() > 2100 {
			t.Errorf("dateIn(%q) = %v: out of range", s, got)
		}
		if !clock && (got.Hour() != 0 || got.Minute() != 0) {
			t.Errorf("dateIn(%q) = %v: a time of day without a clock", s, got)
		}
	})
}

func FuzzRightsIn(f *testing.F) {
	claimSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		got, rank := rightsIn(s)
		if (got == "") != (rank == rightsNone) || !utf8.ValidString(got) {
			t.Errorf("rightsIn(%q) = %q, %d", s, got, rank)
		}
	})
}

func TestSplitDate(t *testing.T) {
	sh := shanghaiZone(t)
	blocks := func(lines ...string) []*block {
		var bs []*block
		for _, l := range lines {
			bs = append(bs, &block{text: l, plain: l, raw: l})
		}
		return bs
	}
	tests := []struct {
		lines []string
		want  time.Time
		ok    bool
	}{
		{[]string{"2019", "09/07", "19:02", "扬眼"}, time.Date(2019, 9, 7, 19, 2, 0, 0, sh), true},
		{[]string{"2019-09-07", "19:02"}, time.Date(2019, 9, 7, 19, 2, 0, 0, sh), true},
		{[]string{"5 人参与", "2 评论"}, time.Time{}, false},
		{[]string{"37", "12"}, time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := splitDate(blocks(tt.lines...), sh)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("splitDate(%q) = %v, %v; want %v, %v", tt.lines, got, ok, tt.want, tt.ok)
		}
	}
}

// TestExtractYearlessByline: a byline that shows no year takes it from a
// machine-readable date of the page on the same day.
func TestExtractYearlessByline(t *testing.T) {
	sh := shanghaiZone(t)
	page := `<html><head><title>传呼机公司停止服务_IT之家</title>
<meta itemprop="dateUpdate" content="2019-09-30 22:46:13"></head><body>
<h2>传呼机公司停止服务</h2><div class="info">发布时间：09-30 22:46</div>
<div class="content"><p>日本最后一家传呼机公司停止服务，殡仪馆为BB机送终。这是一段足够长的正文，有好几句话。</p>
<p>据外媒报道，这家公司于本周一正式停止了服务，结束了传呼机在日本五十年的历史。</p></div></body></html>`
	u, _ := url.Parse("http://www.example.cn/a.html")
	it, err := ExtractArticle([]byte(page), u, nil, sh)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2019, 9, 30, 22, 46, 0, 0, sh); !it.Published.Equal(want) {
		t.Errorf("Published = %v, want %v", it.Published, want)
	}
}
