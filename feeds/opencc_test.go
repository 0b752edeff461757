package feeds

import (
	"strings"
	"testing"

	"github.com/longbridgeapp/opencc"
)

// openCCSentences are real sentences with the words that trip converters
// which go character by character (头发, 皇后 and 后面, 干部 and 干燥, 乾隆,
// 著作 and 着急, 里 in 公里 and 里面).
var openCCSentences = []struct{ kind, in, want string }{
	{"s2t", "头发发展，皇后在后面，干部干活，一只手表，理发店里面有三公里。", "頭髮發展，皇后在後面，幹部幹活，一隻手錶，理髮店裏面有三公里。"},
	{"s2t", "习近平在中共中央政治局第十次集体学习时强调，坚持和发展新时代“枫桥经验”。", "習近平在中共中央政治局第十次集體學習時強調，堅持和發展新時代“楓橋經驗”。"},
	{"s2t", "乾隆皇帝于1736年即位，著作等身，制造业与制度建设。", "乾隆皇帝於1736年即位，著作等身，製造業與制度建設。"},
	{"s2tw", "头发发展，皇后在后面，理发店里面，这只猫着急了。", "頭髮發展，皇后在後面，理髮店裡面，這隻貓著急了。"},
	{"s2hk", "头发发展，皇后在后面，理发店里面，这只猫着急了。", "頭髮發展，皇后在後面，理髮店裏面，這隻貓着急了。"},
	{"t2s", "頭髮發展，皇后在後面，幹部幹活，一隻手錶，乾燥的天氣，乾隆皇帝。", "头发发展，皇后在后面，干部干活，一只手表，干燥的天气，乾隆皇帝。"},
	{"tw2s", "軟體與硬體，裡面的滑鼠，著作權。", "软体与硬体，里面的滑鼠，著作权。"},
	{"hk2s", "這隻貓着急了，裏面的綫路。", "这只猫着急了，里面的线路。"},
}

func TestConverterText(t *testing.T) {
	for _, tt := range openCCSentences {
		c, err := converterFor(tt.kind)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.text(tt.in); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", tt.kind, tt.in, got, tt.want)
		}
	}
}

// TestConverterMatchesLibrary: our matching over the library's dictionaries
// gives what the library's own Convert gives, on sentences and on a long
// article, for every kind.
func TestConverterMatchesLibrary(t *testing.T) {
	texts := []string{"", "ASCII only, <b>tags</b> &amp; all", benchArticleText()}
	for _, tt := range openCCSentences {
		texts = append(texts, tt.in, tt.want)
	}
	for _, kind := range openCCKinds {
		lib, err := opencc.New(kind)
		if err != nil {
			t.Fatal(err)
		}
		c, err := converterFor(kind)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range texts {
			want, err := lib.Convert(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.text(s); got != want {
				t.Errorf("%s(%.40q…) differs from the library's:\n got %.200q\nwant %.200q", kind, s, got, want)
			}
		}
	}
}

func TestConverterHTML(t *testing.T) {
	c, err := converterFor("s2t")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"没有标记的头发", "沒有標記的頭髮"},
		{`<p class="头发">头发</p>`, `<p class="头发">頭髮</p>`},
		{`<a href="http://example.cn/后面?a=1&amp;b=发">后面</a> &amp; 发展`, `<a href="http://example.cn/后面?a=1&amp;b=发">後面</a> &amp; 發展`},
		{`<img src="x.jpg" alt="配图"/><!-- 注释 --><br>发`, `<img src="x.jpg" alt="配图"/><!-- 注释 --><br>發`},
		{`<p class="yizhan-attribution">来源：<a href="http://paper.people.com.cn/">人民日报</a> · 作者：李红军</p>`,
			`<p class="yizhan-attribution">來源：<a href="http://paper.people.com.cn/">人民日報</a> · 作者：李紅軍</p>`},
		{"<p>unclosed <b>粗体", "<p>unclosed <b>粗體"},
	}
	for _, tt := range tests {
		if got := c.html(tt.in); got != tt.want {
			t.Errorf("html(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// benchArticleText is the text of a 2.7 KB article of benchItems.
func benchArticleText() string {
	return strings.Repeat("新时代基层治理的生动实践，人民群众的获得感、幸福感、安全感持续增强。", 20)
}

// BenchmarkOpenCC converts one article of benchItems (its content, 2.7 KB
// of HTML, with the attribution footer, title and attribution fields) to
// traditional characters: the cost per item of ?opencc=s2t, ours and the
// library's Convert on the same text.
//
//	go test ./feeds -run '^$' -bench OpenCC -benchmem
func BenchmarkOpenCC(b *testing.B) {
	cfg := newConfig(testConfig())
	s := newSnapshot(benchItems(1), cfg.channels["theory"], cfg)
	c, err := converterFor("s2t")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("item", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(s.items[0].Content)))
		for b.Loop() {
			it := s.items[0]
			c.convertItem(&it)
		}
	})
	lib, err := opencc.New("s2t")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("library Convert", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(s.items[0].Content)))
		for b.Loop() {
			lib.Convert(s.items[0].Content)
		}
	})
}
