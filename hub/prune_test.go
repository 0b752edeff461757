package hub

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// pruneStore records the calls of Prune and answers with its next result.
type pruneStore struct {
	*memStore
	mu      sync.Mutex
	calls   [][]Channel
	floors  []int
	results []PruneResult
	called  chan struct{}
}

func (p *pruneStore) Prune(_ context.Context, channels []Channel, floor int, _ time.Time) (PruneResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, channels)
	p.floors = append(p.floors, floor)
	var res PruneResult
	if len(p.results) > 0 {
		res, p.results = p.results[0], p.results[1:]
	}
	if p.called != nil {
		p.called <- struct{}{}
	}
	return res, nil
}

func TestPrunerRun(t *testing.T) {
	st := &pruneStore{
		memStore: newMemStore(),
		results:  []PruneResult{{}, {Removed: 3, Sources: map[string]int{"a": 3}}},
		called:   make(chan struct{}, 10),
	}
	var pruned []PruneResult
	var mu sync.Mutex
	p := NewPruner(PrunerOptions{
		Store:    st,
		Channels: []Channel{{ID: "c", KeepDays: 30}},
		Floor:    50,
		Interval: 20 * time.Millisecond,
		Delay:    time.Millisecond,
		Logger:   slog.New(slog.DiscardHandler),
		OnPrune: func(res PruneResult) {
			mu.Lock()
			pruned = append(pruned, res)
			mu.Unlock()
		},
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()

	// The first prune runs after Delay, the next after Interval, with
	// the channels of the latest SetChannels.
	select {
	case <-st.called:
	case <-time.After(time.Second):
		t.Fatal("Run did not prune after Delay")
	}
	p.SetRetention([]Channel{{ID: "c", KeepItems: 10}}, 20)
	<-st.called
	<-st.called
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run did not return after cancel")
	}

	st.mu.Lock()
	defer st.mu.Unlock()
	if n := len(st.calls); n < 3 || st.calls[0][0].KeepDays != 30 || st.calls[n-1][0].KeepItems != 10 {
		t.Errorf("Prune calls = %+v, want the first with keep_days 30, the last with keep_items 10", st.calls)
	}
	if n := len(st.floors); st.floors[0] != 50 || st.floors[n-1] != 20 {
		t.Errorf("Prune floors = %v, want the first 50 (Floor), the last 20 (SetRetention)", st.floors)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pruned) != 1 || pruned[0].Removed != 3 {
		t.Errorf("OnPrune calls = %+v, want one, after the prune that removed 3", pruned)
	}
}

// errStore fails every Prune, having removed some items first.
type errStore struct{ *memStore }

func (errStore) Prune(context.Context, []Channel, int, time.Time) (PruneResult, error) {
	return PruneResult{Removed: 2}, errors.New("disk full")
}

func TestPrunerPruneError(t *testing.T) {
	called := false
	p := NewPruner(PrunerOptions{Store: errStore{newMemStore()}, OnPrune: func(PruneResult) { called = true }})
	res, err := p.Prune(t.Context())
	if err == nil || res.Removed != 2 {
		t.Errorf("Prune = %+v, %v; want 2 removed and the error", res, err)
	}
	if !called {
		t.Error("OnPrune was not called after a failed prune that removed items: feeds would go on showing them")
	}
}
