package storetest

import (
	"context"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

func testButtons(e *env) {
	e.putOrg(newOrg("org-a", 1))
	b1, b2, b3 := newButton("org-a", "b1", 2), newButton("org-a", "b2", 1), newButton("org-a", "b0", 2)
	for _, b := range []*reception.Button{b1, b2, b3} {
		e.ok(e.s.PutButton(e.ctx, b))
	}
	got, err := e.s.GetButton(e.ctx, "org-a", "b1")
	e.ok(err)
	e.diff("GetButton", b1, got)
	list, err := e.s.ListButtons(e.ctx, "org-a")
	e.ok(err)
	e.diff("ListButtons (by Order, then ID)", []*reception.Button{b2, b3, b1}, list)

	b1.Label, b1.Enabled, b1.PersonalFirst, b1.Reminder = "変更", false, true, reception.ReminderPolicy{}
	b1.Labels = nil
	e.ok(e.s.PutButton(e.ctx, b1))
	got, err = e.s.GetButton(e.ctx, "org-a", "b1")
	e.ok(err)
	e.diff("GetButton after update", b1, got)

	e.ok(e.s.DeleteButton(e.ctx, "org-a", "b1"))
	_, err = e.s.GetButton(e.ctx, "org-a", "b1")
	e.is("GetButton after delete", err, reception.ErrNotFound)
	e.is("DeleteButton twice", e.s.DeleteButton(e.ctx, "org-a", "b1"), reception.ErrNotFound)
	e.is("PutButton of an unknown organization", e.s.PutButton(e.ctx, newButton("org-x", "b1", 0)), reception.ErrNotFound)

	for _, tc := range []struct {
		field string
		edit  func(b *reception.Button)
	}{
		{"ID", func(b *reception.Button) { b.ID = "" }},
		{"OrgID", func(b *reception.Button) { b.OrgID = "" }},
		{"Label", func(b *reception.Button) { b.Label = "" }},
		{"Label", func(b *reception.Button) { b.Label = "あいうえおかきくけこさしすせそたちつてとな" }},
		{"Labels[en]", func(b *reception.Button) { b.Labels = map[string]string{"en": ""} }},
		{"ChannelIDs[1]", func(b *reception.Button) { b.ChannelIDs = []string{"ok", "with space"} }},
		{"Reminder.After", func(b *reception.Button) { b.Reminder.After = 10 * time.Second }},
		{"Reminder.Max", func(b *reception.Button) { b.Reminder.Max = -1 }},
	} {
		b := newButton("org-a", "bad", 0)
		tc.edit(b)
		e.field("PutButton with bad "+tc.field, e.s.PutButton(e.ctx, b), tc.field)
	}
	if _, err := e.s.GetButton(e.ctx, "org-a", "bad"); err == nil {
		e.t.Error("an invalid button was stored")
	}
}

func testStaff(e *env) {
	e.putOrg(newOrg("org-a", 1))
	s2, s1 := newStaff("org-a", "s2"), newStaff("org-a", "s1")
	e.ok(e.s.PutStaff(e.ctx, s2))
	e.ok(e.s.PutStaff(e.ctx, s1))
	got, err := e.s.GetStaff(e.ctx, "org-a", "s2")
	e.ok(err)
	e.diff("GetStaff", s2, got)
	s2.Active, s2.ButtonIDs, s2.Name = false, []string{"b1", "b2"}, "別名"
	e.ok(e.s.PutStaff(e.ctx, s2))
	list, err := e.s.ListStaff(e.ctx, "org-a")
	e.ok(err)
	e.diff("ListStaff (by ID)", []*reception.Staff{s1, s2}, list)
	e.ok(e.s.DeleteStaff(e.ctx, "org-a", "s1"))
	_, err = e.s.GetStaff(e.ctx, "org-a", "s1")
	e.is("GetStaff after delete", err, reception.ErrNotFound)
	e.is("DeleteStaff twice", e.s.DeleteStaff(e.ctx, "org-a", "s1"), reception.ErrNotFound)
	e.is("PutStaff of an unknown organization", e.s.PutStaff(e.ctx, newStaff("org-x", "s1")), reception.ErrNotFound)

	bad := newStaff("org-a", "s3")
	bad.UserID, bad.Name = "", ""
	err = e.s.PutStaff(e.ctx, bad)
	e.field("PutStaff without UserID", err, "UserID")
	e.field("PutStaff without Name", err, "Name")
}

func testRooms(e *env) {
	e.putOrg(newOrg("org-a", 1))
	r1 := &reception.Room{OrgID: "org-a", ChannelID: "ch-1", Title: "受付", JoinedAt: at(time.Hour)}
	r2 := &reception.Room{OrgID: "org-a", ChannelID: "ch-2", JoinedAt: at(0)}
	e.ok(e.s.PutRoom(e.ctx, r1))
	e.ok(e.s.PutRoom(e.ctx, r2))
	e.ok(e.s.MarkRoomLeft(e.ctx, "org-a", "ch-1", at(2*time.Hour)))
	got, err := e.s.GetRoom(e.ctx, "org-a", "ch-1")
	e.ok(err)
	left := r1.Clone()
	left.LeftAt = new(at(2 * time.Hour))
	e.diff("room after leaving", left, got)
	list, err := e.s.ListRooms(e.ctx, "org-a")
	e.ok(err)
	e.diff("ListRooms (by JoinedAt)", []*reception.Room{r2, left}, list)

	// Joining again is a put with a nil LeftAt.
	again := &reception.Room{OrgID: "org-a", ChannelID: "ch-1", Title: "受付 2", JoinedAt: at(3 * time.Hour)}
	e.ok(e.s.PutRoom(e.ctx, again))
	got, err = e.s.GetRoom(e.ctx, "org-a", "ch-1")
	e.ok(err)
	e.diff("room after joining again", again, got)

	e.is("MarkRoomLeft of an unknown room", e.s.MarkRoomLeft(e.ctx, "org-a", "ch-x", at(0)), reception.ErrNotFound)
	e.is("PutRoom of an unknown organization", e.s.PutRoom(e.ctx, &reception.Room{OrgID: "org-x", ChannelID: "c", JoinedAt: at(0)}), reception.ErrNotFound)
	e.field("PutRoom without ChannelID", e.s.PutRoom(e.ctx, &reception.Room{OrgID: "org-a", JoinedAt: at(0)}), "ChannelID")
}

func testNotFound(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	nf := func(what string, err error) { e.t.Helper(); e.is(what, err, reception.ErrNotFound) }
	_, err := s.GetOrganization(ctx, "nope")
	nf("GetOrganization", err)
	_, err = s.GetOrganizationWithSecrets(ctx, "nope")
	nf("GetOrganizationWithSecrets", err)
	nf("DeleteOrganization", s.DeleteOrganization(ctx, "nope"))
	_, err = s.GetButton(ctx, "org-a", "nope")
	nf("GetButton", err)
	_, err = s.GetStaff(ctx, "org-a", "nope")
	nf("GetStaff", err)
	_, err = s.GetRoom(ctx, "org-a", "nope")
	nf("GetRoom", err)
	_, err = s.GetVisit(ctx, "org-a", "nope")
	nf("GetVisit", err)
	_, err = s.ClaimVisit(ctx, "org-a", "nope", "u1", at(0))
	nf("ClaimVisit", err)
	_, err = s.AppendVisitEvent(ctx, "org-a", "nope", reception.VisitEvent{Kind: reception.EventClosed, At: at(0)})
	nf("AppendVisitEvent", err)
	_, err = s.RecordReminder(ctx, "org-a", "nope", &reception.Reminder{At: at(0)})
	nf("RecordReminder", err)
	nf("CheckIn of an unknown organization", s.CheckIn(ctx, newVisit("org-x", "v1", at(0)), nil))
	nf("EnqueueOutbox of an unknown organization", s.EnqueueOutbox(ctx, newEntry("org-x", "o1", "k", at(0))))
	nf("CompleteOutbox", s.CompleteOutbox(ctx, "nope", "w", at(0), nil))
	nf("RetryOutbox", s.RetryOutbox(ctx, "nope", "w", at(0), "x"))
	nf("PostponeOutbox", s.PostponeOutbox(ctx, "nope", "w", at(0), "x"))
	nf("DeadOutbox", s.DeadOutbox(ctx, "nope", "w", at(0), "x"))
	_, err = s.GetInbox(ctx, "nope")
	nf("GetInbox", err)
	nf("CompleteInbox", s.CompleteInbox(ctx, "nope", "w", at(0)))
	nf("RetryInbox", s.RetryInbox(ctx, "nope", "w", at(0), "x"))
	nf("DeadInbox", s.DeadInbox(ctx, "nope", "w", at(0), "x"))
	// Listing an unknown organization is simply empty.
	vs, err := s.ListVisits(ctx, "nope", reception.VisitFilter{})
	e.ok(err)
	e.diff("ListVisits of an unknown organization", []*reception.Visit(nil), vs)
}

// testTenantIsolation gives two organizations the same IDs everywhere and
// checks that nothing of one is visible or writable through the other.
func testTenantIsolation(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.putOrg(newOrg("org-b", 2))
	e.ok(s.PutButton(ctx, newButton("org-a", "b1", 0)))
	e.ok(s.PutStaff(ctx, newStaff("org-a", "s1")))
	e.ok(s.PutRoom(ctx, &reception.Room{OrgID: "org-a", ChannelID: "ch-1", JoinedAt: at(0)}))
	va := newVisit("org-a", "v1", at(0))
	e.checkIn(va, newEntry("org-a", "oa1", "visit/v1/room", at(0)))

	nf := func(what string, err error) {
		e.t.Helper()
		e.is("org-b "+what+" of org-a's", err, reception.ErrNotFound)
	}
	_, err := s.GetButton(ctx, "org-b", "b1")
	nf("GetButton", err)
	_, err = s.GetStaff(ctx, "org-b", "s1")
	nf("GetStaff", err)
	_, err = s.GetRoom(ctx, "org-b", "ch-1")
	nf("GetRoom", err)
	_, err = s.GetVisit(ctx, "org-b", "v1")
	nf("GetVisit", err)
	_, err = s.ClaimVisit(ctx, "org-b", "v1", "intruder", at(time.Minute))
	nf("ClaimVisit", err)
	_, err = s.AppendVisitEvent(ctx, "org-b", "v1", reception.VisitEvent{Kind: reception.EventClosed, At: at(time.Minute)})
	nf("AppendVisitEvent", err)
	_, err = s.RecordReminder(ctx, "org-b", "v1", &reception.Reminder{At: at(time.Minute)})
	nf("RecordReminder", err)
	nf("DeleteButton", s.DeleteButton(ctx, "org-b", "b1"))
	nf("DeleteStaff", s.DeleteStaff(ctx, "org-b", "s1"))
	nf("MarkRoomLeft", s.MarkRoomLeft(ctx, "org-b", "ch-1", at(time.Minute)))
	bs, err := s.ListButtons(ctx, "org-b")
	e.ok(err)
	ss, err := s.ListStaff(ctx, "org-b")
	e.ok(err)
	rs, err := s.ListRooms(ctx, "org-b")
	e.ok(err)
	vs, err := s.ListVisits(ctx, "org-b", reception.VisitFilter{})
	e.ok(err)
	if len(bs)+len(ss)+len(rs)+len(vs)+len(e.outbox("org-b", reception.OutboxFilter{})) != 0 {
		e.t.Errorf("org-b lists show org-a's data: %d buttons, %d staff, %d rooms, %d visits", len(bs), len(ss), len(rs), len(vs))
	}
	e.diff("org-a's visit after org-b's attempts", checkedIn(va), e.visit("org-a", "v1"))

	// The same IDs and dedupe keys in org-b are org-b's own.
	bb := newButton("org-b", "b1", 0)
	bb.Label = "B の受付"
	e.ok(s.PutButton(ctx, bb))
	vb := newVisit("org-b", "v1", at(time.Minute))
	e.checkIn(vb, newEntry("org-b", "ob1", "visit/v1/room", at(time.Minute)))
	_, err = s.ClaimVisit(ctx, "org-b", "v1", "staff-b", at(2*time.Minute))
	e.ok(err)
	ga, err := s.GetButton(ctx, "org-a", "b1")
	e.ok(err)
	e.diff("org-a's button", newButton("org-a", "b1", 0), ga)
	e.diff("org-a's visit after org-b claimed its own v1", checkedIn(va), e.visit("org-a", "v1"))
	e.diff("org-b's outbox", []string{"ob1"}, ids(e.outbox("org-b", reception.OutboxFilter{}), outboxID))
	e.diff("org-a's outbox", []string{"oa1"}, ids(e.outbox("org-a", reception.OutboxFilter{}), outboxID))
}

// testCopies checks that the store and its callers never share memory.
func testCopies(e *env) {
	ctx, s := e.ctx, e.s
	o := newOrg("org-a", 1)
	e.putOrg(o)
	o.Integration.Scopes[0], o.Integration.PrivateKey[0] = "mutated", 'X'
	got, err := s.GetOrganizationWithSecrets(ctx, "org-a")
	e.ok(err)
	e.diff("organization after mutating the value put", withSecrets(newOrg("org-a", 1)), got)
	got.Integration.Scopes[0] = "mutated"
	got, err = s.GetOrganizationWithSecrets(ctx, "org-a")
	e.ok(err)
	e.diff("organization after mutating a value returned", withSecrets(newOrg("org-a", 1)), got)

	b := newButton("org-a", "b1", 0)
	e.ok(s.PutButton(ctx, b))
	b.Labels["en"], b.ChannelIDs[0] = "mutated", "mutated"
	gb, err := s.GetButton(ctx, "org-a", "b1")
	e.ok(err)
	gb.Labels["en"], gb.StaffIDs[0] = "mutated", "mutated"
	gb, err = s.GetButton(ctx, "org-a", "b1")
	e.ok(err)
	e.diff("button after mutations", newButton("org-a", "b1", 0), gb)

	v := newVisit("org-a", "v1", at(0))
	en := newEntry("org-a", "o1", "k1", at(0))
	e.checkIn(v, en)
	en.Content[2] = 'X'
	gv := e.visit("org-a", "v1")
	gv.Events[0].Kind = reception.EventClosed
	e.diff("visit after mutations", checkedIn(newVisit("org-a", "v1", at(0))), e.visit("org-a", "v1"))
	got1 := e.outbox("org-a", reception.OutboxFilter{})
	got1[0].Content[2] = 'X'
	e.diff("outbox after mutations", []*reception.OutboxEntry{newEntry("org-a", "o1", "k1", at(0))}, e.outbox("org-a", reception.OutboxFilter{}))
}

func testDeleteCascade(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.putOrg(newOrg("org-b", 2))
	for _, org := range []string{"org-a", "org-b"} {
		e.ok(s.PutButton(ctx, newButton(org, "b1", 0)))
		e.ok(s.PutStaff(ctx, newStaff(org, "s1")))
		e.ok(s.PutRoom(ctx, &reception.Room{OrgID: org, ChannelID: "ch-1", JoinedAt: at(0)}))
		e.checkIn(newVisit(org, "v1", at(0)), newEntry(org, org+"-o1", "k1", at(0)))
	}
	e.ok(s.DeleteOrganization(ctx, "org-a"))
	e.putOrg(newOrg("org-a", 1)) // a new organization with the old ID starts empty
	bs, err := s.ListButtons(ctx, "org-a")
	e.ok(err)
	ss, err := s.ListStaff(ctx, "org-a")
	e.ok(err)
	rs, err := s.ListRooms(ctx, "org-a")
	e.ok(err)
	vs, err := s.ListVisits(ctx, "org-a", reception.VisitFilter{})
	e.ok(err)
	if n := len(bs) + len(ss) + len(rs) + len(vs) + len(e.outbox("org-a", reception.OutboxFilter{})); n != 0 {
		e.t.Errorf("%d records of the deleted organization survived", n)
	}
	leased, err := s.LeaseOutbox(ctx, "w", 10, time.Minute, at(time.Hour))
	e.ok(err)
	e.diff("entries leasable after the delete", []string{"org-b-o1"}, ids(leased, outboxID))
	// The same dedupe key is free again for the new organization.
	e.checkIn(newVisit("org-a", "v1", at(0)), newEntry("org-a", "org-a-o2", "k1", at(0)))
	e.diff("org-b's visit", checkedIn(newVisit("org-b", "v1", at(0))), e.visit("org-b", "v1"))
}

func testContext(e *env) {
	e.putOrg(newOrg("org-a", 1))
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	s := e.s
	cc := func(what string, err error) {
		e.t.Helper()
		e.is(what+" with a canceled context", err, context.Canceled)
	}
	_, err := s.GetOrganization(ctx, "org-a")
	cc("GetOrganization", err)
	cc("PutButton", s.PutButton(ctx, newButton("org-a", "b1", 0)))
	cc("CheckIn", s.CheckIn(ctx, newVisit("org-a", "v1", at(0)), []*reception.OutboxEntry{newEntry("org-a", "o1", "k", at(0))}))
	_, err = s.LeaseOutbox(ctx, "w", 1, time.Minute, at(0))
	cc("LeaseOutbox", err)
	if _, err := e.s.GetVisit(e.ctx, "org-a", "v1"); err == nil {
		e.t.Error("CheckIn with a canceled context stored the visit")
	}
}
