package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser reads the schedules SPEC.md allows: five fields, @hourly-style
// descriptors, @every D, each optionally prefixed by CRON_TZ=Zone.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is a source's parsed schedule. It wraps robfig/cron's, which is
// unmaintained (LIBRARIES.md): nothing outside hub depends on that library.
type Schedule struct{ s cron.Schedule }

// Next returns the first time after t that the schedule runs.
func (s Schedule) Next(t time.Time) time.Time { return s.s.Next(t) }

// ParseSchedule parses a source's schedule. robfig/cron panics on some inputs
// (a bare "CRON_TZ=Asia/Shanghai"); ParseSchedule returns an error instead.
func ParseSchedule(spec string) (sched Schedule, err error) {
	defer func() {
		if p := recover(); p != nil {
			sched, err = Schedule{}, fmt.Errorf("parse schedule %q: %v", spec, p)
		}
	}()
	for _, tz := range []string{"CRON_TZ=", "TZ="} {
		if zone, ok := strings.CutPrefix(spec, tz); ok && !strings.Contains(strings.TrimSpace(zone), " ") {
			return Schedule{}, fmt.Errorf("parse schedule %q: %s must be followed by a space and a schedule, e.g. \"%sAsia/Shanghai 0 8 * * *\"", spec, tz+"Zone", tz)
		}
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		return Schedule{}, fmt.Errorf("parse schedule %q: %w", spec, err)
	}
	return Schedule{s}, nil
}

// ValidateSchedule reports whether spec is a schedule the hub can run.
func ValidateSchedule(spec string) error {
	_, err := ParseSchedule(spec)
	return err
}

// ScheduleInterval returns the gap between two consecutive runs of spec from
// now, the figure behind Cache-Control max-age and RSS <ttl>. An invalid spec
// gives zero.
func ScheduleInterval(spec string, loc *time.Location) time.Duration {
	s, err := ParseSchedule(spec)
	if err != nil {
		return 0
	}
	if loc == nil {
		loc = time.UTC
	}
	next := s.Next(time.Now().In(loc))
	return s.Next(next).Sub(next)
}

// Scheduler runs each enabled source on its schedule through a Runner. A
// panicking run is recovered and logged; the process goes on.
type Scheduler struct {
	runner *Runner
	logger *slog.Logger
	cron   *cron.Cron

	mu      sync.Mutex
	ctx     context.Context // from Start; cron jobs have no context of their own
	entries map[string]*entry
	wg      sync.WaitGroup // first runs started outside cron
	started int            // first runs so far, to stagger them
}

type entry struct {
	id   cron.EntryID
	spec string
	src  Source
}

// StartDelay staggers the first runs of sources never fetched before, so a
// fresh hub does not open every upstream in the same instant.
const StartDelay = 2 * time.Second

// NewScheduler returns a Scheduler whose schedules without CRON_TZ are read in loc.
func NewScheduler(r *Runner, loc *time.Location, logger *slog.Logger) *Scheduler {
	if logger == nil {
		logger = slog.Default()
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Scheduler{
		runner:  r,
		logger:  logger,
		entries: make(map[string]*entry),
		cron: cron.New(
			cron.WithLocation(loc),
			cron.WithParser(cronParser),
			cron.WithChain(cron.Recover(cronLogger{logger})),
		),
	}
}

// Update makes the scheduled set equal to the enabled sources given: new ones
// are added (and, if never fetched, run soon), removed ones dropped, changed
// schedules replaced. A source running during an update is not started twice:
// the Runner's per-source lock outlives cron entries.
func (s *Scheduler) Update(sources []Source) error {
	var errs []error
	s.mu.Lock()
	defer s.mu.Unlock()
	want := make(map[string]bool)
	for _, src := range sources {
		if !src.Enabled {
			continue
		}
		want[src.ID] = true
		if e, ok := s.entries[src.ID]; ok {
			e.src = src
			if e.spec == src.Schedule {
				continue
			}
			s.cron.Remove(e.id)
			delete(s.entries, src.ID)
		}
		sched, err := ParseSchedule(src.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("schedule %s: %w", src.ID, err))
			continue
		}
		e := &entry{spec: src.Schedule, src: src}
		e.id = s.cron.Schedule(sched.s, s.job(src.ID))
		s.entries[src.ID] = e
		if s.ctx != nil {
			s.firstRun(src)
		}
	}
	for id, e := range s.entries {
		if !want[id] {
			s.cron.Remove(e.id)
			delete(s.entries, id)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("update schedule: %w", errors.Join(errs...))
	}
	return nil
}

// Start starts the scheduler; runs stop when ctx is cancelled. Sources that
// were never fetched run shortly after.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = ctx
	for _, e := range s.entries {
		s.firstRun(e.src)
	}
	s.cron.Start()
}

// Stop stops scheduling and waits for running jobs to return. Cancel the
// context given to Start first to make them return promptly.
func (s *Scheduler) Stop() {
	<-s.cron.Stop().Done()
	s.wg.Wait()
}

// NextRun returns when a source runs next on its schedule; zero if it is not scheduled.
func (s *Scheduler) NextRun(sourceID string) time.Time {
	s.mu.Lock()
	e, ok := s.entries[sourceID]
	s.mu.Unlock()
	if !ok {
		return time.Time{}
	}
	if next := s.cron.Entry(e.id).Next; !next.IsZero() {
		return next
	}
	sched, err := ParseSchedule(e.spec)
	if err != nil {
		return time.Time{}
	}
	return sched.Next(time.Now())
}

func (s *Scheduler) job(id string) cron.FuncJob {
	return func() {
		s.mu.Lock()
		e, ok := s.entries[id]
		ctx := s.ctx
		s.mu.Unlock()
		if !ok || ctx == nil || ctx.Err() != nil {
			return
		}
		s.log(s.runner.RunScheduled(ctx, e.src))
	}
}

// firstRun starts a source that has never been tried, after a staggered
// delay. s.mu must be held.
func (s *Scheduler) firstRun(src Source) {
	ctx := s.ctx
	delay := time.Duration(s.started%30) * StartDelay / 4
	s.started++
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			if p := recover(); p != nil {
				s.logger.Error("run panicked", "source", src.ID, "err", fmt.Sprint(p))
			}
		}()
		st, err := s.runner.opts.Store.FetchState(ctx, src.ID)
		if err != nil || !st.LastTry.IsZero() {
			return
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
		s.log(s.runner.RunScheduled(ctx, src))
	}()
}

func (s *Scheduler) log(rep Report) {
	switch {
	case rep.Busy:
		s.logger.Info("fetch skipped: still running", "source", rep.SourceID)
	case rep.Elsewhere:
		s.logger.Debug("fetch skipped: another process runs it", "source", rep.SourceID)
	case !rep.Deferred.IsZero():
		s.logger.Debug("fetch deferred", "source", rep.SourceID, "until", rep.Deferred)
	case rep.Err != nil && rep.Disabled != "":
		s.logger.Warn("fetch failed, source disabled", "source", rep.SourceID, "duration", rep.Duration, "err", rep.Err)
	case rep.Err != nil:
		s.logger.Warn("fetch failed", "source", rep.SourceID, "duration", rep.Duration, "err", rep.Err)
	case rep.Disabled != "":
		s.logger.Debug("fetch skipped: disabled", "source", rep.SourceID, "err", rep.Disabled)
	default:
		s.logger.Info("fetched", "source", rep.SourceID, "status", rep.Outcome(),
			"new", rep.Result.New, "updated", rep.Result.Updated, "duration", rep.Duration)
	}
}

// cronLogger routes robfig/cron's logging (its recovered panics) to slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
