package feeds

import (
	"net/url"
	"strings"
	"testing"

	"github.com/yizhan-hub/yizhan/hub"
)

// testSources are the sources parseQuery knows in these tests.
var testSources = map[string]*hub.Source{"people-theory": {}, "people-politics": {}, "bureau-notices": {}}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw   string
		limit int
		key   string // the variant's canonical key; "" for none
	}{
		{"", 0, ""},
		{"limit=3", 3, ""},
		{"limit=5", 0, ""}, // the full feed
		{"utm_source=x&_=123", 0, ""},
		{"limit=2&utm_source=%E5%BE%AE%E4%BF%A1", 2, ""},
		{"filter=", 0, ""},                     // an empty pattern would keep everything
		{"filter_case_sensitive=false", 0, ""}, // changes nothing without a pattern
		{"filter=%E6%9E%AB%E6%A1%A5", 0, "filter=%E6%9E%AB%E6%A1%A5"},
		{"filter=枫桥", 0, "filter=%E6%9E%AB%E6%A1%A5"}, // raw UTF-8 in the query
		{"opencc=s2t&filter=a&utm_medium=x", 0, "filter=a&opencc=s2t"},
		{"filter=a&opencc=s2t&limit=2", 0, "filter=a&limit=2&opencc=s2t"},
		{"filter=a&limit=5", 0, "filter=a"},
		{"filter=A&filter_case_sensitive=FALSE", 0, "filter=A&filter_case_sensitive=false"},
		{"filter=A&filter_case_sensitive=true", 0, "filter=A"},
		{"filterout_title=x&filter_author=y&filter_category=z&filterout_description=w", 0,
			"filter_author=y&filter_category=z&filterout_description=w&filterout_title=x"},
		{"source=people-theory,bureau-notices&source=people-theory", 0, "source=bureau-notices%2Cpeople-theory"},
		{"source=bureau-notices,people-theory", 0, "source=bureau-notices%2Cpeople-theory"},
		{"credit=%E4%BA%BA%E6%B0%91%E6%97%A5%E6%8A%A5", 0, "credit=%E4%BA%BA%E6%B0%91%E6%97%A5%E6%8A%A5"},
		{"filter_time=3600", 0, "filter_time=3600"},
		{"brief=100", 0, "brief=100"},
		{"brief=2000&opencc=hk2s", 0, "brief=2000&opencc=hk2s"},
		{"filter=a+b", 0, "filter=a+b"}, // + is a space
	}
	for _, tt := range tests {
		limit, v, err := parseQuery(tt.raw, 5, testSources)
		if err != nil {
			t.Errorf("parseQuery(%q): %v", tt.raw, err)
			continue
		}
		key := ""
		if v != nil {
			key = v.key
		}
		if limit != tt.limit || key != tt.key {
			t.Errorf("parseQuery(%q) = limit %d, key %q; want %d, %q", tt.raw, limit, key, tt.limit, tt.key)
		}
	}
}

// badQueries are, for every parameter, values that must be answered 400
// with a message naming the parameter (query is the whole query string).
var badQueries = []struct{ param, raw string }{
	{"query", "x=" + strings.Repeat("a", maxQuery)},
	{"query", "filter=%zz"},
	{"query", "limit=1;limit=2"},
	{"limit", "limit=0"},
	{"limit", "limit=6"},
	{"limit", "limit=abc"},
	{"limit", "limit="},
	{"limit", "limit=1&limit=2"},
	{"limit", "filter=a&limit=9"},
	{"filter", "filter=("},
	{"filter", "filter=a&filter=b"},
	{"filter", "filter=" + strings.Repeat("a", maxPattern+1)},
	{"filter", "filter=%FF"},
	{"filter_title", "filter_title=%5B"},
	{"filter_description", "filter_description=a%7B1001%7D"},
	{"filter_author", "filter_author=%5Cp%7BNoSuchClass%7D"},
	{"filter_category", "filter_category=(%3FP%3Cx"},
	{"filterout", "filterout=*"},
	{"filterout_title", "filterout_title=%2B"},
	{"filterout_description", "filterout_description=(a"},
	{"filterout_author", "filterout_author=a)"},
	{"filterout_category", "filterout_category=%5Cq"},
	{"filter_case_sensitive", "filter=a&filter_case_sensitive=maybe"},
	{"filter_case_sensitive", "filter_case_sensitive=no"},
	{"filter_time", "filter_time=0"},
	{"filter_time", "filter_time=-60"},
	{"filter_time", "filter_time=%2B60"},
	{"filter_time", "filter_time=1h"},
	{"filter_time", "filter_time=99999999999"},
	{"source", "source=no-such-source"},
	{"source", "source=,"},
	{"credit", "credit="},
	{"credit", "credit=a&credit=b"},
	{"brief", "brief=99"},
	{"brief", "brief=2001"},
	{"brief", "brief=abc"},
	{"opencc", "opencc=s2j"},
	{"opencc", "opencc=S2T"},
	{"opencc", "opencc=s2t&opencc=t2s"},
}

// TestParseQueryBad: every bad value is refused by the parser or, for a
// pattern that does not compile, when the variant is compiled.
func TestParseQueryBad(t *testing.T) {
	for _, tt := range badQueries {
		_, v, err := parseQuery(tt.raw, 5, testSources)
		if err == nil && v != nil {
			_, err = v.compile()
		}
		if err == nil {
			t.Errorf("parseQuery(%.60q) accepted", tt.raw)
			continue
		}
		if err.param != tt.param {
			t.Errorf("parseQuery(%.60q) names %q (%v), want %q", tt.raw, err.param, err, tt.param)
		}
	}
}

// FuzzParseQuery: no query makes the parser panic; an accepted variant's
// key is canonical (parsing it again gives it back) and its patterns
// compile or are refused with a parameter's name.
func FuzzParseQuery(f *testing.F) {
	for _, tt := range badQueries {
		f.Add(tt.raw)
	}
	for _, s := range []string{"", "limit=3", "filter=%E6%9E%AB%E6%A1%A5&opencc=s2t", "source=people-theory,bureau-notices",
		"filter_time=60&brief=100&credit=x", "filter=a&filter_case_sensitive=false&limit=2", "filterout_category=.&filter_author=^王"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		limit, v, err := parseQuery(raw, 5, testSources)
		if err != nil {
			if err.param == "" || err.problem == "" {
				t.Fatalf("parseQuery(%q): error without a parameter or problem: %#v", raw, err)
			}
			return
		}
		if limit < 0 || limit >= 5 {
			t.Fatalf("parseQuery(%q): limit %d", raw, limit)
		}
		if v == nil {
			return
		}
		_, v2, err := parseQuery(v.key, 5, testSources)
		if err != nil || v2 == nil || v2.key != v.key {
			t.Fatalf("parseQuery(%q) has key %q, which parses to %+v, %v", raw, v.key, v2, err)
		}
		if _, err := v.compile(); err != nil && !strings.HasPrefix(err.param, "filter") {
			t.Fatalf("compile(%q): %v", raw, err)
		}
		if _, perr := url.ParseQuery(v.key); perr != nil {
			t.Fatalf("key %q: %v", v.key, perr)
		}
	})
}
