package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
	"github.com/yizhan-hub/yizhan/internal/testenv"
)

// fillStore stores a story of two copies and some items in a new SQLite
// file and returns its path.
func fillStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "from.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if err := db.SyncSources(ctx, map[string][]string{"people": {"c"}, "prov": {"c"}}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	text := "<p>为基层减负，是党中央着眼新时代新征程党和国家事业发展全局作出的重要部署，各地区各部门认真贯彻落实。</p>"
	own := hub.Item{Key: "p1", URL: "http://opinion.people.com.cn/a.html", Title: "持之以恒为基层减负", Content: text,
		Published: day, Attribution: hub.Attribution{Credit: "人民日报"}, Own: true}
	rp := hub.Item{Key: "r1", URL: "http://www.example.gov.cn/a.html", Title: "【理论】持之以恒为基层减负", Content: text,
		Published: day.Add(time.Hour), Attribution: hub.Attribution{Credit: "人民日报", Via: "某省网"}}
	// A GBK page's link read as bytes, and text with bytes that are not
	// UTF-8: the key and URL are copied byte for byte.
	gbk := hub.Item{Key: "g\xd6\xd0", URL: "http://www.example.gov.cn/\xd6\xd0.html", Title: "标题\xff",
		Content: "<p>\xfe正文</p>", Published: day.Add(-time.Hour)}
	more := []hub.Item{gbk}
	for i := range 2500 {
		more = append(more, hub.Item{Key: fmt.Sprint("k", i), URL: fmt.Sprint("http://www.example.gov.cn/n/", i, ".html"),
			Title: fmt.Sprint("第", i, "条"), Published: day.Add(-time.Duration(i) * time.Minute)})
	}
	for src, items := range map[string][]hub.Item{"people": {own}, "prov": append(more, rp)} {
		if _, err := db.SaveItems(ctx, src, items, day); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveFetchState(ctx, hub.FetchState{SourceID: "prov", ETag: `"x"`, LastTry: day}); err != nil {
		t.Fatal(err)
	}
	return path
}

// latest returns the source/key of the newest items of a store, stories collapsed.
func latest(t *testing.T, database string) []string {
	t.Helper()
	db, err := openDatabase(t.Context(), database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	items, err := db.Items(t.Context(), hub.Query{Limit: 20, Dedup: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it.SourceID, "/", it.Key, " ", it.FeedGUID(), " ", len(it.Carriers)))
	}
	return out
}

func TestCopyDB(t *testing.T) {
	from := fillStore(t)
	to := filepath.Join(t.TempDir(), "sub", "to.db")
	code, stdout, stderr := runCmd(t, nil, "copydb", "-from", from, "-to", to)
	if code != 0 || !strings.Contains(stdout, "copied 2503 items, 1 fetch states, 0 tombstones") {
		t.Fatalf("copydb = %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if a, b := latest(t, from), latest(t, to); !slices.Equal(a, b) || len(a) != 20 {
		t.Errorf("latest of the copy:\n%q\nof the original:\n%q", b, a)
	}

	code, _, stderr = runCmd(t, nil, "copydb", "-from", from, "-to", to)
	if code != 1 || !strings.Contains(stderr, "is not empty") {
		t.Errorf("copydb into a non-empty store = %d, %q; want 1 and why", code, stderr)
	}
	for _, args := range [][]string{{"copydb"}, {"copydb", "-from", from}, {"copydb", "-from", from, "-to", from}, {"copydb", "-from", from, "-to", to, "extra"}} {
		if code, _, _ := runCmd(t, nil, args...); code != 2 {
			t.Errorf("%q = %d, want 2 (usage)", args, code)
		}
	}
	if code, _, stderr := runCmd(t, nil, "copydb", "-from", filepath.Join(t.TempDir(), "none.db"), "-to", to+"2"); code != 1 || !strings.Contains(stderr, "no such database") {
		t.Errorf("copydb from a missing file = %d, %q", code, stderr)
	}
}

// TestCopyDBPostgres copies SQLite → PostgreSQL → SQLite: the ticker reads
// the same at every step.
func TestCopyDBPostgres(t *testing.T) {
	base := os.Getenv("YIZHAN_TEST_POSTGRES")
	if base == "" {
		testenv.Skip(t, "%s", "YIZHAN_TEST_POSTGRES is not set: start a throwaway cluster with eval \"$(.ci/postgres.sh)\"")
	}
	schema := fmt.Sprintf("copydb_%d", os.Getpid())
	exec := func(sql string) {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	pg := u.String()

	from := fillStore(t)
	back := filepath.Join(t.TempDir(), "back.db")
	for _, step := range [][2]string{{from, pg}, {pg, back}} {
		if code, stdout, stderr := runCmd(t, nil, "copydb", "-from", step[0], "-to", step[1]); code != 0 {
			t.Fatalf("copydb %s → %s = %d\n%s%s", step[0], step[1], code, stdout, stderr)
		}
	}
	want, wantAll := latest(t, from), dumpOf(t, from)
	for _, db := range []string{pg, back} {
		if got := latest(t, db); !slices.Equal(got, want) {
			t.Errorf("latest of %s:\n%q\nwant\n%q", db, got, want)
		}
		if got := dumpOf(t, db); !slices.Equal(got, wantAll) {
			for i := range min(len(got), len(wantAll)) {
				if got[i] != wantAll[i] {
					t.Errorf("dump of %s differs at line %d:\n%q\nwant\n%q", db, i, got[i], wantAll[i])
					break
				}
			}
			t.Errorf("dump of %s: %d lines, want %d", db, len(got), len(wantAll))
		}
	}
}

// dumpOf returns the whole content of a store as its Dump gives it, one line
// per item, story, fetch state and tombstone, every byte of every field, and
// instants in UTC.
func dumpOf(t *testing.T, database string) []string {
	t.Helper()
	db, err := openDatabase(t.Context(), database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	utc := func(ts ...*time.Time) string {
		var b strings.Builder
		for _, x := range ts {
			b.WriteString(" " + x.UTC().Format(time.RFC3339Nano))
			*x = time.Time{}
		}
		return b.String()
	}
	var out []string
	err = db.(hub.Copier).Dump(t.Context(), 500, func(d hub.Dump) error {
		if d.Sources != nil {
			out = append(out, fmt.Sprint("sources ", d.Sources))
		}
		for i, it := range d.Items {
			times := utc(&it.Published, &it.Updated, &it.FirstSeen)
			out = append(out, fmt.Sprintf("item %+v story %d%s", it, d.Stories[i], times))
		}
		for _, st := range d.States {
			times := utc(&st.LastTry, &st.LastSuccess, &st.NextTry)
			out = append(out, fmt.Sprintf("state %+v%s", st, times))
		}
		for _, ts := range d.Tombstones {
			times := utc(&ts.PrunedAt, &ts.SeenAt)
			out = append(out, fmt.Sprintf("tombstone %+v%s", ts, times))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
