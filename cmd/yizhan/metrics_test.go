package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yizhan-hub/yizhan/hub"
)

// TestSourceStateMetrics: every state yizhan sources shows is a
// yizhan_source_state series, 1 for the source's state and 0 for the
// others, beside its failures and next run.
func TestSourceStateMetrics(t *testing.T) {
	next := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	rows := []hub.SourceRow{
		{ID: "a", State: hub.StateOK, NextRun: next},
		{ID: "b", State: hub.StateBackingOff, Failures: 3, NextRun: next},
		{ID: "c", State: hub.StateSuspect, NextRun: next},
		{ID: "d", State: hub.StateDisabled, Failures: 1},
		{ID: "e", State: hub.StateNotConfigured},
	}
	reg := prometheus.NewPedanticRegistry()
	newMetrics(reg, func(context.Context) ([]hub.SourceRow, error) { return rows, nil }, slog.New(slog.DiscardHandler))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{} // "name source state" -> value
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "yizhan_source_") {
			continue
		}
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += " " + l.GetValue()
			}
			got[key] = m.GetGauge().GetValue()
		}
	}
	for _, r := range rows {
		for _, s := range sourceStates {
			want := 0.0
			if s == r.State {
				want = 1
			}
			key := "yizhan_source_state " + r.ID + " " + strings.ReplaceAll(s, " ", "_")
			if v, ok := got[key]; !ok || v != want {
				t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
			}
		}
		if v := got["yizhan_source_consecutive_failures "+r.ID]; v != float64(r.Failures) {
			t.Errorf("failures of %s = %v, want %d", r.ID, v, r.Failures)
		}
		v, ok := got["yizhan_source_next_run_timestamp_seconds "+r.ID]
		if ok != !r.NextRun.IsZero() || ok && v != float64(next.Unix()) {
			t.Errorf("next run of %s = %v (present %v), want %v", r.ID, v, ok, r.NextRun)
		}
	}
	for _, s := range []string{"ok", "failing", "backing_off", "suspect", "disabled", "never_fetched", "not_configured"} {
		if _, ok := got["yizhan_source_state a "+s]; !ok {
			t.Errorf("no yizhan_source_state series for state %q", s)
		}
	}
}
