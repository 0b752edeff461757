// Command genfeed writes RSS 2.0 feeds of realistic Chinese news items for
// yizhan's benchmarks: feed-0000.xml … in -dir, each with -items items, the
// newest -extra of them added on top of the previous run's items so that a
// rerun with -extra 5 looks like every upstream published five new articles.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var paragraphs = []string{
	"记者从国家发展改革委获悉，今年以来各地区各部门认真贯彻落实党中央、国务院决策部署，扎实推进高质量发展，经济运行总体平稳、稳中有进。",
	"据介绍，前三季度全国规模以上工业增加值同比增长百分之五点八，服务业生产指数增长百分之六点一，社会消费品零售总额保持较快增长。",
	"专家表示，随着一系列稳增长政策持续显效，市场需求逐步恢复，企业预期不断改善，为全年经济社会发展目标的实现奠定了坚实基础。",
	"下一步，有关部门将继续加大宏观政策实施力度，着力扩大国内需求，推动消费从疫后恢复转向持续扩大，更好发挥投资的关键作用。",
	"与此同时，各地因地制宜发展新质生产力，加快传统产业转型升级，培育壮大战略性新兴产业，不断增强经济发展的内生动力和活力。",
	"在民生领域，就业形势总体稳定，城镇调查失业率稳中有降，居民收入增长与经济增长基本同步，基本公共服务均等化水平持续提高。",
}

var titles = []string{"经济运行总体平稳稳中有进", "秋粮收购进度过半", "长江流域禁渔效果显现", "新能源汽车产销两旺", "多地出台措施促进消费", "科技创新赋能产业升级", "乡村振兴迈出坚实步伐", "生态环境质量持续改善"}

func main() {
	dir := flag.String("dir", "feeds", "output directory")
	n := flag.Int("feeds", 1000, "number of feeds")
	items := flag.Int("items", 50, "items per feed")
	extra := flag.Int("extra", 0, "new items on top of -items (the first run's items stay)")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for f := range *n {
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>人民网-频道%04d</title>
<link>http://www.people.com.cn/channel/%d/</link>
<description>人民网频道%04d的新闻</description>
`, f, f, f)
		total := *items + *extra
		for i := total - 1; i >= 0; i-- {
			pub := base.Add(time.Duration(i) * 7 * time.Minute)
			fmt.Fprintf(&b, `<item>
<title>%s（第%d期·%04d）</title>
<link>http://www.people.com.cn/n1/2026/%04d/c%d-%d.html</link>
<guid isPermaLink="false">people-%d-%d</guid>
<pubDate>%s</pubDate>
<source url="http://paper.people.com.cn/">人民日报</source>
<dc:creator>记者%s</dc:creator>
<description><![CDATA[`, titles[(f+i)%len(titles)], i, f, f, f, i, f, i, pub.Format("Mon, 02 Jan 2006 15:04:05")+" CST", []string{"李红军", "王小明", "张三", "赵敏"}[i%4])
			for p := range 6 {
				fmt.Fprintf(&b, "<p>%s</p>", paragraphs[(p+i+f)%len(paragraphs)])
			}
			fmt.Fprintf(&b, `<p><img src="/img/%d/%d.jpg" alt="图片"></p>]]></description>
</item>
`, f, i)
		}
		b.WriteString("</channel>\n</rss>\n")
		name := filepath.Join(*dir, fmt.Sprintf("feed-%04d.xml", f))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
