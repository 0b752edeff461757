package sources

import (
	"testing"

	"github.com/yizhan-hub/yizhan/hub"
)

func TestAttribute(t *testing.T) {
	src := hub.Source{ID: "people-politics", Name: "人民网 · 时政", Attribution: "人民日报", Copyright: "人民网版权所有"}
	bare := hub.Source{ID: "bureau", Name: "某市教育局"}
	tests := []struct {
		name string
		src  hub.Source
		in   hub.Attribution
		want hub.Attribution
	}{
		{"nothing claimed", src, hub.Attribution{},
			hub.Attribution{Credit: "人民日报", Via: "人民网 · 时政", Copyright: "人民网版权所有"}},
		{"item's own claim wins", src, hub.Attribution{Credit: " 新华社 ", CreditURL: "http://www.news.cn/", Author: "李红军", Copyright: "新华社版权所有"},
			hub.Attribution{Credit: "新华社", CreditURL: "http://www.news.cn/", Via: "人民网 · 时政", Author: "李红军", Copyright: "新华社版权所有"}},
		{"name when no attribution", bare, hub.Attribution{},
			hub.Attribution{Credit: "某市教育局"}},
		{"no via when credit is the source", src, hub.Attribution{Credit: "人民网 · 时政"},
			hub.Attribution{Credit: "人民网 · 时政", Copyright: "人民网版权所有"}},
		{"stale via replaced", bare, hub.Attribution{Credit: "人民日报", Via: "old"},
			hub.Attribution{Credit: "人民日报", Via: "某市教育局"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := hub.Item{Attribution: tt.in}
			Attribute(&it, tt.src)
			if it.Attribution != tt.want {
				t.Errorf("Attribution = %+v, want %+v", it.Attribution, tt.want)
			}
			if it.SourceID != tt.src.ID {
				t.Errorf("SourceID = %q, want %q", it.SourceID, tt.src.ID)
			}
		})
	}
}
