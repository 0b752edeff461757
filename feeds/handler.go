package feeds

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/yizhan-hub/yizhan/hub"
)

// maxQuery is the longest query string a feed request may carry: a few
// patterns of Chinese words, percent-encoded (nine bytes a character), and
// the other parameters.
const maxQuery = 4096

// healthTimeout bounds the store's answer to /healthz.
const healthTimeout = 2 * time.Second

// Options configure a Handler.
type Options struct {
	Config // the configuration in force; Handler.SetConfig replaces it

	// Store is where items and fetch states are read. Required.
	Store Store

	// Registerer, when not nil, gets the handler's metrics
	// (yizhan_feed_requests_total, yizhan_feed_renders_total).
	Registerer prometheus.Registerer

	// Gatherer, when not nil, is served at /metrics in the Prometheus text format.
	Gatherer prometheus.Gatherer

	// Logger logs failed requests (500s); nil means slog.Default().
	Logger *slog.Logger

	// Now is the clock; nil means time.Now. A feed with no items is dated
	// by it, and /status judges backoff by it.
	Now func() time.Time

	// NextRun returns when the scheduler will next run a source (zero if
	// it will not), for /status. Nil computes it from the source's schedule.
	NextRun func(sourceID string) time.Time

	// OnChange, when not nil, is called by Watch after it invalidated the
	// renderings of channels that another process, or this one, changed;
	// with no channel when any may have changed. WebSub distribution
	// starts there (websub.Hub.Notify). It must not block.
	OnChange func(channels ...string)
}

// Handler serves SPEC.md's HTTP routes: the index page, every channel's feed
// and the latest ticker in RSS, Atom and JSON Feed, OPML, /status, /healthz
// and /metrics. Feeds, the index page and OPML are answered from its Cache.
type Handler struct {
	mux      *http.ServeMux
	cache    *Cache
	store    Store
	log      *slog.Logger
	now      func() time.Time
	nextRun  func(string) time.Time
	onChange func(...string)
	metrics  *metrics
	status   statusCache

	searcher hub.Searcher // the store's search; nil when it has none (search.go)
}

// NewHandler returns a Handler serving opts.Config from opts.Store.
func NewHandler(opts Options) *Handler {
	if opts.Store == nil {
		panic("feeds: NewHandler without a Store")
	}
	h := &Handler{
		store:    opts.Store,
		log:      opts.Logger,
		now:      opts.Now,
		nextRun:  opts.NextRun,
		onChange: opts.OnChange,
		metrics:  newMetrics(opts.Registerer),
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.cache = newCache(opts.Store, opts.Config, h.now, h.metrics.rendered)
	if !opts.Config.Settings.SearchOff {
		h.searcher, _ = opts.Store.(hub.Searcher)
	}

	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /{$}", h.serveIndex)
	h.mux.HandleFunc("GET /feeds/{file}", h.serveFeed)
	h.mux.HandleFunc("GET /opml", h.serveOPML)
	h.mux.HandleFunc("GET /status", h.serveStatus)
	h.mux.HandleFunc("GET /healthz", h.serveHealth)
	h.mux.HandleFunc("GET /search", h.serveSearch)
	h.mux.HandleFunc("GET /channels/{id}", h.serveChannel)
	if opts.Gatherer != nil {
		h.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	return h
}

// ServeHTTP implements http.Handler. A path with a "." or ".." segment,
// percent-encoded or not, is refused with 400: clients remove dot segments
// before sending (RFC 3986, 5.2.4), so only a probe for path traversal sends
// one, and http.ServeMux would redirect it to the cleaned path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if file, ok := feedFile(r); ok {
		h.feed(w, r, file)
		return
	}
	if hasDotSegment(r.URL.EscapedPath()) {
		http.Error(w, "bad request: the path has a . or .. segment", http.StatusBadRequest)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// hasDotSegment reports whether an escaped path has a segment that is "."
// or ".." once decoded; "a%2F..%2Fb" is one segment, not a dot segment.
func hasDotSegment(escaped string) bool {
	for seg := range strings.SplitSeq(escaped, "/") {
		if len(seg) > 6 || !strings.Contains(seg, ".") && !strings.Contains(seg, "%") {
			continue
		}
		if s, err := url.PathUnescape(seg); err == nil && (s == "." || s == "..") {
			return true
		}
	}
	return false
}

// Cache returns the handler's cache, whose Invalidate the ingest runner
// calls after it commits new items.
func (h *Handler) Cache() *Cache { return h.cache }

// SetConfig replaces the configuration on reload: channels, sources, base URL,
// sizes and max-ages. Every rendering is made again on its next request.
func (h *Handler) SetConfig(cfg Config) { h.cache.setConfig(cfg) }

// feedFile returns the file of a GET or HEAD of /feeds/{file} whose path
// the mux would route as it is (no escapes, dot segments or empty
// segments), so that feeds, most of the traffic, skip the mux: it was 60%
// of the handler's time on a cached feed (BenchmarkServeCached: 361 ns with
// it, 145 ns without).
func feedFile(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || r.URL.RawPath != "" {
		return "", false
	}
	file, ok := strings.CutPrefix(r.URL.Path, "/feeds/")
	if !ok || file == "" || file == "." || file == ".." || strings.IndexByte(file, '/') >= 0 {
		return "", false
	}
	return file, true
}

func (h *Handler) serveFeed(w http.ResponseWriter, r *http.Request) {
	h.feed(w, r, r.PathValue("file"))
}

// feed serves /feeds/{file}.
func (h *Handler) feed(w http.ResponseWriter, r *http.Request, file string) {
	if name, ext, ok := strings.Cut(file, "."); ok && name == SearchID {
		if f, ok := formatByExt(ext); ok {
			h.searchFeed(w, r, f)
			return
		}
	}
	e, ch, f, err := h.lookup(r.Context(), file, r.URL.RawQuery)
	label := labelUnknown
	if ch != nil {
		label = ch.id
	}
	var qerr *queryError
	switch {
	case errors.Is(err, errNoFeed):
		h.metrics.request(label, f, http.StatusNotFound)
		http.Error(w, "404 not found: no such feed", http.StatusNotFound)
	case errors.As(err, &qerr):
		h.metrics.request(label, f, badQuery(w, qerr))
	case err != nil:
		h.metrics.request(label, f, h.fail(w, r, err))
	default:
		h.metrics.request(ch.id, f, e.serve(w, r))
	}
}

// errNoFeed is lookup's error for a file that names no feed.
var errNoFeed = errors.New("feeds: no such feed")

// lookup returns the rendering of /feeds/{file}?{raw}, with its channel and
// format as far as they are known: errNoFeed for a file that names no feed,
// a *queryError for a bad parameter.
func (h *Handler) lookup(ctx context.Context, file, raw string) (*entry, *channelInfo, format, error) {
	cfg := h.cache.config()
	name, ext := file, ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name, ext = name[:i], name[i+1:]
	}
	f, okFormat := formatByExt(ext)
	if !okFormat {
		f = formatUnknown
	}
	ch := cfg.channels[name]
	if ch == nil || !okFormat {
		return nil, ch, f, errNoFeed
	}
	var limit int
	var v *variant
	if raw != "" {
		if v = cfg.queries.get(raw, ch.size); v == nil {
			var qerr *queryError
			if limit, v, qerr = parseQuery(raw, ch.size, cfg.sources); qerr != nil {
				return nil, ch, f, qerr
			}
			if v != nil {
				cfg.queries.put(raw, ch.size, v)
			}
		}
	}
	var e *entry
	var err error
	if v != nil {
		e, err = h.cache.getVariant(ctx, ch.id, f, v)
	} else {
		e, err = h.cache.get(ctx, key{channel: ch.id, format: f, limit: limit})
	}
	if err != nil {
		return nil, ch, f, err // a *queryError when a pattern did not compile
	}
	return e, ch, f, nil
}

// badQuery answers a request whose query has a bad parameter: 400, in
// plain text naming it.
func badQuery(w http.ResponseWriter, e *queryError) int {
	http.Error(w, "400 bad request: "+e.Error(), http.StatusBadRequest)
	return http.StatusBadRequest
}

// parseCount parses 1 to 4 ASCII digits.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	e, err := h.cache.get(r.Context(), key{channel: LatestID, format: formatIndex})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e.serve(w, r)
}

func (h *Handler) serveOPML(w http.ResponseWriter, r *http.Request) {
	e, err := h.cache.get(r.Context(), key{format: formatOPML})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e.serve(w, r)
}

func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request) {
	body, err := h.statusBody(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func (h *Handler) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	w.Header().Set("Cache-Control", "no-store")
	if err := h.store.Ping(ctx); err != nil {
		h.log.Warn("health check", "err", err)
		http.Error(w, "503 service unavailable: store does not answer", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// fail answers a request that could not be served and returns the status
// it sent. Only 500s are logged; their cause is never shown to the client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) int {
	if errors.Is(err, errUnknownChannel) {
		http.Error(w, "404 not found: no such feed", http.StatusNotFound)
		return http.StatusNotFound
	}
	h.log.Error("serve", "url", r.URL.Path, "err", err)
	http.Error(w, "500 internal server error", http.StatusInternalServerError)
	return http.StatusInternalServerError
}
