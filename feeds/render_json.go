package feeds

import (
	"cmp"
	"encoding/json"
	"io"

	gfeeds "github.com/gorilla/feeds"
)

// jsonFeed is gorilla's JSON Feed 1.1 with the top-level _attribution
// extension; its items replace gorilla's, and are written even when empty
// (items is required).
type jsonFeed struct {
	*gfeeds.JSONFeed
	NextURL     string           `json:"next_url,omitempty"`
	Hubs        []jsonHub        `json:"hubs,omitempty"`
	Items       []*jsonItem      `json:"items"`
	Attribution *jsonAttribution `json:"_attribution,omitempty"`
}

// jsonHub is one of JSON Feed's hubs: where to subscribe for pushes.
type jsonHub struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// jsonItem is gorilla's item with the _attribution extension.
type jsonItem struct {
	*gfeeds.JSONItem
	Attribution *jsonAttribution `json:"_attribution,omitempty"`
}

// jsonAttribution is the _attribution extension object: SPEC.md's
// attribution fields for JSON Feed clients.
type jsonAttribution struct {
	Credit    string        `json:"credit,omitempty"`
	CreditURL string        `json:"credit_url,omitempty"`
	Via       string        `json:"via,omitempty"`
	Editor    string        `json:"editor,omitempty"`
	Copyright string        `json:"copyright,omitempty"`
	CarriedBy []jsonCarrier `json:"carried_by,omitempty"`
}

// jsonCarrier is one of _attribution.carried_by: another upstream that
// carries the story, and its copy.
type jsonCarrier struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

func writeJSON(w io.Writer, v *feedView) error {
	f := (&gfeeds.JSON{Feed: v.gorilla()}).JSONFeed()
	f.FeedUrl = v.selfURL(formatJSON)
	f.Language = Language
	out := &jsonFeed{JSONFeed: f, Items: make([]*jsonItem, len(f.Items))}
	if v.nextURL != nil {
		out.NextURL = v.nextURL(formatJSON)
	}
	if v.HubURL != "" {
		out.Hubs = []jsonHub{{Type: "WebSub", URL: v.HubURL}}
	}
	if v.Copyright != "" {
		out.Attribution = &jsonAttribution{Copyright: v.Copyright}
	}
	for i, gi := range f.Items {
		it := &v.Items[i]
		// Made here, not in the snapshot: only JSON Feed wants it, and it
		// was a third of preparing a snapshot for RSS or Atom.
		gi.Summary = htmlText(it.Summary)
		gi.Image = it.Image
		gi.Tags = it.Categories
		if it.Author != "" {
			// author is deprecated in 1.1 but still what 1.0 clients read.
			a := &gfeeds.JSONAuthor{Name: it.Author}
			gi.Author, gi.Authors = a, []*gfeeds.JSONAuthor{a}
		}
		ji := &jsonItem{JSONItem: gi}
		a := jsonAttribution{Credit: it.Credit, CreditURL: it.CreditURL, Via: it.Via, Editor: it.Editor, Copyright: it.Copyright}
		for _, c := range it.Carriers {
			a.CarriedBy = append(a.CarriedBy, jsonCarrier{Name: cmp.Or(c.Name, c.URL), URL: c.URL})
		}
		if a.Credit != "" || a.CreditURL != "" || a.Via != "" || a.Editor != "" || a.Copyright != "" || a.CarriedBy != nil {
			ji.Attribution = &a
		}
		out.Items[i] = ji
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
