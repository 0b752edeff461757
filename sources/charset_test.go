package sources

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

func gbk(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func gb18030(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodeXML(t *testing.T) {
	const text = "<rss><channel><title>人民网</title></channel></rss>"
	const decl = `<?xml version="1.0" encoding="UTF-8"?>`
	big5, _ := traditionalchinese.Big5.NewEncoder().Bytes([]byte("<rss><channel><title>聯合新聞網</title></channel></rss>"))
	utf16be, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="utf-16"?>` + text))
	utf16leNoBOM, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="utf-16"?>` + text))
	utf32le, _ := utf32.UTF32(utf32.LittleEndian, utf32.UseBOM).NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="utf-32"?>` + text))
	utf32beNoBOM, _ := utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM).NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="utf-32"?>` + text))
	tests := []struct {
		name        string
		body        []byte
		contentType string
		override    string
		want        string
	}{
		{"utf-8 plain", []byte(text), "", "", text},
		{"utf-8 declared", []byte(decl + text), "", "", decl + text},
		{"gb2312 in prolog", append([]byte(`<?xml version="1.0" encoding="gb2312"?>`), gbk(t, text)...), "", "", decl + text},
		{"gbk in header only", gbk(t, text), "text/xml; charset=gbk", "", text},
		{"gbk in quoted header", gbk(t, text), `application/rss+xml;charset="GBK"`, "", text},
		{"no declaration: gb18030", gbk(t, text), "text/xml", "", text},
		{"lying gb2312 prolog", []byte(`<?xml version='1.0' encoding='gb2312'?>` + text), "", "", `<?xml version='1.0' encoding="UTF-8"?>` + text},
		{"lying header", []byte(text), "text/xml; charset=gbk", "", text},
		{"utf-8 bom", append([]byte("\xef\xbb\xbf"), decl+text...), "", "", decl + text},
		{"utf-16be bom", utf16be, "", "", decl + text},
		{"utf-16le no bom", utf16leNoBOM, "", "", decl + text},
		{"utf-32le bom", utf32le, "", "", decl + text},
		{"utf-32be no bom", utf32beNoBOM, "", "", decl + text},
		{"4-byte gb18030 under gbk label", append([]byte(`<?xml version="1.0" encoding="GBK"?>`), gb18030(t, "<t>𠮷</t>")...), "", "", decl + "<t>𠮷</t>"},
		{"big5", append([]byte(`<?xml version="1.0" encoding="big5"?>`), big5...), "", "", decl + "<rss><channel><title>聯合新聞網</title></channel></rss>"},
		{"windows-1252", []byte("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>caf\xe9</t>"), "", "", decl + "<t>café</t>"},
		{"override beats prolog", append([]byte(`<?xml version="1.0" encoding="utf-8"?>`), gbk(t, text)...), "text/xml; charset=utf-8", "gb2312", `<?xml version="1.0" encoding="utf-8"?>` + text},
		{"control characters", []byte("<t>a\x00b\x0bc\x1fd\te\n</t>"), "", "", "<t>abcd\te\n</t>"},
		{"mostly utf-8 with a stray byte", []byte(decl + "<t>人民\xff网</t>"), "", "", decl + "<t>人民\uFFFD网</t>"},
		{"undeclared utf-8 with a stray byte", []byte("<t>人民\xff网</t>"), "", "", "<t>人民\uFFFD网</t>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeXML(tt.body, tt.contentType, tt.override)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("DecodeXML = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := DecodeXML([]byte(text), "", "klingon"); err == nil {
		t.Error("unknown override: want an error")
	}
}

func TestDecodeHTML(t *testing.T) {
	const page = `<html><head><title>人民网</title></head><body>正文</body></html>`
	withMeta := func(meta string) string { return strings.Replace(page, "<head>", "<head>"+meta, 1) }
	late := `<html><head>` + strings.Repeat("<script>var x = 1;</script>", 100) + `<meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>正文</body></html>`
	tests := []struct {
		name        string
		body        []byte
		contentType string
		override    string
		want        string
	}{
		{"utf-8, no declaration", []byte(page), "", "", page},
		{"meta charset gbk", gbk(t, withMeta(`<meta charset="gbk">`)), "text/html", "", withMeta(`<meta charset="gbk">`)},
		{"http-equiv gb2312", gbk(t, withMeta(`<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`)), "", "", withMeta(`<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`)},
		{"meta after 1024 bytes", gbk(t, late), "", "", late},
		{"header beats meta", gbk(t, withMeta(`<meta charset="utf-8">`)), "text/html; charset=GBK", "", withMeta(`<meta charset="utf-8">`)},
		{"meta lies: utf-8 bytes under gb2312", []byte(withMeta(`<meta charset="gb2312">`)), "", "", withMeta(`<meta charset="gb2312">`)},
		{"header lies: utf-8 bytes under gbk", []byte(page), "text/html; charset=gbk", "", page},
		{"no declaration, gb bytes", gbk(t, page), "text/html", "", page},
		{"bom", append([]byte("\xef\xbb\xbf"), page...), "text/html; charset=gbk", "", page},
		{"override", gbk(t, withMeta(`<meta charset="utf-8">`)), "text/html; charset=utf-8", "gb18030", withMeta(`<meta charset="utf-8">`)},
		{"control characters", []byte("<p>a\x00b\x08c</p>"), "", "", "<p>abc</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeHTML(tt.body, tt.contentType, tt.override)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("DecodeHTML = %q, want %q", got, tt.want)
			}
		})
	}
}

// charsetSeeds returns the fixtures the charset fuzz tests start from.
func charsetSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	for _, dir := range []string{"testdata", filepath.Join("testdata", "html")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Type().IsRegular() {
				if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
					seeds = append(seeds, b)
				}
			}
		}
	}
	return seeds
}

func checkDecoded(t *testing.T, in, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("output is not valid UTF-8: %q", out)
	}
	if i := bytes.IndexFunc(out, forbidden); i >= 0 {
		t.Fatalf("output holds a forbidden character at %d: %q", i, out)
	}
	// Valid UTF-8 without a BOM, declaration games or controls comes back as it was.
	if utf8.Valid(in) && !bytes.HasPrefix(in, []byte("\xef\xbb\xbf")) && bytes.IndexFunc(in, forbidden) < 0 &&
		!bytes.Contains(in, []byte("<?xml")) && !bytes.Contains(in, []byte("\x00")) && utf16NoBOM(in) == nil &&
		!bytes.Equal(in, out) {
		t.Fatalf("valid UTF-8 changed: %q -> %q", in, out)
	}
}

func FuzzDecodeXML(f *testing.F) {
	for _, s := range charsetSeeds(f) {
		f.Add(s, "text/xml", "")
	}
	f.Add([]byte("<?xml version='1.0' encoding='utf-16'?><a/>"), "text/xml; charset=gbk", "")
	f.Add([]byte("\xfe\xff\x00<"), "", "")
	f.Add([]byte("<a>\x81\x30\x81\x30</a>"), "", "big5")
	f.Fuzz(func(t *testing.T, body []byte, contentType, override string) {
		out, err := DecodeXML(body, contentType, override)
		if err != nil {
			if override == "" {
				t.Fatalf("DecodeXML without override failed: %v", err)
			}
			return
		}
		if override == "" {
			checkDecoded(t, body, out)
		} else if !utf8.Valid(out) || bytes.IndexFunc(out, forbidden) >= 0 {
			t.Fatalf("bad output %q", out)
		}
	})
}

func FuzzDecodeHTML(f *testing.F) {
	for _, s := range charsetSeeds(f) {
		f.Add(s, "text/html", "")
	}
	f.Add([]byte(`<meta charset="gb2312"><p>人民网</p>`), "", "")
	f.Add([]byte("<html><head><meta charset=utf-16></head>\xff\xfe"), "text/html; charset=x-user-defined", "")
	f.Fuzz(func(t *testing.T, body []byte, contentType, override string) {
		out, err := DecodeHTML(body, contentType, override)
		if err != nil {
			if override == "" {
				t.Fatalf("DecodeHTML without override failed: %v", err)
			}
			return
		}
		if !utf8.Valid(out) || bytes.IndexFunc(out, forbidden) >= 0 {
			t.Fatalf("bad output %q", out)
		}
	})
}

// TestIndexForbidden holds the word-at-a-time scan to the rune-by-rune
// definition, at every position of a forbidden character around word
// boundaries and among full-width punctuation.
func TestIndexForbidden(t *testing.T) {
	text := "，新华社北京电：（记者）\t\n\r“引号”。" // U+FF0C, U+FF1A, U+FF08/09 begin with 0xEF
	for _, bad := range []string{"\x00", "\x01", "\x1f", "\uFFFE", "\uFFFF"} {
		for i := 0; i <= len(text); i++ {
			if !utf8.ValidString(text[:i]) {
				continue
			}
			s := text[:i] + bad + text[i:]
			want := strings.IndexFunc(s, forbidden)
			if got := indexForbidden(s); got != want {
				t.Errorf("indexForbidden(%q) = %d, want %d", s, got, want)
			}
			if got := indexForbidden([]byte(s)); got != want {
				t.Errorf("indexForbidden([]byte(%q)) = %d, want %d", s, got, want)
			}
		}
	}
	for i := range len(text) {
		if got := indexForbidden(text[i:]); got != -1 {
			t.Errorf("indexForbidden(%q) = %d, want -1", text[i:], got)
		}
	}
}

func FuzzIndexForbidden(f *testing.F) {
	f.Add("，新华社北京电\uFFFF：（记者）\x00")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		if got, want := indexForbidden(s), strings.IndexFunc(s, forbidden); got != want {
			t.Errorf("indexForbidden(%q) = %d, want %d", s, got, want)
		}
	})
}
