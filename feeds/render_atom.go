package feeds

import (
	"io"
	"time"

	gfeeds "github.com/gorilla/feeds"
)

// atomFeed is gorilla's feed with its single link replaced by the self and
// alternate links, and its entries replaced by ours.
type atomFeed struct {
	*gfeeds.AtomFeed
	Links   []gfeeds.AtomLink `xml:"link"`
	Entries []*atomEntry      `xml:"entry"`
}

// atomEntry is gorilla's entry with categories and <source> in Atom's shape
// (gorilla writes both as bare text, which Atom does not allow), and links
// that may carry a title: the other copies of a story are rel="related".
type atomEntry struct {
	*gfeeds.AtomEntry
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Source     *atomSource    `xml:"source,omitempty"`
}

// atomLink is gorilla's AtomLink with RFC 4287's title attribute.
type atomLink struct {
	Href  string `xml:"href,attr"`
	Rel   string `xml:"rel,attr,omitempty"`
	Title string `xml:"title,attr,omitempty"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// atomSource names the credited publisher. An entry without an author of its
// own takes the source's author (RFC 4287 section 4.2.1), so the publisher is
// named there too rather than letting the feed's author, the hub, stand in.
type atomSource struct {
	Title  string             `xml:"title"`
	Link   *gfeeds.AtomLink   `xml:"link,omitempty"`
	Author *gfeeds.AtomAuthor `xml:"author,omitempty"`
}

func writeAtom(w io.Writer, v *feedView) error {
	f := (&gfeeds.Atom{Feed: v.gorilla()}).AtomFeed()
	f.Id = v.feedID(formatAtom)
	// The hub is the author of the aggregate: RFC 4287 wants a feed author
	// unless every entry has one.
	f.Author = &gfeeds.AtomAuthor{AtomPerson: gfeeds.AtomPerson{Name: v.Author}}
	out := &atomFeed{
		AtomFeed: f,
		Links: []gfeeds.AtomLink{
			{Href: v.selfURL(formatAtom), Rel: "self", Type: "application/atom+xml"},
			{Href: v.HomeURL, Rel: "alternate", Type: "text/html"},
		},
		Entries: make([]*atomEntry, len(f.Entries)),
	}
	if v.HubURL != "" {
		out.Links = append(out.Links, gfeeds.AtomLink{Href: v.HubURL, Rel: "hub"})
	}
	if v.nextURL != nil {
		out.Links = append(out.Links, gfeeds.AtomLink{Href: v.nextURL(formatAtom), Rel: "next", Type: "application/atom+xml"})
	}
	for i, ge := range f.Entries {
		it := &v.Items[i]
		ge.Published = it.Date.Format(time.RFC3339)
		ge.Rights = it.Copyright
		ge.Links = nil // replaced below; gorilla's has no title, and href="" without a URL
		if it.Summary == "" {
			ge.Summary = nil // gorilla's summary is the content then, twice
		}
		if it.Author != "" {
			ge.Author = &gfeeds.AtomAuthor{AtomPerson: gfeeds.AtomPerson{Name: it.Author}}
		}
		if it.Editor != "" {
			ge.Contributor = &gfeeds.AtomContributor{AtomPerson: gfeeds.AtomPerson{Name: it.Editor}}
		}
		e := &atomEntry{AtomEntry: ge}
		if it.URL != "" {
			e.Links = append(e.Links, atomLink{Href: it.URL, Rel: "alternate"})
		}
		for _, c := range it.Carriers {
			if c.URL != "" {
				e.Links = append(e.Links, atomLink{Href: c.URL, Rel: "related", Title: c.Name})
			}
		}
		for _, c := range it.Categories {
			e.Categories = append(e.Categories, atomCategory{Term: c})
		}
		if it.Credit != "" {
			e.Source = &atomSource{Title: it.Credit}
			if it.CreditURL != "" {
				e.Source.Link = &gfeeds.AtomLink{Href: it.CreditURL, Rel: "alternate"}
			}
			if it.Author == "" {
				e.Source.Author = &gfeeds.AtomAuthor{AtomPerson: gfeeds.AtomPerson{Name: it.Credit}}
			}
		}
		out.Entries[i] = e
	}
	return writeXML(w, out)
}
