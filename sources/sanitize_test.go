package sources

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func TestSanitize(t *testing.T) {
	base, _ := url.Parse("http://www.people.com.cn/n1/2020/0420/c1001-1.html")
	tests := []struct {
		name, in, want string
	}{
		{"paragraph", "<p>正文</p>", "<p>正文</p>"},
		{"script dropped with content", `<p>a</p><script>alert("x")</script><p>b</p>`, "<p>a</p><p>b</p>"},
		{"style dropped with content", `<style>p{color:red}</style><p style="color:red">b</p>`, "<p>b</p>"},
		{"iframe dropped", `<iframe src="http://evil.example/"></iframe><p>b</p>`, "<p>b</p>"},
		{"event handlers dropped", `<img src="a.jpg" onerror="alert(1)" onload="x()">`, `<img src="http://www.people.com.cn/n1/2020/0420/a.jpg">`},
		{"javascript href dropped", `<a href="javascript:alert(1)">x</a>`, "x"},
		{"javascript href with spaces", `<a href=" JaVaScRiPt:alert(1)">x</a>`, "x"},
		{"data href dropped", `<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`, "x"},
		{"data img dropped", `<img src="data:image/png;base64,iVBORw0KGgo=">`, ""},
		{"relative link resolved", `<a href="../0421/c1001-2.html" title="t">下一篇</a>`, `<a href="http://www.people.com.cn/n1/2020/0421/c1001-2.html" title="t">下一篇</a>`},
		{"root-relative image", `<img src="/img/1.jpg" alt="图" width="600" height="400" class="x">`, `<img src="http://www.people.com.cn/img/1.jpg" alt="图" width="600" height="400">`},
		{"protocol-relative", `<img src="//img.people.com.cn/1.jpg">`, `<img src="http://img.people.com.cn/1.jpg">`},
		{"lazy data-src", `<img data-src="/img/2.jpg">`, `<img src="http://www.people.com.cn/img/2.jpg">`},
		{"lazy data-original over placeholder", `<img src="/images/blank.gif" data-original="http://img.example/3.jpg">`, `<img src="http://img.example/3.jpg">`},
		{"lazy over data: placeholder", `<img src="data:image/gif;base64,R0lGOD" data-src="4.jpg">`, `<img src="http://www.people.com.cn/n1/2020/0420/4.jpg">`},
		{"lazy javascript: dropped", `<img data-src="javascript:alert(1)" alt="x">`, `<img alt="x">`},
		{"lazy quote-breaking", `<img data-src='x" onerror="alert(1)'>`, ""},
		{"escaped query kept", `<a href="/s?a=1&amp;b=2">q</a>`, `<a href="http://www.people.com.cn/s?a=1&amp;b=2">q</a>`},
		{"real src kept over data-src", `<img src="5.jpg" data-src="6.jpg">`, `<img src="http://www.people.com.cn/n1/2020/0420/5.jpg">`},
		{"table", `<table border="1"><tr><th colspan="2">表</th></tr><tr><td>1</td><td>2</td></tr></table>`, `<table><tr><th colspan="2">表</th></tr><tr><td>1</td><td>2</td></tr></table>`},
		{"lists and headings", `<h2>小标题</h2><ul><li>一</li></ul><ol><li>二</li></ol>`, `<h2>小标题</h2><ul><li>一</li></ul><ol><li>二</li></ol>`},
		{"blockquote and figure", `<figure><img src="http://a.example/x.jpg"><figcaption>说明</figcaption></figure><blockquote>引文</blockquote>`, `<figure><img src="http://a.example/x.jpg"><figcaption>说明</figcaption></figure><blockquote>引文</blockquote>`},
		{"form and input dropped", `<form action="/x"><input name="q"><button>搜</button></form>`, "搜"},
		{"mailto kept", `<a href="mailto:a@b.example">信</a>`, `<a href="mailto:a@b.example">信</a>`},
		{"fragment link kept", `<a href="#note1">注</a>`, `<a href="#note1">注</a>`},
		{"control characters", "<p>a\x00b\x0bc\x1f</p>", "<p>abc</p>"},
		{"entities kept", "<p>1 &lt; 2 &amp; 3</p>", "<p>1 &lt; 2 &amp; 3</p>"},
		{"svg onload", `<svg onload="alert(1)"><circle/></svg>ok`, "ok"},
		{"empty", "   ", ""},
		{"upper-case attribute", `<IMG SRC = "/img/7.jpg"><A Href='x.html'>x</A>`, `<img src="http://www.people.com.cn/img/7.jpg"><a href="http://www.people.com.cn/n1/2020/0420/x.html">x</a>`},
		{"absolute only", `<p><a href="http://a.example/">a</a><img src="https://b.example/1.png"></p>`, `<p><a href="http://a.example/">a</a><img src="https://b.example/1.png"></p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in, base); got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got, want := Sanitize(`<a href="x.html">x</a>`, nil), `<a href="x.html">x</a>`; got != want {
		t.Errorf("Sanitize without base = %q, want %q", got, want)
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"人民网", "人民网"},
		{"  多余\n空白  ", "多余 空白"},
		{"<b>加粗</b>标题", "加粗标题"},
		{"AT&amp;T &#x4e2d;", "AT&T 中"},
		{"AT&T", "AT&T"},
		{"1 < 2", "1 < 2"},
		{`<script>alert(1)</script>标题<style>b{}</style>`, "标题"},
		{"控制\x0b字符\x01", "控制字符"},
		{"History of the <blink> tag", "History of the <blink> tag"},
		{"Using <vector> &amp; <map>", "Using <vector> & <map>"},
		{`<img src="x.jpg" onerror="alert(1)">`, ""},
		{"&#2;控制", "控制"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>一</p><p>二</p>", "一"},
		{"<div><script>x()</script>  <b>粗</b>体<br>下一行</div>", "粗体"},
		{"纯文本 &amp; 实体", "纯文本 & 实体"},
		{"<p> </p><p>\n</p><p>三</p>", "三"},
		{"<figure><img src=\"a.jpg\"><figcaption>图 说</figcaption></figure><p>正文</p>", "图 说"},
		{"<h2>小标题</h2>第一段", "小标题"},
		{"<table><tr><td>甲</td><td>乙</td></tr></table>", "甲"},
		{"<p>控制\x0b字符</p>", "控制字符"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := FirstLine(tt.in); got != tt.want {
			t.Errorf("FirstLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{`<p onclick="x">a<img data-src="b.jpg"></p>`, `<a href="javascript:x">y</a>`, "<table><tr><td>1",
		`<a href="http://a.example/">a</a><img src="https://b.example/1.png">`, `<IMG SRC = "/img/7.jpg">`,
		"纯文本 \"引号\" 'single' a > b\r\nline\rend\x00"} {
		f.Add(s)
	}
	base, _ := url.Parse("http://example.com/a/b.html")
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s, base)
		if !utf8.ValidString(out) && utf8.ValidString(s) {
			t.Errorf("Sanitize(%q) = %q: invalid UTF-8", s, out)
		}
		if strings.IndexFunc(out, forbidden) >= 0 {
			t.Errorf("Sanitize(%q) = %q: forbidden character", s, out)
		}
		if !strings.ContainsAny(s, "<&") {
			if want := strings.TrimSpace(cleanText(policy.Sanitize(cleanText(s)))); out != want {
				t.Errorf("Sanitize(%q) = %q, but the policy makes %q of it", s, out, want)
			}
		}
		if bad := unsafeMarkup(out); bad != "" {
			t.Errorf("Sanitize(%q) = %q: %s survived", s, out, bad)
		}
	})
}

// unsafeMarkup names the first unsafe tag, event handler or URL in s, as a
// browser would parse it.
func unsafeMarkup(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "style", "iframe", "object", "embed", "form", "input", "svg", "math", "base", "meta", "link":
				return "<" + tok.Data + ">"
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, a.Val))
				switch {
				case strings.HasPrefix(a.Key, "on"), a.Key == "style", a.Key == "srcdoc":
					return a.Key + "="
				case strings.HasPrefix(v, "javascript:"), strings.HasPrefix(v, "vbscript:"), strings.HasPrefix(v, "data:"):
					return a.Key + "=" + a.Val
				}
			}
		}
	}
}

// TestLazyImageAttrs checks that every lazy-load attribute yields a usable
// src both when an article page is extracted and when a feed item's HTML is
// sanitized, and that the list's order of preference holds.
func TestLazyImageAttrs(t *testing.T) {
	base, _ := url.Parse("http://www.example.cn/n1/2020/0420/c1001-1.html")
	const want = `src="http://img.example.cn/pic/real.jpg"`
	page := `<html><head><title>标题一二三四_示例网</title></head><body><h1>标题一二三四</h1>
<div class="content"><p>这是正文的第一段，内容足够长，带有标点符号，用来确认正文可以被识别出来。</p>%s
<p>第二段，也有标点，而且同样足够长，让这一块成为正文。</p></div></body></html>`
	// Written out, not lazySrcAttrs: dropping one from the list must fail.
	attrs := []string{"data-src", "data-original", "data-original-src", "data-lazy-src", "data-actualsrc",
		"data-url", "file", "original", "oldsrc"}
	for _, attr := range attrs {
		for _, placeholder := range []string{"", ` src="/images/blank.gif"`, ` src="data:image/gif;base64,R0lGOD"`} {
			img := `<img` + placeholder + ` ` + attr + `="//img.example.cn/pic/real.jpg" alt="图">`
			t.Run(attr+placeholder, func(t *testing.T) {
				if got := Sanitize(img, base); !strings.Contains(got, want) {
					t.Errorf("Sanitize(%q) = %q, want %s", img, got, want)
				}
				it, err := ExtractArticle([]byte(strings.Replace(page, "%s", img, 1)), base, nil, time.UTC)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(it.Content, want) {
					t.Errorf("extracted Content with %q = %q, want %s", img, it.Content, want)
				}
			})
		}
	}

	// The first attribute of the list wins, wherever it stands in the tag;
	// one that holds no http(s) URL gives way to the next.
	tests := []struct{ in, want string }{
		{`<img oldsrc="/b.jpg" data-src="/a.jpg">`, `<img src="http://www.example.cn/a.jpg">`},
		{`<img file="/b.jpg" data-original="/a.jpg">`, `<img src="http://www.example.cn/a.jpg">`},
		{`<img data-src="javascript:alert(1)" data-original="/a.jpg">`, `<img src="http://www.example.cn/a.jpg">`},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in, base); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
