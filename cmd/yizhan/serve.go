package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/netutil"

	"github.com/yizhan-hub/yizhan/feeds"
	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/postgres"
	"github.com/yizhan-hub/yizhan/sources"
	"github.com/yizhan-hub/yizhan/websub"
)

// Serving limits. Feed readers send small requests; anything slower or bigger
// is a broken or hostile client. No endpoint reads a request body, so a
// request has as long as its header: the same deadline, which net/http then
// sets once per request instead of twice. net/http also cancels a request's
// context when that deadline passes while the handler runs, so a handler
// has 10 s of store work on the request's context; feed renderings and
// /status do not run on it (they are shared with other requests).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = readHeaderTimeout
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 32 << 10
	maxConnections    = 1024
	shutdownTimeout   = 15 * time.Second // for in-flight requests and fetches together
	watchInterval     = 2 * time.Second  // how often serve looks at the config file
)

func cmdServe(ctx context.Context, e *env, args []string) int {
	cfg, _, logger, code := start(e, "serve", args, 0, 0)
	if cfg == nil {
		return code
	}
	logWarnings(logger, cfg)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan serve: %v\n", err)
		return exitFail
	}
	defer a.close()
	ln, err := net.Listen("tcp", cfg.Hub.Listen)
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan serve: %v\n", err)
		return exitFail
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go a.watch(ctx, hup, watchInterval)

	logger.Info("serving", "url", cfg.Hub.BaseURL, "listen", ln.Addr().String(),
		"config", cfg.File, "channels", len(cfg.Channels), "sources", len(cfg.Sources), "version", versionString())
	if err := a.serve(ctx, ln, stop); err != nil {
		logger.Error("serve", "err", err)
		return exitFail
	}
	logger.Info("stopped")
	return exitOK
}

// app is a running hub: the store, the fetcher, the runner and its scheduler,
// and the HTTP handler, wired as serve runs them. Tests build it with newApp
// and drive it through serve, reload and watch.
type app struct {
	logger   *slog.Logger
	store    hub.Store
	fetcher  *swapFetcher
	runner   *hub.Runner
	sched    *hub.Scheduler
	pruner   *hub.Pruner
	handler  *feeds.Handler
	registry *prometheus.Registry
	metrics  *metrics
	http     *http.Server
	fresh    freshConns
	websub   *websub.Hub         // nil when [websub] is off
	upstream *sources.Subscriber // nil when [websub] is off

	mu  sync.Mutex // serialises reloads
	cfg atomic.Pointer[Config]
}

// newApp opens the store and builds everything serve runs; nothing is started.
func newApp(ctx context.Context, cfg *Config, logger *slog.Logger) (*app, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{logger: logger, store: store, registry: prometheus.NewRegistry()}
	a.cfg.Store(cfg)
	a.metrics = newMetrics(a.registry, a.rows, logger)
	if x, ok := store.(hub.SearchIndexer); ok && !cfg.Hub.SearchOff {
		a.registry.MustRegister(&searchCollector{index: x, logger: logger})
	}
	a.fetcher = &swapFetcher{}
	a.fetcher.set(cfg, store, a.observeFeed)
	a.runner = hub.NewRunner(hub.RunnerOptions{
		Store:    store,
		Fetcher:  a.fetcher,
		Holder:   holderName(),
		Logger:   logger,
		OnChange: a.changed,
		OnReport: a.metrics.observe,
	})
	a.sched = hub.NewScheduler(a.runner, cfg.Hub.Timezone, logger)
	if err := a.sched.Update(cfg.Sources); err != nil {
		store.Close()
		return nil, err
	}
	a.pruner = hub.NewPruner(hub.PrunerOptions{
		Store:    store,
		Channels: cfg.Channels,
		Floor:    cfg.Hub.FeedSize,
		Logger:   logger,
		OnPrune: func(res hub.PruneResult) {
			a.metrics.pruned(res)
			a.handler.Cache().InvalidateAll()
		},
	})
	a.handler = feeds.NewHandler(feeds.Options{
		Config:     feedsConfig(cfg),
		Store:      store,
		Registerer: a.registry,
		Gatherer:   a.registry,
		Logger:     logger,
		NextRun:    a.sched.NextRun,
		OnChange:   a.notifyWebSub, // what other processes commit
	})
	a.websub = newWebSub(cfg, store, func() *feeds.Handler { return a.handler }, logger)
	var hubHandler http.Handler
	if a.websub != nil {
		hubHandler = a.websub
	}
	if ss, ok := store.(hub.SubscriptionStore); ok {
		a.registry.MustRegister(&webSubCollector{hub: a.websub, store: ss, logger: logger})
	}
	var callbacks http.Handler
	if a.upstream = newSubscriber(cfg, store, a.ingestPush, logger); a.upstream != nil {
		callbacks = a.upstream
	}
	a.http = &http.Server{
		Handler:           withWebSub(a.handler, hubHandler, callbacks),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnState:         a.fresh.track,
	}
	return a, nil
}

// freshConns are connections that have not yet sent a whole request.
// http.Server.Shutdown waits up to 5 s for such a connection before it counts
// as idle; a client that connects and then says nothing would hold every
// shutdown that long, so shutdown closes them at once.
type freshConns struct {
	mu sync.Mutex
	m  map[net.Conn]struct{}
	n  atomic.Int64 // len(m), read without the lock
}

// track is the server's ConnState hook, called on every request: once
// connections are past their first request (the set is empty), it returns
// without taking the lock.
func (f *freshConns) track(c net.Conn, state http.ConnState) {
	if state == http.StateIdle || state != http.StateNew && f.n.Load() == 0 {
		return // idle comes after active, which took c out of the set
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if state == http.StateNew {
		if f.m == nil {
			f.m = make(map[net.Conn]struct{})
		}
		f.m[c] = struct{}{}
	} else {
		delete(f.m, c)
	}
	f.n.Store(int64(len(f.m)))
}

func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.m {
		c.Close()
	}
	clear(f.m)
	f.n.Store(0)
}

// serve runs the scheduler and retention and answers HTTP on ln until ctx is done, then
// shuts both down within shutdownTimeout. stop, if not nil, is called once
// shutdown begins, so that a second SIGINT kills the process.
func (a *app) serve(ctx context.Context, ln net.Listener, stop func()) error {
	a.sched.Start(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.pruner.Run(ctx) })
	wg.Go(func() { a.watchStale(ctx, staleDelay, staleInterval) })
	wg.Go(func() { paceMemory(ctx, memoryInterval) })
	// Items another process stores (`yizhan fetch` from cron) reach the feeds too.
	wg.Go(func() { a.handler.Watch(ctx, feeds.DefaultWatchInterval) })
	if a.websub != nil {
		wg.Go(func() { a.websub.Run(ctx) })
	}
	if a.upstream != nil {
		wg.Go(func() { a.upstream.Run(ctx, a.webSubSources, webSubSyncInterval) })
	}
	errc := make(chan error, 1)
	go func() { errc <- a.http.Serve(netutil.LimitListener(ln, maxConnections)) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	if stop != nil {
		stop()
	}
	a.logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	wg.Go(func() {
		// Fetches see ctx cancelled and roll back; Stop waits for them.
		a.sched.Stop()
	})
	a.fresh.closeAll()
	if serr := a.http.Shutdown(sctx); serr != nil {
		err = errors.Join(err, fmt.Errorf("shutdown: %w", serr))
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		err = errors.Join(err, errors.New("shutdown: fetches still running after "+shutdownTimeout.String()))
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (a *app) close() error { return a.store.Close() }

// changed is the runner's OnChange: the feeds of the source's channels are
// rendered again, and their WebSub subscribers told.
func (a *app) changed(src hub.Source, _ hub.SaveResult) {
	a.handler.Cache().Invalidate(src.Channels...)
	a.notifyWebSub(src.Channels...)
}

// notifyWebSub starts the WebSub distribution of a change of channels.
func (a *app) notifyWebSub(channels ...string) {
	if a.websub != nil {
		a.websub.Notify(channels...)
	}
}

// config returns the configuration in force.
func (a *app) config() *Config { return a.cfg.Load() }

// rows returns every source's state for the metrics, as /status shows it
// but read afresh: a scrape's gauges agree with its counters.
func (a *app) rows(ctx context.Context) ([]hub.SourceRow, error) {
	stats, err := a.store.SourceStats(ctx)
	if err != nil {
		return nil, err
	}
	cfg := a.config()
	return hub.SourceRows(cfg.Sources, stats, time.Now().In(cfg.Hub.Timezone), a.sched.NextRun), nil
}

// reload reads the configuration file again and, if it validates, puts it in
// force: the store learns the new channel memberships, the feeds the new
// channels and settings, the scheduler the new sources and schedules. A file
// that does not validate changes nothing; its problems are logged.
func (a *app) reload(ctx context.Context, why string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.config()
	cfg, err := loadConfig(old.File)
	if err != nil {
		for _, e := range flatten(err) {
			a.logger.Error("config problem", "err", e)
		}
		a.logger.Error("config reload refused; the running configuration stays in force", "config", old.File, "trigger", why)
		a.metrics.reloads.WithLabelValues("error").Inc()
		return false
	}
	if err := a.apply(ctx, old, cfg); err != nil {
		a.logger.Error("config reload failed; the running configuration stays in force", "config", old.File, "err", err)
		a.metrics.reloads.WithLabelValues("error").Inc()
		return false
	}
	a.metrics.reloads.WithLabelValues("ok").Inc()
	a.logger.Info("config reloaded", "config", cfg.File, "trigger", why,
		"channels", len(cfg.Channels), "sources", len(cfg.Sources))
	logWarnings(a.logger, cfg)
	return true
}

// logWarnings logs what cfg has that is valid but likely a mistake, each
// warning as yizhan check prints it.
func logWarnings(logger *slog.Logger, cfg *Config) {
	for _, w := range cfg.Warnings {
		logger.Warn("config warning", "err", w.Error())
	}
}

func (a *app) apply(ctx context.Context, old, cfg *Config) error {
	// What the running process cannot change keeps its old value.
	if cfg.Hub.Listen != old.Hub.Listen {
		a.logger.Warn("hub.listen changes on restart", "listen", old.Hub.Listen)
		cfg.Hub.Listen = old.Hub.Listen
	}
	if old.DatabaseEnv {
		cfg.Hub.Database, cfg.DatabaseEnv = old.Hub.Database, true
	}
	if cfg.Hub.Database != old.Hub.Database {
		a.logger.Warn("hub.database changes on restart", "database", old.Hub.Database)
		cfg.Hub.Database = old.Hub.Database
	}
	if cfg.WebSub != old.WebSub {
		a.logger.Warn("websub settings change on restart")
		cfg.WebSub = old.WebSub
	}
	if cfg.Hub.Timezone.String() != old.Hub.Timezone.String() {
		a.logger.Warn("hub.timezone applies to dates now and to schedules on restart", "timezone", cfg.Hub.Timezone.String())
	}
	if err := a.store.SyncSources(ctx, cfg.SourceChannels()); err != nil {
		return fmt.Errorf("sync sources: %w", err)
	}
	if cfg.Hub.UserAgent != old.Hub.UserAgent {
		a.fetcher.set(cfg, a.store, a.observeFeed)
	}
	a.cfg.Store(cfg)
	a.pruner.SetRetention(cfg.Channels, cfg.Hub.FeedSize)
	a.handler.SetConfig(feedsConfig(cfg))
	return a.sched.Update(cfg.Sources)
}

// watch reloads the configuration on SIGHUP and when its file changes, until
// ctx is done. A change is a new size, modification time or content; a file
// that is briefly missing (an editor replacing it) is looked at again on the
// next tick.
func (a *app) watch(ctx context.Context, hup <-chan os.Signal, every time.Duration) {
	last := fileVersion(a.config().File)
	var settling *fileState // a change seen at the last tick, not yet loaded
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			last, settling = fileVersion(a.config().File), nil
			a.reload(ctx, "SIGHUP")
		case <-tick.C:
			v := fileVersion(a.config().File)
			if v.missing || v.same(last) {
				settling = nil
				continue
			}
			// An editor or a deploy may be half-way through writing the
			// file: a change is loaded once it holds for a whole tick.
			if settling == nil || !v.same(*settling) {
				settling = &v
				continue
			}
			last, settling = v, nil
			a.reload(ctx, "file changed")
		}
	}
}

// fileState identifies one state of a file.
type fileState struct {
	missing bool
	size    int64
	mtime   time.Time
	data    []byte
}

func fileVersion(path string) fileState {
	fi, err := os.Stat(path)
	if err != nil {
		return fileState{missing: true}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fileState{missing: true}
	}
	return fileState{size: fi.Size(), mtime: fi.ModTime(), data: data}
}

// same reports whether v has the content of w; a touch alone is no change.
func (v fileState) same(w fileState) bool {
	if v.size == w.size && v.mtime.Equal(w.mtime) {
		return true
	}
	return bytes.Equal(v.data, w.data)
}

// feedsConfig is the part of cfg the feeds handler needs. A channel's feeds
// may be cached for as long as its most frequent enabled source waits
// between runs.
func feedsConfig(cfg *Config) feeds.Config {
	maxAge := make(map[string]time.Duration)
	for _, s := range cfg.Sources {
		if !s.Enabled {
			continue
		}
		d := hub.ScheduleInterval(s.Schedule, cfg.Hub.Timezone)
		for _, c := range s.Channels {
			if d > 0 && (maxAge[c] == 0 || d < maxAge[c]) {
				maxAge[c] = d
			}
		}
	}
	return feeds.Config{
		Settings: cfg.Hub,
		Channels: cfg.Channels,
		Sources:  cfg.Sources,
		MaxAge:   func(id string) time.Duration { return maxAge[id] },
		WebSub:   cfg.WebSub.Enabled,

		VariantCacheBytes: cfg.VariantCacheBytes,
	}
}

// swapFetcher is the Runner's fetcher, replaced when a reload changes the
// User-Agent (the HTTP client carries it).
type swapFetcher struct {
	f atomic.Pointer[sources.Fetcher]
}

func (s *swapFetcher) set(cfg *Config, known sources.KnownURLs, onFeed func(hub.Source, sources.HubLinks)) {
	s.f.Store(sources.New(sources.Options{Client: newClient(cfg), Known: known, OnFeed: onFeed}))
}

func (s *swapFetcher) Fetch(ctx context.Context, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	if p, ok := ctx.Value(pushKey{}).(pushed); ok {
		return readPushed(p, src, prev)
	}
	return s.f.Load().Fetch(ctx, src, prev)
}

// holderName names this process among the serve processes that share a
// database (hub.RunnerOptions.Holder): host, pid and a random part, so that
// a restarted process on the same host is another holder.
func holderName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%08x", host, os.Getpid(), rand.Uint32())
}

// Replicas on PostgreSQL learn of each other's commits as they happen.
var _ feeds.Listener = (*postgres.DB)(nil)
