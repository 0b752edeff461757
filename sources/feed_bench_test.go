package sources

import (
	"bytes"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// BenchmarkIngestFeed measures ParseFeed on a realistic 50-item Chinese RSS
// (155 KB: content:encoded with paragraphs, images, links and a script,
// <source>, dc:creator, CST dates) from memory: charset conversion, gofeed,
// date parsing, sanitizing and attribution. Run with
//
//	go test ./sources -run '^$' -bench BenchmarkIngestFeed -benchmem -cpu 1
func BenchmarkIngestFeed(b *testing.B) {
	utf8Body := readFixture(b, "people_politics_50_items.xml")
	gbkBody, err := simplifiedchinese.GBK.NewEncoder().Bytes(bytes.Replace(utf8Body, []byte(`encoding="UTF-8"`), []byte(`encoding="GBK"`), 1))
	if err != nil {
		b.Fatal(err)
	}
	src := testSource(b, "http://www.people.com.cn/rss/politics.xml")
	for _, bc := range []struct {
		name        string
		body        []byte
		contentType string
	}{
		{"utf8", utf8Body, "application/rss+xml; charset=utf-8"},
		{"gbk", gbkBody, "text/xml"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			items, err := ParseFeed(bc.body, bc.contentType, src.URL, src)
			if err != nil || len(items) != 50 {
				b.Fatalf("ParseFeed: %d items, %v", len(items), err)
			}
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := ParseFeed(bc.body, bc.contentType, src.URL, src); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(items))/b.Elapsed().Seconds(), "items/s")
		})
	}
}
