package feeds

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/gzip"
)

// entry is one rendering as served: the bytes, their gzip form, and every
// header value precomputed, so that answering from it allocates nothing.
type entry struct {
	body    []byte
	etag    string // strong, quoted, from the content
	gzETag  string // the gzip representation's own tag
	lastMod time.Time

	hdrType, hdrCache, hdrLastMod []string
	hdrETag, hdrLen               []string
	hdrLink                       []string // WebSub discovery: rel="hub" and rel="self"; nil without a hub

	// The gzip form, made by newEntry, or for a lazy entry (newPageEntry)
	// by the first request that accepts gzip, once: read them only after
	// gzOnce.Do (gzipped).
	gzOnce    sync.Once
	gzLevel   int
	gz        []byte // nil when gzip would not be smaller
	hdrGzETag []string
	hdrGzLen  []string
	onGzip    func(size int) // if not nil, told the size of a lazy gzip form once made
}

// Header values shared by every response.
var (
	hdrVary = []string{"Accept-Encoding"}
	hdrGzip = []string{"gzip"}
)

// newEntry returns the entry of body with its gzip form, made now at
// gzipLevel: a feed is made once per change and served many times.
func newEntry(body []byte, contentType string, cacheControl []string, lastMod time.Time) *entry {
	e := newLazyEntry(body, contentType, cacheControl, lastMod, gzipLevel)
	e.gzipped()
	return e
}

// newPageEntry returns the entry of an archive page (?before=): pages are
// read once or twice, mostly by aggregators walking the archive, so the
// gzip form is made only when a client that accepts gzip asks, and at
// pageGzipLevel.
func newPageEntry(body []byte, contentType string, cacheControl []string, lastMod time.Time) *entry {
	return newLazyEntry(body, contentType, cacheControl, lastMod, pageGzipLevel)
}

func newLazyEntry(body []byte, contentType string, cacheControl []string, lastMod time.Time, level int) *entry {
	tag := contentTag(body)
	e := &entry{
		body:       body,
		etag:       `"` + tag + `"`,
		gzETag:     `"` + tag + `-gz"`,
		lastMod:    lastMod.Truncate(time.Second),
		hdrType:    []string{contentType},
		hdrCache:   cacheControl,
		hdrLastMod: []string{lastMod.UTC().Format(http.TimeFormat)},
		hdrLen:     []string{strconv.Itoa(len(body))},
		gzLevel:    level,
	}
	e.hdrETag = []string{e.etag}
	return e
}

// contentTag returns the opaque part of body's strong ETag: the 64-bit
// xxHash of the bytes and their length, in hex. A tag only has to change
// when the bytes of one URL do; a 64-bit hash of them does, but for a
// chance in 2^64 per change, and it takes 30 µs of a 180 KB page where the
// sha256 it replaces took 100 to 350 (docs/performance.md, "Paging"). It is
// not a cryptographic hash: an upstream that crafted a collision would
// only keep its own edit from readers until the next change.
func contentTag(body []byte) string {
	var b [32]byte
	t := strconv.AppendUint(b[:0], xxhash.Sum64(body), 16)
	t = append(t, '-')
	t = strconv.AppendUint(t, uint64(len(body)), 16)
	return string(t)
}

// gzipped returns the gzip form, making it on the first call; nil when
// gzip would not be smaller.
func (e *entry) gzipped() []byte {
	e.gzOnce.Do(func() {
		gz := gzipBytes(e.body, e.gzLevel)
		if len(gz) >= len(e.body) {
			return
		}
		e.gz = gz
		e.hdrGzETag = []string{e.gzETag}
		e.hdrGzLen = []string{strconv.Itoa(len(gz))}
		if e.onGzip != nil {
			e.onGzip(len(gz))
		}
	})
	return e.gz
}

// withLinks sets the Link header values of a feed's WebSub discovery
// (SPEC.md "WebSub"), when hub is not empty, and returns e.
func (e *entry) withLinks(hub, self string) *entry {
	if hub != "" {
		e.hdrLink = []string{"<" + hub + `>; rel="hub"`, "<" + self + `>; rel="self"`}
	}
	return e
}

// gzipLevel is the compression of every gzip form, made once per change by
// klauspost/compress's gzip, which writes the same format as compress/gzip
// at two to three times its speed. Level 5 compresses a 153 KB feed of
// Chinese articles to 41.7 KB in 1.0 ms; the standard library took 2.3 ms
// for 42.2 KB at level 4 and 4.5 ms for 41.6 KB at level 6. Compressing is
// the larger part of making a feed after a change (docs/performance.md).
const gzipLevel = 5

// pageGzipLevel is the compression of an archive page's gzip form: a page
// is compressed for about every time it is served, so speed counts more.
// Level 1 makes a 179 KB page 50.7 KB in 0.59 ms, where level 5 made 45.1
// KB in 1.0 ms (docs/performance.md, "Paging").
const pageGzipLevel = 1

// gzipWriters keep a gzip.Writer per level for reuse: a new one clears
// several hundred KB of match tables, a quarter of compressing a feed.
var gzipWriters sync.Map // level → *sync.Pool of *gzip.Writer

// gzipBytes compresses b at level. The header carries no name or time, so
// equal bodies compress equally.
func gzipBytes(b []byte, level int) []byte {
	pool, _ := gzipWriters.Load(level)
	if pool == nil {
		pool, _ = gzipWriters.LoadOrStore(level, &sync.Pool{})
	}
	var buf bytes.Buffer
	buf.Grow(len(b)/3 + 64)
	zw, _ := pool.(*sync.Pool).Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, level)
	} else {
		zw.Reset(&buf)
	}
	zw.Write(b)
	zw.Close()
	pool.(*sync.Pool).Put(zw)
	return buf.Bytes()
}

// serve answers r from e: 304 when the client's validators match, else the
// gzip or identity body. It returns the status code it sent.
func (e *entry) serve(w http.ResponseWriter, r *http.Request) int {
	h := w.Header()
	useGzip := acceptsGzip(r.Header["Accept-Encoding"]) && e.gzipped() != nil
	h["Vary"] = hdrVary
	h["Cache-Control"] = e.hdrCache
	etag, hdrETag, hdrLen, body := e.etag, e.hdrETag, e.hdrLen, e.body
	if useGzip {
		etag, hdrETag, hdrLen, body = e.gzETag, e.hdrGzETag, e.hdrGzLen, e.gz
	}
	h["Etag"] = hdrETag
	if e.hdrLink != nil {
		h["Link"] = e.hdrLink
	}
	// Every feed response carries both validators (SPEC.md), the 304 too,
	// as nginx's do. RFC 9110 section 15.4.5 would rather a 304 with an
	// ETag carried no Last-Modified, but a client that keeps only dates
	// needs it, and it costs about 1% of a 304 (docs/performance.md).
	h["Last-Modified"] = e.hdrLastMod
	if notModified(r, etag, e.lastMod) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	h["Content-Type"] = e.hdrType
	h["Content-Length"] = hdrLen
	if useGzip {
		h["Content-Encoding"] = hdrGzip
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return http.StatusOK
}

// notModified evaluates If-None-Match, and If-Modified-Since when there is
// no If-None-Match, as RFC 9110 section 13.2.2 orders them for GET and HEAD.
func notModified(r *http.Request, etag string, lastMod time.Time) bool {
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		return etagListMatches(inm, etag)
	}
	ims := r.Header["If-Modified-Since"]
	if len(ims) == 0 || lastMod.IsZero() {
		return false
	}
	t, err := http.ParseTime(ims[0])
	if err != nil {
		return false // an invalid date is ignored (RFC 9110 section 13.1.3)
	}
	return !lastMod.After(t)
}

// etagListMatches reports whether any entity tag in the If-None-Match field
// lines matches etag by weak comparison (RFC 9110 section 8.8.3.2): "W/" is
// ignored, the opaque tags must be equal; "*" matches any.
func etagListMatches(lines []string, etag string) bool {
	for _, s := range lines {
		for {
			s = trimOWS(s)
			if s == "" {
				break
			}
			if s[0] == ',' {
				s = s[1:]
				continue
			}
			if s[0] == '*' {
				return true
			}
			if len(s) >= 2 && s[0] == 'W' && s[1] == '/' {
				s = s[2:]
			}
			if s == "" || s[0] != '"' {
				break // not an entity tag: the rest of the line is junk
			}
			end := 1
			for end < len(s) && s[end] != '"' {
				end++
			}
			if end == len(s) {
				break // unterminated
			}
			if s[:end+1] == etag {
				return true
			}
			s = s[end+1:]
		}
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding field lines accept gzip: an
// explicit gzip (or x-gzip) with a non-zero weight, else "*" with one.
func acceptsGzip(lines []string) bool {
	star := false
	for _, s := range lines {
		for s != "" {
			var item string
			item, s, _ = strings.Cut(s, ",")
			coding, params, _ := strings.Cut(item, ";")
			coding = trimOWS(coding)
			switch {
			case strings.EqualFold(coding, "gzip") || strings.EqualFold(coding, "x-gzip"):
				return qNonZero(params)
			case coding == "*":
				star = qNonZero(params)
			}
		}
	}
	return star
}

// qNonZero reports whether a coding's parameters leave it acceptable: no
// q parameter, or one whose value is not zero.
func qNonZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		p = trimOWS(p)
		if len(p) < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=' {
			continue
		}
		for _, c := range []byte(p[2:]) {
			if c >= '1' && c <= '9' {
				return true
			}
		}
		return false
	}
	return true
}

func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
