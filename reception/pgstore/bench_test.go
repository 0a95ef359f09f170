package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/storetest"
)

// BenchmarkCheckIn measures Store.CheckIn of a visit with two outbox
// entries (a room and a staff member), the write behind every kiosk tap.
// Compare it with BenchmarkFloorInsert on the same database: a check-in is
// one round trip and one commit, like the floor, plus the work of four rows
// and their indexes.
func BenchmarkCheckIn(b *testing.B) {
	url := testURL(b)
	s := openStore(b, url, newSchema(b, url), storetest.NewBox(b))
	ctx := context.Background()
	if err := s.PutOrganization(ctx, &reception.Organization{ID: "acme", Name: "Acme"}); err != nil {
		b.Fatal(err)
	}
	content := []byte(`{"type":"text","text":"山田 太郎 様がお見えです"}`)
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		id := reception.NewID()
		v := &reception.Visit{
			ID: id, OrgID: "acme", VisitorName: "山田 太郎", ButtonID: "sales",
			Status: reception.StatusWaiting, NextReminderAt: now.Add(5 * time.Minute), CreatedAt: now,
		}
		room := reception.NewOutboxEntry("acme", reception.Target{Kind: reception.TargetRoom, ID: "room-sales"}, content, "visit/"+id+"/room", now)
		user := reception.NewOutboxEntry("acme", reception.Target{Kind: reception.TargetUser, ID: "sato"}, content, "visit/"+id+"/user", now)
		room.VisitID, user.VisitID = id, id
		if err := s.CheckIn(ctx, v, []*reception.OutboxEntry{room, user}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorInsert is the floor for BenchmarkCheckIn: a bare one-row
// INSERT transaction through the same kind of pool on the same server.
// "autocommit" is one statement in its own (implicit) transaction — one
// round trip, one commit, the least a durable write costs; "begin-commit"
// is the same insert in an explicit BEGIN … COMMIT, three round trips.
func BenchmarkFloorInsert(b *testing.B) {
	url := testURL(b)
	s := openStore(b, url, newSchema(b, url), storetest.NewBox(b))
	ctx := context.Background()
	if _, err := s.d.pool.Exec(ctx, "CREATE TABLE floor (id text PRIMARY KEY, created_at timestamptz NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	const insert = "INSERT INTO floor (id, created_at) VALUES ($1, $2)"
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	b.Run("autocommit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.d.pool.Exec(ctx, insert, reception.NewID(), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("begin-commit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tx, err := s.d.pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(ctx, insert, reception.NewID(), now); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
