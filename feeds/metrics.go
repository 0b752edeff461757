package feeds

import (
	"errors"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// labelUnknown is the channel label of requests for channels that are not
// configured, so that junk URLs cannot grow the label set.
const labelUnknown = "unknown"

// metrics are the handler's Prometheus counters. Label values are bounded:
// configured channels, LatestID, SearchID and labelUnknown; four formats; a few codes.
type metrics struct {
	requests *prometheus.CounterVec
	renders  *prometheus.CounterVec

	// Resolved counters, so that counting a request allocates nothing;
	// copied on write, so that it takes no lock either.
	mu       sync.Mutex
	counters atomic.Pointer[map[requestKey]prometheus.Counter]
}

type requestKey struct {
	channel string
	format  format
	code    int
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yizhan_feed_requests_total",
			Help: "Feed requests by channel, format and HTTP status code.",
		}, []string{"channel", "format", "status"}),
		renders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yizhan_feed_renders_total",
			Help: "Renderings made by the feed cache, by channel and format (index and opml are pages).",
		}, []string{"channel", "format"}),
	}
	m.counters.Store(&map[requestKey]prometheus.Counter{})
	if reg != nil {
		m.requests = register(reg, m.requests)
		m.renders = register(reg, m.renders)
	}
	return m
}

// register registers c, or returns the collector already registered under
// its name (a second Handler on one registry, as in tests).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a conflicting descriptor is a programming error
	}
	return c
}

// request counts one feed request.
func (m *metrics) request(channel string, f format, code int) {
	k := requestKey{channel, f, code}
	c := (*m.counters.Load())[k]
	if c == nil {
		c = m.requests.WithLabelValues(channel, f.String(), strconv.Itoa(code))
		m.mu.Lock()
		next := maps.Clone(*m.counters.Load())
		next[k] = c
		m.counters.Store(&next)
		m.mu.Unlock()
	}
	c.Inc()
}

// rendered counts one rendering made by the cache.
func (m *metrics) rendered(channel string, f format) {
	if channel == "" {
		channel = "hub" // OPML belongs to no channel
	}
	m.renders.WithLabelValues(channel, f.String()).Inc()
}
