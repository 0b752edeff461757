package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// article is about the size and make of a Chinese news article's HTML.
var article = strings.Repeat("<p>国务院常务会议部署推进高质量发展，强调稳就业、促消费、扩大有效投资。</p>\n", 30)

func TestPack(t *testing.T) {
	random := make([]byte, 2000) // does not compress
	x := uint64(0x9e3779b97f4a7c15)
	for i := range random {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		random[i] = byte(x)
	}
	tests := []struct {
		name             string
		summary, content string
		packed           bool
	}{
		{"empty", "", "", false},
		{"short", "摘要", "<p>正文</p>", false},
		{"just under packMin", strings.Repeat("a", 100), strings.Repeat("b", packMin-101), false},
		{"packMin", strings.Repeat("a", 100), strings.Repeat("b", packMin-100), true},
		{"content", "", article, true},
		{"summary", article, "", true},
		{"both", article[:600], article, true},
		{"incompressible", "", string(random), false},
	}
	var p packer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := p.pack(tt.summary, tt.content)
			if (b != nil) != tt.packed {
				t.Fatalf("pack: packed = %v, want %v", b != nil, tt.packed)
			}
			if b == nil {
				return
			}
			if n := len(tt.summary) + len(tt.content); len(b) > n-n/8 {
				t.Errorf("packed %d bytes into %d: not an eighth smaller", n, len(b))
			}
			summary, content, err := unpack(b)
			if err != nil {
				t.Fatalf("unpack: %v", err)
			}
			if summary != tt.summary || content != tt.content {
				t.Errorf("unpack = %d and %d bytes, want %d and %d, equal",
					len(summary), len(content), len(tt.summary), len(tt.content))
			}
		})
	}
}

func TestUnpackRefusesDamage(t *testing.T) {
	var p packer
	good := append([]byte(nil), p.pack("导语", article)...)
	for _, tt := range []struct {
		name   string
		packed []byte
	}{
		{"empty", nil},
		{"unknown format", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)/2]},
		{"format byte only", good[:1]},
		{"summary longer than the text", append([]byte{packS2}, []byte{0x03, 0x08, 0xff, 0x01, 0x41}...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if s, c, err := unpack(tt.packed); err == nil {
				t.Errorf("unpack = %q, %q, nil error; want an error", s, c)
			}
		})
	}
}

// TestSaveItemsPacks checks that SQLite stores long texts packed, short ones
// as text, and that a packed row is found damaged rather than read wrong.
func TestSaveItemsPacks(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	if err := db.SyncSources(ctx, map[string][]string{"s": {"c"}}); err != nil {
		t.Fatal(err)
	}
	long := hub.Item{Key: "long", Title: "长文", Summary: "导语", Content: article}
	short := hub.Item{Key: "short", Title: "短讯", Summary: "摘要", Content: "<p>正文</p>"}
	if _, err := db.SaveItems(ctx, "s", []hub.Item{long, short}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	stored := func(key string) (summary, content string, packed []byte) {
		t.Helper()
		err := db.r.QueryRowContext(ctx, `SELECT summary, content, packed FROM items WHERE key = ?`, key).
			Scan(&summary, &content, &packed)
		if err != nil {
			t.Fatal(err)
		}
		return summary, content, packed
	}
	if s, c, p := stored("long"); s != "" || c != "" || len(p) == 0 || len(p) > len(article)*3/4 {
		t.Errorf("long item stored as summary %d, content %d, packed %d bytes; want only packed, under 3/4 of %d",
			len(s), len(c), len(p), len(article))
	}
	if s, c, p := stored("short"); s != short.Summary || c != short.Content || len(p) != 0 {
		t.Errorf("short item stored as %q, %q, packed %d bytes; want text", s, c, len(p))
	}

	if _, err := db.w.ExecContext(ctx, `UPDATE items SET packed = x'0100' WHERE key = 'long'`); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Items(ctx, hub.Query{Channel: "c", Limit: 10}); err == nil {
		t.Errorf("Items over a damaged packed row = %d items, nil error; want an error", len(got))
	}
}

func FuzzUnpack(f *testing.F) {
	var p packer
	f.Add(append([]byte(nil), p.pack("导语", article)...))
	f.Add([]byte{packS2})
	f.Add([]byte{packS2, 0x03, 0x08, 0xff, 0x01, 0x41})
	f.Fuzz(func(t *testing.T, b []byte) {
		summary, content, err := unpack(b)
		if err != nil {
			return
		}
		// Whatever unpacks, packs and unpacks to the same again.
		if again := p.pack(summary, content); again != nil {
			s, c, err := unpack(again)
			if err != nil || s != summary || c != content {
				t.Fatalf("repack of %q, %q: %q, %q, %v", summary, content, s, c, err)
			}
		}
	})
}
