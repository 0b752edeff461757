// Command scaledb builds the hub of issue 4's scale target (bench/scale): a
// SQLite database of -items items across 100 channels and a config.toml
// serving it, its sources disabled so that `yizhan serve` fetches nothing.
//
//	scaledb -db /tmp/scale.db -config /tmp/scale.toml
//
// With -texts DIR,DIR… the articles are real Chinese text instead of
// feedgen's: the article bodies that sources reads from the HTML pages and
// the feed items under the directories (the cn-html and chardet-cjk-feeds
// corpora), run together in file order until each is at least -text-size
// bytes, about as long as feedgen's articles by default (see realTexts).
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/bench/scale"
	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
	"github.com/yizhan-hub/yizhan/sources"
)

func main() {
	db := flag.String("db", "scale.db", "SQLite file to create")
	config := flag.String("config", "scale.toml", "config.toml to write")
	listen := flag.String("listen", "127.0.0.1:18390", "hub.listen of the config")
	h := scale.Default
	flag.IntVar(&h.Items, "items", h.Items, "items")
	flag.IntVar(&h.Channels, "channels", h.Channels, "channels")
	flag.IntVar(&h.Sources, "sources", h.Sources, "sources")
	texts := flag.String("texts", "", "directories (comma-separated) of real HTML pages and feeds to take the articles from")
	textSize := flag.Int("text-size", 2640, "with -texts, the size of an article in bytes")
	flag.Parse()

	if *texts != "" {
		var err error
		if h.Texts, err = realTexts(*texts, *textSize); err != nil {
			log.Fatal(err)
		}
		n := 0
		for _, t := range h.Texts {
			n += len(t)
		}
		log.Printf("%d real articles of %d bytes on average", len(h.Texts), n/len(h.Texts))
	}

	if err := writeConfig(*config, *db, *listen, h); err != nil {
		log.Fatal(err)
	}
	if _, err := os.Stat(*db); err == nil {
		log.Printf("%s exists: kept", *db)
		return
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, *db)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	err = h.Build(ctx, store, func(done int) {
		if done%100_000 < 500 {
			log.Printf("%d items, %v", done, time.Since(start).Round(time.Second))
		}
	})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*db)
		log.Fatal(err)
	}
	log.Printf("%d items in %v", h.Items, time.Since(start).Round(time.Second))
}

func writeConfig(path, db, listen string, h scale.Hub) error {
	var b strings.Builder
	fmt.Fprintf(&b, "[hub]\ntitle = \"驿站规模基准\"\nbase_url = \"http://%s\"\nlisten = %q\ndatabase = %q\n\n", listen, listen, db)
	channels, sources := h.Config()
	for _, c := range channels {
		fmt.Fprintf(&b, "[[channel]]\nid = %q\ntitle = %q\ndescription = %q\n\n", c.ID, c.Title, c.Description)
	}
	for _, s := range sources {
		fmt.Fprintf(&b, "[[source]]\nid = %q\nname = %q\nkind = \"feed\"\nurl = %q\nchannels = [%q", s.ID, s.Name, s.URL, s.Channels[0])
		for _, c := range s.Channels[1:] {
			fmt.Fprintf(&b, ", %q", c)
		}
		fmt.Fprintf(&b, "]\nschedule = %q\nattribution = %q\ncopyright = %q\nenabled = false\n\n", s.Schedule, s.Attribution, s.Copyright)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// realTexts reads the article bodies of the HTML pages (*.html) and the
// item contents of the feeds (*.xml) under the comma-separated dirs, runs
// them together in file order and cuts them into articles of size bytes
// (less the rest of a character), and returns those. A cut may fall inside
// a tag: these articles are for measuring storage, not for reading.
func realTexts(dirs string, size int) ([]string, error) {
	var bodies []string
	page, _ := url.Parse("http://www.example.com/a.html")
	loc := time.FixedZone("CST", 8*3600)
	walk := func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".html":
			if it, err := sources.ExtractArticle(b, page, &hub.HTMLRules{}, loc); err == nil {
				bodies = append(bodies, it.Content)
			}
		case ".xml":
			items, err := sources.ParseFeed(b, "", "http://www.example.com/feed.xml", hub.Source{ID: "x"})
			if err != nil {
				return nil // not every file of a corpus is a feed
			}
			for _, it := range items {
				bodies = append(bodies, it.Content+it.Summary)
			}
		}
		return nil
	}
	for dir := range strings.SplitSeq(dirs, ",") {
		if err := filepath.WalkDir(dir, walk); err != nil {
			return nil, fmt.Errorf("read texts: %w", err)
		}
	}
	var texts []string
	var cur []byte
	for _, b := range bodies {
		cur = append(cur, b...)
		for len(cur) >= size {
			cut := size
			for cut > 0 && !utf8.RuneStart(cur[cut]) {
				cut--
			}
			texts = append(texts, string(cur[:cut]))
			cur = cur[cut:]
		}
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("read texts: no article of %d bytes under %s", size, dirs)
	}
	return texts, nil
}
