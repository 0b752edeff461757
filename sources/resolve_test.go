package sources

import (
	"net/url"
	"testing"
)

func TestResolve(t *testing.T) {
	base, _ := url.Parse("https://www.example.cn/n1/2020/0420/c1001-1.html?from=list")
	tests := []struct {
		name string
		base *url.URL
		ref  string
		// want is resolveHTTP's answer; page pageLink's, feed feedRef's.
		want, page, feed string
	}{
		{"relative", base, "c1001-2.html", "https://www.example.cn/n1/2020/0420/c1001-2.html", "https://www.example.cn/n1/2020/0420/c1001-2.html", "https://www.example.cn/n1/2020/0420/c1001-2.html"},
		{"root-relative", base, "/img/1.jpg", "https://www.example.cn/img/1.jpg", "https://www.example.cn/img/1.jpg", "https://www.example.cn/img/1.jpg"},
		{"dot segments", base, "../0421/a.html", "https://www.example.cn/n1/2020/0421/a.html", "https://www.example.cn/n1/2020/0421/a.html", "https://www.example.cn/n1/2020/0421/a.html"},
		{"absolute", base, "http://other.example/a?b=1&c=2", "http://other.example/a?b=1&c=2", "http://other.example/a?b=1&c=2", "http://other.example/a?b=1&c=2"},
		{"upper-case scheme", base, "HTTP://other.example/a", "http://other.example/a", "http://other.example/a", "http://other.example/a"},
		{"protocol-relative", base, "//img.example.cn/1.jpg", "https://img.example.cn/1.jpg", "https://img.example.cn/1.jpg", "https://img.example.cn/1.jpg"},
		{"spaces around", base, " \t\n/a.html \r\n", "https://www.example.cn/a.html", "https://www.example.cn/a.html", "https://www.example.cn/a.html"},
		{"line break inside", base, "/a/\nb.html", "https://www.example.cn/a/b.html", "https://www.example.cn/a/b.html", "https://www.example.cn/a/b.html"},
		{"control character inside", base, "/a\x0b.html", "https://www.example.cn/a.html", "https://www.example.cn/a.html", "https://www.example.cn/a.html"},
		{"fragment", base, "/a.html#p2", "https://www.example.cn/a.html#p2", "https://www.example.cn/a.html", "https://www.example.cn/a.html#p2"},
		{"fragment only", base, "#top", "https://www.example.cn/n1/2020/0420/c1001-1.html?from=list#top", "", "https://www.example.cn/n1/2020/0420/c1001-1.html?from=list#top"},
		{"empty", base, "", "", "", ""},
		{"blank", base, "  \n ", "", "", ""},
		{"javascript", base, "javascript:alert(1)", "", "", ""},
		{"javascript with spaces", base, "  JaVaScRiPt:alert(1)", "", "", ""},
		{"data", base, "data:image/gif;base64,R0lGOD", "", "", ""},
		{"mailto", base, "mailto:a@example.cn", "", "", ""},
		{"http without host", base, "http:/a.html", "", "", ""},
		{"invalid", base, "http://[::1/", "", "", ""},
		{"bad escape", base, "/a%zz.html", "", "", ""},
		{"no base, absolute", nil, "https://www.example.cn/a.html", "https://www.example.cn/a.html", "https://www.example.cn/a.html", "https://www.example.cn/a.html"},
		{"no base, relative", nil, " a/b.html ", "", "", "a/b.html"},
		{"no base, protocol-relative", nil, "//img.example.cn/1.jpg", "", "", "//img.example.cn/1.jpg"},
		{"no base, not a URL", nil, "rss_2.0.channel.item[0].link", "", "", "rss_2.0.channel.item[0].link"},
		{"no base, javascript", nil, "javascript:alert(1)", "", "", ""},
		{"no base, empty", nil, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveHTTP(tt.base, tt.ref); got != tt.want {
				t.Errorf("resolveHTTP(%v, %q) = %q, want %q", tt.base, tt.ref, got, tt.want)
			}
			if got := pageLink(tt.base, tt.ref); got != tt.page {
				t.Errorf("pageLink(%v, %q) = %q, want %q", tt.base, tt.ref, got, tt.page)
			}
			if got := feedRef(tt.base, tt.ref); got != tt.feed {
				t.Errorf("feedRef(%v, %q) = %q, want %q", tt.base, tt.ref, got, tt.feed)
			}
		})
	}
}
