package feeds

import (
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
)

// Limits of the query parameters of a feed (SPEC.md, "Query parameters on
// every feed").
const (
	// maxPattern bounds one RE2 pattern, in bytes once decoded: RE2 runs
	// in time linear in the text, and compiling in time and memory linear
	// in the pattern, so this bounds what a request can make a render cost.
	maxPattern = 512
	// minBrief and maxBrief bound ?brief=N, in characters.
	minBrief = 100
	maxBrief = 2000
	// maxFilterTime is the longest ?filter_time=, in seconds: a century.
	maxFilterTime = 100 * 366 * 24 * 3600
	// maxSourceIDs bounds ?source=ID,….
	maxSourceIDs = 64
)

// Query parameters a feed reads. Others are ignored and do not make a
// variant (a tracker's ?utm_source= gets the base feed and its ETag).
const (
	paramLimit         = "limit"
	paramFilter        = "filter"
	paramFilterOut     = "filterout"
	paramCaseSensitive = "filter_case_sensitive"
	paramFilterTime    = "filter_time"
	paramSource        = "source"
	paramCredit        = "credit"
	paramBrief         = "brief"
	paramOpenCC        = "opencc"
	paramBefore        = "before"
)

// field is what a filter pattern is matched against.
type field uint8

const (
	fieldTitleOrDescription field = iota // filter, filterout
	fieldTitle
	fieldDescription
	fieldAuthor
	fieldCategory
)

// fieldSuffixes are the filter parameters' names after filter or
// filterout, by field.
var fieldSuffixes = [...]string{"", "_title", "_description", "_author", "_category"}

// variantParams are the parameters that make a variant of a feed, besides
// limit, which alone keeps the cheaper ?limit= renderings.
var variantParams = func() map[string]bool {
	m := map[string]bool{
		paramCaseSensitive: true, paramFilterTime: true, paramSource: true,
		paramCredit: true, paramBrief: true, paramOpenCC: true, paramBefore: true,
	}
	for _, s := range fieldSuffixes {
		m[paramFilter+s] = true
		m[paramFilterOut+s] = true
	}
	return m
}()

// pattern is one filter parameter: an RE2 pattern for a field.
type pattern struct {
	param string // the parameter, for errors
	field field
	expr  string
}

// variant is what a feed request's query asks for beyond the base feed:
// filters, a choice of sources or credit, a brief description, a
// conversion, with a limit applied after all of them. Its key is the
// canonical form of those parameters (sorted, escaped), which names its
// rendering in the cache and ends its self link; two queries that mean the
// same have the same key.
type variant struct {
	key    string
	limit  int // 0: as many as match
	keep   []pattern
	drop   []pattern
	fold   bool          // filter_case_sensitive=false
	within time.Duration // filter_time; 0: any time
	// sources, when not nil, are the source ids to keep.
	sources []string
	credit  string
	brief   int    // characters; 0: the description as it is
	opencc  string // conversion kind; "": none
	// before, when not nil, makes the variant a page of older items: the
	// feed's items after this place, read from the store (RFC 5005).
	before *hub.Position
}

// filters reports whether the variant keeps only some of the items it reads.
func (v *variant) filters() bool {
	return len(v.keep) > 0 || len(v.drop) > 0 || v.within > 0 || v.sources != nil || v.credit != ""
}

// queryError is a query parameter with a bad value: a 400 that names it.
type queryError struct {
	param, problem string
}

func (e *queryError) Error() string { return e.param + ": " + e.problem }

// parseQuery reads a feed's query: limit (0 for the full feed), and the
// variant the other known parameters ask for, nil when there are none.
// size is the feed's item count, the bound of limit; sources are the
// configured sources by id. The common queries (none, a limit,
// cache busters) are read without allocating.
func parseQuery(raw string, size int, sources map[string]*hub.Source) (limit int, v *variant, err *queryError) {
	if raw == "" {
		return 0, nil, nil
	}
	if len(raw) > maxQuery {
		return 0, nil, &queryError{"query", "longer than " + strconv.Itoa(maxQuery) + " bytes"}
	}
	if !strings.ContainsAny(raw, "%+;") {
		var value string // the last limit given
		n := 0           // how many were given
		other := false
		for rest := raw; rest != ""; {
			var pair string
			pair, rest, _ = strings.Cut(rest, "&")
			k, val, _ := strings.Cut(pair, "=")
			switch {
			case k == paramLimit:
				value, n = val, n+1
			case variantParams[k]:
				other = true
			}
		}
		if !other {
			limit, err := parseLimitValue(value, n, size)
			return limit, nil, err
		}
	}
	q, perr := url.ParseQuery(raw)
	if perr != nil {
		return 0, nil, &queryError{"query", "malformed"}
	}
	var value string
	n := len(q[paramLimit])
	if n > 0 {
		value = q[paramLimit][0]
	}
	if limit, err = parseLimitValue(value, n, size); err != nil {
		return 0, nil, err
	}
	v, err = parseVariant(q, limit, sources)
	if err != nil || v == nil {
		return limit, nil, err
	}
	return 0, v, nil
}

// parseLimitValue checks the n values given for limit, value the first.
func parseLimitValue(value string, n, size int) (int, *queryError) {
	switch {
	case n == 0:
		return 0, nil
	case n > 1:
		return 0, &queryError{paramLimit, "given more than once"}
	}
	limit, ok := parseCount(value)
	if !ok || limit < 1 || limit > size {
		return 0, &queryError{paramLimit, limitProblem(size)}
	}
	if limit == size {
		limit = 0 // the full feed: one rendering, one ETag
	}
	return limit, nil
}

func limitProblem(size int) string {
	return "must be a whole number from 1 to " + strconv.Itoa(size)
}

// parseVariant reads the variant parameters of q; nil when q has none that
// change the feed.
func parseVariant(q url.Values, limit int, sources map[string]*hub.Source) (*variant, *queryError) {
	v := &variant{limit: limit}
	one := func(param string) (string, bool, *queryError) {
		vs := q[param]
		switch len(vs) {
		case 0:
			return "", false, nil
		case 1:
			return vs[0], true, nil
		}
		return "", false, &queryError{param, "given more than once"}
	}
	for i, suffix := range fieldSuffixes {
		for _, family := range [...]string{paramFilter, paramFilterOut} {
			param := family + suffix
			expr, ok, err := one(param)
			if err != nil {
				return nil, err
			}
			if !ok || expr == "" {
				continue // an empty pattern would match everything
			}
			if len(expr) > maxPattern {
				return nil, &queryError{param, "pattern longer than " + strconv.Itoa(maxPattern) + " bytes"}
			}
			if !utf8.ValidString(expr) {
				return nil, &queryError{param, "pattern is not UTF-8"}
			}
			p := pattern{param: param, field: field(i), expr: expr}
			if family == paramFilter {
				v.keep = append(v.keep, p)
			} else {
				v.drop = append(v.drop, p)
			}
		}
	}
	if s, ok, err := one(paramCaseSensitive); err != nil {
		return nil, err
	} else if ok {
		switch strings.ToLower(s) {
		case "true", "1":
		case "false", "0":
			v.fold = true
		default:
			return nil, &queryError{paramCaseSensitive, "must be true or false"}
		}
	}
	if s, ok, err := one(paramFilterTime); err != nil {
		return nil, err
	} else if ok {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil || n < 1 || n > maxFilterTime || s[0] == '+' {
			return nil, &queryError{paramFilterTime, "must be a whole number of seconds from 1 to " + strconv.Itoa(maxFilterTime)}
		}
		v.within = time.Duration(n) * time.Second
	}
	if vs := q[paramSource]; len(vs) > 0 {
		for _, s := range vs {
			for id := range strings.SplitSeq(s, ",") {
				id = strings.TrimSpace(id)
				if id == "" {
					continue
				}
				if sources[id] == nil {
					return nil, &queryError{paramSource, "no source " + strconv.Quote(id)}
				}
				if !slices.Contains(v.sources, id) {
					v.sources = append(v.sources, id)
				}
			}
		}
		if len(v.sources) == 0 {
			return nil, &queryError{paramSource, "names no source id"}
		}
		if len(v.sources) > maxSourceIDs {
			return nil, &queryError{paramSource, "more than " + strconv.Itoa(maxSourceIDs) + " source ids"}
		}
		slices.Sort(v.sources)
	}
	if s, ok, err := one(paramCredit); err != nil {
		return nil, err
	} else if ok {
		v.credit = strings.TrimSpace(s)
		if v.credit == "" {
			return nil, &queryError{paramCredit, "names no publisher"}
		}
		if len(v.credit) > maxPattern || !utf8.ValidString(v.credit) {
			return nil, &queryError{paramCredit, "is not a publisher's name"}
		}
	}
	if s, ok, err := one(paramBrief); err != nil {
		return nil, err
	} else if ok {
		n, okN := parseCount(s)
		if !okN || n < minBrief || n > maxBrief {
			return nil, &queryError{paramBrief, "must be a whole number from " + strconv.Itoa(minBrief) + " to " + strconv.Itoa(maxBrief)}
		}
		v.brief = n
	}
	if s, ok, err := one(paramOpenCC); err != nil {
		return nil, err
	} else if ok {
		if !validOpenCC(s) {
			return nil, &queryError{paramOpenCC, "must be one of " + strings.Join(openCCKinds[:], ", ")}
		}
		v.opencc = s
	}
	if s, ok, err := one(paramBefore); err != nil {
		return nil, err
	} else if ok {
		p, okCursor := parseCursor(s)
		if !okCursor {
			return nil, &queryError{paramBefore, "is not a cursor of this hub's feeds (follow a feed's next link)"}
		}
		v.before = &p
	}
	if len(v.keep) == 0 && len(v.drop) == 0 {
		v.fold = false // filter_case_sensitive alone changes nothing
	}
	if len(v.keep) == 0 && len(v.drop) == 0 && v.within == 0 && v.sources == nil &&
		v.credit == "" && v.brief == 0 && v.opencc == "" && v.before == nil {
		return nil, nil
	}
	v.key = v.canonical()
	return v, nil
}

// canonical is the variant's parameters as a query string: the known ones
// only, each once, sorted by name, so that every query meaning this variant
// has the same one.
func (v *variant) canonical() string {
	q := url.Values{}
	for _, p := range v.keep {
		q.Set(p.param, p.expr)
	}
	for _, p := range v.drop {
		q.Set(p.param, p.expr)
	}
	if v.fold {
		q.Set(paramCaseSensitive, "false")
	}
	if v.within > 0 {
		q.Set(paramFilterTime, strconv.FormatInt(int64(v.within/time.Second), 10))
	}
	if v.sources != nil {
		q.Set(paramSource, strings.Join(v.sources, ","))
	}
	if v.credit != "" {
		q.Set(paramCredit, v.credit)
	}
	if v.brief > 0 {
		q.Set(paramBrief, strconv.Itoa(v.brief))
	}
	if v.opencc != "" {
		q.Set(paramOpenCC, v.opencc)
	}
	if v.limit > 0 {
		q.Set(paramLimit, strconv.Itoa(v.limit))
	}
	if v.before != nil {
		q.Set(paramBefore, formatCursor(*v.before))
	}
	return q.Encode()
}

// next returns the query of the page that follows the variant's (or the
// base feed's, v nil, with limit) at position p: the same parameters with
// before=CURSOR.
func (v *variant) next(limit int, p hub.Position) string {
	n := variant{limit: limit}
	if v != nil {
		n = *v
	}
	n.before = &p
	return n.canonical()
}

// A cursor is an item's place in the order of a feed (hub.Position): its
// date in unix nanoseconds and its id, base64url of 16 bytes. Readers get
// them from next links only; they stay valid while items arrive.
func formatCursor(p hub.Position) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(p.Date.UnixNano()))
	binary.BigEndian.PutUint64(b[8:], uint64(p.ID))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func parseCursor(s string) (hub.Position, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return hub.Position{}, false
	}
	id := int64(binary.BigEndian.Uint64(b[8:]))
	if id <= 0 {
		return hub.Position{}, false
	}
	return hub.Position{Date: time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))).UTC(), ID: id}, true
}

// compile compiles the variant's patterns, once per rendering of the
// variant: a cached variant is served without compiling anything.
func (v *variant) compile() (*matcher, *queryError) {
	m := &matcher{v: v}
	for _, group := range [...]struct {
		in  []pattern
		out *[]compiled
	}{{v.keep, &m.keep}, {v.drop, &m.drop}} {
		for _, p := range group.in {
			expr := p.expr
			if v.fold {
				expr = "(?i)" + expr
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, &queryError{p.param, strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
			}
			*group.out = append(*group.out, compiled{p.field, re})
		}
	}
	return m, nil
}

// maxMemo bounds the queries a queryMemo remembers; past it, it starts
// again. Readers of one hub use a handful of queries.
const maxMemo = 1024

// queryMemo remembers the variants of the raw queries last parsed, so that a
// request for a cached variant is answered without parsing its query again
// (19 allocations and 1.7 us a request, BenchmarkServeVariant). It belongs
// to one configuration: which source ids are valid, and feed sizes, come
// from it.
type queryMemo struct {
	mu sync.RWMutex
	m  map[memoKey]*variant
}

type memoKey struct {
	raw  string
	size int
}

func (q *queryMemo) get(raw string, size int) *variant {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.m[memoKey{raw, size}]
}

func (q *queryMemo) put(raw string, size int, v *variant) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.m == nil || len(q.m) >= maxMemo {
		q.m = make(map[memoKey]*variant)
	}
	q.m[memoKey{raw, size}] = v
}
