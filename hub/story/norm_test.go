package story

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://politics.people.com.cn/n1/2025/0301/c1001-1.html", "//politics.people.com.cn/n1/2025/0301/c1001-1.html"},
		{"HTTPS://Politics.People.com.cn:443/n1/2025/0301/c1001-1.html#top", "//politics.people.com.cn/n1/2025/0301/c1001-1.html"},
		{"http://www.example.cn:80/a.html?utm_source=x&id=2&UTM_MEDIUM=y&spm=a.b&b=1", "//www.example.cn/a.html?b=1&id=2"},
		{"http://www.example.cn:8080/a.html", "//www.example.cn:8080/a.html"},
		{"http://www.example.cn/A.html", "//www.example.cn/A.html"}, // paths keep their case
		{"http://www.example.cn/", ""},
		{"http://www.example.cn", ""},
		{"http://www.example.cn/?utm_source=rss", ""},
		{"http://www.example.cn/?id=3", "//www.example.cn/?id=3"},
		{"ftp://www.example.cn/a.html", ""},
		{"/n1/2025/a.html", ""},
		{"mailto:a@example.cn", ""},
		{"", ""},
		{"http://[::1", ""},
	}
	for _, tt := range tests {
		if got := CanonicalURL(tt.in); got != tt.want {
			t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"持之以恒为基层减负", "持之以恒为基层减负"},
		{" 持之以恒为基层减负 ", "持之以恒为基层减负"},
		{"【理论】持之以恒为基层减负", "持之以恒为基层减负"},
		{"[评论] 持之以恒为基层减负", "持之以恒为基层减负"},
		{"【理论】【头条】持之以恒，为基层减负！", "持之以恒为基层减负"},
		{"持之以恒为基层减负--观点--人民网", "持之以恒为基层减负"},
		{"专访｜钟南山：疫情防控要坚持科学精准", "钟南山疫情防控要坚持科学精准"},
		{"２０２５年ＧＤＰ增长５％", "2025年gdp增长5"},
		{"评论员文章（一）", "评论员文章一"},
		{"评论员文章（二）", "评论员文章二"},
		{"【这是一个超过八个字符的长标签】正文", "这是一个超过八个字符的长标签正文"},
		{"", ""},
		{"！？。", ""},
	}
	for _, tt := range tests {
		if got := Title(tt.in); got != tt.want {
			t.Errorf("Title(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCredit(t *testing.T) {
	tests := []struct{ in, want string }{
		{"人民日报", "人民日报"},
		{"《人民日报》", "人民日报"},
		{"人民网－人民日报", "人民日报"},
		{"人民网-人民日报", "人民日报"},
		{" 新华社 ", "新华社"},
		{"Xinhua", "xinhua"},
		{"人民网-", "人民网"},
	}
	for _, tt := range tests {
		if got := Credit(tt.in); got != tt.want {
			t.Errorf("Credit(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>基层减负，持之以恒。</p><p>Ｗｏｒｋ 2025</p>", "基层减负持之以恒work2025"},
		{"<p>原标题：持之以恒为基层减负</p><p>正文一段。</p>", "正文一段"},
		{"<p>正文。</p><p>（责任编辑：张三、李四）</p><p>来源：人民日报</p>", "正文"},
		{`<figure><img src="a.jpg"><figcaption>图为会场</figcaption></figure><p>正文</p>`, "正文"},
		{"<p>正文</p><p>（新华社记者 王五 摄）</p>", "正文"},
		{"<script>var x = 1;</script><style>p{}</style><p>正文</p>", "正文"},
		{"纯文本，没有标记", "纯文本没有标记"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOriginalTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>原标题：持之以恒为基层减负</p>", "持之以恒为基层减负"},
		{"<p>原标题:《持之以恒为基层减负》</p>", "持之以恒为基层减负"},
		{"<p>　原标题　“A &amp; B”\n正文</p>", "A & B"},
		{"<p>没有</p>", ""},
		{"原标题：" + strings.Repeat("长", 100), ""},
	}
	for _, tt := range tests {
		if got := OriginalTitle(tt.in); got != tt.want {
			t.Errorf("OriginalTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContainment(t *testing.T) {
	article := Text("<p>国务院常务会议部署推进高质量发展，强调稳就业、促消费、扩内需。</p><p>会议指出，要持之以恒为基层减负。</p>")
	lead := string([]rune(article)[:20])
	tests := []struct {
		name string
		a, b string
		min  float64
		max  float64
	}{
		{"identical", article, article, 1, 1},
		{"lead in article", lead, article, 1, 1},
		{"either order", article, lead, 1, 1},
		{"unrelated", article, Text("<p>长江流域重点水域禁渔以来，水生生物资源逐步恢复。</p>"), 0, 0.1},
		{"empty", "", article, 0, 0},
	}
	for _, tt := range tests {
		if got := Containment(tt.a, tt.b); got < tt.min || got > tt.max {
			t.Errorf("%s: Containment = %.2f, want %.2f..%.2f", tt.name, got, tt.min, tt.max)
		}
	}
}

func TestSame(t *testing.T) {
	day := time.Date(2025, 3, 1, 6, 0, 0, 0, china)
	text := "<p>国务院常务会议部署推进高质量发展，强调稳就业、促消费、扩内需，会议指出，要持之以恒为基层减负。</p>"
	own := hub.Item{SourceID: "people", URL: "http://opinion.people.com.cn/n1/2025/0301/c1003-1.html",
		Title: "持之以恒为基层减负", Content: text, Published: day, Attribution: hub.Attribution{Credit: "人民日报"}}
	tests := []struct {
		name   string
		change func(it *hub.Item)
		want   bool
	}{
		{"repost", func(it *hub.Item) {}, true},
		{"same URL, other credit and title", func(it *hub.Item) {
			it.URL, it.Credit, it.Title = own.URL+"?utm_source=x", "某省网", "另一个标题"
		}, true},
		{"other credit", func(it *hub.Item) { it.Credit = "光明日报" }, false},
		{"same URL, 8 days later", func(it *hub.Item) {
			it.URL, it.Credit, it.Title, it.Published = own.URL, "某省网", "另一个标题", day.Add(8*24*time.Hour)
		}, false},
		{"credit through a portal", func(it *hub.Item) { it.Credit = "人民网－人民日报" }, true},
		{"37 hours later", func(it *hub.Item) { it.Published = day.Add(37 * time.Hour) }, false},
		{"other text", func(it *hub.Item) {
			it.Content = "<p>长江流域重点水域禁渔以来，水生生物资源逐步恢复，江豚种群数量回升。</p>"
		}, false},
		{"title only, same day", func(it *hub.Item) { it.Content = "" }, true},
		{"title only, next day", func(it *hub.Item) { it.Content, it.Published = "", day.Add(20*time.Hour) }, false},
		{"no credit", func(it *hub.Item) { it.Credit = "" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := own
			other.SourceID, other.URL = "portal", "http://www.example.gov.cn/art/1.html"
			other.Published = day.Add(3 * time.Hour)
			tt.change(&other)
			a, b := own, other
			if got := Same(New(&a), New(&b)); got != tt.want {
				t.Errorf("Same = %v, want %v", got, tt.want)
			}
			if got := Same(New(&b), New(&a)); got != tt.want {
				t.Errorf("Same, other order = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSameURLOneSource(t *testing.T) {
	// A feed that links every item to one page does not make them one story.
	a := hub.Item{SourceID: "bureau", URL: "http://www.example.gov.cn/news.html", Title: "通知一", Attribution: hub.Attribution{Credit: "局"}}
	b := a
	b.Title = "通知二"
	if Same(New(&a), New(&b)) {
		t.Errorf("Same = true for two titles of one source under one URL")
	}
	b.Title = a.Title
	if !Same(New(&a), New(&b)) {
		t.Errorf("Same = false for one title of one source under one URL")
	}
}

func FuzzNormalisers(f *testing.F) {
	for _, s := range []string{
		"http://politics.people.com.cn/n1/2025/0301/c1001-1.html?utm_source=x#a",
		"【理论】持之以恒为基层减负--观点--人民网",
		"<p>原标题：《持之以恒》</p><figcaption>图</figcaption>",
		"２０２５年ＧＤＰ", "[评论", "【", "http://[::1]:80/?", "\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, fn := range map[string]func(string) string{
			"CanonicalURL": CanonicalURL, "Title": Title, "Credit": Credit, "Text": Text, "OriginalTitle": OriginalTitle,
		} {
			got := fn(s)
			if !utf8.ValidString(got) && utf8.ValidString(s) {
				t.Errorf("%s(%q) = %q: invalid UTF-8", name, s, got)
			}
		}
		// Normal forms are fixed points: normalising twice changes nothing.
		if ti := Title(s); Title(ti) != ti {
			t.Errorf("Title(Title(%q)) = %q, want %q", s, Title(ti), ti)
		}
		if c := CanonicalURL(s); c != "" && CanonicalURL("http:"+c) != c {
			t.Errorf("CanonicalURL(http:%s) = %q, want %q", c, CanonicalURL("http:"+c), c)
		}
		if c := Containment(Text(s), Text(s)); Text(s) != "" && c != 1 {
			t.Errorf("Containment of a text in itself = %v, want 1", c)
		}
	})
}
