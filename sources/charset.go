package sources

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// DecodeXML converts a feed body to UTF-8 so that gofeed never decodes it
// again. The encoding is, in order: override (a source's configured
// encoding), a byte-order mark (UTF-8, UTF-16), the bytes themselves when they
// are valid UTF-8 (whatever the prolog claims), the XML prolog's label, the
// Content-Type header's charset, and GB18030 as the last resort. gb2312 and
// gbk are read as GB18030, their superset. The prolog's encoding is rewritten
// to UTF-8 and control characters XML forbids are removed.
func DecodeXML(body []byte, contentType, override string) ([]byte, error) {
	out, err := decode(body, contentType, override, guessXML)
	if err != nil {
		return nil, err
	}
	return stripForbidden(rewriteProlog(out)), nil
}

// decode converts body to UTF-8 by override, else by its byte-order mark,
// and when there is neither, by what guess makes of it: the steps that
// DecodeXML and DecodeHTML share.
func decode(body []byte, contentType, override string, guess func(body []byte, contentType string) ([]byte, error)) ([]byte, error) {
	if override != "" {
		enc, err := lookupEncoding(override)
		if err != nil {
			return nil, err
		}
		return decodeWith(enc, trimUTF8BOM(body))
	}
	if enc, n := bomEncoding(body); enc != nil {
		return decodeWith(enc, body[n:])
	}
	return guess(body, contentType)
}

// guessXML decodes a feed body that has no override and no byte-order mark.
func guessXML(body []byte, contentType string) ([]byte, error) {
	if utf16 := utf16NoBOM(body); utf16 != nil {
		return decodeWith(utf16, body)
	}
	if utf8.Valid(body) {
		return body, nil
	}
	for _, label := range []string{prologEncoding(body), contentTypeCharset(contentType)} {
		if label == "" {
			continue
		}
		enc, err := lookupEncoding(label)
		if err != nil {
			continue
		}
		if !isUTF(enc) {
			return decodeWith(enc, body)
		}
		if mostlyUTF8(body) {
			// UTF-8 with a few broken bytes: keep the rest.
			return decodeWith(enc, body)
		}
	}
	return fallback(body)
}

// fallback decodes bytes that are not valid UTF-8 and that no usable label
// names: UTF-8 with a few broken bytes stays UTF-8 (the bad bytes become
// U+FFFD), anything else is read as GB18030.
func fallback(body []byte) ([]byte, error) {
	if mostlyUTF8(body) {
		return decodeWith(unicode.UTF8, body)
	}
	return decodeWith(simplifiedchinese.GB18030, body)
}

// DecodeHTML converts an HTML page to UTF-8. The encoding is, in order:
// override, a byte-order mark, the Content-Type header's charset, a <meta
// charset> or http-equiv declaration anywhere in <head>, and GB18030 when the
// bytes are not valid UTF-8 and nothing is declared. A page whose bytes are
// valid UTF-8 but which declares a Chinese legacy charset (gb2312, gbk,
// gb18030, big5) is read as UTF-8: such pages lie, the bytes do not.
func DecodeHTML(body []byte, contentType, override string) ([]byte, error) {
	out, err := decode(body, contentType, override, guessHTML)
	if err != nil {
		return nil, err
	}
	return stripForbidden(out), nil
}

// guessHTML decodes a page that has no override and no byte-order mark.
func guessHTML(body []byte, contentType string) ([]byte, error) {
	valid := utf8.Valid(body)
	for _, label := range []string{contentTypeCharset(contentType), metaCharset(body)} {
		if label == "" {
			continue
		}
		enc, err := lookupEncoding(label)
		if err != nil {
			continue
		}
		if isUTF(enc) {
			if valid || mostlyUTF8(body) {
				return decodeWith(enc, body)
			}
			// Declared UTF-8 but mostly not: legacy bytes behind a wrong label.
			return decodeWith(simplifiedchinese.GB18030, body)
		}
		if valid && isCJKLegacy(enc) {
			return body, nil
		}
		return decodeWith(enc, body)
	}
	if valid {
		return body, nil
	}
	return fallback(body)
}

// CheckEncoding reports whether label names a charset the fetcher can decode,
// as a source's encoding setting: the configuration check calls it so that
// it accepts exactly what ingest does.
func CheckEncoding(label string) error {
	_, err := lookupEncoding(label)
	return err
}

// lookupEncoding finds an encoding by its label, WHATWG's first and IANA's
// second; gbk and gb2312 become GB18030.
func lookupEncoding(label string) (encoding.Encoding, error) {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	enc, err := htmlindex.Get(label)
	if err != nil || enc == nil {
		enc, err = ianaindex.IANA.Encoding(label)
		if err != nil || enc == nil {
			return nil, fmt.Errorf("unknown charset %q", label)
		}
	}
	if enc == simplifiedchinese.GBK {
		return simplifiedchinese.GB18030, nil
	}
	return enc, nil
}

func isUTF(enc encoding.Encoding) bool {
	return enc == unicode.UTF8 || enc == encoding.Nop || enc == unicode.UTF8BOM
}

func isCJKLegacy(enc encoding.Encoding) bool {
	switch enc {
	case simplifiedchinese.GB18030, simplifiedchinese.GBK, simplifiedchinese.HZGB2312, traditionalchinese.Big5:
		return true
	}
	return false
}

// mostlyUTF8 reports whether invalid bytes are the exception in b: more
// valid multi-byte sequences than invalid ones. Legacy CJK text almost never
// forms valid UTF-8 sequences, so it fails this test.
func mostlyUTF8(b []byte) bool {
	var good, bad int
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			bad++
		} else {
			good++
		}
		b = b[n:]
	}
	return good > bad
}

func decodeWith(enc encoding.Encoding, b []byte) ([]byte, error) {
	if isUTF(enc) {
		if utf8.Valid(b) {
			return b, nil
		}
		return bytes.ToValidUTF8(b, []byte("\uFFFD")), nil
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return nil, fmt.Errorf("decode charset: %w", err)
	}
	return out, nil
}

func trimUTF8BOM(b []byte) []byte {
	return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
}

// bomEncoding returns the encoding a byte-order mark names and the mark's length.
func bomEncoding(b []byte) (encoding.Encoding, int) {
	switch {
	case bytes.HasPrefix(b, []byte("\xef\xbb\xbf")):
		return unicode.UTF8, 3
	case bytes.HasPrefix(b, []byte("\x00\x00\xfe\xff")):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), 4
	case bytes.HasPrefix(b, []byte("\xff\xfe\x00\x00")):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), 4
	case bytes.HasPrefix(b, []byte("\xfe\xff")):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), 2
	case bytes.HasPrefix(b, []byte("\xff\xfe")):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), 2
	}
	return nil, 0
}

// utf16NoBOM recognises a UTF-16 or UTF-32 document without a byte-order
// mark by its first character, '<' or '{' (XML 1.0 appendix F).
func utf16NoBOM(b []byte) encoding.Encoding {
	if len(b) < 4 {
		return nil
	}
	switch {
	case b[0] == 0 && b[1] == 0 && b[2] == 0 && (b[3] == '<' || b[3] == '{'):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	case (b[0] == '<' || b[0] == '{') && b[1] == 0 && b[2] == 0 && b[3] == 0:
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	case b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0 && (b[1] == '<' || b[1] == '{'):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0 && (b[0] == '<' || b[0] == '{'):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	}
	return nil
}

var prologRe = regexp.MustCompile(`^\s*<\?xml\s[^>]*?\?>`)
var prologEncodingRe = regexp.MustCompile(`(?i)\sencoding\s*=\s*["']?([A-Za-z0-9._:\-]*)["']?`)

// prologEncoding returns the encoding label of an XML declaration, if any.
func prologEncoding(b []byte) string {
	p := prologRe.Find(b[:min(len(b), 1024)])
	if p == nil {
		return ""
	}
	if m := prologEncodingRe.FindSubmatch(p); m != nil {
		return string(m[1])
	}
	return ""
}

// rewriteProlog makes a UTF-8 document's XML declaration say so, and drops
// anything before it that would make it invalid.
func rewriteProlog(b []byte) []byte {
	b = trimUTF8BOM(b)
	loc := prologRe.FindIndex(b[:min(len(b), 1024)])
	if loc == nil {
		return b
	}
	p := b[loc[0]:loc[1]]
	if m := prologEncodingRe.FindSubmatchIndex(p); m != nil {
		if strings.EqualFold(string(p[m[2]:m[3]]), "utf-8") && loc[0] == 0 {
			return b
		}
		var nb []byte
		nb = append(nb, p[:m[0]]...)
		nb = append(nb, ` encoding="UTF-8"`...)
		nb = append(nb, p[m[1]:]...)
		return append(nb, b[loc[1]:]...)
	}
	if loc[0] == 0 {
		return b
	}
	return b[loc[0]:]
}

func contentTypeCharset(ct string) string {
	if ct == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		// Malformed headers still often carry a readable charset.
		if m := headerCharsetRe.FindStringSubmatch(ct); m != nil {
			return m[1]
		}
		return ""
	}
	return params["charset"]
}

var (
	headerCharsetRe = regexp.MustCompile(`(?i)charset\s*=\s*["']?([A-Za-z0-9._:\-]+)`)
	metaCharsetRe   = regexp.MustCompile(`(?i)<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)`)
	headEndRe       = regexp.MustCompile(`(?i)</head\s*>|<body[\s>]`)
)

// metaCharset finds a <meta charset> or http-equiv Content-Type declaration
// anywhere in the page's head (many Chinese CMSs put it after scripts and
// styles, beyond the 1024 bytes the HTML standard scans).
func metaCharset(b []byte) string {
	head := b[:min(len(b), 256<<10)]
	if loc := headEndRe.FindIndex(head); loc != nil {
		head = head[:loc[0]]
	}
	if m := metaCharsetRe.FindSubmatch(head); m != nil {
		return string(m[1])
	}
	return ""
}

// forbidden reports whether XML 1.0 forbids r in a document: C0 controls
// other than tab, newline and carriage return, and U+FFFE/U+FFFF.
func forbidden(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
}

// stripForbidden removes the characters XML forbids from valid UTF-8,
// returning b itself when there are none.
func stripForbidden(b []byte) []byte {
	i := indexForbidden(b)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:i]...)
	for _, r := range string(b[i:]) {
		if !forbidden(r) {
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

// indexForbidden is bytes.IndexFunc(b, forbidden), a byte scan rather than a
// rune decode: it runs over every body and every field we keep. It looks at
// eight bytes at a time, and byte by byte only at words holding a byte
// below 0x20 or an 0xEF (the lead byte of U+FFFE and U+FFFF, and of the
// full-width punctuation of Chinese text): a third of the time of a plain
// byte loop on Chinese articles.
func indexForbidden[T string | []byte](b T) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for i := 0; i+8 <= len(b); i += 8 {
		_ = b[i+7]
		x := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
		low := (x - 0x20*ones) &^ x & highs // a byte below 0x20
		y := x ^ 0xEF*ones
		ef := (y - ones) &^ y & highs // a byte 0xEF
		if low|ef != 0 {
			if j := indexForbiddenFrom(b, i, i+8); j >= 0 {
				return j
			}
		}
	}
	return indexForbiddenFrom(b, len(b)&^7, len(b))
}

// indexForbiddenFrom is indexForbidden of b[from:to], looking past to for
// the rest of a character that starts before it.
func indexForbiddenFrom[T string | []byte](b T, from, to int) int {
	for i := from; i < to; i++ {
		switch c := b[i]; {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return i
		case c == 0xEF && i+2 < len(b) && b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF):
			return i // U+FFFE, U+FFFF
		}
	}
	return -1
}

// cleanText removes the characters XML forbids from s.
func cleanText(s string) string {
	if indexForbidden(s) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if forbidden(r) {
			return -1
		}
		return r
	}, s)
}
