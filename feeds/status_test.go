package feeds

import (
	"slices"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// TestSourceRows: the one builder of the rows /status and yizhan sources
// show, source by source.
func TestSourceRows(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, shanghai)
	before := now.Add(-time.Hour)
	scheduled := now.Add(7 * time.Minute)
	src := func(id string) hub.Source {
		return hub.Source{ID: id, Name: "名称 " + id, Kind: hub.KindFeed, URL: "http://example.com/" + id,
			Channels: []string{"c"}, Schedule: "0 8 * * *", Enabled: true}
	}
	off := src("off")
	off.Enabled = false
	tests := []struct {
		name    string
		src     *hub.Source // nil: not configured
		stat    *hub.SourceStat
		nextRun func(string) time.Time
		want    SourceRow // ID, Name, Kind and Channels are filled in from src
		problem string
	}{
		{
			name: "never fetched, next run from the schedule",
			src:  ptr(src("new")),
			want: SourceRow{State: hub.StateNever, NextRun: time.Date(2026, 11, 27, 8, 0, 0, 0, shanghai)},
		},
		{
			name:    "ok, next run from the scheduler",
			src:     ptr(src("ok")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, LastSuccess: before}, Items: 3},
			nextRun: func(string) time.Time { return scheduled },
			want:    SourceRow{State: hub.StateOK, LastTry: before, LastSuccess: before, Items: 3, NextRun: scheduled},
		},
		{
			name:    "failing: the prefix naming the source is not shown",
			src:     ptr(src("failing")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, Failures: 2, LastError: "fetch failing: HTTP 500", NextTry: before}},
			nextRun: func(string) time.Time { return scheduled },
			want: SourceRow{State: hub.StateFailing, Failures: 2, LastTry: before,
				LastError: "fetch failing: HTTP 500", NextRun: scheduled},
			problem: "HTTP 500",
		},
		{
			name:    "backing off: NextTry holds the schedule back",
			src:     ptr(src("slow")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, Failures: 1, LastError: "timeout", NextTry: now.Add(2 * time.Hour)}},
			nextRun: func(string) time.Time { return scheduled },
			want: SourceRow{State: hub.StateBackingOff, Failures: 1, LastTry: before, LastError: "timeout",
				NextRun: now.Add(2 * time.Hour)},
			problem: "timeout",
		},
		{
			name:    "suspect says why",
			src:     ptr(src("odd")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, LastSuccess: before, Suspect: "no items"}},
			nextRun: func(string) time.Time { return scheduled },
			want: SourceRow{State: hub.StateSuspect, Note: "suspect: no items", LastTry: before, LastSuccess: before,
				NextRun: scheduled},
			problem: "suspect: no items",
		},
		{
			name:    "disabled by the hub: why, and no next run",
			src:     ptr(src("gone")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, Failures: 1, LastError: "fetch gone: HTTP 410 Gone", Disabled: "HTTP 410 Gone"}},
			nextRun: func(string) time.Time { return scheduled },
			want: SourceRow{State: hub.StateDisabled, Note: "disabled: HTTP 410 Gone", Failures: 1, LastTry: before,
				LastError: "fetch gone: HTTP 410 Gone"},
			problem: "disabled: HTTP 410 Gone",
		},
		{
			name:    "disabled by the configuration: no next run",
			src:     &off,
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, LastSuccess: before}, Items: 9},
			nextRun: func(string) time.Time { return scheduled },
			want:    SourceRow{State: hub.StateDisabled, LastTry: before, LastSuccess: before, Items: 9},
		},
		{
			name: "a new URL forgets the old one's failures",
			src:  ptr(src("moved")),
			stat: &hub.SourceStat{FetchState: hub.FetchState{ConfigURL: "http://example.org/old", LastTry: before, Failures: 3,
				LastError: "HTTP 410 Gone", Disabled: "HTTP 410 Gone"}},
			nextRun: func(string) time.Time { return scheduled },
			want:    SourceRow{State: hub.StateNever, LastTry: before, LastError: "HTTP 410 Gone", NextRun: scheduled},
			problem: "HTTP 410 Gone",
		},
		{
			name:    "not configured",
			stat:    &hub.SourceStat{FetchState: hub.FetchState{SourceID: "removed", LastTry: before, Failures: 1, LastError: "fetch removed: run removed: HTTP 404"}, Items: 4},
			nextRun: func(string) time.Time { return scheduled },
			want:    SourceRow{ID: "removed", State: StateNotConfigured, Failures: 1, LastTry: before, LastError: "fetch removed: run removed: HTTP 404", Items: 4},
			problem: "HTTP 404",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srcs []hub.Source
			var stats []hub.SourceStat
			want := tt.want
			if tt.src != nil {
				srcs = append(srcs, *tt.src)
				want.ID, want.Name, want.Kind, want.Channels = tt.src.ID, tt.src.Name, tt.src.Kind, tt.src.Channels
			}
			if tt.stat != nil {
				st := *tt.stat
				if tt.src != nil {
					st.SourceID = tt.src.ID
				}
				stats = append(stats, st)
			}
			rows := SourceRows(srcs, stats, now, tt.nextRun)
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1: %+v", len(rows), rows)
			}
			got := rows[0]
			if got.ID != want.ID || got.Name != want.Name || got.Kind != want.Kind || !slices.Equal(got.Channels, want.Channels) ||
				got.State != want.State || got.Note != want.Note || got.Failures != want.Failures ||
				!got.LastTry.Equal(want.LastTry) || !got.LastSuccess.Equal(want.LastSuccess) ||
				got.LastError != want.LastError || got.Items != want.Items || !got.NextRun.Equal(want.NextRun) {
				t.Errorf("row = %+v\nwant  %+v", got, want)
			}
			if p := got.Problem(); p != tt.problem {
				t.Errorf("Problem() = %q, want %q", p, tt.problem)
			}
		})
	}
}

// TestSourceRowsOrder: configured sources in configuration order, then
// those no longer configured by id.
func TestSourceRowsOrder(t *testing.T) {
	srcs := []hub.Source{{ID: "b", Enabled: true}, {ID: "a", Enabled: true}}
	stats := []hub.SourceStat{
		{FetchState: hub.FetchState{SourceID: "z"}},
		{FetchState: hub.FetchState{SourceID: "a"}},
		{FetchState: hub.FetchState{SourceID: "y"}},
	}
	var ids []string
	for _, r := range SourceRows(srcs, stats, clock, nil) {
		ids = append(ids, r.ID)
	}
	if want := []string{"b", "a", "y", "z"}; !slices.Equal(ids, want) {
		t.Errorf("rows = %v, want %v", ids, want)
	}
}

func ptr[T any](v T) *T { return &v }
