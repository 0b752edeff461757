package sqlite

import (
	"slices"
	"testing"

	"github.com/yizhan-hub/yizhan/hub"
)

// TestInOrder: rows read by id come back in the order of the ids, each
// with its story; ids without a row are left out, a repeated row once.
func TestInOrder(t *testing.T) {
	tests := []struct {
		name      string
		ids, rows []int64
		want      []int64
		wantStory []int64
	}{
		{"reversed", []int64{9, 5, 7}, []int64{5, 7, 9}, []int64{9, 5, 7}, []int64{90, 50, 70}},
		{"in order", []int64{3, 2, 1}, []int64{3, 2, 1}, []int64{3, 2, 1}, []int64{30, 20, 10}},
		{"one missing", []int64{4, 8, 6}, []int64{6, 4}, []int64{4, 6}, []int64{40, 60}},
		{"repeated row", []int64{2, 1}, []int64{1, 2, 1}, []int64{2, 1}, []int64{20, 10}},
		{"none", []int64{1}, nil, []int64{}, []int64{}},
	}
	for _, tt := range tests {
		var items []hub.Item
		var stories []int64
		for _, id := range tt.rows {
			items = append(items, hub.Item{ID: id})
			stories = append(stories, id*10)
		}
		gotItems, gotStories := inOrder(tt.ids, items, stories)
		got := []int64{}
		for _, it := range gotItems {
			got = append(got, it.ID)
		}
		if !slices.Equal(got, tt.want) || !slices.Equal(gotStories, tt.wantStory) {
			t.Errorf("%s: inOrder = %v, stories %v; want %v, %v", tt.name, got, gotStories, tt.want, tt.wantStory)
		}
	}
}
