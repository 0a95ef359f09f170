package storetest

import (
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// day is the unit of the retention cases' times.
const day = 24 * time.Hour

// retentionFixture stores, in org-a, visits, outbox and inbox entries on
// both sides of the cut-off at(50*day): old ones at(0) or at(time.Hour),
// new ones at(100*day); the outbox and inbox in every state.
func retentionFixture(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.checkIn(newVisit("org-a", "v-old1", at(0)))
	e.checkIn(newVisit("org-a", "v-old2", at(time.Hour)))
	e.checkIn(newVisit("org-a", "v-new", at(100*day)))
	for _, id := range []string{"o-sent", "o-dead", "o-pending"} {
		e.ok(s.EnqueueOutbox(ctx, newEntry("org-a", id, "k-"+id, at(0))))
	}
	e.ok(s.EnqueueOutbox(ctx, newEntry("org-a", "o-new", "k-o-new", at(100*day))))
	leased, err := s.LeaseOutbox(ctx, "w", 10, time.Hour, at(100*day))
	e.ok(err)
	if len(leased) != 4 {
		e.t.Fatalf("leased %d outbox entries, want 4", len(leased))
	}
	e.ok(s.CompleteOutbox(ctx, "o-sent", "w", at(time.Minute), nil))
	e.ok(s.CompleteOutbox(ctx, "o-new", "w", at(100*day), nil))
	e.ok(s.DeadOutbox(ctx, "o-dead", "w", at(time.Minute), "gave up"))
	_, err = s.ReleaseOutbox(ctx, "w")
	e.ok(err)
	for i, when := range []time.Time{at(0), at(0), at(0), at(100 * day)} {
		x := reception.NewInboxEntry("org-a", 1, []byte(`{"n":`+string(rune('0'+i))+`}`), when)
		x.ID = []string{"i-done", "i-dead", "i-pending", "i-new"}[i]
		_, err := s.InsertInbox(ctx, x)
		e.ok(err)
	}
	in, err := s.LeaseInbox(ctx, "w", 10, time.Hour, at(100*day))
	e.ok(err)
	if len(in) != 4 {
		e.t.Fatalf("leased %d inbox entries, want 4", len(in))
	}
	e.ok(s.CompleteInbox(ctx, "i-done", "w", at(time.Minute)))
	e.ok(s.CompleteInbox(ctx, "i-new", "w", at(100*day)))
	e.ok(s.DeadInbox(ctx, "i-dead", "w", at(time.Minute), "malformed"))
	_, err = s.ReleaseInbox(ctx, "w")
	e.ok(err)
}

// testPurge: the retention purge erases old visits' personal data and
// nothing else of them, deletes old done and dead queue entries with their
// dedupe keys, and leaves pending and recent ones.
func testPurge(e *env) {
	ctx, s := e.ctx, e.s
	retentionFixture(e)
	_, err := s.Purge(ctx, time.Time{})
	e.field("Purge without a cut-off", err, "Before")

	got, err := s.Purge(ctx, at(50*day))
	e.ok(err)
	e.diff("Purge result", reception.PurgeResult{Visits: 2, Outbox: 2, Inbox: 2}, got)
	for _, id := range []string{"v-old1", "v-old2"} {
		want := checkedIn(newVisit("org-a", id, e.visit("org-a", id).CreatedAt))
		want.VisitorName, want.Company, want.Note = "", "", ""
		e.diff("purged visit "+id, want, e.visit("org-a", id))
	}
	e.diff("recent visit", checkedIn(newVisit("org-a", "v-new", at(100*day))), e.visit("org-a", "v-new"))
	e.diff("outbox after Purge", []string{"o-pending", "o-new"}, ids(e.outbox("org-a", reception.OutboxFilter{}), outboxID))
	for _, id := range []string{"i-done", "i-dead"} {
		_, err := s.GetInbox(ctx, id)
		e.is("GetInbox of purged "+id, err, reception.ErrNotFound)
	}
	for _, id := range []string{"i-pending", "i-new"} {
		_, err := s.GetInbox(ctx, id)
		e.ok(err)
	}
	// The dedupe keys went with the entries.
	e.ok(s.EnqueueOutbox(ctx, newEntry("org-a", "o-again", "k-o-sent", at(101*day))))
	again := reception.NewInboxEntry("org-a", 1, []byte(`{"n":0}`), at(101*day))
	if ok, err := s.InsertInbox(ctx, again); err != nil || !ok {
		e.t.Errorf("InsertInbox of a purged entry's body = %v, %v; want true, nil", ok, err)
	}

	got, err = s.Purge(ctx, at(50*day))
	e.ok(err)
	e.diff("second Purge result", reception.PurgeResult{}, got)
}

// testPurgeReplicas: purges by several Stores at once erase and delete
// each row once, and together everything.
func testPurgeReplicas(e *env) {
	retentionFixture(e)
	stores := e.stores()
	results := make([]reception.PurgeResult, 2*len(stores))
	errs := make([]error, len(results))
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i], errs[i] = stores[i%len(stores)].Purge(e.ctx, at(50*day)) })
	}
	wg.Wait()
	var sum reception.PurgeResult
	for i, r := range results {
		e.ok(errs[i])
		sum.Visits, sum.Outbox, sum.Inbox = sum.Visits+r.Visits, sum.Outbox+r.Outbox, sum.Inbox+r.Inbox
	}
	// A purge that found another running stopped; one more finishes.
	last, err := e.s.Purge(e.ctx, at(50*day))
	e.ok(err)
	sum.Visits, sum.Outbox, sum.Inbox = sum.Visits+last.Visits, sum.Outbox+last.Outbox, sum.Inbox+last.Inbox
	e.diff("rows purged by concurrent purges", reception.PurgeResult{Visits: 2, Outbox: 2, Inbox: 2}, sum)
}

// testEraseVisit: a data subject's request erases one visit's personal
// data now, records it in the timeline, and deletes the visit's messages.
func testEraseVisit(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	v := newVisit("org-a", "v1", at(0))
	mine, sent := newEntry("org-a", "o1", "k1", at(0)), newEntry("org-a", "o2", "k2", at(0))
	mine.VisitID, sent.VisitID = "v1", "v1"
	e.checkIn(v, mine, sent)
	other := newVisit("org-a", "v2", at(0))
	otherEntry := newEntry("org-a", "o3", "k3", at(0))
	otherEntry.VisitID = "v2"
	e.checkIn(other, otherEntry)
	_, err := s.LeaseOutbox(ctx, "w", 10, time.Hour, at(0))
	e.ok(err)
	e.ok(s.CompleteOutbox(ctx, "o2", "w", at(time.Second), nil))
	_, err = s.ClaimVisit(ctx, "org-a", "v1", "user-a", at(time.Minute))
	e.ok(err)

	got, err := s.EraseVisit(ctx, "org-a", "v1", "", at(time.Hour), "data subject request")
	e.ok(err)
	want := checkedIn(v)
	want.VisitorName, want.Company, want.Note = "", "", ""
	want.Status, want.HandlerUserID, want.HandledAt = reception.StatusAccepted, "user-a", at(time.Minute)
	want.Events = append(want.Events,
		reception.VisitEvent{Kind: reception.EventAccepted, At: at(time.Minute), ActorUserID: "user-a"},
		reception.VisitEvent{Kind: reception.EventErased, At: at(time.Hour), Note: "data subject request"})
	e.diff("EraseVisit result", want, got)
	e.diff("visit after EraseVisit", want, e.visit("org-a", "v1"))
	e.diff("outbox after EraseVisit", []string{"o3"}, ids(e.outbox("org-a", reception.OutboxFilter{}), outboxID))
	e.diff("other visit", checkedIn(other), e.visit("org-a", "v2"))

	// Erasing again changes nothing; a closed visit can be erased.
	got, err = s.EraseVisit(ctx, "org-a", "v1", "", at(2*time.Hour), "again")
	e.ok(err)
	e.diff("second EraseVisit", want, got)
	_, err = s.AppendVisitEvent(ctx, "org-a", "v2", reception.VisitEvent{Kind: reception.EventClosed, At: at(time.Second)})
	e.ok(err)
	got, err = s.EraseVisit(ctx, "org-a", "v2", "user-b", at(time.Hour), "")
	e.ok(err)
	if got.VisitorName != "" || got.Status != reception.StatusClosed || got.Events[len(got.Events)-1].Kind != reception.EventErased {
		e.t.Errorf("erased closed visit = %+v", got)
	}

	_, err = s.EraseVisit(ctx, "org-a", "nope", "", at(time.Hour), "")
	e.is("EraseVisit of a missing visit", err, reception.ErrNotFound)
	_, err = s.EraseVisit(ctx, "org-a", "v1", "", time.Time{}, "")
	e.field("EraseVisit without a time", err, "At")
	_, err = s.AppendVisitEvent(ctx, "org-a", "v1", reception.VisitEvent{Kind: reception.EventErased, At: at(time.Hour)})
	e.field("AppendVisitEvent of an erased event", err, "Kind")
}
