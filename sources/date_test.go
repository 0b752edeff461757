package sources

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2020, 4, 20, 8, 48, 0, 0, sh)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Mon, 20 Apr 2020 08:48:00 +0800", want},
		{"Mon, 20 Apr 2020 08:48:00 CST", want},
		{"Mon, 20 Apr 2020 00:48:00 GMT", want},
		{"Mon, 20 Apr 2020 08:48:00", want},
		{"2020-04-20T08:48:00+08:00", want},
		{"2020-04-20T00:48:00Z", want},
		{"2020-04-20 08:48", want},
		{"2020-04-20 08:48:00", want},
		{"20-04-20 08:48", want},
		{"2020年04月20日 08:48", want},
		{"2020年04月20日08:48", want},
		{"2020年4月20日 08:48", want},
		{"2020/4/20 08:48", want},
		{"２０２０年０４月２０日 ０８：４８", want},
		{"发布时间：2020-04-20 08:48 来源：人民日报", want},
		{"2020/4/20", time.Date(2020, 4, 20, 0, 0, 0, 0, sh)},
		{"2020年04月20日", time.Date(2020, 4, 20, 0, 0, 0, 0, sh)},
	}
	for _, tt := range tests {
		got, ok := ParseTime(tt.in, sh)
		if !ok || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2020-13-45", "2021年2月30日", "编辑:李红军"} {
		if got, ok := ParseTime(bad, sh); ok {
			t.Errorf("ParseTime(%q) = %v, want no date", bad, got)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"Mon, 20 Apr 2020 08:48:00 CST", "20-04-20 08:48", "2020年04月20日08:48", "发布时间：2020/4/20"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseTime(s, time.UTC)
		if ok && (got.Year() < 1 || got.Year() > 9999) {
			t.Errorf("ParseTime(%q) = %v: out of range", s, got)
		}
		if !ok && !got.IsZero() {
			t.Errorf("ParseTime(%q) = %v with ok false", s, got)
		}
	})
}
