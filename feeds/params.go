package feeds

import (
	"net/url"
	"strings"
)

// indexParam is one query parameter as the index page lists it, with an
// example on one of the hub's own feeds.
type indexParam struct {
	Name, Meaning string
	URL           string // escaped, for href
	Text          string // as a person reads and types it
}

// queryParamDocs are the query parameters of every feed, with an example
// query each (unescaped), in the order the index page lists them. README.md
// lists the same.
var queryParamDocs = []struct{ name, meaning, example string }{
	{paramLimit, "只取最新 N 条（1 至 feed_size）", "limit=10"},
	{paramFilter, "标题或正文匹配 RE2 正则才保留", "filter=习近平|国务院"},
	{paramFilter + "_title", "只看标题", "filter_title=^习近平"},
	{paramFilter + "_description", "只看正文（不含署名脚注）", "filter_description=乡村振兴"},
	{paramFilter + "_author", "只看作者", "filter_author=李红军"},
	{paramFilter + "_category", "只看分类", "filter_category=时政"},
	{paramFilterOut, "标题或正文匹配则去掉；另有 filterout_title、filterout_description、filterout_author、filterout_category", "filterout=视频|图集"},
	{paramCaseSensitive, "false：以上正则不区分大小写（默认区分）", "filter=apec|g20&filter_case_sensitive=false"},
	{paramFilterTime, "只保留最近 N 秒内发布的", "filter_time=86400"},
	{paramSource, "只保留这些来源（来源 id，逗号分隔）", "source=people-politics"},
	{paramCredit, "只保留署名此发布者的", "credit=人民日报"},
	{paramBrief, "摘要改为正文前 N 个字（100 至 2000），无标记", "brief=140"},
	{paramOpenCC, "简繁转换：s2t、t2s、s2tw、tw2s、s2hk、hk2s", "opencc=s2tw"},
}

// queryExamples lists the query parameters with examples on the channel
// named example, else the first configured, else the ticker.
func queryExamples(cfg *config, example string) []indexParam {
	ch := cfg.channels[example]
	if ch == nil || ch.id == LatestID {
		ch = cfg.latest
		if len(cfg.order) > 0 {
			ch = cfg.order[0]
		}
	}
	base := cfg.feedURL(ch.id, formatRSS, 0)
	out := make([]indexParam, 0, len(queryParamDocs))
	for _, d := range queryParamDocs {
		q, _ := url.ParseQuery(d.example)
		// Encode sorts; keep the example's order for people.
		var esc []string
		for pair := range strings.SplitSeq(d.example, "&") {
			k, _, _ := strings.Cut(pair, "=")
			esc = append(esc, url.QueryEscape(k)+"="+url.QueryEscape(q.Get(k)))
		}
		out = append(out, indexParam{
			Name:    d.name,
			Meaning: d.meaning,
			URL:     base + "?" + strings.Join(esc, "&"),
			Text:    base + "?" + d.example,
		})
	}
	return out
}
