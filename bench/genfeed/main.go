// Command genfeed writes RSS 2.0 feeds of realistic Chinese news items for
// yizhan's benchmarks (see bench/feedgen): feed-0000.xml … in -dir, each
// holding items -first to -first+items+extra-1, newest first. The same
// arguments write the same bytes, so that
//
//	genfeed -extra 5    five new articles on top of the previous run's
//	genfeed -first 5    five new articles on top, the five oldest gone
//	genfeed -built T    the same items under a new lastBuildDate
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/yizhan-hub/yizhan/bench/feedgen"
)

func main() {
	dir := flag.String("dir", "feeds", "output directory")
	n := flag.Int("feeds", 1000, "number of feeds")
	items := flag.Int("items", 50, "items per feed")
	extra := flag.Int("extra", 0, "new items on top of -items (the first run's items stay)")
	first := flag.Int("first", 0, "number of the oldest item")
	built := flag.String("built", "", "lastBuildDate (RFC 3339); default: the newest item's date")
	flag.Parse()
	total := *items + *extra
	when := feedgen.Base.Add(time.Duration(*first+total-1) * 7 * time.Minute)
	if *built != "" {
		t, err := time.Parse(time.RFC3339, *built)
		if err != nil {
			log.Fatal(err)
		}
		when = t
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	for f := range *n {
		name := filepath.Join(*dir, fmt.Sprintf("feed-%04d.xml", f))
		// Written beside and renamed, so that a server never sends half a file.
		tmp := name + ".tmp"
		if err := os.WriteFile(tmp, feedgen.RSS(f, *first, total, when), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, name); err != nil {
			log.Fatal(err)
		}
	}
}
