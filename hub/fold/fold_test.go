package fold

import (
	"slices"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parts []string
		want  string
	}{
		{"bigrams", []string{"基层减负"}, "基层 层减 减负"},
		{"traditional", []string{"基層減負"}, "基层 层减 减负"},
		{"line break", []string{"基层\n减负"}, "基层 层减 减负"},
		{"markup", []string{"<p>基层<b>减</b>负</p>"}, "基层 层减 减负"},
		{"punctuation ends a run", []string{"减负，增效"}, "减负 增效"},
		{"latin", []string{"APEC峰会 G20 Ｇ２０"}, "apec 峰会 g20 g20"},
		{"latin split by tags", []string{"foo</p><p>bar"}, "foo bar"},
		{"entity", []string{"A&amp;B 中&#22269;"}, "a b 中国"},
		{"single", []string{"我 。你"}, "我 你"},
		{"parts", []string{"中国", "人民"}, "中国 人民"},
	} {
		var tk Tokenizer
		got := strings.Join(tk.Tokens(tc.parts...), " ")
		if got != tc.want {
			t.Errorf("%s: Tokens(%q) = %q, want %q", tc.name, tc.parts, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string // each phrase: tokens joined by +, * for a prefix
	}{
		{"减负", []string{"减负"}},
		{"減負 APEC", []string{"减负", "apec"}},
		{"基层减负 基层减负", []string{"基层+层减+减负"}},
		{"G20峰会", []string{"g20", "峰会"}},
		{"峰", []string{"峰*"}},
		{"  ，。", nil},
		{"<script>", []string{"script"}},
	} {
		var got []string
		for _, p := range Parse(tc.q) {
			s := strings.Join(p.Tokens, "+")
			if p.Prefix {
				s += "*"
			}
			got = append(got, s)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Parse(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

func TestSpans(t *testing.T) {
	s := "推进基層減負，APEC 减负"
	got := Spans(s, Parse("减负 apec"))
	var marked []string
	for _, sp := range got {
		marked = append(marked, s[sp[0]:sp[1]])
	}
	if want := []string{"減負", "APEC", "减负"}; !slices.Equal(marked, want) {
		t.Errorf("Spans = %q, want %q", marked, want)
	}
}

func BenchmarkTokens(b *testing.B) {
	text := strings.Repeat("<p>国务院办公厅印发《关于进一步减轻基层负担的若干措施》，APEC 会议。</p>\n", 40)
	var tk Tokenizer
	Rune('国')
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tk.Tokens("标题", text)
	}
}

// FuzzParse holds Parse to what the stores rely on to quote tokens into
// their query languages: every token is letters, digits and marks only,
// and there are at most MaxPhrases phrases.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"减负", `"减负" OR NEAR(x)*`, "G20峰会 apec", "' <-> & !", "\x00\xff基層", "<b>乡村</b>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		p := Parse(q)
		if len(p) > MaxPhrases {
			t.Fatalf("Parse(%q): %d phrases", q, len(p))
		}
		for _, ph := range p {
			if len(ph.Tokens) == 0 {
				t.Fatalf("Parse(%q): a phrase without tokens", q)
			}
			for _, tok := range ph.Tokens {
				for _, r := range tok {
					if k := kindOf(r); k != kHan && k != kWord {
						t.Fatalf("Parse(%q): token %q holds %q", q, tok, r)
					}
				}
			}
		}
		var tk Tokenizer
		for _, tok := range tk.Tokens(q) {
			if tok == "" || strings.ContainsAny(tok, " '\"\\:") {
				t.Fatalf("Tokens(%q): token %q", q, tok)
			}
		}
	})
}

// TestMatch checks phrases against a text's tokens, as a store that keeps
// no places in its index checks its candidates.
func TestMatch(t *testing.T) {
	var tk Tokenizer
	text := append([]string(nil), tk.Tokens("<p>持之以恒为基层减负，</p><p>推进乡村全面振兴 APEC会议</p>")...)
	for _, tt := range []struct {
		q     string
		want  bool
		exact bool
	}{
		{"减负", true, true},
		{"基层减负", true, false},
		{"基層減負", true, false},  // traditional
		{"乡村振兴", false, false}, // 乡村 and 振兴 both occur, not one after the other
		{"乡村 振兴", true, true},
		{"为基层 apec", true, false},
		{"apec 会议", true, true},
		{"恒", true, true}, // one character: a prefix
		{"减负 疫情", false, true},
		{"持之以恒为基层减负推进", false, false}, // punctuation ends the run
	} {
		q := Parse(tt.q)
		if got := q.Match(text); got != tt.want {
			t.Errorf("Parse(%q).Match = %v, want %v", tt.q, got, tt.want)
		}
		if got := q.Exact(); got != tt.exact {
			t.Errorf("Parse(%q).Exact = %v, want %v", tt.q, got, tt.exact)
		}
	}
}

// TestParts: a summary that starts the content is not indexed twice.
func TestParts(t *testing.T) {
	for _, tt := range []struct {
		title, summary, content string
		want                    int
	}{
		{"题", "<p>开头</p>", "<p>开头</p><p>正文</p>", 2},
		{"题", "<p>摘要</p>", "<p>正文</p>", 3},
		{"题", "", "<p>正文</p>", 3},
		{"题", "<p>摘要</p>", "", 3},
	} {
		if got := Parts(tt.title, tt.summary, tt.content); len(got) != tt.want {
			t.Errorf("Parts(%q, %q, %q) = %q, want %d parts", tt.title, tt.summary, tt.content, got, tt.want)
		}
	}
}
