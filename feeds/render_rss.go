package feeds

import (
	"encoding/xml"
	"io"
	"time"

	gfeeds "github.com/gorilla/feeds"
)

// Namespaces an RSS feed of ours declares on <rss>.
const (
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsAtom    = "http://www.w3.org/2005/Atom"
)

// rssDoc is <rss>: gorilla declares only the content namespace.
type rssDoc struct {
	XMLName   xml.Name    `xml:"rss"`
	Version   string      `xml:"version,attr"`
	ContentNS string      `xml:"xmlns:content,attr"`
	DCNS      string      `xml:"xmlns:dc,attr"`
	AtomNS    string      `xml:"xmlns:atom,attr"`
	Channel   *rssChannel `xml:"channel"`
}

// rssChannel is gorilla's channel plus its atom:link rel="self"; its items
// replace gorilla's.
type rssChannel struct {
	*gfeeds.RssFeed
	AtomLink []rssAtomLink `xml:"atom:link"`
	Items    []*rssItem    `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

// rssItem is gorilla's item plus categories, dc:creator, dc:contributor and dc:rights, with
// <source> replaced: gorilla writes <source>URL</source>, RSS 2.0 wants
// <source url="URL">name</source>.
type rssItem struct {
	*gfeeds.RssItem
	Categories  []string   `xml:"category"`
	Creator     string     `xml:"dc:creator,omitempty"`
	Contributor string     `xml:"dc:contributor,omitempty"`
	Rights      string     `xml:"dc:rights,omitempty"`
	Source      *rssSource `xml:"source,omitempty"`
}

type rssSource struct {
	URL  string `xml:"url,attr,omitempty"`
	Name string `xml:",chardata"`
}

func writeRSS(w io.Writer, v *feedView) error {
	ch := (&gfeeds.Rss{Feed: v.gorilla()}).RssFeed()
	ch.Language = Language
	ch.Ttl = max(1, int((v.TTL+time.Minute-1)/time.Minute))
	out := &rssChannel{
		RssFeed:  ch,
		AtomLink: []rssAtomLink{{Href: v.selfURL(formatRSS), Rel: "self", Type: "application/rss+xml"}},
		Items:    make([]*rssItem, len(ch.Items)),
	}
	if v.HubURL != "" {
		out.AtomLink = append(out.AtomLink, rssAtomLink{Href: v.HubURL, Rel: "hub"})
	}
	if v.nextURL != nil {
		out.AtomLink = append(out.AtomLink, rssAtomLink{Href: v.nextURL(formatRSS), Rel: "next", Type: "application/rss+xml"})
	}
	for i, gi := range ch.Items {
		it := &v.Items[i]
		ri := &rssItem{
			RssItem:     gi,
			Categories:  it.Categories,
			Creator:     it.Author,
			Contributor: it.Editor,
			Rights:      it.Copyright,
		}
		if it.Summary == "" {
			// The description is the content then: once is enough.
			ri.Content = nil
		}
		if it.Credit != "" {
			// RSS 2.0 requires the url attribute: where the credited publisher
			// has the item, else the feed we took it from, which is what the
			// element meant in the first place.
			u := it.CreditURL
			if u == "" {
				u = it.SourceURL
			}
			ri.Source = &rssSource{URL: u, Name: it.Credit}
		}
		out.Items[i] = ri
	}
	return writeXML(w, &rssDoc{
		Version:   "2.0",
		ContentNS: nsContent,
		DCNS:      nsDC,
		AtomNS:    nsAtom,
		Channel:   out,
	})
}

// writeXML writes doc as an indented XML document ending in a newline.
func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
