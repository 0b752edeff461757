package story

import (
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

func TestLink(t *testing.T) {
	day := time.Date(2025, 3, 1, 6, 0, 0, 0, china)
	text := "<p>国务院常务会议部署推进高质量发展，强调稳就业、促消费、扩内需，会议指出，要持之以恒为基层减负。</p>"
	cand := func(id, story int64, src, url string) Candidate {
		it := hub.Item{SourceID: src, URL: url, Title: "持之以恒为基层减负", Content: text, Published: day,
			Attribution: hub.Attribution{Credit: "人民日报"}}
		c := New(&it)
		return Candidate{ID: id, Story: story, Keys: c.IndexKeys(), Copy: c}
	}
	other := func(id int64) Candidate {
		it := hub.Item{SourceID: "x", URL: "http://x.example/other.html", Title: "另一篇文章的标题很长很长", Published: day}
		c := New(&it)
		return Candidate{ID: id, Keys: c.IndexKeys(), Copy: c}
	}
	tests := []struct {
		name    string
		cands   []Candidate
		saving  int
		set     map[int64]int64
		renamed map[int64]int64
		changed []int64
	}{
		{"nothing alike", []Candidate{other(1), cand(9, 0, "a", "http://a.example/1.html")}, 1, nil, nil, nil},
		{"joins a lone copy", []Candidate{cand(3, 0, "a", "http://a.example/1.html"), cand(9, 0, "b", "http://b.example/1.html")}, 1,
			map[int64]int64{3: 3, 9: 3}, map[int64]int64{}, []int64{3}},
		{"joins a story", []Candidate{cand(5, 3, "a", "http://a.example/1.html"), cand(9, 0, "b", "http://b.example/1.html")}, 1,
			map[int64]int64{9: 3}, map[int64]int64{}, []int64{3}},
		{"merges two stories", []Candidate{cand(5, 3, "a", "http://a.example/1.html"), cand(7, 2, "c", "http://c.example/1.html"),
			cand(9, 0, "b", "http://b.example/1.html")}, 1,
			map[int64]int64{5: 2, 9: 2}, map[int64]int64{3: 2}, []int64{2}},
		{"two arriving together", []Candidate{cand(8, 0, "a", "http://a.example/1.html"), cand(9, 0, "a", "http://a.example/2.html")}, 2,
			map[int64]int64{8: 8, 9: 8}, map[int64]int64{}, []int64{8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Link(tt.cands, tt.saving)
			// A lone candidate that becomes a story's first copy gets its own id as story.
			if !maps.Equal(p.Set, tt.set) && !(len(p.Set) == 0 && len(tt.set) == 0) {
				t.Errorf("Set = %v, want %v", p.Set, tt.set)
			}
			if !maps.Equal(p.Renamed, tt.renamed) && !(len(p.Renamed) == 0 && len(tt.renamed) == 0) {
				t.Errorf("Renamed = %v, want %v", p.Renamed, tt.renamed)
			}
			if !slices.Equal(p.Changed, tt.changed) {
				t.Errorf("Changed = %v, want %v", p.Changed, tt.changed)
			}
		})
	}
}

func TestDays(t *testing.T) {
	day := int64(24 * time.Hour)
	for _, tt := range []struct {
		nanos int64
		day   int64
	}{{0, 0}, {day - 1, 0}, {day, 1}, {-1, -1}, {-day, -1}, {-day - 1, -2}} {
		if got := Day(tt.nanos); got != tt.day {
			t.Errorf("Day(%d) = %d, want %d", tt.nanos, got, tt.day)
		}
	}
	// Window is 36 hours: an item at noon of day 10 may have copies from the
	// start of day 9 to the start of day 12.
	noon := 10*day + day/2
	if got := AppendDays(nil, noon, Window); !slices.Equal(got, []int64{9, 10, 11, 12}) {
		t.Errorf("AppendDays(noon of day 10) = %v, want 9..12", got)
	}
	if got := AppendDays([]int64{9, 3}, noon, Window); !slices.Equal(got, []int64{9, 3, 10, 11, 12}) {
		t.Errorf("AppendDays adds each day once: %v", got)
	}
}

func TestNewLookup(t *testing.T) {
	day := int64(24 * time.Hour)
	l := NewLookup([][3]int64{{7, 8, 0}, {0, 9, 10}}, []int64{10*day + day/2, 10*day + day/2 + 1})
	if !slices.Equal(l.URLKeys, []int64{7}) || !slices.Equal(l.TitleKeys, []int64{8, 9, 10}) {
		t.Errorf("keys = %v, %v; want [7] and [8 9 10] (zeros left out)", l.URLKeys, l.TitleKeys)
	}
	if !slices.Equal(l.Days, []int64{9, 10, 11, 12}) || len(l.URLDays) != 15 {
		t.Errorf("days = %v, url days = %v; want 9..12 and 15 days", l.Days, l.URLDays)
	}
	if l.From != 10*day+day/2-int64(Window) || l.To != 10*day+day/2+1+int64(Window) {
		t.Errorf("dates %d..%d, want the items' within Window", l.From, l.To)
	}
	if l.Empty() || !NewLookup([][3]int64{{}}, []int64{0}).Empty() {
		t.Errorf("Empty wrong")
	}
	// Dates at the ends of the range do not wrap around.
	if l := NewLookup([][3]int64{{1}}, []int64{math.MaxInt64}); l.To != math.MaxInt64 || l.From > math.MaxInt64-int64(Window) {
		t.Errorf("saturation: %d..%d", l.From, l.To)
	}
}
