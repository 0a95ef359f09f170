package pgstore

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/storetest"
)

// TestPurgeBusy: while one replica's purge batch holds the advisory lock,
// another's Purge changes nothing and reports Busy.
func TestPurgeBusy(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	box := storetest.NewBox(t)
	a, b := openStore(t, url, schema, box), openStore(t, url, schema, box)
	ctx := context.Background()
	tx, err := a.d.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, purgeLockSQL); err != nil {
		t.Fatal(err)
	}
	res, err := b.Purge(ctx, time.Now())
	if err != nil || !res.Busy || res.Total() != 0 {
		t.Errorf("Purge while another holds the lock = %+v, %v; want busy", res, err)
	}
	_ = tx.Rollback(ctx)
	if res, err := b.Purge(ctx, time.Now()); err != nil || res.Busy {
		t.Errorf("Purge after the lock ended = %+v, %v; want not busy", res, err)
	}
}

// TestPurgeFigures times Store.Purge of 100,000 old visits, 100,000 sent
// outbox entries and 100,000 done inbox entries, rows made in bulk with
// SQL. It is the RELIABILITY.md figure; set UKETSUKE_PURGE_FIGURES=1 to run
// it.
func TestPurgeFigures(t *testing.T) {
	url := testURL(t)
	if os.Getenv("UKETSUKE_PURGE_FIGURES") == "" {
		t.Skip("set UKETSUKE_PURGE_FIGURES=1 to time the retention purge of 100,000 visits")
	}
	const n = 100_000
	s := openStore(t, url, newSchema(t, url), storetest.NewBox(t))
	ctx := context.Background()
	if err := s.PutOrganization(ctx, &reception.Organization{ID: "acme", Name: "ACME"}); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO visits (org_id, id, visitor_name, company, party_size, note, button_id, staff_id, status, handler_user_id, reminders, created_at)
		 SELECT 'acme', 'v' || x, '山田 太郎', 'Example KK', 1, 'メモ', 'sales', '', 'closed', '', 0, $2::timestamptz + x * interval '1 second' FROM generate_series(1, $1) x`,
		`INSERT INTO outbox (id, org_id, target_kind, target_id, content, dedupe_key, visit_id, attempts, next_attempt_at, lease_owner, last_error, state, created_at, sent_at)
		 SELECT 'o' || x, 'acme', 'room', 'room-1', '{"text":"山田 太郎 様がお見えです"}', 'visit/v' || x || '/room', 'v' || x, 1, $2, '', '', 'sent', $2::timestamptz + x * interval '1 second', $2 FROM generate_series(1, $1) x`,
		`INSERT INTO inbox (id, org_id, bot_id, body, hash, received_at, attempts, next_attempt_at, lease_owner, last_error, state, processed_at)
		 SELECT 'i' || x, 'acme', 1, '{"type":"postback"}', lpad(x::text, 64, '0'), $2::timestamptz + x * interval '1 second', 1, $2, '', '', 'done', $2 FROM generate_series(1, $1) x`,
	} {
		if _, err := s.d.pool.Exec(ctx, q, n, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.d.pool.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
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
	t.Logf("pgstore: purged %d rows (%+v) in %v: %.0f rows/s", res.Total(), res, took.Round(time.Millisecond), float64(res.Total())/took.Seconds())
}
