package app

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
	"github.com/uketsuke/uketsuke/reception/storetest"
)

// TestRetentionRun: the job purges at start and then every Every, with the
// cut-off Keep before now; visits younger than that keep their data.
func TestRetentionRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		store := memstore.New(storetest.NewBox(t))
		if err := store.PutOrganization(ctx, &reception.Organization{ID: "acme", Name: "ACME"}); err != nil {
			t.Fatal(err)
		}
		checkIn := func(id string) {
			t.Helper()
			v := &reception.Visit{ID: id, OrgID: "acme", VisitorName: "山田", Company: "Example", ButtonID: "b", Status: reception.StatusWaiting, CreatedAt: time.Now()}
			if err := store.CheckIn(ctx, v, nil); err != nil {
				t.Fatal(err)
			}
		}
		name := func(id string) string {
			t.Helper()
			v, err := store.GetVisit(ctx, "acme", id)
			if err != nil {
				t.Fatal(err)
			}
			return v.VisitorName
		}
		checkIn("v1")
		time.Sleep(36 * time.Hour) // synctest's fake clock
		checkIn("v2")
		var logs bytes.Buffer
		r := &Retention{Store: store, Keep: 48 * time.Hour, Every: time.Hour, Now: time.Now, Log: slog.New(slog.NewTextHandler(&logs, nil))}
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		synctest.Wait()
		if name("v1") != "山田" {
			t.Fatal("a visit 36h old was erased with a 48h retention")
		}
		time.Sleep(13*time.Hour + time.Minute) // fake clock again: ticks at 48h (v1 exactly 48h old: kept) and 49h
		synctest.Wait()
		if name("v1") != "" || name("v2") != "山田" {
			t.Errorf("after 48h: v1 %q, v2 %q; want v1 erased, v2 kept", name("v1"), name("v2"))
		}
		if !bytes.Contains(logs.Bytes(), []byte("erased_visits=1")) {
			t.Errorf("log = %q, want the purge reported", logs.String())
		}
		cancel()
		<-done
	})
}

// TestRetentionOff: Keep 0 purges nothing and returns at once.
func TestRetentionOff(t *testing.T) {
	r := &Retention{Keep: 0}
	r.Run(t.Context()) // returns: no Store needed
}
