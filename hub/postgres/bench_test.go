package postgres

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// paragraph is a run of Chinese news prose (about 140 characters).
const paragraph = "新华社北京3月1日电 国务院新闻办公室1日举行新闻发布会,介绍推动高质量发展的有关情况。" +
	"会上有关负责人表示,今年以来各地区各部门坚持稳中求进工作总基调,完整准确全面贯彻新发展理念," +
	"加快构建新发展格局,经济运行总体平稳、稳中有进,就业和物价形势基本稳定,民生保障有力有效。"

// newsItem returns item n of src as a feed would give it: about 2 KB of
// HTML content, a summary, categories and attribution (as hub/sqlite's
// benchmark has it).
func newsItem(src string, n int, published time.Time) hub.Item {
	var content strings.Builder
	for p := 0; content.Len() < 2000; p++ {
		fmt.Fprintf(&content, "<p>%d. %s</p>\n", p+1, paragraph[(n*3+p*9)%90:])
	}
	return hub.Item{
		SourceID:   src,
		Key:        fmt.Sprintf("http://politics.people.com.cn/n1/2025/0301/c1001-%s-%08d.html", src, n),
		URL:        fmt.Sprintf("http://politics.people.com.cn/n1/2025/0301/c1001-%s-%08d.html", src, n),
		Title:      fmt.Sprintf("国务院新闻办公室举行新闻发布会 介绍推动高质量发展情况(%s %d)", src, n),
		Summary:    "<p>" + paragraph[:180] + "</p>",
		Content:    content.String(),
		Categories: []string{"时政", "要闻"},
		Published:  published,
		Attribution: hub.Attribution{
			Credit:    "新华社",
			Via:       "人民网 · 时政",
			Copyright: "人民网版权所有,未经书面授权禁止使用",
		},
	}
}

// BenchmarkSaveItems saves 50-item batches of new items, as the first fetch
// of a feed does: one source at a time, and 8 sources at once as
// `yizhan fetch` runs them (bench/ingest.sh measures the whole sweep).
//
//	YIZHAN_TEST_POSTGRES=… go test -run '^$' -bench SaveItems ./hub/postgres
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
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprint("new-", workers), func(b *testing.B) {
			db := openTest(b)
			srcs := map[string][]string{}
			for w := range workers {
				srcs[fmt.Sprint("s", w)] = []string{"c"}
			}
			if err := db.SyncSources(b.Context(), srcs); err != nil {
				b.Fatal(err)
			}
			batches := make([][]hub.Item, b.N)
			for i := range batches {
				batches[i] = batch(fmt.Sprint("s", i%workers), i*batchSize)
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := w; i < b.N; i += workers {
						res, err := db.SaveItems(b.Context(), fmt.Sprint("s", w), batches[i], base)
						if err != nil || res.New != batchSize {
							b.Errorf("SaveItems = %+v, %v; want %d new", res, err, batchSize)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
