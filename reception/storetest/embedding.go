package storetest

import (
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// Tx is a transaction of the application, for the AppTransaction case.
type Tx struct {
	// Tx is what reception.WithTx is given: a pgx.Tx, a *sql.Tx.
	Tx any
	// Commit and Rollback end it.
	Commit, Rollback func() error
}

// testReference checks the application's reference is stored, returned
// and found, and validated like every other field.
func testReference(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.putOrg(newOrg("org-b", 2))
	v1 := newVisit("org-a", "v1", at(0))
	v1.Reference = "visitor-42 (受付)"
	v2 := newVisit("org-a", "v2", at(time.Minute))
	v2.Reference = "visitor-43"
	v3 := newVisit("org-a", "v3", at(2*time.Minute))
	vb := newVisit("org-b", "v1", at(0))
	vb.Reference = v1.Reference
	e.checkIn(v1)
	e.checkIn(v2)
	e.checkIn(v3)
	e.checkIn(vb)
	e.diff("visit with a reference", checkedIn(v1), e.visit("org-a", "v1"))
	e.diff("visit without a reference", checkedIn(v3), e.visit("org-a", "v3"))
	got, err := s.ListVisits(ctx, "org-a", reception.VisitFilter{Reference: v1.Reference})
	e.ok(err)
	e.diff("ListVisits by reference (within the organization)", []*reception.Visit{checkedIn(v1)}, got)
	claimed, err := s.ClaimVisit(ctx, "org-a", "v2", "user-a", at(3*time.Minute))
	e.ok(err)
	e.diff("reference after a claim", v2.Reference, claimed.Reference)
	got, err = s.ListVisits(ctx, "org-a", reception.VisitFilter{Reference: "nobody"})
	e.ok(err)
	e.diff("ListVisits by an unknown reference", []string{}, ids(got, visitID))

	bad := newVisit("org-a", "v9", at(0))
	bad.Reference = "line\nbreak"
	e.field("CheckIn with a control character in Reference", s.CheckIn(ctx, bad, nil), "Reference")
	_, err = s.ListVisits(ctx, "org-a", reception.VisitFilter{Reference: string(make([]byte, reception.MaxReference+1))})
	e.field("ListVisits with a bad Reference", err, "Reference")
}

// testSettleThen checks that CompleteOutbox, DeadOutbox and
// UncertainOutbox enqueue their then entries with the settlement, once,
// and only when they settle.
func testSettleThen(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	for _, id := range []string{"o1", "o2", "o3", "o4"} {
		e.ok(s.EnqueueOutbox(ctx, newEntry("org-a", id, "k-"+id, at(0))))
	}
	_, err := s.LeaseOutbox(ctx, "w", 10, time.Hour, at(0))
	e.ok(err)
	event := func(id string) *reception.OutboxEntry {
		x := newEntry("org-a", "ev-"+id, "event/"+id, at(time.Second))
		x.Target = reception.Target{Kind: reception.TargetApp, ID: "events"}
		return x
	}
	// Refused settlements enqueue nothing.
	e.is("completing another owner's entry", s.CompleteOutbox(ctx, "o1", "x", at(time.Second), nil, event("o1")), reception.ErrConflict)
	invalid := event("o1")
	invalid.DedupeKey = ""
	e.field("completing with an invalid then entry", s.CompleteOutbox(ctx, "o1", "w", at(time.Second), nil, invalid), "Then[0].DedupeKey")
	e.diff("entries after refused settlements", []string{"o1", "o2", "o3", "o4"}, ids(e.outbox("org-a", reception.OutboxFilter{}), outboxID))

	e.ok(s.CompleteOutbox(ctx, "o1", "w", at(time.Second), nil, event("o1")))
	e.ok(s.DeadOutbox(ctx, "o2", "w", at(2*time.Second), "400 bad", event("o2")))
	e.ok(s.UncertainOutbox(ctx, "o3", "w", at(3*time.Second), "504 GATEWAY_TIMEOUT", event("o3")))
	// A then entry whose dedupe key is used is skipped, without error.
	e.ok(s.CompleteOutbox(ctx, "o4", "w", at(4*time.Second), nil, event("o1")))

	all := e.outbox("org-a", reception.OutboxFilter{})
	e.diff("entries after the settlements", []string{"o1", "o2", "o3", "o4", "ev-o1", "ev-o2", "ev-o3"}, ids(all, outboxID))
	for _, x := range all[4:] {
		if x.State != reception.OutboxPending || x.Target.Kind != reception.TargetApp || x.Attempts != 0 {
			e.t.Errorf("then entry %s: state %s, target %v, attempts %d; want pending, app, 0", x.ID, x.State, x.Target, x.Attempts)
		}
	}
	unc := all[2]
	if unc.State != reception.OutboxUncertain || !unc.DeadAt.Equal(at(3*time.Second)) || unc.LastError != "504 GATEWAY_TIMEOUT" || unc.LeaseOwner != "" {
		e.t.Errorf("uncertain entry: state %s, dead at %v, last error %q, owner %q", unc.State, unc.DeadAt, unc.LastError, unc.LeaseOwner)
	}
	got := e.outbox("org-a", reception.OutboxFilter{State: reception.OutboxUncertain})
	e.diff("uncertain entries", []string{"o3"}, ids(got, outboxID))
	e.is("settling an uncertain entry", s.CompleteOutbox(ctx, "o3", "w", at(5*time.Second), nil), reception.ErrConflict)
	// An uncertain entry is never leased again.
	leased, err := s.LeaseOutbox(ctx, "w2", 10, time.Hour, at(time.Hour))
	e.ok(err)
	e.diff("leased after the settlements (the then entries only)", []string{"ev-o1", "ev-o2", "ev-o3"}, ids(leased, outboxID))
}

// testAppTransaction checks CheckIn inside the application's transaction:
// nothing is visible before the commit, a rollback leaves nothing, a
// conflict leaves the transaction usable. A store that cannot join one
// refuses with ErrInvalid.
func testAppTransaction(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	entry := func(id string) *reception.OutboxEntry { return newEntry("org-a", id, "k-"+id, at(0)) }
	if e.h.BeginTx == nil {
		err := s.CheckIn(reception.WithTx(ctx, struct{}{}), newVisit("org-a", "v1", at(0)), []*reception.OutboxEntry{entry("o1")})
		e.is("CheckIn in a transaction the store cannot join", err, reception.ErrInvalid)
		_, err = s.GetVisit(ctx, "org-a", "v1")
		e.is("the visit after the refused check-in", err, reception.ErrNotFound)
		return
	}
	e.is("CheckIn in a transaction of the wrong type", s.CheckIn(reception.WithTx(ctx, struct{}{}), newVisit("org-a", "v0", at(0)), nil), reception.ErrInvalid)

	tx := e.h.BeginTx(e.t, e.db)
	v1 := newVisit("org-a", "v1", at(0))
	e.ok(s.CheckIn(reception.WithTx(ctx, tx.Tx), v1, []*reception.OutboxEntry{entry("o1")}))
	// The same visit again fails in its savepoint; the transaction goes on.
	e.is("a second check-in of v1 in the transaction", s.CheckIn(reception.WithTx(ctx, tx.Tx), v1, nil), reception.ErrConflict)
	_, err := s.GetVisit(ctx, "org-a", "v1")
	e.is("the visit before the commit", err, reception.ErrNotFound)
	e.ok(tx.Commit())
	e.diff("the visit after the commit", checkedIn(v1), e.visit("org-a", "v1"))
	e.diff("its entries after the commit", []string{"o1"}, ids(e.outbox("org-a", reception.OutboxFilter{}), outboxID))

	tx = e.h.BeginTx(e.t, e.db)
	e.ok(s.CheckIn(reception.WithTx(ctx, tx.Tx), newVisit("org-a", "v2", at(0)), []*reception.OutboxEntry{entry("o2")}))
	e.ok(tx.Rollback())
	_, err = s.GetVisit(ctx, "org-a", "v2")
	e.is("the visit after a rollback", err, reception.ErrNotFound)
	e.diff("entries after a rollback", []string{"o1"}, ids(e.outbox("org-a", reception.OutboxFilter{}), outboxID))
	leased, err := s.LeaseOutbox(ctx, "w", 10, time.Hour, at(time.Minute))
	e.ok(err)
	e.diff("leasable entries", []string{"o1"}, ids(leased, outboxID))
}
