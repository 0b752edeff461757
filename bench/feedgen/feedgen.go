// Package feedgen writes RSS 2.0 feeds of realistic Chinese news items for
// yizhan's benchmarks (bench/genfeed, bench/ingest, bench/scale): every item
// has its own title and about 3 KB of article HTML made of common news words,
// so that it compresses about as well as real Chinese prose does (about 3:1),
// not 30:1 as a repeated paragraph would.
//
// The output depends only on the arguments: item i of feed f is the same
// bytes in every run, so a feed generated again with more items on top looks,
// to a fetcher, like an upstream that published new articles.
//
// feedgen imports the standard library only.
package feedgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// words are common words of Chinese political and economic news.
var words = strings.Fields(`
	记者 国务院 新华社 人民日报 发展 改革 经济 社会 建设 推进 加快 坚持 全面 深化
	高质量 现代化 创新 协调 绿色 开放 共享 安全 稳定 增长 就业 消费 投资 出口
	产业 企业 市场 政策 措施 部署 落实 贯彻 党中央 习近平 总书记 重要 讲话 精神
	会议 强调 指出 表示 介绍 据悉 今年以来 前三季度 同比 增长 百分点 亿元 万人
	乡村振兴 脱贫攻坚 生态环境 长江 黄河 粮食 农业 农村 农民 城市 基层 治理 民生
	教育 医疗 养老 住房 交通 能源 科技 数字 人工智能 制造业 服务业 新能源 汽车
	基础设施 项目 资金 财政 金融 银行 货币 信贷 税收 减税降费 营商环境 民营经济
	中小微企业 外资 贸易 合作 国际 全球 一带一路 对外开放 自贸区 区域 协同 京津冀
	长三角 粤港澳 大湾区 省 市 县 地区 部门 单位 群众 人民 群众路线 获得感 幸福感
	安全感 法治 依法 监督 检查 整改 问题 风险 挑战 机遇 形势 目标 任务 工作 成效
	进展 成果 经验 做法 举措 方案 意见 通知 规划 纲要 行动 计划 工程 体系 机制
	能力 水平 质量 效益 结构 布局 转型 升级 培育 壮大 新质生产力 动能 活力 韧性
	统筹 兼顾 有序 有力 有效 扎实 稳步 持续 不断 进一步 切实 积极 主动 及时 精准
	`)

// punct ends clauses and sentences, weighted towards the comma.
var punct = []string{"，", "，", "，", "，", "。", "。", "；", "、"}

var titleWords = strings.Fields(`
	经济运行总体平稳 秋粮收购进度过半 长江流域禁渔效果显现 新能源汽车产销两旺
	多地出台措施促进消费 科技创新赋能产业升级 乡村振兴迈出坚实步伐 生态环境质量持续改善
	稳就业政策持续发力 外贸进出口保持增长 基层治理能力不断提升 重大项目建设加快推进
	`)

var authors = []string{"李红军", "王小明", "张三", "赵敏", "刘洋", "陈静", "杨帆", "黄磊"}

// Base is the publication time of item 0; item i is published i×7 minutes later.
var Base = time.Date(2026, 11, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

// rng returns the random source of item i of feed f.
func rng(f, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(f)<<32|uint64(uint32(i)), 0x79697a68616e))
}

// sentence appends about n characters of prose to b.
func sentence(b *strings.Builder, r *rand.Rand, n int) {
	for written := 0; written < n; {
		w := words[r.IntN(len(words))]
		b.WriteString(w)
		written += len([]rune(w))
		if r.IntN(4) == 0 {
			b.WriteString(punct[r.IntN(len(punct))])
			written++
		}
	}
	b.WriteString("。")
}

// Article is item i of feed f, field by field.
type Article struct {
	Title     string
	Link      string
	GUID      string
	Author    string
	Published time.Time
	HTML      string // six paragraphs and an image with a relative src
}

// NewArticle returns item i of feed f.
func NewArticle(f, i int) Article {
	r := rng(f, i)
	var b strings.Builder
	b.Grow(4 << 10)
	a := Article{
		Link:      fmt.Sprintf("http://www.people.com.cn/n1/2026/%04d/c%d-%d.html", f%10000, f, i),
		GUID:      fmt.Sprintf("people-%d-%d", f, i),
		Published: Base.Add(time.Duration(i) * 7 * time.Minute),
	}
	b.WriteString(titleWords[r.IntN(len(titleWords))])
	b.WriteString("：")
	sentence(&b, r, 12)
	fmt.Fprintf(&b, "（%04d-%d）", f, i)
	a.Title = b.String()
	a.Author = "记者" + authors[r.IntN(len(authors))]
	b.Reset()
	for p := range 6 {
		b.WriteString("<p>")
		sentence(&b, r, 140)
		b.WriteString("</p>")
		if p == 2 {
			fmt.Fprintf(&b, `<p><img src="/img/%d/%d.jpg" alt="图片"></p>`, f, i)
		}
	}
	a.HTML = b.String()
	return a
}

// Item returns item i of feed f as an RSS <item> element: a title, link,
// non-permalink guid, a pubDate in CST, an RSS <source>, dc:creator, and a
// description of six paragraphs and an image in CDATA.
func Item(f, i int) string {
	a := NewArticle(f, i)
	var b strings.Builder
	b.Grow(len(a.HTML) + 1024)
	fmt.Fprintf(&b, "<item>\n<title>%s</title>\n", a.Title)
	fmt.Fprintf(&b, "<link>%s</link>\n", a.Link)
	fmt.Fprintf(&b, "<guid isPermaLink=\"false\">%s</guid>\n", a.GUID)
	fmt.Fprintf(&b, "<pubDate>%s CST</pubDate>\n", a.Published.Format("Mon, 02 Jan 2006 15:04:05"))
	b.WriteString("<source url=\"http://paper.people.com.cn/\">人民日报</source>\n")
	fmt.Fprintf(&b, "<dc:creator>%s</dc:creator>\n", a.Author)
	b.WriteString("<description><![CDATA[")
	b.WriteString(a.HTML)
	b.WriteString("]]></description>\n</item>\n")
	return b.String()
}

// RSS returns feed f holding items first to first+n-1, newest (highest
// number) first, under a channel header whose lastBuildDate is built.
func RSS(f, first, n int, built time.Time) []byte {
	var b strings.Builder
	b.Grow(n*3500 + 512)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>人民网-频道%04d</title>
<link>http://www.people.com.cn/channel/%d/</link>
<description>人民网频道%04d的新闻</description>
<language>zh-cn</language>
<lastBuildDate>%s</lastBuildDate>
`, f, f, f, built.UTC().Format(time.RFC1123Z))
	for i := first + n - 1; i >= first; i-- {
		b.WriteString(Item(f, i))
	}
	b.WriteString("</channel>\n</rss>\n")
	return []byte(b.String())
}
