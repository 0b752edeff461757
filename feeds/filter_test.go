package feeds

import (
	"testing"

	"github.com/yizhan-hub/yizhan/hub"
)

func TestFirstRunes(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"人民日报", 2, "人民"},
		{"人民日报", 4, "人民日报"},
		{"人民日报", 10, "人民日报"},
		{"ab人", 3, "ab人"},
		{"", 3, ""},
	}
	for _, tt := range tests {
		if got := firstRunes(tt.s, tt.n); got != tt.want {
			t.Errorf("firstRunes(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

// TestBriefNoText: an item with a title alone keeps its footer and gets no
// empty paragraph.
func TestBriefNoText(t *testing.T) {
	cfg := newConfig(testConfig())
	it := hub.Item{SourceID: "people-theory", Key: "k", Title: "只有标题", Attribution: hub.Attribution{Credit: "人民日报"}}
	v := newItemView(&it, cfg)
	brief(&v, &it, "", 100)
	if v.Summary != "" || v.Content != `<p class="yizhan-attribution">来源：人民日报</p>` {
		t.Errorf("Summary, Content = %q, %q; want none and the footer", v.Summary, v.Content)
	}
}
