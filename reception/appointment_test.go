package reception

import (
	"errors"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, also where the system has none
)

var apptT0 = time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC) // 14:00 in Tokyo

func testAppointment() *Appointment {
	from, until := DayValidity(apptT0, time.UTC)
	return &Appointment{
		ID: "a1", OrgID: "org", Code: "012345", HostStaffIDs: []string{"s1"},
		Visitors: []AppointmentVisitor{{Company: "テスト商事", Name: "佐藤", Email: "sato@example.com"}},
		StartsAt: apptT0, ValidFrom: from, ValidUntil: until, Status: AppointmentScheduled,
		HostReminderAt: apptT0.Add(-30 * time.Minute), VisitorReminderAt: apptT0.Add(-day),
		CreatedBy: CreatedByAdmin, CreatedAt: apptT0.Add(-2 * day),
	}
}

const day = 24 * time.Hour

func codeReason(err error) CodeReason {
	var ce *CodeError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}

func TestNewReceptionCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := NewReceptionCode()
		if !ValidCode(c) {
			t.Fatalf("NewReceptionCode() = %q, want %d digits", c, CodeLen)
		}
		seen[c] = true
	}
	if len(seen) < 190 {
		t.Errorf("200 codes drew only %d distinct ones", len(seen))
	}
	for _, c := range []string{"12345", "1234567", "12a456", "１２３４５６", ""} {
		if ValidCode(c) {
			t.Errorf("ValidCode(%q) = true", c)
		}
	}
}

func TestDayValidity(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		start     time.Time
		loc       *time.Location
		from      time.Time
		wantHours int
	}{
		{"Tokyo afternoon", apptT0, tokyo, time.Date(2026, 12, 3, 0, 0, 0, 0, tokyo), 24},
		// 01:00 in Tokyo is still the previous day in UTC.
		{"Tokyo after midnight", time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC), tokyo, time.Date(2026, 12, 3, 0, 0, 0, 0, tokyo), 24},
		{"UTC by default", apptT0, nil, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), 24},
		{"Berlin spring forward", time.Date(2026, 3, 29, 14, 0, 0, 0, berlin), berlin, time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), 23},
		{"Berlin fall back", time.Date(2026, 10, 25, 14, 0, 0, 0, berlin), berlin, time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), 25},
	} {
		from, until := DayValidity(c.start, c.loc)
		if !from.Equal(c.from) || until.Sub(from) != time.Duration(c.wantHours)*time.Hour {
			t.Errorf("%s: DayValidity = [%v, %v), want from %v for %d hours", c.name, from, until, c.from, c.wantHours)
		}
		a := testAppointment()
		a.StartsAt, a.ValidFrom, a.ValidUntil = c.start, from, until
		if err := a.Validate(); err != nil {
			t.Errorf("%s: an appointment valid that day: %v", c.name, err)
		}
	}
}

func TestAppointmentValidateFields(t *testing.T) {
	if err := testAppointment().Validate(); err != nil {
		t.Fatalf("valid appointment: %v", err)
	}
	for field, change := range map[string]func(a *Appointment){
		"ID":                  func(a *Appointment) { a.ID = "" },
		"OrgID":               func(a *Appointment) { a.OrgID = "a b" },
		"Code":                func(a *Appointment) { a.Code = "12345" },
		"HostStaffIDs":        func(a *Appointment) { a.HostStaffIDs = nil },
		"HostStaffIDs[0]":     func(a *Appointment) { a.HostStaffIDs = []string{"bad id"} },
		"Visitors":            func(a *Appointment) { a.Visitors = nil },
		"Visitors[0].Name":    func(a *Appointment) { a.Visitors[0].Name, a.Visitors[0].Company = "", "" },
		"Visitors[0].Email":   func(a *Appointment) { a.Visitors[0].Email = "佐藤 <sato@example.com>" },
		"Visitors[0].Company": func(a *Appointment) { a.Visitors[0].Company = string(make([]rune, 101)) },
		"PartySize":           func(a *Appointment) { a.PartySize = -1 },
		"Title":               func(a *Appointment) { a.Title = string(make([]rune, 101)) },
		"StartsAt":            func(a *Appointment) { a.StartsAt = a.ValidUntil },
		"ValidFrom":           func(a *Appointment) { a.ValidFrom = time.Time{} },
		"ValidUntil":          func(a *Appointment) { a.ValidUntil = a.ValidFrom.Add(3 * day) },
		"Status":              func(a *Appointment) { a.Status = AppointmentExpired },
		"Arrivals":            func(a *Appointment) { a.Arrivals = -1 },
		"LastVisitID":         func(a *Appointment) { a.LastVisitID = "bad id" },
		"CreatedBy":           func(a *Appointment) { a.CreatedBy = "" },
		"CreatedAt":           func(a *Appointment) { a.CreatedAt = time.Time{} },
	} {
		a := testAppointment()
		change(a)
		var names []string
		for _, fe := range FieldErrors(a.Validate()) {
			names = append(names, fe.Field)
		}
		if !slices.Contains(names, field) {
			t.Errorf("Validate after breaking %s names %q", field, names)
		}
	}
	a := testAppointment()
	a.Period, a.ValidUntil = true, a.ValidFrom.Add(30*day)
	if err := a.Validate(); err != nil {
		t.Errorf("a period appointment over 30 days: %v", err)
	}
}

func TestAppointmentStatusAndCode(t *testing.T) {
	a := testAppointment()
	before, during, after := a.ValidFrom.Add(-time.Minute), a.StartsAt, a.ValidUntil
	for _, c := range []struct {
		name   string
		change func(a *Appointment)
		now    time.Time
		status AppointmentStatus
		reason CodeReason
	}{
		{"scheduled, before the day", nil, before, AppointmentScheduled, CodeNotYetValid},
		{"scheduled, on the day", nil, during, AppointmentScheduled, ""},
		{"scheduled, at ValidUntil", nil, after, AppointmentExpired, CodeExpired},
		{"arrived day code", func(a *Appointment) { a.Status = AppointmentArrived }, during, AppointmentArrived, CodeUsed},
		{"arrived day code, later", func(a *Appointment) { a.Status = AppointmentArrived }, after, AppointmentExpired, CodeExpired},
		{"arrived period code", func(a *Appointment) { a.Status, a.Period = AppointmentArrived, true }, during, AppointmentArrived, ""},
		{"cancelled", func(a *Appointment) { a.Status = AppointmentCancelled }, during, AppointmentCancelled, CodeCancelled},
		{"cancelled, later", func(a *Appointment) { a.Status = AppointmentCancelled }, after, AppointmentCancelled, CodeCancelled},
	} {
		a := testAppointment()
		if c.change != nil {
			c.change(a)
		}
		if got := a.StatusAt(c.now); got != c.status {
			t.Errorf("%s: StatusAt = %s, want %s", c.name, got, c.status)
		}
		err := a.CodeUsableAt(c.now)
		if got := codeReason(err); got != c.reason || (err != nil) != (c.reason != "") {
			t.Errorf("%s: CodeUsableAt = %v, want reason %q", c.name, err, c.reason)
		}
		if err != nil && !errors.Is(err, ErrConflict) {
			t.Errorf("%s: CodeUsableAt's error %v does not wrap ErrConflict", c.name, err)
		}
	}
	var ce *CodeError
	if err := a.CodeUsableAt(before); !errors.As(err, &ce) || !ce.ValidFrom.Equal(a.ValidFrom) {
		t.Errorf("a code not yet valid: %v, want ValidFrom %v", err, a.ValidFrom)
	}
}

func TestAppointmentArrive(t *testing.T) {
	a := testAppointment()
	at := a.StartsAt.Add(-5 * time.Minute)
	if err := a.Arrive(at, "v1"); err != nil {
		t.Fatal(err)
	}
	if a.Status != AppointmentArrived || a.Arrivals != 1 || !a.ArrivedAt.Equal(at) || a.LastVisitID != "v1" ||
		!a.HostReminderAt.IsZero() || !a.VisitorReminderAt.IsZero() || !a.UpdatedAt.Equal(at) {
		t.Errorf("after Arrive: %+v", a)
	}
	if err := a.Arrive(at.Add(time.Minute), "v1"); err != nil || a.Arrivals != 1 {
		t.Errorf("the same arrival again: %v, %d arrivals; want nil, 1", err, a.Arrivals)
	}
	if err := a.Arrive(at.Add(time.Minute), "v2"); codeReason(err) != CodeUsed || a.LastVisitID != "v1" {
		t.Errorf("a second arrival with a day code: %v, last visit %s; want CodeUsed, v1", err, a.LastVisitID)
	}

	p := testAppointment()
	p.Period, p.ValidUntil = true, p.ValidFrom.Add(7*day)
	for i, v := range []string{"v1", "v2", "v3"} {
		if err := p.Arrive(p.StartsAt.Add(time.Duration(i)*day), v); err != nil {
			t.Fatalf("period arrival %d: %v", i, err)
		}
	}
	if p.Arrivals != 3 || p.LastVisitID != "v3" {
		t.Errorf("period code after three arrivals: %d, %s", p.Arrivals, p.LastVisitID)
	}
	if err := p.Arrive(p.ValidUntil, "v4"); codeReason(err) != CodeExpired {
		t.Errorf("a period arrival after ValidUntil: %v, want CodeExpired", err)
	}
	if err := testAppointment().Arrive(apptT0.Add(-2*day), "v1"); codeReason(err) != CodeNotYetValid {
		t.Errorf("an arrival the day before: %v, want CodeNotYetValid", err)
	}
	err := testAppointment().Arrive(time.Time{}, "bad id")
	if names := FieldErrors(err); len(names) != 2 || names[0].Field != "VisitID" || names[1].Field != "At" {
		t.Errorf("Arrive with a bad visit ID and no time: %v", err)
	}
}

func TestAppointmentCancel(t *testing.T) {
	a := testAppointment()
	at := a.StartsAt.Add(-time.Hour)
	if err := a.Cancel(at); err != nil {
		t.Fatal(err)
	}
	if a.Status != AppointmentCancelled || !a.UpdatedAt.Equal(at) || !a.ReminderDueAt().IsZero() || a.Live(at) {
		t.Errorf("after Cancel: %+v", a)
	}
	if err := a.Cancel(at.Add(time.Hour)); err != nil || !a.UpdatedAt.Equal(at) {
		t.Errorf("Cancel of a cancelled appointment: %v, UpdatedAt %v; want nil, unchanged", err, a.UpdatedAt)
	}
	b := testAppointment()
	if err := b.Cancel(b.ValidUntil); !errors.Is(err, ErrConflict) || b.Status != AppointmentScheduled {
		t.Errorf("Cancel of an expired appointment: %v, status %s; want ErrConflict, scheduled", err, b.Status)
	}
}

func TestAppointmentReminderDue(t *testing.T) {
	a := testAppointment()
	if due := a.ReminderDueAt(); !due.Equal(a.VisitorReminderAt) {
		t.Errorf("ReminderDueAt = %v, want the visitor's, the earlier", due)
	}
	if a.ReminderDue(a.VisitorReminderAt.Add(-time.Second)) || !a.ReminderDue(a.VisitorReminderAt) {
		t.Error("ReminderDue around the due time is wrong")
	}
	a.VisitorReminderAt = time.Time{}
	if due := a.ReminderDueAt(); !due.Equal(a.HostReminderAt) {
		t.Errorf("ReminderDueAt without the visitor's = %v, want the host's", due)
	}
	a.Status = AppointmentArrived
	if !a.ReminderDueAt().IsZero() {
		t.Error("an arrived appointment has a reminder due")
	}
}

func TestAppointmentErasePersonalData(t *testing.T) {
	a := testAppointment()
	a.Title, a.Room = "商談", "第1会議室"
	a.Visitors = append(a.Visitors, AppointmentVisitor{Name: "鈴木"})
	if !a.HasPersonalData() {
		t.Fatal("HasPersonalData = false before erasure")
	}
	a.ErasePersonalData()
	if a.HasPersonalData() || len(a.Visitors) != 2 || a.Title != "" || a.Room != "第1会議室" {
		t.Errorf("after ErasePersonalData: %+v", a)
	}
}

func TestPickByCode(t *testing.T) {
	mk := func(id string, from time.Time, status AppointmentStatus) *Appointment {
		return &Appointment{ID: id, ValidFrom: from, ValidUntil: from.Add(day), Status: status, CreatedAt: from.Add(-day)}
	}
	old := mk("old", apptT0.Add(-3*day), AppointmentArrived)
	cancelled := mk("cancelled", apptT0, AppointmentCancelled)
	live := mk("live", apptT0, AppointmentScheduled)
	next := mk("next", apptT0.Add(2*day), AppointmentScheduled)
	for _, c := range []struct {
		name string
		all  []*Appointment
		now  time.Time
		want string
	}{
		{"the live one", []*Appointment{old, cancelled, next, live}, apptT0, "live"},
		{"live earliest first", []*Appointment{next, old}, apptT0, "next"},
		{"none live: the latest ValidUntil", []*Appointment{old, cancelled}, apptT0.Add(10 * day), "cancelled"},
		{"only an old one", []*Appointment{old}, apptT0, "old"},
	} {
		if got := pickByCode(c.all, c.now); got == nil || got.ID != c.want {
			t.Errorf("%s: picked %v, want %s", c.name, got, c.want)
		}
	}
	if got := pickByCode(nil, apptT0); got != nil {
		t.Errorf("pickByCode of none = %v", got)
	}
}

func TestTargetEmail(t *testing.T) {
	e := NewOutboxEntry("org", Target{Kind: TargetEmail, ID: "sato@example.com"}, []byte(`{"subject":"s","text":"t"}`), "k", apptT0)
	if err := e.ValidateNew(); err != nil {
		t.Errorf("an e-mail entry: %v", err)
	}
	for _, bad := range []string{"sato", "佐藤 <sato@example.com>", "sato@example.com "} {
		e.Target.ID = bad
		if fe := FieldErrors(e.Validate()); len(fe) == 0 || fe[0].Field != "Target.ID" {
			t.Errorf("an e-mail entry to %q: %v", bad, fe)
		}
	}
}
