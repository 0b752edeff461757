package hub

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestValidateSchedule(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
	}{
		{"@every 15m", true},
		{"@hourly", true},
		{"*/10 * * * *", true},
		{"CRON_TZ=Asia/Shanghai 0 8 * * *", true},
		{"CRON_TZ=Asia/Shanghai", false}, // panics inside robfig/cron
		{"CRON_TZ=Mars/Base 0 8 * * *", false},
		{"@evry 5m", false},
		{"* * *", false},
		{"", false},
		{"61 * * * *", false},
	}
	for _, tt := range tests {
		err := ValidateSchedule(tt.spec)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateSchedule(%q) = %v, want ok %v", tt.spec, err, tt.ok)
		}
	}
}

func TestScheduleInterval(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for spec, want := range map[string]time.Duration{"@every 15m": 15 * time.Minute, "@hourly": time.Hour, "*/10 * * * *": 10 * time.Minute, "nonsense": 0} {
		if got := ScheduleInterval(spec, sh); got != want {
			t.Errorf("ScheduleInterval(%q) = %v, want %v", spec, got, want)
		}
	}
}

func TestSchedulerSurvivesPanicsAndRunsNewSourcesSoon(t *testing.T) {
	st := newMemStore()
	var runs atomic.Int32
	r := NewRunner(RunnerOptions{
		Store: st,
		Fetcher: fetchFunc(func(context.Context, Source, FetchState) (FetchResult, error) {
			runs.Add(1)
			panic("upstream parser exploded")
		}),
	})
	s := NewScheduler(r, time.UTC, nil)
	if err := s.Update([]Source{{ID: "p", Schedule: "@every 1s", Enabled: true}, {ID: "off", Schedule: "@every 1s"}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	s.Start(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	s.Stop()
	// The first run comes right after Start (never fetched), then one a second;
	// each panics and the next still happens.
	if got := runs.Load(); got < 3 {
		t.Errorf("runs of a panicking source = %d, want at least 3", got)
	}
	if s.NextRun("off") != (time.Time{}) {
		t.Errorf("disabled source is scheduled")
	}
}

func TestSchedulerUpdate(t *testing.T) {
	r := NewRunner(RunnerOptions{Store: newMemStore(), Fetcher: fetchFunc(func(context.Context, Source, FetchState) (FetchResult, error) {
		return FetchResult{NotModified: true}, nil
	})})
	s := NewScheduler(r, time.UTC, nil)
	if err := s.Update([]Source{{ID: "a", Schedule: "@every 1h", Enabled: true}, {ID: "b", Schedule: "@every 1h", Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	s.Start(t.Context())
	defer s.Stop()
	if err := s.Update([]Source{{ID: "a", Schedule: "@every 2m", Enabled: true}, {ID: "c", Schedule: "bad", Enabled: true}}); err == nil {
		t.Error("Update with a bad schedule gave no error")
	}
	if next := s.NextRun("a"); next.IsZero() || time.Until(next) > 2*time.Minute+time.Second {
		t.Errorf("NextRun(a) after reschedule = %v, want within 2m", next)
	}
	if !s.NextRun("b").IsZero() {
		t.Error("removed source b is still scheduled")
	}
}

func TestParseScheduleBareZoneSaysWhy(t *testing.T) {
	_, err := ParseSchedule("CRON_TZ=Asia/Shanghai")
	if err == nil || !strings.Contains(err.Error(), "followed by a space") {
		t.Errorf("ParseSchedule(bare CRON_TZ) = %v, want an explanation", err)
	}
}
