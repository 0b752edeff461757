package story

import (
	"cmp"
	"math"
	"slices"

	"github.com/yizhan-hub/yizhan/hub"
)

// Candidate is an item that linking considers: one being saved, or a stored
// one found under a key of one being saved.
type Candidate struct {
	ID    int64    // the item's row id
	Story int64    // its story before this save: the first-stored copy's id, 0 alone
	Keys  [3]int64 // URLKey, then TitleKey of each of Copy.Titles (0: none)
	Copy  *Copy
}

// IndexKeys returns a copy's URLKey and the TitleKey of each of its titles,
// as stores index them.
func (c *Copy) IndexKeys() [3]int64 {
	var k [3]int64
	k[0] = URLKey(c.URL)
	for i, t := range c.Titles {
		if i < 2 {
			k[1+i] = TitleKey(c.Credit, t)
		}
	}
	return k
}

// Plan is what a store writes to link items into stories.
type Plan struct {
	Set     map[int64]int64 // candidate id → its new story
	Renamed map[int64]int64 // a story merged into another → the other: every copy moves
	Changed []int64         // the stories that gained a copy, by their new names, sorted
}

// Link decides the stories of cands, whose last saving are the items being
// saved and the others stored items found under their keys: each item being
// saved joins every candidate that shares a key with it and that Same
// judges a copy of it. A story is named by its first-stored copy, the
// smallest id; stories only grow.
func Link(cands []Candidate, saving int) Plan {
	byKey := make(map[int64][]int)
	for i, c := range cands {
		for _, k := range c.Keys {
			if k != 0 {
				byKey[k] = append(byKey[k], i)
			}
		}
	}
	u := unions{parent: make(map[int64]int64)}
	for i := len(cands) - saving; i < len(cands); i++ {
		w := &cands[i]
		seen := make(map[int]bool)
		for _, k := range w.Keys {
			if k == 0 {
				continue
			}
			for _, j := range byKey[k] {
				if j == i || seen[j] {
					continue
				}
				seen[j] = true
				c := &cands[j]
				if u.find(c.group()) != u.find(w.group()) && Same(w.Copy, c.Copy) {
					u.union(c.group(), w.group())
				}
			}
		}
	}
	var p Plan
	if len(u.merged) == 0 {
		return p
	}
	p.Set, p.Renamed = make(map[int64]int64), make(map[int64]int64)
	for i := range cands {
		c := &cands[i]
		name := u.find(c.group())
		if !u.merged[name] {
			continue
		}
		if !slices.Contains(p.Changed, name) {
			p.Changed = append(p.Changed, name)
		}
		if c.Story != name {
			p.Set[c.ID] = name
		}
		if c.Story != 0 && c.Story != name {
			p.Renamed[c.Story] = name
		}
	}
	slices.Sort(p.Changed)
	return p
}

// group is the story a candidate is in before this save, or itself alone.
func (c *Candidate) group() int64 { return cmp.Or(c.Story, c.ID) }

// unions is a union-find over story names: the smallest id of a set, the
// first-stored copy, names it.
type unions struct {
	parent map[int64]int64
	merged map[int64]bool // the sets that gained a member, by their names
}

func (u *unions) find(x int64) int64 {
	for {
		p, ok := u.parent[x]
		if !ok || p == x {
			return x
		}
		if gp, ok := u.parent[p]; ok && gp != p {
			u.parent[x] = gp // path halving
		}
		x = p
	}
}

func (u *unions) union(a, b int64) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	if u.merged == nil {
		u.merged = make(map[int64]bool)
	}
	u.merged[ra] = true
}

// Member is a stored copy of a story, as a feed shows the story.
type Member struct {
	ID     int64
	Source string
	Key    string
	Own    bool   // the publisher's own copy (hub.Item.Own)
	URL    string // its link
	Name   string // its via, else its credit
}

// Show reports whether it, a copy of a story whose copies are members (in
// the order they were stored), is the story's representative in a feed
// that shows the items of the sources inFeed reports: the first-stored of
// the publisher's own copies in the feed, else the first-stored copy in the
// feed. If so it completes it: StoryGUID is the GUID of the feed's
// first-stored copy (when that is another), CreditURL the link of the
// publisher's own copy anywhere in the store, Carriers the other copies,
// each named once.
func Show(it *hub.Item, members []Member, inFeed func(source string) bool) bool {
	var firstInFeed, rep, own *Member
	for i := range members {
		m := &members[i]
		if m.Own && own == nil {
			own = m
		}
		if !inFeed(m.Source) {
			continue
		}
		if firstInFeed == nil {
			firstInFeed = m
		}
		if rep == nil || m.Own && !rep.Own {
			rep = m
		}
	}
	if rep != nil && rep.ID != it.ID {
		return false
	}
	if firstInFeed != nil && firstInFeed.ID != it.ID {
		first := hub.Item{SourceID: firstInFeed.Source, Key: firstInFeed.Key}
		it.StoryGUID = first.GUID()
	}
	if own != nil && own.ID != it.ID && own.URL != "" {
		it.CreditURL = own.URL
	}
	// A carrier is named once: by its link, or by its name when it has none.
	seen := map[string]bool{it.URL: true, it.CreditURL: true}
	for i := range members {
		m := &members[i]
		k := cmp.Or(m.URL, "\x00"+m.Name)
		if m.ID == it.ID || m == own || seen[k] {
			continue
		}
		seen[k] = true
		it.Carriers = append(it.Carriers, hub.Carrier{Name: m.Name, URL: m.URL})
	}
	return true
}

// Lookup is what a store asks its key indexes for, to find the stored
// copies of the items it is saving: their keys, the days to seek them on,
// and the dates within Window of theirs.
type Lookup struct {
	URLKeys, TitleKeys []int64 // non-zero keys of IndexKeys
	Days, URLDays      []int64 // days within Window, and within URLWindow, of the items (Day)
	From, To           int64   // sort dates (unix nanoseconds) within Window of the items
}

// NewLookup returns the lookup for copies with the given IndexKeys, dated
// (unix nanoseconds) dates[i].
func NewLookup(keys [][3]int64, dates []int64) Lookup {
	l := Lookup{From: math.MaxInt64, To: math.MinInt64}
	for i, k := range keys {
		l.Days = AppendDays(l.Days, dates[i], Window)
		l.URLDays = AppendDays(l.URLDays, dates[i], URLWindow)
		if k[0] != 0 {
			l.URLKeys = append(l.URLKeys, k[0])
		}
		for _, tk := range k[1:] {
			if tk != 0 {
				l.TitleKeys = append(l.TitleKeys, tk)
			}
		}
		l.From, l.To = min(l.From, dates[i]), max(l.To, dates[i])
	}
	l.From, l.To = satAdd(l.From, -int64(Window)), satAdd(l.To, int64(Window))
	return l
}

// Empty reports whether the lookup has no key to seek.
func (l Lookup) Empty() bool { return len(l.URLKeys) == 0 && len(l.TitleKeys) == 0 }

// Page reads, for Collect, the at most n items of a feed that follow the last
// item read before (the first n for the first call), and the story of each
// (0: none).
type Page func(n int) (items []hub.Item, stories []int64, err error)

// Collect returns the newest limit items of a feed with each story once
// (hub.Query.Dedup): it reads pages of the feed, keeps an item alone or the
// representative of its story among the copies in the feed (Show, with the
// copies that members reads), and reads on until it has limit of them or
// the feed ends. A feed full of reposts is read in ever larger pages, not
// a query per item.
func Collect(limit int, page Page, members func(stories []int64) (map[int64][]Member, error), inFeed func(source string) bool) ([]hub.Item, error) {
	out := make([]hub.Item, 0, limit)
	for n := limit; len(out) < limit; n = max(2*(limit-len(out)), 16) {
		items, stories, err := page(n)
		if err != nil {
			return nil, err
		}
		ms, err := members(stories)
		if err != nil {
			return nil, err
		}
		for i := range items {
			if stories[i] == 0 || Show(&items[i], ms[stories[i]], inFeed) {
				out = append(out, items[i])
			}
		}
		if len(items) < n {
			break // the feed has no more
		}
	}
	return out[:min(len(out), limit)], nil
}

// CollectAfter is Collect over a listing read by place: read returns the
// at most n items that follow before (nil: from the start) and the story of
// each, and CollectAfter moves before past the last item read. sources are
// the feed's, whose copies Show may choose.
func CollectAfter(limit int, before *hub.Position, read func(before *hub.Position, n int) ([]hub.Item, []int64, error),
	members func(stories []int64) (map[int64][]Member, error), sources []string) ([]hub.Item, error) {
	inFeed := make(map[string]bool, len(sources))
	for _, s := range sources {
		inFeed[s] = true
	}
	page := func(n int) ([]hub.Item, []int64, error) {
		items, stories, err := read(before, n)
		if len(items) > 0 {
			p := items[len(items)-1].Position()
			before = &p
		}
		return items, stories, err
	}
	return Collect(limit, page, members, func(src string) bool { return inFeed[src] })
}
