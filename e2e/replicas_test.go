package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestReplicas runs three `yizhan serve` processes on one PostgreSQL
// database with a source due every 2 seconds: each due run is fetched by one
// of them, all serve the same feed under the same ETag, and when one dies
// with SIGKILL the others go on fetching. (bench/replicas.sh runs 200
// sources for ten minutes.)
func TestReplicas(t *testing.T) {
	t.Setenv("YIZHAN_DATABASE", postgresSchema(t, "replicas").String())

	var fetches atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		http.ServeFile(w, r, "testdata/upstream/opinion.rss")
	}))
	t.Cleanup(up.Close)

	dir := t.TempDir()
	start := func(name string) *server {
		listen := freePort(t)
		cfg := fmt.Sprintf(`[hub]
base_url = "http://hub.example"
listen   = %q

[[channel]]
id = "opinion"

[[source]]
id          = "people-opinion"
name        = "人民网 · 观点"
url         = %q
channels    = ["opinion"]
schedule    = "@every 2s"
attribution = "人民日报"
`, listen, up.URL+"/rss/opinion.xml")
		path := filepath.Join(dir, name+".toml")
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return startServe(t, path, listen)
	}
	// Slots count from before the first replica starts: its first run may
	// come before the second is up.
	began := time.Now()
	a, b, c := start("a"), start("b"), start("c")
	waitFor(t, "the first fetch", func() bool { return fetches.Load() > 0 })
	time.Sleep(8 * time.Second)
	slots := int32(time.Since(began)/(2*time.Second)) + 1
	if n := fetches.Load(); n > slots+1 {
		t.Errorf("%d fetches in %d slots of 2 s by three replicas, want at most one per slot", n, slots)
	}

	etag := func(s *server) string {
		res := get(t, s.base+"/feeds/opinion.json", nil)
		res.Body.Close()
		return res.Header.Get("ETag")
	}
	waitFor(t, "the replicas to serve the same ETag", func() bool {
		ea, eb, ec := etag(a), etag(b), etag(c)
		return ea != "" && ea == eb && eb == ec
	})
	if n := len(readJSONFeed(t, b.base+"/feeds/opinion.json").Items); n != 2 {
		t.Errorf("replica b serves %d items, want the 2 replica a or b stored", n)
	}

	// Replica a dies without a word; b and c take its sources over within a
	// minute, one fetch a slot still.
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	before := fetches.Load()
	deadline := time.Now().Add(70 * time.Second)
	for fetches.Load() < before+2 {
		if time.Now().After(deadline) {
			t.Fatalf("replicas b and c fetched %d times in the 70 s after a died, want them to take over", fetches.Load()-before)
		}
		time.Sleep(200 * time.Millisecond)
	}
	from, n0 := time.Now(), fetches.Load()
	time.Sleep(8 * time.Second)
	if n, slots := fetches.Load()-n0, int32(time.Since(from)/(2*time.Second))+1; n > slots+1 {
		t.Errorf("%d fetches in %d slots of 2 s by the two replicas left, want at most one per slot", n, slots)
	}
	b.stop(t)
	c.stop(t)
}
