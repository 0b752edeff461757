package main

import (
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// TestPrintPreviewAuthorEditor: the people who wrote an item and those who
// edited it are shown on lines of their own, never one for the other.
func TestPrintPreviewAuthorEditor(t *testing.T) {
	src := hub.Source{ID: "portal", URL: "http://www.example.cn/list/"}
	tests := []struct {
		name           string
		author, editor string
		want, absent   []string
	}{
		{"both", "王乐文、方敏", "胡永秋、杨光宇",
			[]string{"   author:    王乐文、方敏\n", "   editor:    胡永秋、杨光宇\n"}, nil},
		{"editor only", "", "李红军",
			[]string{"   editor:    李红军\n"}, []string{"author:"}},
		{"author only", "张三", "",
			[]string{"   author:    张三\n"}, []string{"editor:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := hub.Item{Title: "标题", URL: "http://www.example.cn/a.html", Published: time.Date(2024, 5, 10, 6, 58, 0, 0, time.UTC)}
			it.Author, it.Editor = tt.author, tt.editor
			var b strings.Builder
			printPreview(&b, src, hub.FetchResult{Items: []hub.Item{it}}, time.Second)
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("preview lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(out, a) {
					t.Errorf("preview has %q:\n%s", a, out)
				}
			}
		})
	}
}
