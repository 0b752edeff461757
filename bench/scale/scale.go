// Package scale builds the hub of issue 4's scale target for yizhan's
// benchmarks: a million items of realistic Chinese articles (bench/feedgen)
// across 100 channels, through any hub.Store. bench/scale.sh and the
// benchmarks of this package use it; see docs/performance.md.
//
// scale imports hub and bench/feedgen only: the store is handed in.
package scale

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yizhan-hub/yizhan/bench/feedgen"
	"github.com/yizhan-hub/yizhan/hub"
)

// Hub is the configuration of the scale hub: channels c0…c(Channels-1) and
// sources s0…s(Sources-1), source i feeding channel i%Channels, and every
// tenth source a second one.
type Hub struct {
	Items    int
	Channels int
	Sources  int

	// Texts, when not empty, are the article HTML of the items in turn
	// (item i gets Texts[i%len(Texts)]) instead of feedgen's: real text,
	// to measure what it takes to store.
	Texts []string
}

// Default is issue 4's scale: a million items across 100 channels, fed by
// 300 sources.
var Default = Hub{Items: 1_000_000, Channels: 100, Sources: 300}

// Config returns the hub's channels and sources.
func (h Hub) Config() ([]hub.Channel, []hub.Source) {
	channels := make([]hub.Channel, h.Channels)
	for i := range channels {
		channels[i] = hub.Channel{ID: fmt.Sprint("c", i), Title: fmt.Sprintf("频道%d", i), Description: "基准频道"}
	}
	sources := make([]hub.Source, h.Sources)
	for i := range sources {
		chans := []string{fmt.Sprint("c", i%h.Channels)}
		if i%10 == 0 && h.Channels > 1 {
			chans = append(chans, fmt.Sprint("c", (i+37)%h.Channels))
		}
		sources[i] = hub.Source{
			ID: fmt.Sprint("s", i), Name: fmt.Sprintf("人民网 · 栏目%d", i), Kind: hub.KindFeed,
			URL: fmt.Sprintf("http://www.people.com.cn/rss/%d.xml", i), Channels: chans, Schedule: "@every 15m",
			Attribution: "人民日报", Copyright: "人民网版权所有", Enabled: true, Timezone: time.FixedZone("CST", 8*3600),
		}
	}
	return channels, sources
}

// Memberships is the hub's source → channels map, for Store.SyncSources.
func (h Hub) Memberships() map[string][]string {
	_, sources := h.Config()
	m := make(map[string][]string, len(sources))
	for _, s := range sources {
		m[s.ID] = s.Channels
	}
	return m
}

// batch is how many items of one source a SaveItems call stores while
// building: Sources×batch items wait in memory.
const batch = 100

// Build stores the hub's items into an empty store, as their sources would
// have yielded them: item i belongs to source i%Sources, is article i of
// feedgen's feed of that source, sanitized form, about 3 KB, and items are
// a few minutes apart, so that channels interleave their sources. progress,
// if not nil, is called after each batch with the items stored so far.
func (h Hub) Build(ctx context.Context, store hub.Store, progress func(done int)) error {
	if err := store.SyncSources(ctx, h.Memberships()); err != nil {
		return err
	}
	_, sources := h.Config()
	pending := make(map[string][]hub.Item, len(sources))
	now := time.Now()
	flush := func(src string) error {
		if _, err := store.SaveItems(ctx, src, pending[src], now); err != nil {
			return err
		}
		pending[src] = pending[src][:0]
		return nil
	}
	for i := range h.Items {
		s := sources[i%len(sources)]
		a := feedgen.NewArticle(i%len(sources), i/len(sources))
		if len(h.Texts) > 0 {
			a.HTML = h.Texts[i%len(h.Texts)]
		}
		pending[s.ID] = append(pending[s.ID], hub.Item{
			SourceID: s.ID, Key: a.GUID, URL: a.Link, Title: a.Title,
			Summary:   strings.ReplaceAll(a.HTML, `src="/`, `src="http://www.people.com.cn/`),
			Published: feedgen.Base.Add(-time.Duration(h.Items-i) * 30 * time.Second),
			Attribution: hub.Attribution{
				Credit: "人民日报", CreditURL: "http://paper.people.com.cn/", Via: s.Name,
				Author: a.Author, Copyright: s.Copyright,
			},
		})
		if len(pending[s.ID]) == batch {
			if err := flush(s.ID); err != nil {
				return err
			}
			if progress != nil {
				progress(i + 1)
			}
		}
	}
	for _, s := range sources {
		if len(pending[s.ID]) > 0 {
			if err := flush(s.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
