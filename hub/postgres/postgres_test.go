package postgres

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/storetest"
	"github.com/yizhan-hub/yizhan/internal/testenv"
)

// testURL returns the URL of the test database (YIZHAN_TEST_POSTGRES, which
// .ci/postgres.sh prints), or skips (fails under CI).
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("YIZHAN_TEST_POSTGRES")
	if u == "" {
		testenv.Skip(t, "YIZHAN_TEST_POSTGRES is not set: start a throwaway cluster with eval \"$(.ci/postgres.sh)\"")
	}
	return u
}

var schemas atomic.Int64

// openTest opens the store in a new, empty schema of the test database,
// dropped at the end of t.
func openTest(t testing.TB) *DB {
	t.Helper()
	base := testURL(t)
	ctx := context.Background()
	schema := fmt.Sprintf("t_%d_%d", os.Getpid(), schemas.Add(1))
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hub.Store { return openTest(t) })
}

// TestMigrateTwice: a second process opening a migrated database changes
// nothing and keeps what is stored.
func TestMigrateTwice(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	if _, err := db.SaveItems(ctx, "a", []hub.Item{{Key: "k", Title: "标题"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db.pool, migrations); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM items`).Scan(&n); err != nil || n != 1 {
		t.Errorf("items after a second migrate = %d, %v; want 1", n, err)
	}
}

func TestIsURL(t *testing.T) {
	for in, want := range map[string]bool{
		"postgres://u@h/db": true, "postgresql://u@h/db?sslmode=disable": true,
		"yizhan.db": false, "/var/lib/yizhan/hub.db": false, "": false,
	} {
		if got := IsURL(in); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestListen: a commit of another connection wakes a listener at once.
func TestListen(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	woken := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() { done <- db.Listen(ctx, func() { woken <- struct{}{} }) }()
	select {
	case <-woken: // the first call, for what committed before
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not call changed at its start")
	}
	time.Sleep(100 * time.Millisecond) // let LISTEN take effect
	if _, err := db.SaveItems(t.Context(), "a", []hub.Item{{Key: "k", Title: "标题"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woken:
	case <-time.After(2 * time.Second):
		t.Fatal("a commit did not wake the listener within 2 s")
	}
	cancel()
	if err := <-done; err == nil {
		t.Errorf("Listen = nil after ctx ended, want why it stopped")
	}
}
