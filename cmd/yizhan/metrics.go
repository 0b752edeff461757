package main

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/yizhan-hub/yizhan/hub"
)

// metrics are the hub's own Prometheus metrics. Labels are source ids and
// fixed words only, so their number is bounded by the configuration.
type metrics struct {
	fetches  *prometheus.CounterVec   // by source and result
	duration *prometheus.HistogramVec // by source
	saved    *prometheus.CounterVec   // by source and change (new, updated)
	reloads  *prometheus.CounterVec   // by result (ok, error)
	removed  *prometheus.CounterVec   // by source
}

// newMetrics registers the hub's metrics, the Go runtime's and the process's
// on reg. rows is called at each scrape for every source's current state.
func newMetrics(reg prometheus.Registerer, rows func(ctx context.Context) ([]hub.SourceRow, error), logger *slog.Logger) *metrics {
	m := &metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yizhan_fetches_total",
			Help: "Runs of a source by result: new, updated, unchanged, not_modified, error, busy, elsewhere, deferred or disabled.",
		}, []string{"source", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "yizhan_fetch_duration_seconds",
			Help:    "Time one fetch of a source took, storing included.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"source"}),
		saved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yizhan_items_saved_total",
			Help: "Items written to the store by source and change: new or updated.",
		}, []string{"source", "change"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yizhan_config_reloads_total",
			Help: "Configuration reloads by result: ok or error (the running configuration was kept).",
		}, []string{"result"}),
		removed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yizhan_items_pruned_total",
			Help: "Items removed by retention (keep_days, keep_items), by source.",
		}, []string{"source"}),
	}
	reg.MustRegister(m.fetches, m.duration, m.saved, m.reloads, m.removed,
		&stateCollector{rows: rows, logger: logger},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// observe records one run of the Runner.
func (m *metrics) observe(rep hub.Report) {
	m.fetches.WithLabelValues(rep.SourceID, rep.Outcome()).Inc()
	if rep.Busy || !rep.Deferred.IsZero() {
		return
	}
	m.duration.WithLabelValues(rep.SourceID).Observe(rep.Duration.Seconds())
	if rep.Result.New > 0 {
		m.saved.WithLabelValues(rep.SourceID, "new").Add(float64(rep.Result.New))
	}
	if rep.Result.Updated > 0 {
		m.saved.WithLabelValues(rep.SourceID, "updated").Add(float64(rep.Result.Updated))
	}
}

// pruned records what one retention pass removed.
func (m *metrics) pruned(res hub.PruneResult) {
	for src, n := range res.Sources {
		m.removed.WithLabelValues(src).Add(float64(n))
	}
}

// sourceStates are the states a source can be in, as yizhan_source_state labels.
var sourceStates = append(slices.Clone(hub.States), hub.StateNotConfigured)

var (
	descItems = prometheus.NewDesc("yizhan_source_items",
		"Items stored for a source.", []string{"source"}, nil)
	descState = prometheus.NewDesc("yizhan_source_state",
		"1 for the state a source is in (ok, stale, failing, backing_off, suspect, disabled, never_fetched, not_configured), 0 for the others.",
		[]string{"source", "state"}, nil)
	descFailures = prometheus.NewDesc("yizhan_source_consecutive_failures",
		"Failed fetches of a source since its last success.", []string{"source"}, nil)
	descLastSuccess = prometheus.NewDesc("yizhan_source_last_success_timestamp_seconds",
		"When a source was last fetched successfully (Unix time; absent if never).", []string{"source"}, nil)
	descLastTry = prometheus.NewDesc("yizhan_source_last_try_timestamp_seconds",
		"When a source was last tried (Unix time; absent if never).", []string{"source"}, nil)
	descNextRun = prometheus.NewDesc("yizhan_source_next_run_timestamp_seconds",
		"When a source runs next (Unix time; absent if not scheduled).", []string{"source"}, nil)
)

// stateCollector reads every source's state from the store at scrape time,
// so the figures are never stale and need no bookkeeping on reload.
type stateCollector struct {
	rows   func(ctx context.Context) ([]hub.SourceRow, error)
	logger *slog.Logger
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descItems, descState, descFailures, descLastSuccess, descLastTry, descNextRun} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := c.rows(ctx)
	if err != nil {
		c.logger.Warn("metrics: read source state", "err", err)
		ch <- prometheus.NewInvalidMetric(descItems, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	stampGauge := func(d *prometheus.Desc, t time.Time, id string) {
		if !t.IsZero() {
			gauge(d, float64(t.UnixNano())/1e9, id)
		}
	}
	for _, r := range rows {
		gauge(descItems, float64(r.Items), r.ID)
		gauge(descFailures, float64(r.Failures), r.ID)
		for _, s := range sourceStates {
			v := 0.0
			if s == r.State {
				v = 1
			}
			gauge(descState, v, r.ID, strings.ReplaceAll(s, " ", "_"))
		}
		stampGauge(descLastSuccess, r.LastSuccess, r.ID)
		stampGauge(descLastTry, r.LastTry, r.ID)
		stampGauge(descNextRun, r.NextRun, r.ID)
	}
}

var (
	descSearchWaiting = prometheus.NewDesc("yizhan_search_waiting",
		"Changes of items committed and not yet searchable (the search index follows the commits).", nil, nil)
	descSearchLag = prometheus.NewDesc("yizhan_search_lag_seconds",
		"How long the oldest change not yet searchable has waited; 0 when the index is up to date.", nil, nil)
	descSearchLongest = prometheus.NewDesc("yizhan_search_lag_max_seconds",
		"The longest any change waited to become searchable since serve started.", nil, nil)
	descSearchIndexed = prometheus.NewDesc("yizhan_search_indexed_total",
		"Changes of items taken into the search index since serve started.", nil, nil)
)

// searchCollector reports, at each scrape, how far the search index is
// behind the items, on a store that indexes behind the commit.
type searchCollector struct {
	index  hub.SearchIndexer
	logger *slog.Logger
}

func (c *searchCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSearchWaiting, descSearchLag, descSearchLongest, descSearchIndexed} {
		ch <- d
	}
}

func (c *searchCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lag, err := c.index.SearchLag(ctx)
	if err != nil {
		c.logger.Warn("metrics: read search lag", "err", err)
		ch <- prometheus.NewInvalidMetric(descSearchWaiting, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descSearchWaiting, prometheus.GaugeValue, float64(lag.Waiting))
	ch <- prometheus.MustNewConstMetric(descSearchLag, prometheus.GaugeValue, lag.Oldest.Seconds())
	ch <- prometheus.MustNewConstMetric(descSearchLongest, prometheus.GaugeValue, lag.Longest.Seconds())
	ch <- prometheus.MustNewConstMetric(descSearchIndexed, prometheus.CounterValue, float64(lag.Indexed))
}
