package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// paragraph is a realistic run of Chinese news prose (about 140 characters).
const paragraph = "新华社北京3月1日电 国务院新闻办公室1日举行新闻发布会,介绍推动高质量发展的有关情况。" +
	"会上有关负责人表示,今年以来各地区各部门坚持稳中求进工作总基调,完整准确全面贯彻新发展理念," +
	"加快构建新发展格局,经济运行总体平稳、稳中有进,就业和物价形势基本稳定,民生保障有力有效。"

// newsItem returns item n of src as a feed would give it: about 2 KB of
// HTML content, a summary, categories and attribution.
func newsItem(src string, n int, published time.Time) hub.Item {
	var content strings.Builder
	for p := 0; content.Len() < 2000; p++ {
		fmt.Fprintf(&content, "<p>%d. %s</p>\n", p+1, paragraph[(n*3+p*9)%90:])
	}
	return hub.Item{
		SourceID:   src,
		Key:        fmt.Sprintf("http://politics.people.com.cn/n1/2025/0301/c1001-%08d.html", n),
		URL:        fmt.Sprintf("http://politics.people.com.cn/n1/2025/0301/c1001-%08d.html", n),
		Title:      fmt.Sprintf("国务院新闻办公室举行新闻发布会 介绍推动高质量发展情况(%d)", n),
		Summary:    "<p>" + paragraph[:180] + "</p>",
		Content:    content.String(),
		Image:      fmt.Sprintf("http://politics.people.com.cn/NMediaFile/2025/0301/%d.jpg", n),
		Categories: []string{"时政", "要闻"},
		Published:  published,
		Attribution: hub.Attribution{
			Credit:    "新华社",
			CreditURL: "http://www.xinhuanet.com/",
			Via:       "人民网 · 时政",
			Author:    "责任编辑:张三",
			Copyright: "人民网版权所有,未经书面授权禁止使用",
		},
	}
}

// BenchmarkSaveItems saves 50-item batches, as one fetch of a feed does.
// Run it on one core: go test -run '^$' -bench SaveItems -cpu 1 ./hub/sqlite
func BenchmarkSaveItems(b *testing.B) {
	const batchSize = 50
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	batch := func(src string, first int) []hub.Item {
		items := make([]hub.Item, batchSize)
		for i := range items {
			items[i] = newsItem(src, first+i, base.Add(time.Duration(first+i)*time.Minute))
		}
		return items
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "items/s")
	}

	b.Run("new", func(b *testing.B) {
		db := openTest(b)
		// Build the batches beforehand: only the store is measured.
		batches := make([][]hub.Item, b.N)
		for i := range batches {
			batches[i] = batch("s", i*batchSize)
		}
		b.ResetTimer()
		for i := range b.N {
			res, err := db.SaveItems(b.Context(), "s", batches[i], base)
			if err != nil || res.New != batchSize {
				b.Fatalf("SaveItems = %+v, %v; want %d new", res, err, batchSize)
			}
		}
		report(b)
	})
	b.Run("unchanged", func(b *testing.B) {
		db := openTest(b)
		items := batch("s", 0)
		if _, err := db.SaveItems(b.Context(), "s", items, base); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			res, err := db.SaveItems(b.Context(), "s", items, base)
			if err != nil || res.Unchanged != batchSize {
				b.Fatalf("SaveItems = %+v, %v; want %d unchanged", res, err, batchSize)
			}
		}
		report(b)
	})
	b.Run("updated", func(b *testing.B) {
		db := openTest(b)
		versions := [2][]hub.Item{batch("s", 0), batch("s", 0)}
		for i := range versions[1] {
			versions[1][i].Title += "(更新)"
		}
		if _, err := db.SaveItems(b.Context(), "s", versions[0], base); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			res, err := db.SaveItems(b.Context(), "s", versions[(i+1)%2], base)
			if err != nil || res.Updated != batchSize {
				b.Fatalf("SaveItems = %+v, %v; want %d updated", res, err, batchSize)
			}
		}
		report(b)
	})
}

// Scale of BenchmarkChannelItems: issue 4's million items over 100 channels.
const (
	benchItems    = 1_000_000
	benchChannels = 100
	benchSources  = 300 // source i feeds channel i%100; every tenth also feeds another
)

// BenchmarkChannelItems reads the newest items of one channel, and the
// latest ticker, from a database of a million items, and saves into it.
//
//	go test -run '^$' -bench ChannelItems -benchtime 2000x -v ./hub/sqlite
//
// Building the database takes a minute or two; with YIZHAN_BENCH_DB=FILE it
// is built there once and reused by later runs.
func BenchmarkChannelItems(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a database of a million items; skipped with -short")
	}
	path := os.Getenv("YIZHAN_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench.db")
	}
	start := time.Now()
	db := openBenchDB(b, path)
	b.Logf("%s: %.0f MB, ready in %v", path, float64(fileSize(path)+fileSize(path+"-wal"))/1e6,
		time.Since(start).Round(time.Millisecond))

	for _, tt := range []struct {
		name    string
		channel func(i int) string
		limit   int
	}{
		{"channel-50", func(i int) string { return fmt.Sprint("c", i%benchChannels) }, 50},
		{"channel-1", func(i int) string { return fmt.Sprint("c", i%benchChannels) }, 1},
		{"latest-15", func(int) string { return "" }, 15},
		{"latest-50", func(int) string { return "" }, 50},
	} {
		b.Run(tt.name, func(b *testing.B) {
			for i := range b.N {
				items, err := db.Items(b.Context(), hub.Query{Channel: tt.channel(i), Limit: tt.limit})
				if err != nil || len(items) != tt.limit {
					b.Fatalf("Items = %d items, %v; want %d", len(items), err, tt.limit)
				}
			}
		})
	}
	b.Run("save-50-new", func(b *testing.B) {
		base := time.Now().UTC()
		run := int(base.UnixNano() % 1e12) // new keys, even in a reused database
		for i := range b.N {
			items := make([]hub.Item, 50)
			for j := range items {
				items[j] = newsItem("s7", run+i*50+j, base.Add(time.Duration(i*50+j)*time.Second))
			}
			res, err := db.SaveItems(b.Context(), "s7", items, base)
			if err != nil || res.New != 50 {
				b.Fatalf("SaveItems = %+v, %v; want 50 new", res, err)
			}
		}
		b.ReportMetric(float64(b.N*50)/b.Elapsed().Seconds(), "items/s")
	})
}

// openBenchDB opens the benchmark database at path, building it first if
// the file does not exist.
func openBenchDB(b *testing.B, path string) *DB {
	b.Helper()
	if _, err := os.Stat(path); err == nil {
		db, err := Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}
	return buildBenchDB(b, path)
}

// buildBenchDB fills a new database with benchItems items of benchSources
// sources, their dates spread at random over a year, through SQL that
// generates the rows itself: SaveItems would take minutes.
func buildBenchDB(b *testing.B, path string) *DB {
	b.Helper()
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })

	channels := map[string][]string{}
	for i := range benchSources {
		src := fmt.Sprint("s", i)
		channels[src] = []string{fmt.Sprint("c", i%benchChannels)}
		if i%10 == 0 {
			channels[src] = append(channels[src], fmt.Sprint("c", (i+37)%benchChannels))
		}
	}
	if err := db.SyncSources(ctx, channels); err != nil {
		b.Fatal(err)
	}

	// The writer has one connection, so this cache size stays with it.
	if _, err := db.w.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat(paragraph, 8) // about 1,100 characters, 3.4 KB
	year := int64(365 * 24 * time.Hour)
	first := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	const chunk = 50_000
	for from := 0; from < benchItems; from += chunk {
		_, err := db.w.ExecContext(ctx, `
			WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2),
			d(i, date) AS (SELECT i, ?3 + abs(random()) % ?4 FROM n)
			INSERT INTO items (source_id, key, hash, first_seen, published, updated, sort_date,
				url, title, image, categories, credit, credit_url, via, author, copyright, summary, content)
			SELECT 's' || (i % ?5), 'http://example.com/' || i || '.html', randomblob(16), ?3, date, NULL, date,
				'http://example.com/' || i || '.html', substr(?6, 1 + i % 100, 30), '', '["时政"]',
				'人民日报', '', '人民网', '', '人民网版权所有', substr(?6, 1 + i % 200, 80),
				'<p>' || substr(?6, 1 + i % 300, 650) || '</p>'
			FROM d`,
			from, from+chunk, first, year, benchSources, text)
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	return db
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
