// Command scaledb builds the hub of issue 4's scale target (bench/scale): a
// SQLite database of -items items across 100 channels and a config.toml
// serving it, its sources disabled so that `yizhan serve` fetches nothing.
//
//	scaledb -db /tmp/scale.db -config /tmp/scale.toml
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/yizhan-hub/yizhan/bench/scale"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
)

func main() {
	db := flag.String("db", "scale.db", "SQLite file to create")
	config := flag.String("config", "scale.toml", "config.toml to write")
	listen := flag.String("listen", "127.0.0.1:18390", "hub.listen of the config")
	h := scale.Default
	flag.IntVar(&h.Items, "items", h.Items, "items")
	flag.IntVar(&h.Channels, "channels", h.Channels, "channels")
	flag.IntVar(&h.Sources, "sources", h.Sources, "sources")
	flag.Parse()

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
