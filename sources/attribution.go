package sources

import (
	"strings"

	"github.com/yizhan-hub/yizhan/hub"
)

// Attribute completes an item's attribution as SPEC.md's "Items: attribution
// and copyright" says, and sets its SourceID. The credit is the item's own
// claim (an RSS <source>, dc:source, a page's 来源), else the source's
// attribution, else the source's name; via is the source's name when it
// differs from the credit; the copyright is the item's own rights statement,
// else the source's. Both source kinds call it on every item.
func Attribute(it *hub.Item, src hub.Source) {
	it.SourceID = src.ID
	it.Credit = strings.TrimSpace(it.Credit)
	it.CreditURL = strings.TrimSpace(it.CreditURL)
	it.Author = strings.TrimSpace(it.Author)
	it.Copyright = strings.TrimSpace(it.Copyright)
	name := strings.TrimSpace(src.Name)
	if it.Credit == "" {
		it.Credit = strings.TrimSpace(src.Attribution)
	}
	if it.Credit == "" {
		it.Credit = name
	}
	it.Via = ""
	if name != "" && name != it.Credit {
		it.Via = name
	}
	it.Own = it.Credit == name || it.Credit == strings.TrimSpace(src.Attribution)
	if it.Copyright == "" {
		it.Copyright = strings.TrimSpace(src.Copyright)
	}
}
