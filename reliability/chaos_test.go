package reliability

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// chaosFaults are the failures the fake mixes into 30 % of API requests:
// every way LINE WORKS or the network can fail a send, before and after the
// message took effect.
func chaosFaults(clientTimeout time.Duration) []lineworkstest.Fault {
	late := clientTimeout + 700*time.Millisecond
	return []lineworkstest.Fault{
		{Status: http.StatusInternalServerError, Code: "INTERNAL_SERVER_ERROR"},
		{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE"},
		lineworkstest.RateLimitFault(240, 20*time.Millisecond),
		{Delay: late, Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE"}, // past the client's timeout
		{Drop: true}, // connection dropped before handling
		// The ambiguous ones: the message is recorded, then the answer is lost.
		{AfterHandling: true, Drop: true},
		{AfterHandling: true, Status: http.StatusInternalServerError, Code: "INTERNAL_SERVER_ERROR"},
		{AfterHandling: true, Delay: late},
	}
}

// TestChaos makes check-ins while the fake fails 30 % of requests in every
// way it can. Every check-in must be delivered, and a visit may be announced
// twice only where the fake recorded its message and then lost the answer.
func TestChaos(t *testing.T) {
	checkSecretsAtEnd(t)
	n := size(150, 300, 2000)
	const clientTimeout = 300 * time.Millisecond
	s := newStack(t, stackConfig{httpTimeout: clientTimeout})
	s.fake.SetChaos(0.30, 20261124, chaosFaults(clientTimeout)...)
	s.run()

	ctx := context.Background()
	start := time.Now()
	var (
		mu     sync.Mutex
		visits = make([]string, 0, n)
		next   atomic.Int64
		wg     sync.WaitGroup
	)
	for range 8 { // eight kiosks at once
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				v, err := s.svc.CheckIn(ctx, stackOrg, notify.CheckInRequest{ButtonID: stackBtn, Visitor: notify.Visitor{Name: fmt.Sprintf("来客 %d", i), Company: "カオス商事"}})
				if err != nil {
					outputText("chaos check-in error", err.Error())
					t.Errorf("check-in %d: %v", i, err)
					return
				}
				mu.Lock()
				visits = append(visits, v.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	checkedIn := time.Since(start)

	// Wait until every visit was announced at least once.
	deadline := 60*time.Second + time.Duration(n)*40*time.Millisecond
	delivered := func() bool {
		got := countByKey(s.fake.Messages())
		for _, id := range visits {
			if got["visit:"+id] == 0 {
				return false
			}
		}
		return true
	}
	if !waitFor(ctx, deadline, delivered) {
		pending, _ := s.store.ListOutbox(ctx, stackOrg, reception.OutboxFilter{State: reception.OutboxPending})
		dead, _ := s.store.ListOutbox(ctx, stackOrg, reception.OutboxFilter{State: reception.OutboxDead})
		t.Fatalf("not every check-in was delivered within %v: %d pending, %d dead entries", deadline, len(pending), len(dead))
	}
	elapsed := time.Since(start)
	// Let entries whose answer was lost finish their retries, then stop the
	// faults: what is left must drain.
	s.fake.ClearFaults()
	if !waitFor(ctx, 30*time.Second, func() bool {
		pending, err := s.store.ListOutbox(ctx, stackOrg, reception.OutboxFilter{State: reception.OutboxPending})
		return err == nil && len(pending) == 0
	}) {
		t.Fatal("outbox did not drain after the faults stopped")
	}

	msgs := s.fake.Messages()
	got := countByKey(msgs)
	stats := s.fake.FaultStats()
	duplicates, ambiguousVisits := 0, 0
	for _, id := range visits {
		key := "visit:" + id
		recorded, answered := got[key], s.tap.answeredCount(key)
		if recorded == 0 {
			t.Errorf("visit %s never delivered", id)
		}
		// A success reached the client at most once: after it the entry
		// is marked sent and never sent again.
		if answered > 1 {
			t.Errorf("visit %s: %d sends were answered with success, want at most 1", id, answered)
		}
		// Every extra copy is one whose answer never reached the client.
		if recorded-1 > recorded-answered {
			t.Errorf("visit %s: %d copies, but only %d were ambiguous", id, recorded, recorded-answered)
		}
		duplicates += recorded - 1
		if recorded > answered {
			ambiguousVisits++
		}
	}
	if int64(duplicates) > stats.Ambiguous {
		t.Errorf("duplicates = %d, more than the %d ambiguous answers the fake counted", duplicates, stats.Ambiguous)
	}
	dead, _ := s.store.ListOutbox(ctx, stackOrg, reception.OutboxFilter{State: reception.OutboxDead})
	if len(dead) != 0 {
		t.Errorf("%d entries dead-lettered; first: %s", len(dead), dead[0].LastError)
	}
	t.Logf("chaos: %d check-ins (%.0f/s accepted), all %d delivered in %v; API requests %d, faults injected %d (%.1f%%), ambiguous %d, duplicates %d (over %d visits), messages %d",
		n, float64(n)/checkedIn.Seconds(), len(visits), elapsed.Round(time.Millisecond), s.fake.APIRequests(), stats.Injected,
		100*float64(stats.Injected)/float64(max(s.fake.APIRequests(), 1)), stats.Ambiguous, duplicates, ambiguousVisits, len(msgs))
}
