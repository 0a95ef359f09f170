package storetest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// The appointment cases: a reception code is unique among an
// organization's live appointments, atomically across Stores, and every
// change of an appointment goes through UpdateAppointment's lock.

// newAppointment is an ordinary (day code) appointment of org starting at
// start, made at t0; the suite's times are UTC, so its day is the UTC day.
func newAppointment(org, id, code string, start time.Time) *reception.Appointment {
	from, until := reception.DayValidity(start, time.UTC)
	return &reception.Appointment{
		ID: id, OrgID: org, Code: code, HostStaffIDs: []string{"staff-1", "staff-2"},
		Visitors: []reception.AppointmentVisitor{
			{Company: "テスト商事", Name: "佐藤 花子", Email: "sato@example.com"}, {Name: "鈴木 一郎"},
		},
		PartySize: 3, Title: "新製品の打ち合わせ", Room: "第1会議室", StartsAt: start, ValidFrom: from, ValidUntil: until,
		Status: reception.AppointmentScheduled, HostReminderAt: start.Add(-30 * time.Minute),
		CreatedBy: "user-staff-1", CreatedAt: t0, UpdatedAt: t0,
	}
}

func (e *env) createAppt(a *reception.Appointment, entries ...*reception.OutboxEntry) {
	e.t.Helper()
	e.ok(e.s.CreateAppointment(e.ctx, a, entries...))
}

func (e *env) appt(org, id string) *reception.Appointment {
	e.t.Helper()
	a, err := e.s.GetAppointment(e.ctx, org, id)
	e.ok(err)
	return a
}

func apptID(a *reception.Appointment) string { return a.ID }

// update applies fn to the stored appointment and stores it, with no
// entries.
func (e *env) update(org, id string, fn func(a *reception.Appointment) error) (*reception.Appointment, error) {
	return e.s.UpdateAppointment(e.ctx, org, id, func(a *reception.Appointment) ([]*reception.OutboxEntry, error) { return nil, fn(a) })
}

// testAppointments: create, get, list in order with filters, a code drawn
// when none is given, validation, copies and tenant isolation.
func testAppointments(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.putOrg(newOrg("org-b", 2))
	a1 := newAppointment("org-a", "a1", "123456", at(2*time.Hour))
	a2 := newAppointment("org-a", "a2", "234567", at(day))
	a3 := newAppointment("org-a", "a3", "345678", at(2*time.Hour)) // same start as a1: ID orders
	a3.Period, a3.ValidUntil = true, a3.ValidFrom.Add(7*day)
	for _, a := range []*reception.Appointment{a2, a3, a1} {
		e.createAppt(a)
	}
	e.diff("GetAppointment", a1, e.appt("org-a", "a1"))
	e.diff("period appointment", a3, e.appt("org-a", "a3"))

	list := func(f reception.AppointmentFilter) []string {
		e.t.Helper()
		got, err := s.ListAppointments(ctx, "org-a", f)
		e.ok(err)
		return ids(got, apptID)
	}
	e.diff("ListAppointments order", []string{"a1", "a3", "a2"}, list(reception.AppointmentFilter{}))
	e.diff("ListAppointments StartsFrom", []string{"a2"}, list(reception.AppointmentFilter{StartsFrom: at(3 * time.Hour)}))
	e.diff("ListAppointments StartsBefore", []string{"a1", "a3"}, list(reception.AppointmentFilter{StartsBefore: at(day)}))
	e.diff("ListAppointments Limit", []string{"a1"}, list(reception.AppointmentFilter{Limit: 1}))
	_, err := e.update("org-a", "a3", func(a *reception.Appointment) error { return a.Cancel(at(time.Hour)) })
	e.ok(err)
	e.diff("ListAppointments Status", []string{"a3"}, list(reception.AppointmentFilter{Status: reception.AppointmentCancelled}))
	_, err = s.ListAppointments(ctx, "org-a", reception.AppointmentFilter{Status: reception.AppointmentExpired})
	e.field("ListAppointments by the derived status expired", err, "Status")

	drawn := newAppointment("org-a", "a4", "", at(2*time.Hour))
	e.createAppt(drawn)
	if !reception.ValidCode(drawn.Code) {
		e.t.Errorf("CreateAppointment drew code %q, want %d digits", drawn.Code, reception.CodeLen)
	}
	e.diff("drawn code as stored", drawn.Code, e.appt("org-a", "a4").Code)

	bad := newAppointment("org-a", "a5", "12345", at(0))
	bad.Visitors = nil
	err = s.CreateAppointment(ctx, bad)
	e.field("CreateAppointment with a 5-digit code", err, "Code")
	e.field("CreateAppointment without visitors", err, "Visitors")
	e.is("CreateAppointment with a used ID", s.CreateAppointment(ctx, newAppointment("org-a", "a1", "999999", at(0))), reception.ErrConflict)
	// Made again (a double tap): the ID is used; the code is its own.
	if err := s.CreateAppointment(ctx, newAppointment("org-a", "a1", "123456", at(2*time.Hour))); !errors.Is(err, reception.ErrConflict) || errors.Is(err, reception.ErrCodeInUse) {
		e.t.Errorf("CreateAppointment made again: %v, want ErrConflict for the ID, not ErrCodeInUse", err)
	}
	e.is("CreateAppointment in a missing organization", s.CreateAppointment(ctx, newAppointment("org-x", "a1", "999999", at(0))), reception.ErrNotFound)

	// Copies: neither the caller's value nor a returned one is the store's.
	a1.Visitors[0].Name = "changed"
	got := e.appt("org-a", "a1")
	got.HostStaffIDs[0], got.Visitors[1].Name = "changed", "changed"
	e.diff("stored appointment after changing copies", newAppointment("org-a", "a1", "123456", at(2*time.Hour)), e.appt("org-a", "a1"))

	// Tenant isolation.
	_, err = s.GetAppointment(ctx, "org-b", "a1")
	e.is("GetAppointment of another organization's appointment", err, reception.ErrNotFound)
	_, err = e.update("org-b", "a1", func(*reception.Appointment) error { e.t.Error("change called for another organization"); return nil })
	e.is("UpdateAppointment of another organization's appointment", err, reception.ErrNotFound)
	_, err = s.FindAppointmentByCode(ctx, "org-b", "123456", at(0))
	e.is("FindAppointmentByCode of another organization's code", err, reception.ErrNotFound)
	gotB, err := s.ListAppointments(ctx, "org-b", reception.AppointmentFilter{})
	e.ok(err)
	e.diff("ListAppointments of another organization", []string{}, ids(gotB, apptID))
}

// testAppointmentCodes: a code held by a live appointment is refused,
// within the organization only; it is free again once that appointment
// expired or was cancelled; FindAppointmentByCode picks the live one.
func testAppointmentCodes(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.putOrg(newOrg("org-b", 2))
	const code = "123456"
	a1 := newAppointment("org-a", "a1", code, at(time.Hour)) // valid until the end of t0's day
	e.createAppt(a1)
	err := s.CreateAppointment(ctx, newAppointment("org-a", "a2", code, at(day)))
	e.is("CreateAppointment with a held code", err, reception.ErrCodeInUse)
	e.is("CreateAppointment with a held code", err, reception.ErrConflict)
	e.createAppt(newAppointment("org-b", "b1", code, at(time.Hour)))

	later := newAppointment("org-a", "a3", code, at(2*day))
	later.CreatedAt = a1.ValidUntil // a1 no longer holds the code
	e.createAppt(later)
	_, err = e.update("org-a", "a3", func(a *reception.Appointment) error { return a.Cancel(later.CreatedAt.Add(time.Hour)) })
	e.ok(err)
	again := newAppointment("org-a", "a4", code, at(3*day))
	again.CreatedAt = later.CreatedAt.Add(2 * time.Hour) // a3 was cancelled
	e.createAppt(again)

	find := func(what string, now time.Time, want string) *reception.Appointment {
		e.t.Helper()
		got, err := s.FindAppointmentByCode(ctx, "org-a", code, now)
		e.ok(err)
		e.diff(what, want, got.ID)
		return got
	}
	find("FindAppointmentByCode while two are live", at(0), "a1")
	find("FindAppointmentByCode after the first expired", again.CreatedAt, "a4")
	gone := find("FindAppointmentByCode after all expired", at(30*day), "a4")
	if err := gone.CodeUsableAt(at(30 * day)); !isCode(err, reception.CodeExpired) {
		e.t.Errorf("CodeUsableAt of an expired appointment = %v, want CodeExpired", err)
	}
	_, err = s.FindAppointmentByCode(ctx, "org-a", "000000", at(0))
	e.is("FindAppointmentByCode of a code never given", err, reception.ErrNotFound)
	_, err = s.FindAppointmentByCode(ctx, "org-a", "12a456", at(0))
	e.field("FindAppointmentByCode of a malformed code", err, "Code")
}

func isCode(err error, r reception.CodeReason) bool {
	var ce *reception.CodeError
	return errors.As(err, &ce) && ce.Reason == r
}

// testAppointmentUpdate: UpdateAppointment's checks, its error paths, and
// the entries it enqueues atomically.
func testAppointmentUpdate(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	a := newAppointment("org-a", "a1", "123456", at(2*time.Hour))
	e.createAppt(a)
	for field, fn := range map[string]func(a *reception.Appointment){
		"ID": func(a *reception.Appointment) { a.ID = "a9" }, "OrgID": func(a *reception.Appointment) { a.OrgID = "org-b" },
		"Code":      func(a *reception.Appointment) { a.Code = "654321" },
		"CreatedAt": func(a *reception.Appointment) { a.CreatedAt = at(time.Minute) },
		"CreatedBy": func(a *reception.Appointment) { a.CreatedBy = "admin" },
		"Visitors":  func(a *reception.Appointment) { a.Visitors = nil },
	} {
		_, err := e.update("org-a", "a1", func(a *reception.Appointment) error { fn(a); return nil })
		e.field("UpdateAppointment changing "+field, err, field)
	}
	refusal := errors.New("storetest: refused")
	_, err := e.update("org-a", "a1", func(a *reception.Appointment) error { a.Title = "changed"; return refusal })
	if err != refusal {
		e.t.Errorf("UpdateAppointment whose change fails = %v, want the change's error unwrapped", err)
	}
	_, err = e.update("org-a", "nope", func(*reception.Appointment) error { e.t.Error("change called for a missing appointment"); return nil })
	e.is("UpdateAppointment of a missing appointment", err, reception.ErrNotFound)
	e.diff("appointment after refused updates", a, e.appt("org-a", "a1"))

	mail := newEntry("org-a", "o1", "appointment/a1/mail", at(time.Minute))
	mail.Target = reception.Target{Kind: reception.TargetEmail, ID: "sato@example.com"}
	mail.Content = []byte(`{"subject":"ご来訪のご案内","text":"受付コード 123456"}`)
	got, err := s.UpdateAppointment(ctx, "org-a", "a1", func(a *reception.Appointment) ([]*reception.OutboxEntry, error) {
		a.Room, a.UpdatedAt = "第2会議室", at(time.Minute)
		return []*reception.OutboxEntry{mail}, nil
	})
	e.ok(err)
	want := a.Clone()
	want.Room, want.UpdatedAt = "第2会議室", at(time.Minute)
	e.diff("UpdateAppointment result", want, got)
	e.diff("appointment after UpdateAppointment", want, e.appt("org-a", "a1"))
	e.diff("e-mail entry enqueued with the update", []*reception.OutboxEntry{mail}, e.outbox("org-a", reception.OutboxFilter{}))

	_, err = s.UpdateAppointment(ctx, "org-a", "a1", func(a *reception.Appointment) ([]*reception.OutboxEntry, error) {
		a.Room = "第3会議室"
		return []*reception.OutboxEntry{newEntry("org-a", "o2", "appointment/a1/mail", at(2*time.Minute))}, nil
	})
	e.is("UpdateAppointment with an entry whose dedupe key is used", err, reception.ErrConflict)
	e.diff("appointment after a conflicting entry", want, e.appt("org-a", "a1"))
	e.diff("outbox after a conflicting entry", []string{"o1"}, ids(e.outbox("org-a", reception.OutboxFilter{}), outboxID))

	_, err = e.update("org-a", "a1", func(a *reception.Appointment) error { return a.Cancel(at(time.Hour)) })
	e.ok(err)
	_, err = e.update("org-a", "a1", func(a *reception.Appointment) error {
		a.Status, a.UpdatedAt = reception.AppointmentScheduled, at(2*time.Hour)
		return nil
	})
	e.is("UpdateAppointment reviving a cancelled appointment", err, reception.ErrConflict)
	e.diff("status after a refused revival", reception.AppointmentCancelled, e.appt("org-a", "a1").Status)
}

// testAppointmentEntries: CreateAppointment stores the appointment and its
// entries together, or neither.
func testAppointmentEntries(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	host := newEntry("org-a", "o1", "appointment/a1/host/staff-1", at(0))
	host.Target = reception.Target{Kind: reception.TargetUser, ID: "user-staff-1"}
	mail := newEntry("org-a", "o2", "appointment/a1/mail/0", at(0))
	mail.Target = reception.Target{Kind: reception.TargetEmail, ID: "sato@example.com"}
	e.createAppt(newAppointment("org-a", "a1", "123456", at(time.Hour)), host, mail)
	e.diff("entries of CreateAppointment", []*reception.OutboxEntry{host, mail}, e.outbox("org-a", reception.OutboxFilter{}))

	err := s.CreateAppointment(ctx, newAppointment("org-a", "a2", "234567", at(time.Hour)),
		newEntry("org-a", "o3", "appointment/a2/host", at(0)), newEntry("org-a", "o4", host.DedupeKey, at(0)))
	e.is("CreateAppointment with an entry whose dedupe key is used", err, reception.ErrConflict)
	_, err = s.GetAppointment(ctx, "org-a", "a2")
	e.is("appointment of a failed CreateAppointment", err, reception.ErrNotFound)
	e.diff("outbox after a failed CreateAppointment", []string{"o1", "o2"}, ids(e.outbox("org-a", reception.OutboxFilter{}), outboxID))
	e.createAppt(newAppointment("org-a", "a2", "234567", at(time.Hour))) // its code was never taken

	other := newEntry("org-b", "o5", "x", at(0))
	e.field("CreateAppointment with another organization's entry",
		s.CreateAppointment(ctx, newAppointment("org-a", "a3", "345678", at(time.Hour)), other), "Entries[0].OrgID")
	badMail := newEntry("org-a", "o6", "y", at(0))
	badMail.Target = reception.Target{Kind: reception.TargetEmail, ID: "佐藤 <sato@example.com>"}
	e.field("an e-mail entry to a display name", s.EnqueueOutbox(ctx, badMail), "Target.ID")
}

// testAppointmentCreateRace: creates of one code at once, on several
// Stores, leave exactly one appointment holding it.
func testAppointmentCreateRace(e *env) {
	e.putOrg(newOrg("org-a", 1))
	stores := e.stores()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = stores[i%len(stores)].CreateAppointment(e.ctx, newAppointment("org-a", fmt.Sprintf("a%d", i), "123456", at(time.Hour)))
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, reception.ErrCodeInUse):
			e.t.Errorf("create %d: %v, want nil or ErrCodeInUse", i, err)
		}
	}
	got, err := e.s.ListAppointments(e.ctx, "org-a", reception.AppointmentFilter{})
	e.ok(err)
	if won != 1 || len(got) != 1 {
		e.t.Errorf("%d creates of one code won and %d appointments are stored, want 1 and 1", won, len(got))
	}
}

// testAppointmentArriveRace: two check-ins with one day code at once, on
// several Stores: one arrives, the other finds the code used.
func testAppointmentArriveRace(e *env) {
	e.putOrg(newOrg("org-a", 1))
	stores := e.stores()
	for round := range 4 {
		id := fmt.Sprintf("a%d", round)
		e.createAppt(newAppointment("org-a", id, fmt.Sprintf("12345%d", round), at(time.Hour)))
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = stores[i%len(stores)].UpdateAppointment(e.ctx, "org-a", id, func(a *reception.Appointment) ([]*reception.OutboxEntry, error) {
					return nil, a.Arrive(at(time.Hour), fmt.Sprintf("v%d", i))
				})
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || !isCode(errors.Join(errs...), reception.CodeUsed) {
			e.t.Errorf("round %d: two arrivals with one day code: %v and %v, want one nil and one CodeUsed", round, errs[0], errs[1])
		}
		if got := e.appt("org-a", id); got.Arrivals != 1 || got.Status != reception.AppointmentArrived {
			e.t.Errorf("round %d: arrivals %d, status %s; want 1, arrived", round, got.Arrivals, got.Status)
		}
	}
	period := newAppointment("org-a", "p1", "222222", at(time.Hour))
	period.Period, period.ValidUntil = true, period.ValidFrom.Add(5*day)
	e.createAppt(period)
	for i, when := range []time.Time{at(time.Hour), at(day + time.Hour)} {
		_, err := e.update("org-a", "p1", func(a *reception.Appointment) error { return a.Arrive(when, fmt.Sprintf("v%d", i)) })
		e.ok(err)
	}
	if got := e.appt("org-a", "p1"); got.Arrivals != 2 || got.LastVisitID != "v1" || !got.ArrivedAt.Equal(at(day+time.Hour)) {
		e.t.Errorf("period code after two arrivals: %d arrivals, last visit %s at %v; want 2, v1, %v", got.Arrivals, got.LastVisitID, got.ArrivedAt, at(day+time.Hour))
	}
}

// testAppointmentReminders: due reminders across organizations, earliest
// first, only of scheduled appointments, up to the limit.
func testAppointmentReminders(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.putOrg(newOrg("org-b", 2))
	mk := func(org, id, code string, host, visitor time.Time) {
		a := newAppointment(org, id, code, at(3*time.Hour))
		a.HostReminderAt, a.VisitorReminderAt = host, visitor
		e.createAppt(a)
	}
	mk("org-a", "a1", "100001", at(2*time.Hour), time.Time{})
	mk("org-a", "a2", "100002", at(2*time.Hour), at(time.Hour)) // the visitor's is due first
	mk("org-b", "a1", "100001", at(2*time.Hour), time.Time{})
	mk("org-a", "a3", "100003", time.Time{}, time.Time{})
	mk("org-a", "a4", "100004", at(4*time.Hour), time.Time{}) // not due yet
	mk("org-a", "a5", "100005", at(time.Hour), time.Time{})
	_, err := e.update("org-a", "a5", func(a *reception.Appointment) error { return a.Cancel(at(30 * time.Minute)) })
	e.ok(err)

	due := func(now time.Time, limit int) []string {
		e.t.Helper()
		got, err := s.ListDueAppointmentReminders(ctx, now, limit)
		e.ok(err)
		out := make([]string, len(got))
		for i, a := range got {
			out[i] = a.OrgID + "/" + a.ID
		}
		return out
	}
	e.diff("due reminders", []string{"org-a/a2", "org-a/a1", "org-b/a1"}, due(at(2*time.Hour), 10))
	e.diff("due reminders with a limit", []string{"org-a/a2", "org-a/a1"}, due(at(2*time.Hour), 2))
	e.diff("due reminders before any", []string{}, due(at(30*time.Minute), 10))
	_, err = e.update("org-a", "a2", func(a *reception.Appointment) error { a.VisitorReminderAt = time.Time{}; return nil })
	e.ok(err)
	e.diff("due reminders after the visitor's was sent", []string{}, due(at(90*time.Minute), 10))
	_, err = s.ListDueAppointmentReminders(ctx, at(0), 0)
	e.field("ListDueAppointmentReminders without a limit", err, "Limit")
}

// testAppointmentDeleteOrg: an organization's appointments go with it.
func testAppointmentDeleteOrg(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	e.putOrg(newOrg("org-b", 2))
	e.createAppt(newAppointment("org-a", "a1", "123456", at(time.Hour)))
	e.createAppt(newAppointment("org-b", "a1", "123456", at(time.Hour)))
	e.ok(s.DeleteOrganization(ctx, "org-a"))
	e.putOrg(newOrg("org-a", 1))
	_, err := s.GetAppointment(ctx, "org-a", "a1")
	e.is("appointment of a deleted organization", err, reception.ErrNotFound)
	e.createAppt(newAppointment("org-a", "a1", "123456", at(time.Hour)))
	e.diff("other organization's appointment", newAppointment("org-b", "a1", "123456", at(time.Hour)), e.appt("org-b", "a1"))
}

// testAppointmentPurge: the purge erases the personal data of appointments
// valid until before the cut-off, keeping counts, times and status.
func testAppointmentPurge(e *env) {
	ctx, s := e.ctx, e.s
	e.putOrg(newOrg("org-a", 1))
	old := newAppointment("org-a", "a-old", "111111", at(time.Hour))
	e.createAppt(old)
	e.createAppt(newAppointment("org-a", "a-new", "222222", at(60*day)))
	got, err := s.Purge(ctx, at(50*day))
	e.ok(err)
	e.diff("Purge result", reception.PurgeResult{Appointments: 1}, got)
	if got.Total() != 1 {
		e.t.Errorf("PurgeResult.Total() = %d, want 1", got.Total())
	}
	want := old.Clone()
	want.ErasePersonalData()
	e.diff("purged appointment", want, e.appt("org-a", "a-old"))
	e.diff("recent appointment", newAppointment("org-a", "a-new", "222222", at(60*day)), e.appt("org-a", "a-new"))
	got, err = s.Purge(ctx, at(50*day))
	e.ok(err)
	e.diff("second Purge result", reception.PurgeResult{}, got)
}

// testVisitAppointmentID: a visit keeps the appointment it checked in
// with, and ListVisits finds the visits of an appointment.
func testVisitAppointmentID(e *env) {
	e.putOrg(newOrg("org-a", 1))
	v1 := newVisit("org-a", "v1", at(0))
	v1.AppointmentID = "a1"
	e.checkIn(v1)
	e.checkIn(newVisit("org-a", "v2", at(time.Minute)))
	e.diff("visit with an appointment", checkedIn(v1), e.visit("org-a", "v1"))
	got, err := e.s.ListVisits(e.ctx, "org-a", reception.VisitFilter{AppointmentID: "a1"})
	e.ok(err)
	e.diff("ListVisits by appointment", []string{"v1"}, ids(got, visitID))
	bad := newVisit("org-a", "v3", at(0))
	bad.AppointmentID = "not an id"
	e.field("CheckIn with a malformed AppointmentID", e.s.CheckIn(e.ctx, bad, nil), "AppointmentID")
}
