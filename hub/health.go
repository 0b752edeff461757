package hub

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the runner's judgment of a successful fetch.
const (
	// SuspectDropFrom is how many items a source's last sound fetch must
	// have yielded for a fetch yielding none to be suspect: a feed of one or
	// two items may well be emptied by its publisher.
	SuspectDropFrom = 5
	// SuspectMojibake is the share of U+FFFD among all the text of a fetch
	// above which it is suspect: bytes the charset did not decode.
	SuspectMojibake = 0.01
	// MaxMinInterval caps how long an upstream may ask the hub to stay away
	// after a success (RSS <ttl>, Cache-Control max-age).
	MaxMinInterval = 24 * time.Hour
)

// GoneReporter is implemented by fetch errors that can tell that the
// upstream removed the source for good (HTTP 410 Gone). The runner then
// disables the source: see FetchState.Disabled.
type GoneReporter interface {
	Gone() bool
}

// ForURL returns st as it applies to a source now configured with url. A
// state recorded under another configured URL belongs to that URL: its
// remembered redirect, validators, backoff, Disabled and Suspect are
// forgotten, and the source reads as never fetched until it is. A state
// recorded before ConfigURL existed is taken as it is.
func (st FetchState) ForURL(url string) FetchState {
	if st.ConfigURL == "" || st.ConfigURL == url {
		return st
	}
	return FetchState{SourceID: st.SourceID, ConfigURL: url}
}

// NextRun returns about when the source is next fetched on schedule, given
// when its schedule fires next: never (the zero time) while the hub has
// disabled it, and not before NextTry, which holds scheduled runs back.
func (st FetchState) NextRun(scheduled time.Time) time.Time {
	if st.Disabled != "" {
		return time.Time{}
	}
	if st.NextTry.After(scheduled) {
		return st.NextTry
	}
	return scheduled
}

// judge looks at the items of a successful fetch whose upstream listed
// listed items (items holds the new ones or all of them), of a source whose
// last sound fetch listed lastCount. It returns the items to store and, when
// the fetch looks wrong, why:
//
//   - nothing listed, where the last sound fetch had SuspectDropFrom or more
//     (nothing is removed in any case);
//   - more than half of three or more items without a title: the untitled
//     ones are not stored, for they would replace stored titles with
//     nothing or publish entries no reader can list;
//   - more than SuspectMojibake of the text U+FFFD: the items holding that
//     much are not stored, so the copies stored before stay as they were.
func judge(items []Item, listed, lastCount int) (keep []Item, suspect string) {
	if listed == 0 && lastCount >= SuspectDropFrom {
		return nil, fmt.Sprintf("no items, where the last sound fetch had %d", lastCount)
	}
	if len(items) == 0 {
		return nil, ""
	}
	var untitled, runes, bad int
	for i := range items {
		if strings.TrimSpace(items[i].Title) == "" {
			untitled++
		}
		n, b := replacementShare(&items[i])
		runes += n
		bad += b
	}
	var reasons []string
	dropUntitled := len(items) >= 3 && untitled*2 > len(items)
	if dropUntitled {
		reasons = append(reasons, fmt.Sprintf("%d of %d items have no title", untitled, len(items)))
	}
	dropMojibake := runes > 0 && float64(bad) > SuspectMojibake*float64(runes)
	if dropMojibake {
		reasons = append(reasons, fmt.Sprintf("%.1f%% of the text is U+FFFD (undecodable bytes: check the source's encoding)", 100*float64(bad)/float64(runes)))
	}
	if len(reasons) == 0 {
		return items, ""
	}
	keep = make([]Item, 0, len(items))
	for i := range items {
		if dropUntitled && strings.TrimSpace(items[i].Title) == "" {
			continue
		}
		if n, b := replacementShare(&items[i]); dropMojibake && float64(b) > SuspectMojibake*float64(n) {
			continue
		}
		keep = append(keep, items[i])
	}
	if held := len(items) - len(keep); held > 0 {
		reasons = append(reasons, fmt.Sprintf("%d items held back", held))
	}
	return keep, strings.Join(reasons, "; ")
}

// replacementShare counts the runes of an item's text and the U+FFFD among them.
func replacementShare(it *Item) (runes, bad int) {
	for _, s := range []string{it.Title, it.Summary, it.Content, it.Author, it.Credit} {
		runes += utf8.RuneCountInString(s)
		bad += strings.Count(s, "\uFFFD")
	}
	return runes, bad
}
