package feeds

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// compiled is a pattern ready to match.
type compiled struct {
	field field
	re    *regexp.Regexp
}

// matcher is a variant with its patterns compiled: what one rendering of
// the variant uses.
type matcher struct {
	v          *variant
	keep, drop []compiled
}

// snapshotText is the plain text of a snapshot's items, made on the first
// rendering of a variant that needs it and shared by all the others.
type snapshotText struct {
	once sync.Once
	body []string // the article: the content's text, else the summary's
	desc []string // what filter_description reads: the summary's and the content's text
}

// texts returns s's plain texts.
func (s *snapshot) texts() *snapshotText {
	t := &s.text
	t.once.Do(func() {
		t.body = make([]string, len(s.raw))
		t.desc = make([]string, len(s.raw))
		for i := range s.raw {
			it := &s.raw[i]
			summary, content := htmlText(clean(it.Summary)), htmlText(clean(it.Content))
			switch {
			case content == "":
				t.body[i], t.desc[i] = summary, summary
			case summary == "" || strings.Contains(content, summary):
				t.body[i], t.desc[i] = content, content
			default:
				t.body[i], t.desc[i] = content, summary+" "+content
			}
		}
	})
	return t
}

// keeps reports whether the item at i of s is in the variant at now.
func (m *matcher) keeps(s *snapshot, i int, now time.Time) bool {
	v, it := m.v, &s.items[i]
	if v.sources != nil && !slices.Contains(v.sources, s.raw[i].SourceID) {
		return false
	}
	if v.credit != "" && it.Credit != v.credit {
		return false
	}
	if v.within > 0 && it.Date.Before(now.Add(-v.within)) {
		return false
	}
	if len(m.keep) > 0 && !slices.ContainsFunc(m.keep, func(c compiled) bool { return m.matches(c, s, i) }) {
		return false
	}
	return !slices.ContainsFunc(m.drop, func(c compiled) bool { return m.matches(c, s, i) })
}

// matches reports whether c matches its field of the item at i of s.
func (m *matcher) matches(c compiled, s *snapshot, i int) bool {
	it := &s.items[i]
	switch c.field {
	case fieldTitle:
		return c.re.MatchString(it.Title)
	case fieldDescription:
		return c.re.MatchString(s.texts().desc[i])
	case fieldTitleOrDescription:
		return c.re.MatchString(it.Title) || c.re.MatchString(s.texts().desc[i])
	case fieldAuthor:
		return it.Author != "" && c.re.MatchString(it.Author)
	case fieldCategory:
		return slices.ContainsFunc(it.Categories, c.re.MatchString)
	}
	return false
}

// view returns the variant of s as a feed to render at now: the items that
// pass every filter, newest first, then the limit, then brief and the
// conversion on those alone. Its Last-Modified moves when an item left the
// filter_time window; expires is when the next one will (zero: not before
// the channel changes).
func (m *matcher) view(cfg *config, ch *channelInfo, s *snapshot, now time.Time) (fv *feedView, lastMod, expires time.Time, err error) {
	v := m.v
	lastMod = s.lastMod
	items := make([]itemView, 0, len(s.items))
	for i := range s.items {
		if v.within > 0 {
			// The item is in the window until now passes out (keeps).
			out := s.items[i].Date.Add(v.within)
			if out.Before(now) {
				if out.After(lastMod) {
					lastMod = out.Truncate(time.Second)
				}
			} else if expires.IsZero() || !out.After(expires) {
				// Expiring on an item that other filters drop costs one
				// needless rendering; it keeps this simple.
				expires = out.Add(time.Nanosecond)
			}
		}
		if v.limit > 0 && len(items) == v.limit || !m.keeps(s, i, now) {
			continue
		}
		it := s.items[i]
		if v.brief > 0 {
			brief(&it, &s.raw[i], s.texts().body[i], v.brief)
		}
		items = append(items, it)
	}
	fv = newFeedView(cfg, ch, s, 0)
	fv.Items = items
	if len(items) > 0 {
		fv.Updated = items[0].Date
	} else {
		fv.Updated = lastMod.In(cfg.loc)
	}
	self := "?" + v.key
	fv.selfURL = func(f format) string { return cfg.feedURL(ch.id, f, 0) + self }
	if v.opencc != "" {
		c, err := converterFor(v.opencc)
		if err != nil {
			return nil, lastMod, expires, err
		}
		for i := range fv.Items {
			c.convertItem(&fv.Items[i])
		}
		c.convertFeed(fv)
	}
	return fv, lastMod, expires, nil
}

// brief makes the item's description the first n characters of its text,
// without markup; its content is that text and the attribution footer.
func brief(v *itemView, raw *hub.Item, text string, n int) {
	text = firstRunes(text, n)
	body := strings.TrimSpace(clean(raw.Content))
	if body == "" {
		body = strings.TrimSpace(clean(raw.Summary))
	}
	foot, ok := strings.CutPrefix(v.Content, body)
	if !ok {
		foot = ""
		if i := strings.LastIndex(v.Content, `<p class="yizhan-attribution">`); i >= 0 {
			foot = v.Content[i:]
		}
	}
	if text == "" {
		v.Summary, v.Content = "", foot // nothing to shorten: the footer alone
		return
	}
	esc := html.EscapeString(text)
	v.Summary = esc
	v.Content = "<p>" + esc + "</p>" + foot
}

// firstRunes returns the first n characters of s.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
