package sqlitestore

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/storetest"
)

// TestFilesPrivate: the database and its -wal and -shm files are created
// 0600 (they hold visitors' names), whatever the umask lets through, and
// an existing file readable by others is narrowed.
func TestFilesPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "uketsuke.db")
	s := mustOpen(t, path, storetest.NewBox(t))
	ctx := context.Background()
	if err := s.PutOrganization(ctx, &reception.Organization{ID: "acme", Name: "ACME"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s is %o, want 600", filepath.Base(p), mode)
		}
	}
	old := filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, old, storetest.NewBox(t))
	if fi, err := os.Stat(old); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("an existing 0644 database after Open: %v, %v; want 600", fi.Mode().Perm(), err)
	}
}

// TestPurgeFigures times Store.Purge of 100,000 old visits, 100,000 sent
// outbox entries and 100,000 done inbox entries, rows made in bulk with
// SQL. It is the RELIABILITY.md figure; set UKETSUKE_PURGE_FIGURES=1 to run
// it.
func TestPurgeFigures(t *testing.T) {
	if os.Getenv("UKETSUKE_PURGE_FIGURES") == "" {
		t.Skip("set UKETSUKE_PURGE_FIGURES=1 to time the retention purge of 100,000 visits")
	}
	const n = 100_000
	s := mustOpen(t, filepath.Join(t.TempDir(), "uketsuke.db"), storetest.NewBox(t))
	ctx := context.Background()
	if err := s.PutOrganization(ctx, &reception.Organization{ID: "acme", Name: "ACME"}); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).UnixMicro()
	for _, q := range []string{
		`WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < ?1)
		 INSERT INTO visits SELECT 'acme', printf('v%07d', x), '山田 太郎', 'Example KK', 1, 'メモ', 'sales', '', 'closed', '', NULL, 0, NULL, ?2 + x FROM i`,
		`WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < ?1)
		 INSERT INTO outbox (outboxCols) SELECT printf('o%07d', x), 'acme', 'room', 'room-1', CAST('{"text":"山田 太郎 様がお見えです"}' AS BLOB), printf('visit/v%07d/room', x), printf('v%07d', x), 1, ?2, '', NULL, '', 'sent', ?2 + x, ?2 + x, NULL FROM i`,
		`WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < ?1)
		 INSERT INTO inbox (inboxCols) SELECT printf('i%07d', x), 'acme', 1, CAST('{"type":"postback"}' AS BLOB), printf('%064d', x), ?2 + x, 1, ?2, '', NULL, '', 'done', ?2 + x FROM i`,
	} {
		if _, err := s.d.w.ExecContext(ctx, expand(q), n, old); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	res, err := s.Purge(ctx, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res != (reception.PurgeResult{Visits: n, Outbox: n, Inbox: n}) {
		t.Fatalf("Purge = %+v, want %d of each", res, n)
	}
	t.Logf("sqlitestore: purged %d rows (%+v) in %v: %.0f rows/s", res.Total(), res, took.Round(time.Millisecond), float64(res.Total())/took.Seconds())
}
