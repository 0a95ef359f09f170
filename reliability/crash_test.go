package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
)

// TestCrash kills the server with SIGKILL in the middle of a burst of
// check-ins, while LINE WORKS is slow so that sends are in flight, and
// restarts it on the same SQLite database. Every check-in answered 201 must
// be delivered; a visit may be announced twice only if its message reached
// LINE WORKS but the dead process had not yet recorded it as sent — those
// are counted from the database between the two lives.
func TestCrash(t *testing.T) {
	checkSecretsAtEnd(t)
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	n := size(0, 200, 1000)
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	tp := newTap(t, fake)
	db := filepath.Join(t.TempDir(), "uketsuke.db")
	env := serverEnv(tp, db)
	p := startServer(t, "first life", env)
	if strings.Contains(p.Stdout(), "memory only") {
		t.Fatal("the server keeps data in memory only: a restart cannot be tested, and SQLite is the default store")
	}
	setupServerOrg(t, p.URL, fake)
	// A slow LINE WORKS: half the sends wait before being handled, so the
	// dispatcher has sends in flight when the process dies.
	fake.SetChaos(0.5, 7, lineworkstest.Fault{Delay: 30 * time.Millisecond})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var (
		mu       sync.Mutex
		accepted []string
		refused  atomic.Int64 // transport errors once the process is gone
		next     atomic.Int64
		wg       sync.WaitGroup
		killed   = make(chan struct{})
		killOnce sync.Once
	)
	for range 8 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				status, data, err := call(ctx, "POST", p.URL+apiPrefix+"/orgs/acme/checkins", map[string]any{"buttonId": "front", "visitor": map[string]any{"name": fmt.Sprintf("来客 %d", i)}})
				if err != nil {
					refused.Add(1)
					select {
					case <-killed:
						return
					default:
						outputText("crash check-in error", err.Error())
						t.Errorf("check-in %d before the kill: %v", i, err)
						return
					}
				}
				outputText("crash check-in answer", string(data))
				if status != http.StatusCreated {
					t.Errorf("check-in %d = %d: %s", i, status, data)
					continue
				}
				var c struct{ VisitID string }
				_ = json.Unmarshal(data, &c)
				mu.Lock()
				accepted = append(accepted, c.VisitID)
				half := len(accepted) == n/2
				mu.Unlock()
				if half {
					killOnce.Do(func() { close(killed); p.Kill() })
				}
			}
		})
	}
	wg.Wait()
	killOnce.Do(func() { close(killed); p.Kill() })
	fake.ClearFaults()
	// The fake still answers (and records) the dead process's requests.
	if err := tp.waitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	deliveredBeforeRestart := countByKey(fake.Messages())

	// Between the two lives: which entries reached LINE WORKS without being
	// recorded as sent? Only those may go out twice, and those still pending
	// will: the second life sends them again once their lease lapses.
	var entries []*reception.OutboxEntry
	withStoreOf(t, db, func(st reception.Store) {
		var err error
		if entries, err = st.ListOutbox(ctx, "acme", reception.OutboxFilter{}); err != nil {
			t.Fatal(err)
		}
	})
	ambiguous := map[string]bool{}
	resent := map[string]bool{} // ambiguous and pending
	stored := map[string]bool{}
	for _, e := range entries {
		if e.VisitID == "" {
			continue
		}
		stored[e.VisitID] = true
		k := "visit:" + e.VisitID
		switch {
		case e.State == reception.OutboxSent && deliveredBeforeRestart[k] == 0:
			t.Errorf("visit %s is recorded as sent but LINE WORKS never got it", e.VisitID)
		case e.State != reception.OutboxSent && deliveredBeforeRestart[k] > 0:
			ambiguous[e.VisitID] = true
			resent[e.VisitID] = e.State == reception.OutboxPending
		}
	}
	for _, id := range accepted {
		if !stored[id] {
			t.Errorf("visit %s was answered 201 but is not in the database", id)
		}
	}
	pendingAtKill := 0
	for id := range stored {
		if deliveredBeforeRestart["visit:"+id] == 0 {
			pendingAtKill++
		}
	}

	restart := time.Now()
	p2 := startServer(t, "second life", env)
	allDelivered := func() bool {
		got := countByKey(fake.Messages())
		for id := range stored {
			if got["visit:"+id] == 0 {
				return false
			}
		}
		return true
	}
	if !waitFor(ctx, 2*time.Minute, allDelivered) {
		t.Fatalf("after the restart not every stored visit was delivered\n%s", p2.Stderr())
	}
	recovered := time.Since(restart)
	// The ambiguous entries still pending go out again once the dead
	// process's lease lapses.
	allResent := func() bool {
		got := countByKey(fake.Messages())
		for id, pending := range resent {
			if pending && got["visit:"+id] < 2 {
				return false
			}
		}
		return true
	}
	if !waitFor(ctx, 2*time.Minute, allResent) {
		t.Fatalf("after the restart the entries in flight at the kill were not sent again\n%s", p2.Stderr())
	}
	// Stopped, the second life has finished its sends; with nothing left
	// pending in its database, no late duplicate can come.
	p2.Stop()
	withStoreOf(t, db, func(st reception.Store) { checkNothingPending(t, st, "acme") })
	got := countByKey(fake.Messages())
	duplicates := 0
	for id := range stored {
		c := got["visit:"+id]
		switch {
		case c == 1:
		case c == 2 && ambiguous[id]:
			duplicates++
		default:
			t.Errorf("visit %s announced %d times (ambiguous at the crash: %v)", id, c, ambiguous[id])
		}
	}
	t.Logf("crash: %d check-ins answered 201 before SIGKILL (%d requests refused by the dead process, %d visits stored); %d not yet delivered at the kill, all delivered %v after the restart; %d in flight at the kill (reached LINE WORKS, not recorded), %d announced twice",
		len(accepted), refused.Load(), len(stored), pendingAtKill, recovered.Round(time.Millisecond), len(ambiguous), duplicates)
}
