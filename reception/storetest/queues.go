package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

func testEnqueueOutbox(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.checkIn(newVisit("org-a", "v1", at(0)))
	e1 := newEntry("org-a", "o1", "k1", at(time.Minute))
	e1.VisitID = "v1"
	e2 := newEntry("org-a", "o2", "k2", at(2*time.Minute))
	e2.Target = reception.Target{Kind: reception.TargetUser, ID: "someone@example.com"}
	e.ok(s.EnqueueOutbox(ctx, e1))
	e.ok(s.EnqueueOutbox(ctx, e2))
	e.diff("ListOutbox", []*reception.OutboxEntry{e1, e2}, e.outbox("org-a", reception.OutboxFilter{}))
	e.diff("ListOutbox by visit", []string{"o1"}, ids(e.outbox("org-a", reception.OutboxFilter{VisitID: "v1"}), outboxID))
	e.diff("ListOutbox with limit", []string{"o1"}, ids(e.outbox("org-a", reception.OutboxFilter{Limit: 1}), outboxID))
	e.diff("ListOutbox of sent", []string(nil), ids(e.outbox("org-a", reception.OutboxFilter{State: reception.OutboxSent}), outboxID))

	e.is("a used dedupe key", s.EnqueueOutbox(ctx, newEntry("org-a", "o3", "k1", at(0))), reception.ErrConflict)
	e.is("a used ID", s.EnqueueOutbox(ctx, newEntry("org-a", "o1", "k3", at(0))), reception.ErrConflict)
	for _, tc := range []struct {
		field string
		edit  func(x *reception.OutboxEntry)
	}{
		{"ID", func(x *reception.OutboxEntry) { x.ID = "" }},
		{"DedupeKey", func(x *reception.OutboxEntry) { x.DedupeKey = "" }},
		{"Target.Kind", func(x *reception.OutboxEntry) { x.Target.Kind = "group" }},
		{"Target.ID", func(x *reception.OutboxEntry) { x.Target.ID = "" }},
		{"Content", func(x *reception.OutboxEntry) { x.Content = nil }},
		{"Content", func(x *reception.OutboxEntry) { x.Content = []byte(`"just a string"`) }},
		{"State", func(x *reception.OutboxEntry) { x.State = reception.OutboxSent }},
		{"Attempts", func(x *reception.OutboxEntry) { x.Attempts = 1 }},
		{"CreatedAt", func(x *reception.OutboxEntry) { x.CreatedAt = time.Time{} }},
	} {
		x := newEntry("org-a", "o9", "k9", at(0))
		tc.edit(x)
		e.field("EnqueueOutbox with bad "+tc.field, s.EnqueueOutbox(ctx, x), tc.field)
	}
	if n := len(e.outbox("org-a", reception.OutboxFilter{})); n != 2 {
		e.t.Errorf("%d entries after the refused ones, want 2", n)
	}
	_, err := s.LeaseOutbox(ctx, "", 1, time.Minute, at(0))
	e.field("LeaseOutbox without owner", err, "Owner")
	_, err = s.LeaseOutbox(ctx, "w", 0, time.Minute, at(0))
	e.field("LeaseOutbox of 0 entries", err, "N")
	_, err = s.LeaseOutbox(ctx, "w", 1, 0, at(0))
	e.field("LeaseOutbox for no time", err, "LeaseFor")
}

// testLeaseExclusive has many workers on two Stores lease until the outbox
// and inbox are drained, then complete what they hold, and checks every
// entry went to exactly one worker exactly once.
func testLeaseExclusive(e *env) {
	const orgs, perOrg, workers = 3, 60, 16
	r := &leaseRace{ctx: e.ctx, now: at(time.Hour), gotOut: map[string][]string{}, gotIn: map[string][]string{}}
	r.wantOut, r.wantIn = fillQueues(e, orgs, perOrg)
	stores := e.stores()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { r.work(stores[w%len(stores)], fmt.Sprintf("worker-%02d", w)) })
	}
	wg.Wait()
	if len(r.errs) > 0 {
		e.t.Fatalf("workers failed: %v", errors.Join(r.errs...))
	}
	e.step("every entry was leased by exactly one worker", func(e *env) {
		leasedOnce(e, "outbox", r.wantOut, r.gotOut)
		leasedOnce(e, "inbox", r.wantIn, r.gotIn)
	})
	e.step("every outbox entry was sent", func(e *env) {
		for o := range orgs {
			if n := len(e.outbox(fmt.Sprintf("org-%d", o), reception.OutboxFilter{State: reception.OutboxSent})); n != perOrg {
				e.t.Errorf("org-%d: %d entries sent, want %d", o, n, perOrg)
			}
		}
	})
}

// fillQueues puts orgs organizations with perOrg outbox and perOrg inbox
// entries each, and returns the IDs of the entries.
func fillQueues(e *env, orgs, perOrg int) (outbox, inbox []string) {
	for o := range orgs {
		org := fmt.Sprintf("org-%d", o)
		e.putOrg(newOrg(org, int64(o+1)))
		for i := range perOrg {
			id := fmt.Sprintf("%s-o%03d", org, i)
			e.ok(e.s.EnqueueOutbox(e.ctx, newEntry(org, id, "k"+id, at(time.Duration(i)*time.Second))))
			outbox = append(outbox, id)
			in := reception.NewInboxEntry(org, int64(o+1), fmt.Appendf(nil, `{"type":"message","n":%d}`, i), at(time.Duration(i)*time.Second))
			in.ID = fmt.Sprintf("%s-i%03d", org, i)
			inserted, err := e.s.InsertInbox(e.ctx, in)
			e.ok(err)
			if !inserted {
				e.t.Fatalf("InsertInbox(%s) = false", in.ID)
			}
			inbox = append(inbox, in.ID)
		}
	}
	return outbox, inbox
}

// leaseRace is what the workers of testLeaseExclusive share.
type leaseRace struct {
	ctx             context.Context
	now             time.Time
	wantOut, wantIn []string // every entry, to lease

	mu            sync.Mutex
	gotOut, gotIn map[string][]string // entry ID → the workers that leased it
	errs          []error
}

func (r *leaseRace) fail(owner string, err error) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Errorf("%s: %w", owner, err))
	r.mu.Unlock()
}

func (r *leaseRace) leased(got map[string][]string, id, owner string) {
	r.mu.Lock()
	got[id] = append(got[id], owner)
	r.mu.Unlock()
}

// work is one worker: it leases from s as owner until both queues are
// drained, then completes what it holds.
func (r *leaseRace) work(s reception.Store, owner string) {
	// Leases are held until everything is leased, which widens
	// the window in which a second lease of one entry would show.
	var myOut, myIn []string
	for outDone, inDone := false, false; !outDone || !inDone; {
		// A store that leases an entry twice would never drain.
		if len(myOut) > len(r.wantOut) || len(myIn) > len(r.wantIn) {
			r.fail(owner, errors.New("leased more entries than exist"))
			return
		}
		var err error
		if !outDone {
			if myOut, outDone, err = r.leaseOutbox(s, owner, myOut); err != nil {
				r.fail(owner, err)
				return
			}
		}
		if !inDone {
			if myIn, inDone, err = r.leaseInbox(s, owner, myIn); err != nil {
				r.fail(owner, err)
				return
			}
		}
	}
	for _, id := range myOut {
		if err := s.CompleteOutbox(r.ctx, id, owner, r.now, nil); err != nil {
			r.fail(owner, err)
		}
	}
	for _, id := range myIn {
		if err := s.CompleteInbox(r.ctx, id, owner, r.now); err != nil {
			r.fail(owner, err)
		}
	}
}

// leaseOutbox leases the next outbox entries, adds them to mine and
// reports whether there were none left.
func (r *leaseRace) leaseOutbox(s reception.Store, owner string, mine []string) ([]string, bool, error) {
	got, err := s.LeaseOutbox(r.ctx, owner, 7, time.Hour, r.now)
	if err != nil {
		return mine, false, err
	}
	for _, x := range got {
		r.leased(r.gotOut, x.ID, owner)
		if x.LeaseOwner != owner || x.Attempts != 1 || !x.LeaseExpiresAt.Equal(r.now.Add(time.Hour)) {
			r.fail(owner, fmt.Errorf("leased %s with owner %q, attempts %d, expiry %v", x.ID, x.LeaseOwner, x.Attempts, x.LeaseExpiresAt))
		}
		mine = append(mine, x.ID)
	}
	return mine, len(got) == 0, nil
}

// leaseInbox is leaseOutbox for the inbox.
func (r *leaseRace) leaseInbox(s reception.Store, owner string, mine []string) ([]string, bool, error) {
	got, err := s.LeaseInbox(r.ctx, owner, 5, time.Hour, r.now)
	if err != nil {
		return mine, false, err
	}
	for _, x := range got {
		r.leased(r.gotIn, x.ID, owner)
		mine = append(mine, x.ID)
	}
	return mine, len(got) == 0, nil
}

// leasedOnce checks each entry of want was leased by exactly one worker,
// and nothing else was leased.
func leasedOnce(e *env, kind string, want []string, got map[string][]string) {
	if len(got) != len(want) {
		e.t.Errorf("%d %s entries leased, want %d", len(got), kind, len(want))
	}
	for _, id := range want {
		if len(got[id]) != 1 {
			e.t.Errorf("%s entry %s leased by %q, want exactly one worker", kind, id, got[id])
		}
	}
}

func testLeaseExpiry(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	later := newEntry("org-a", "o-later", "k-later", at(0))
	later.NextAttemptAt = at(10 * time.Minute)
	for _, x := range []*reception.OutboxEntry{newEntry("org-a", "o2", "k2", at(time.Second)), later, newEntry("org-a", "o1", "k1", at(0))} {
		e.ok(s.EnqueueOutbox(ctx, x))
	}
	lease := func(owner string, n int, now time.Duration) []*reception.OutboxEntry {
		e.t.Helper()
		got, err := s.LeaseOutbox(ctx, owner, n, time.Minute, at(now))
		e.ok(err)
		return got
	}
	got := lease("a", 1, 0)
	want := newEntry("org-a", "o1", "k1", at(0))
	want.Attempts, want.LeaseOwner, want.LeaseExpiresAt = 1, "a", at(time.Minute)
	e.diff("first lease (oldest due first, n respected)", []*reception.OutboxEntry{want}, got)
	e.diff("lease while a's lease runs", []string{"o2"}, ids(lease("b", 10, 30*time.Second), outboxID))
	// At the expiry instant the lease has lapsed.
	got = lease("c", 10, time.Minute)
	e.diff("lease at a's expiry", []string{"o1"}, ids(got, outboxID))
	if len(got) == 1 && (got[0].Attempts != 2 || got[0].LeaseOwner != "c") {
		e.t.Errorf("re-leased entry has attempts %d, owner %q; want 2, c", got[0].Attempts, got[0].LeaseOwner)
	}
	e.is("a completes after c took over", s.CompleteOutbox(ctx, "o1", "a", at(time.Minute), nil), reception.ErrConflict)
	e.is("a retries after c took over", s.RetryOutbox(ctx, "o1", "a", at(time.Hour), "x"), reception.ErrConflict)
	e.is("a buries after c took over", s.DeadOutbox(ctx, "o1", "a", at(time.Hour), "x"), reception.ErrConflict)
	e.ok(s.CompleteOutbox(ctx, "o1", "c", at(61*time.Second), nil))
	e.is("c completes twice", s.CompleteOutbox(ctx, "o1", "c", at(62*time.Second), nil), reception.ErrConflict)
	// b's lease lapsed unnoticed, nobody took it: b may still complete.
	e.ok(s.CompleteOutbox(ctx, "o2", "b", at(5*time.Minute), nil))
	e.diff("nothing due before o-later's time", []string(nil), ids(lease("d", 10, 9*time.Minute), outboxID))
	e.diff("o-later when due", []string{"o-later"}, ids(lease("d", 10, 10*time.Minute), outboxID))

	sent := e.outbox("org-a", reception.OutboxFilter{State: reception.OutboxSent})
	e.diff("sent entries", []string{"o1", "o2"}, ids(sent, outboxID))
	w1 := newEntry("org-a", "o1", "k1", at(0))
	w1.Attempts, w1.State, w1.SentAt = 2, reception.OutboxSent, at(61*time.Second)
	e.diff("completed entry (lease cleared)", w1, sent[0])
}

// leaseW leases up to 10 outbox entries for owner "w" at at(now) and
// returns their IDs.
func (e *env) leaseW(now time.Duration) []string {
	e.t.Helper()
	got, err := e.s.LeaseOutbox(e.ctx, "w", 10, time.Minute, at(now))
	e.ok(err)
	return ids(got, outboxID)
}

func testRetryAndDead(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.ok(s.EnqueueOutbox(ctx, newEntry("org-a", "o1", "k1", at(0))))
	e.leaseW(0)
	e.ok(s.RetryOutbox(ctx, "o1", "w", at(5*time.Minute), "503 Service Unavailable"))
	e.diff("lease before the retry time", []string(nil), e.leaseW(time.Minute))
	e.diff("lease at the retry time", []string{"o1"}, e.leaseW(5*time.Minute))
	e.field("DeadOutbox without a time", s.DeadOutbox(ctx, "o1", "w", time.Time{}, "x"), "At")
	e.ok(s.DeadOutbox(ctx, "o1", "w", at(6*time.Minute), "400 INVALID_PARAMETER: content.text"))
	want := newEntry("org-a", "o1", "k1", at(0))
	want.Attempts, want.State, want.NextAttemptAt, want.LastError = 2, reception.OutboxDead, at(5*time.Minute), "400 INVALID_PARAMETER: content.text"
	want.DeadAt = at(6 * time.Minute)
	e.diff("dead letter", []*reception.OutboxEntry{want}, e.outbox("org-a", reception.OutboxFilter{State: reception.OutboxDead}))
	e.diff("lease after burying", []string(nil), e.leaseW(24*time.Hour))
	e.is("completing a dead entry", s.CompleteOutbox(ctx, "o1", "w", at(0), nil), reception.ErrConflict)
}

// testPostpone: a lease that made no attempt gives its attempt back, waits
// until the given time, and belongs to its owner like any lease operation.
func testPostpone(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.ok(s.EnqueueOutbox(ctx, newEntry("org-a", "o1", "k1", at(0))))
	for i := range 3 {
		e.diff(fmt.Sprintf("lease %d", i), []string{"o1"}, e.leaseW(time.Duration(i)*time.Hour))
		e.is("postponed by another owner", s.PostponeOutbox(ctx, "o1", "x", at(time.Duration(i)*time.Hour+30*time.Minute), "not configured"), reception.ErrConflict)
		e.ok(s.PostponeOutbox(ctx, "o1", "w", at(time.Duration(i)*time.Hour+30*time.Minute), "not configured"))
		e.diff("lease before the postponed time", []string(nil), e.leaseW(time.Duration(i)*time.Hour+time.Minute))
	}
	want := newEntry("org-a", "o1", "k1", at(0))
	want.NextAttemptAt, want.LastError = at(2*time.Hour+30*time.Minute), "not configured"
	e.diff("entry after three postponed leases (no attempt counted)", []*reception.OutboxEntry{want}, e.outbox("org-a", reception.OutboxFilter{}))
	e.is("postponing without a time", s.PostponeOutbox(ctx, "o1", "w", time.Time{}, "x"), reception.ErrInvalid)
}

func testRelease(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	for i := range 4 {
		e.ok(s.EnqueueOutbox(ctx, newEntry("org-a", fmt.Sprintf("o%d", i), fmt.Sprintf("k%d", i), at(time.Duration(i)*time.Second))))
	}
	got, err := s.LeaseOutbox(ctx, "a", 3, time.Hour, at(time.Minute))
	e.ok(err)
	e.ok(s.CompleteOutbox(ctx, got[0].ID, "a", at(time.Minute), nil))
	n, err := s.ReleaseOutbox(ctx, "a")
	e.ok(err)
	if n != 2 {
		e.t.Errorf("ReleaseOutbox = %d, want 2 (the completed entry is not leased)", n)
	}
	n, err = s.ReleaseOutbox(ctx, "a")
	e.ok(err)
	if n != 0 {
		e.t.Errorf("ReleaseOutbox again = %d, want 0", n)
	}
	got, err = s.LeaseOutbox(ctx, "b", 10, time.Hour, at(time.Minute))
	e.ok(err)
	e.diff("leased by b right after a released", []string{"o1", "o2", "o3"}, ids(got, outboxID))
	for _, x := range got {
		if x.Attempts != 1 {
			e.t.Errorf("%s: attempts %d after release and re-lease, want 1", x.ID, x.Attempts)
		}
	}
	e.is("a completes a released entry", s.CompleteOutbox(ctx, "o1", "a", at(time.Minute), nil), reception.ErrConflict)
}

func testInbox(e *env) {
	ctx, s := e.ctx, e.s
	body := []byte(`{"type":"message","source":{"userId":"u1","channelId":"c1"},"issuedTime":"2026-04-01T09:00:00.000Z","content":{"type":"text","text":"対応します","postback":"uk1:accept:v1"}}`)
	first := reception.NewInboxEntry("", 1001, body, at(0))
	first.ID = "i1"
	ins := func(x *reception.InboxEntry) bool {
		e.t.Helper()
		ok, err := s.InsertInbox(ctx, x)
		e.ok(err)
		return ok
	}
	if !ins(first) {
		e.t.Fatal("first InsertInbox = false")
	}
	replay := reception.NewInboxEntry("org-a", 1001, body, at(time.Second))
	if ins(replay) {
		e.t.Error("InsertInbox of an identical body for the same bot = true, want false")
	}
	otherBot := reception.NewInboxEntry("", 1002, body, at(time.Second))
	otherBot.ID = "i2"
	if !ins(otherBot) {
		e.t.Error("InsertInbox of the same body for another bot = false, want true")
	}
	got, err := s.GetInbox(ctx, "i1")
	e.ok(err)
	e.diff("GetInbox", first, got)
	bad := reception.NewInboxEntry("", 1001, []byte(`{}`), at(0))
	bad.Hash = "0000"
	_, err = s.InsertInbox(ctx, bad)
	e.field("InsertInbox with a wrong hash", err, "Hash")
	e.is("InsertInbox with a used ID", func() error {
		_, err := s.InsertInbox(ctx, &reception.InboxEntry{ID: "i1", BotID: 1, Body: []byte("x"), Hash: reception.HashBody([]byte("x")), ReceivedAt: at(0), State: reception.InboxPending})
		return err
	}(), reception.ErrConflict)

	lease := func(owner string, now time.Duration) []*reception.InboxEntry {
		e.t.Helper()
		got, err := s.LeaseInbox(ctx, owner, 10, time.Minute, at(now))
		e.ok(err)
		return got
	}
	leased := lease("a", 0)
	wantLeased := first.Clone()
	wantLeased.Attempts, wantLeased.LeaseOwner, wantLeased.LeaseExpiresAt = 1, "a", at(time.Minute)
	e.diff("LeaseInbox at i1's time", []*reception.InboxEntry{wantLeased}, leased)
	e.diff("LeaseInbox by b", []string{"i2"}, ids(lease("b", 2*time.Second), func(x *reception.InboxEntry) string { return x.ID }))
	e.is("b completes a's entry", s.CompleteInbox(ctx, "i1", "b", at(time.Second)), reception.ErrConflict)
	e.ok(s.CompleteInbox(ctx, "i1", "a", at(2*time.Second)))
	e.ok(s.RetryInbox(ctx, "i2", "b", at(10*time.Minute), "organization not found for bot 1002"))
	e.diff("LeaseInbox before the retry", []string(nil), ids(lease("c", 9*time.Minute), func(x *reception.InboxEntry) string { return x.ID }))
	e.diff("LeaseInbox at the retry", []string{"i2"}, ids(lease("c", 10*time.Minute), func(x *reception.InboxEntry) string { return x.ID }))
	n, err := s.ReleaseInbox(ctx, "c")
	e.ok(err)
	if n != 1 {
		e.t.Errorf("ReleaseInbox = %d, want 1", n)
	}
	if got := lease("d", 10*time.Minute); len(got) != 1 || got[0].Attempts != 2 {
		e.t.Fatalf("after release, LeaseInbox = %v, want i2 with 2 attempts", got)
	}
	e.ok(s.DeadInbox(ctx, "i2", "d", at(11*time.Minute), "unparseable"))

	done, err := s.GetInbox(ctx, "i1")
	e.ok(err)
	wantDone := first.Clone()
	wantDone.Attempts, wantDone.State, wantDone.ProcessedAt = 1, reception.InboxDone, at(2*time.Second)
	e.diff("completed inbox entry", wantDone, done)
	dead, err := s.GetInbox(ctx, "i2")
	e.ok(err)
	wantDead := otherBot.Clone()
	wantDead.Attempts, wantDead.State, wantDead.ProcessedAt = 2, reception.InboxDead, at(11*time.Minute)
	wantDead.NextAttemptAt, wantDead.LastError = at(10*time.Minute), "unparseable"
	e.diff("dead inbox entry", wantDead, dead)
	e.diff("LeaseInbox when all are processed", []string(nil), ids(lease("e", 24*time.Hour), func(x *reception.InboxEntry) string { return x.ID }))
	e.is("completing a dead entry", s.CompleteInbox(ctx, "i2", "d", at(0)), reception.ErrConflict)
	// An identical body stays deduplicated after processing.
	if ins(reception.NewInboxEntry("", 1001, body, at(time.Hour))) {
		e.t.Error("InsertInbox of a processed body = true, want false")
	}
}

// testPreLeasedCheckIn: CheckIn may store entries already leased to the
// caller, who sends them at once; nobody else takes them until the lease
// lapses, and the owner completes them as if it had leased them.
func testPreLeasedCheckIn(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	v := newVisit("org-a", "v1", at(0))
	leased := newEntry("org-a", "o1", "k1", at(0))
	leased.VisitID = "v1"
	leased.Attempts, leased.LeaseOwner, leased.LeaseExpiresAt = 1, "fast", at(time.Minute)
	plain := newEntry("org-a", "o2", "k2", at(0))
	plain.VisitID = "v1"
	e.ok(s.CheckIn(ctx, v, []*reception.OutboxEntry{leased, plain}))
	got, err := s.LeaseOutbox(ctx, "other", 10, time.Minute, at(30*time.Second))
	e.ok(err)
	e.diff("another owner leases only the plain entry", []string{"o2"}, ids(got, outboxID))
	stored := e.outbox("org-a", reception.OutboxFilter{})
	e.diff("pre-leased entry stored as given", leased, stored[0])
	e.ok(s.CompleteOutbox(ctx, "o1", "fast", at(time.Second), nil))

	// A pre-leased entry whose owner died is taken over at expiry.
	v2 := newVisit("org-a", "v2", at(0))
	dead := newEntry("org-a", "o3", "k3", at(0))
	dead.Attempts, dead.LeaseOwner, dead.LeaseExpiresAt = 1, "crashed", at(time.Minute)
	e.ok(s.CheckIn(ctx, v2, []*reception.OutboxEntry{dead}))
	got, err = s.LeaseOutbox(ctx, "other", 10, time.Minute, at(time.Minute))
	e.ok(err)
	if len(got) != 1 || got[0].ID != "o3" || got[0].Attempts != 2 {
		e.t.Errorf("after expiry: %+v, want o3 with 2 attempts", got)
	}

	// Lease fields must be consistent.
	v3 := newVisit("org-a", "v3", at(0))
	bad := newEntry("org-a", "o4", "k4", at(0))
	bad.LeaseOwner = "x" // no expiry, no attempt
	e.is("pre-leased entry without expiry", s.CheckIn(ctx, v3, []*reception.OutboxEntry{bad}), reception.ErrInvalid)
}

// testCompleteNotified: CompleteOutbox with a notified event records the
// event on the entry's visit with the completion, and only then.
func testCompleteNotified(e *env) {
	v, closedV := leaseNotifiable(e)
	// want is v1 as the store must hold it; the steps change it as they
	// complete its entries.
	want := checkedIn(v)
	e.step("refused completes append nothing", func(e *env) { notifiedRefused(e, want) })
	e.step("each complete appends one event in timeline order", func(e *env) { notifiedInOrder(e, want) })
	e.step("a second complete appends nothing", func(e *env) {
		// Completing twice, or after another owner's complete, appends nothing.
		e.is("completing twice", e.s.CompleteOutbox(e.ctx, "o1", "w", at(6*time.Second), notified(6*time.Second, "again")), reception.ErrConflict)
		checkV1(e, want, "visit after completing twice")
	})
	e.step("an event that is not notified is refused", func(e *env) {
		// An event of another kind is invalid and changes nothing.
		e.field("completing with an escalated event", e.s.CompleteOutbox(e.ctx, "o4", "w", at(6*time.Second),
			&reception.VisitEvent{Kind: reception.EventEscalated, At: at(6 * time.Second), ActorUserID: "user-a"}), "Notified.Kind")
		checkV1(e, want, "visit after an escalated event was refused")
	})
	e.step("an event Apply refuses, or none, completes without an event", func(e *env) { notifiedSkipped(e, want) })
	e.step("a closed visit takes notified events and stays closed", func(e *env) {
		// A closed visit still takes notified events, and stays closed.
		e.ok(e.s.CompleteOutbox(e.ctx, "o-closed", "w", at(9*time.Second), notified(9*time.Second, "room late")))
		wantClosed := checkedIn(closedV)
		wantClosed.Status = reception.StatusClosed
		wantClosed.Events = append(wantClosed.Events,
			reception.VisitEvent{Kind: reception.EventClosed, At: at(time.Second), ActorUserID: "user-a"}, *notified(9*time.Second, "room late"))
		e.diff("closed visit after a notified complete", wantClosed, e.visit("org-a", "v2"))
	})
	e.step("an entry without a visit just completes", func(e *env) { notifiedNoVisit(e, want) })
	e.step("completed entries are sent and released", notifiedSent)
}

// leaseNotifiable checks in v1 with entries o1 to o5 and v2 (closed) with
// o-closed, enqueues o-novisit without a visit and o-gone for a visit that
// does not exist, and leases all 8 as "w".
func leaseNotifiable(e *env) (v, closedV *reception.Visit) {
	e.putOrg(newOrg("org-a", 1))
	v = newVisit("org-a", "v1", at(0))
	var entries []*reception.OutboxEntry
	for _, id := range []string{"o1", "o2", "o3", "o4", "o5"} {
		x := newEntry("org-a", id, "k-"+id, at(0))
		x.VisitID = "v1"
		entries = append(entries, x)
	}
	e.checkIn(v, entries...)
	closedV = newVisit("org-a", "v2", at(0))
	closedEntry := newEntry("org-a", "o-closed", "k-closed", at(0))
	closedEntry.VisitID = "v2"
	e.checkIn(closedV, closedEntry)
	_, err := e.s.AppendVisitEvent(e.ctx, "org-a", "v2", reception.VisitEvent{Kind: reception.EventClosed, At: at(time.Second), ActorUserID: "user-a"})
	e.ok(err)
	noVisit := newEntry("org-a", "o-novisit", "k-novisit", at(0))
	gone := newEntry("org-a", "o-gone", "k-gone", at(0))
	gone.VisitID = "never-checked-in"
	e.ok(e.s.EnqueueOutbox(e.ctx, noVisit))
	e.ok(e.s.EnqueueOutbox(e.ctx, gone))
	got, err := e.s.LeaseOutbox(e.ctx, "w", 100, time.Hour, at(0))
	e.ok(err)
	if len(got) != 8 {
		e.t.Fatalf("leased %d entries, want 8", len(got))
	}
	return v, closedV
}

func notified(d time.Duration, note string) *reception.VisitEvent {
	return &reception.VisitEvent{Kind: reception.EventNotified, At: at(d), Note: note}
}

// checkV1 checks the store holds visit v1 as want.
func checkV1(e *env, want *reception.Visit, what string) {
	e.t.Helper()
	e.diff(what, want, e.visit("org-a", "v1"))
}

func notifiedRefused(e *env, want *reception.Visit) {
	ctx, s := e.ctx, e.s
	// A conflicting complete appends nothing.
	e.is("completing another owner's entry", s.CompleteOutbox(ctx, "o1", "x", at(time.Second), notified(time.Second, "room x")), reception.ErrConflict)
	e.is("completing without owner", s.CompleteOutbox(ctx, "o1", "", at(time.Second), notified(time.Second, "room x")), reception.ErrConflict)
	e.is("completing a missing entry", s.CompleteOutbox(ctx, "nope", "w", at(time.Second), notified(time.Second, "room x")), reception.ErrNotFound)
	checkV1(e, want, "visit after refused completes")
}

func notifiedInOrder(e *env, want *reception.Visit) {
	ctx, s := e.ctx, e.s
	// Each complete appends exactly one event, in timeline order (At,
	// then the order recorded), whatever the order of the completes.
	e.ok(s.CompleteOutbox(ctx, "o1", "w", at(3*time.Second), notified(3*time.Second, "room channel-1")))
	want.Events = append(want.Events, *notified(3*time.Second, "room channel-1"))
	checkV1(e, want, "visit after the first complete")
	e.ok(s.CompleteOutbox(ctx, "o2", "w", at(4*time.Second), notified(time.Second, "user staff-1")))
	e.ok(s.CompleteOutbox(ctx, "o3", "w", at(5*time.Second), notified(3*time.Second, "user staff-2")))
	want.Events = []reception.VisitEvent{
		{Kind: reception.EventCheckedIn, At: at(0)},
		*notified(time.Second, "user staff-1"),
		*notified(3*time.Second, "room channel-1"),
		*notified(3*time.Second, "user staff-2"),
	}
	checkV1(e, want, "visit after three completes (status unchanged)")
}

func notifiedSkipped(e *env, want *reception.Visit) {
	// An event Visit.Apply refuses is skipped; the entry still completes.
	e.ok(e.s.CompleteOutbox(e.ctx, "o4", "w", at(7*time.Second), &reception.VisitEvent{Kind: reception.EventNotified, Note: "no time"}))
	checkV1(e, want, "visit after an event without At")
	// A nil event completes without touching the timeline.
	e.ok(e.s.CompleteOutbox(e.ctx, "o5", "w", at(8*time.Second), nil))
	checkV1(e, want, "visit after a complete without event")
}

func notifiedNoVisit(e *env, want *reception.Visit) {
	// Without VisitID, or with a visit that does not exist, the entry just
	// completes.
	e.ok(e.s.CompleteOutbox(e.ctx, "o-novisit", "w", at(10*time.Second), notified(10*time.Second, "room x")))
	e.ok(e.s.CompleteOutbox(e.ctx, "o-gone", "w", at(11*time.Second), notified(11*time.Second, "room x")))
	_, err := e.s.GetVisit(e.ctx, "org-a", "never-checked-in")
	e.is("the missing visit after a complete naming it", err, reception.ErrNotFound)
	checkV1(e, want, "visit after completes of other entries")
}

func notifiedSent(e *env) {
	sent := e.outbox("org-a", reception.OutboxFilter{State: reception.OutboxSent})
	e.diff("sent entries", []string{"o-closed", "o-gone", "o-novisit", "o1", "o2", "o3", "o4", "o5"}, ids(sent, outboxID))
	for _, x := range sent {
		if x.LeaseOwner != "" || x.SentAt.IsZero() {
			e.t.Errorf("sent entry %s: lease owner %q, sent at %v", x.ID, x.LeaseOwner, x.SentAt)
		}
	}
	if x := sent[slices.IndexFunc(sent, func(x *reception.OutboxEntry) bool { return x.ID == "o2" })]; !x.SentAt.Equal(at(4 * time.Second)) {
		e.t.Errorf("o2 sent at %v, want %v", x.SentAt, at(4*time.Second))
	}
}
