package notify_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// TestAppointmentCodeCheckIn: an appointment made by an admin gives its
// host the code, a QR image that decodes to it and a forward text; a
// check-in with the code tells the host 1:1 with the appointment's details
// and the two buttons; the host's tap makes the host the handler; the
// appointment is arrived and the visit linked to it.
func TestAppointmentCodeCheckIn(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h, clock := apptHarness(t, sf.new(t))
			ctx := context.Background()
			a := h.create(appointment(h))
			if !reception.ValidCode(a.Code) || a.Status != reception.AppointmentScheduled || a.CreatedBy != reception.CreatedByAdmin {
				t.Fatalf("created %+v", a)
			}
			if from, until := reception.DayValidity(a.StartsAt, time.UTC); !a.ValidFrom.Equal(from) || !a.ValidUntil.Equal(until) {
				t.Errorf("validity %v–%v, want the day", a.ValidFrom, a.ValidUntil)
			}
			if want := a.StartsAt.Add(-30 * time.Minute); !a.HostReminderAt.Equal(want) {
				t.Errorf("host reminder at %v, want %v", a.HostReminderAt, want)
			}
			h.settle()
			msgs := h.messagesTo(userA)
			if len(msgs) != 3 {
				t.Fatalf("host got %d messages, want the code, the QR image and the forward text: %+v", len(msgs), msgs)
			}
			if text := textOf(t, msgs[0]); !strings.Contains(text, a.Code) || !strings.Contains(text, "第1会議室") || !strings.Contains(text, "テスト商事 佐藤 様") {
				t.Errorf("code message = %q", text)
			}
			if got := h.imageCode(msgs[1]); got != a.Code {
				t.Errorf("QR code holds %q, want %q", got, a.Code)
			}
			if fwd := textOf(t, msgs[2]); !strings.Contains(fwd, a.Code) || !strings.Contains(fwd, "予約のある方") || !strings.Contains(fwd, "I have an appointment") {
				t.Errorf("forward text = %q", fwd)
			}

			clock.Advance(4*time.Hour + 50*time.Minute) // 13:50
			v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: a.Code})
			if err != nil {
				t.Fatal(err)
			}
			if v.AppointmentID != a.ID || v.ButtonID != notify.AppointmentButtonID || v.Company != "テスト商事" || v.VisitorName != "佐藤" || v.PartySize != 2 {
				t.Errorf("visit %+v", v)
			}
			h.settle()
			msgs = h.messagesTo(userA)
			if len(msgs) != 4 || msgs[3].ChannelID != "" {
				t.Fatalf("host got %d messages after the check-in: %+v", len(msgs), msgs)
			}
			note := textOf(t, msgs[3])
			for _, want := range []string{"ご予約のお客様", "新製品の打ち合わせ", "第1会議室", "14:00", "テスト商事 佐藤 様", "13:50"} {
				if !strings.Contains(note, want) {
					t.Errorf("arrival notification %q lacks %q", note, want)
				}
			}
			if len(h.fake.Messages()) != 4 {
				t.Errorf("a room was notified too: %+v", h.fake.Messages())
			}
			labels, values := postbacks(t, msgs[3])
			if strings.Join(labels, ",") != "対応します,他の人に対応を依頼" {
				t.Errorf("labels %v", labels)
			}
			h.tap(userA, "", labels[0], values[0])
			h.settle()
			msgs = h.messagesTo(userA)
			if got := textOf(t, msgs[len(msgs)-1]); !strings.Contains(got, `<m userId="user-a">`) || !strings.Contains(got, "佐藤 様") {
				t.Errorf("accepted reply %q, want the handler named", got)
			}
			if v, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); v.Status != reception.StatusAccepted || v.HandlerUserID != userA {
				t.Errorf("visit after the tap: %+v", v)
			}
			got, err := h.store.GetAppointment(ctx, h.org.ID, a.ID)
			if err != nil || got.Status != reception.AppointmentArrived || got.LastVisitID != v.ID || got.Arrivals != 1 {
				t.Errorf("appointment after the check-in: %+v, %v", got, err)
			}
		})
	}
}

// TestAppointmentCodeRefusals: unknown, used, cancelled, expired and
// not-yet-valid codes are refused with the documented errors; a period
// code works twice.
func TestAppointmentCodeRefusals(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h, clock := apptHarness(t, sf.new(t))
			ctx := context.Background()
			checkIn := func(code string) (*reception.Visit, error) {
				return h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: code})
			}
			reason := func(err error) reception.CodeReason {
				var ce *reception.CodeError
				if !errors.As(err, &ce) || !errors.Is(err, reception.ErrConflict) {
					t.Fatalf("error %v, want a *reception.CodeError", err)
				}
				return ce.Reason
			}
			day := h.create(appointment(h))
			cancelled := h.create(appointment(h))
			if _, err := h.svc.CancelAppointment(ctx, h.org.ID, cancelled.ID); err != nil {
				t.Fatal(err)
			}
			period := appointment(h)
			period.Period = true
			period.ValidUntil = time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
			period = h.create(period)
			later := appointment(h)
			later.StartsAt = later.StartsAt.AddDate(0, 0, 1)
			later = h.create(later)

			wrong := "000000"
			for _, c := range []string{day.Code, cancelled.Code, period.Code, later.Code} {
				if c == wrong {
					wrong = "999999"
				}
			}
			if _, err := checkIn(wrong); !errors.Is(err, notify.ErrUnknownCode) || !errors.Is(err, reception.ErrNotFound) {
				t.Errorf("unknown code: %v", err)
			}
			if _, err := checkIn("12a456"); !errors.Is(err, reception.ErrInvalid) {
				t.Errorf("malformed code: %v", err)
			}
			if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: day.Code, ButtonID: "sales"}); !errors.Is(err, reception.ErrInvalid) {
				t.Errorf("code and button: %v", err)
			}
			if _, err := checkIn(cancelled.Code); reason(err) != reception.CodeCancelled {
				t.Errorf("cancelled code: %v", err)
			}
			if _, err := checkIn(later.Code); reason(err) != reception.CodeNotYetValid {
				t.Errorf("tomorrow's code: %v", err)
			}
			first, err := checkIn(day.Code)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := checkIn(day.Code); reason(err) != reception.CodeUsed {
				t.Errorf("used code: %v", err)
			}
			p1, err := checkIn(period.Code)
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(24 * time.Hour)
			p2, err := checkIn(period.Code)
			if err != nil || p2.ID == p1.ID {
				t.Fatalf("period code the next day: %v, %v", p2, err)
			}
			if got, _ := h.store.GetAppointment(ctx, h.org.ID, period.ID); got.Arrivals != 2 || got.Status != reception.AppointmentArrived {
				t.Errorf("period appointment %+v", got)
			}
			if _, err := checkIn(day.Code); reason(err) != reception.CodeExpired {
				t.Errorf("yesterday's code: %v", err)
			}
			visits, err := h.store.ListVisits(ctx, h.org.ID, reception.VisitFilter{AppointmentID: day.ID})
			if err != nil || len(visits) != 1 || visits[0].ID != first.ID {
				t.Errorf("visits of the day code: %v, %v", visits, err)
			}
		})
	}
}

// TestAppointmentCancelTellsHosts: a cancel reaches the host once; its
// reminders are gone.
func TestAppointmentCancelTellsHosts(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	ctx := context.Background()
	a := appointment(h)
	a.HostStaffIDs = []string{"s1", "s2"}
	a = h.create(a)
	h.settle()
	before := len(h.fake.Messages())
	for range 2 {
		got, err := h.svc.CancelAppointment(ctx, h.org.ID, a.ID)
		if err != nil || got.Status != reception.AppointmentCancelled || !got.HostReminderAt.IsZero() {
			t.Fatalf("cancel: %+v, %v", got, err)
		}
	}
	h.settle()
	msgs := h.fake.Messages()[before:]
	if len(msgs) != 2 {
		t.Fatalf("%d messages after two cancels, want one per host: %+v", len(msgs), msgs)
	}
	for _, m := range msgs {
		if text := textOf(t, m); !strings.Contains(text, "取り消しました") || !strings.Contains(text, "テスト商事") {
			t.Errorf("cancel message %q", text)
		}
	}
}

// TestAppointmentUpdateMovesDay: moving an appointment to another day
// moves its one-day validity and reminder and tells the host.
func TestAppointmentUpdateMovesDay(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	ctx := context.Background()
	a := h.create(appointment(h))
	h.settle()
	before := len(h.fake.Messages())
	next := a.StartsAt.AddDate(0, 0, 1)
	got, err := h.svc.UpdateAppointment(ctx, h.org.ID, a.ID, func(x *reception.Appointment) error {
		x.StartsAt = next
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if from, until := reception.DayValidity(next, time.UTC); !got.ValidFrom.Equal(from) || !got.ValidUntil.Equal(until) || !got.HostReminderAt.Equal(next.Add(-30*time.Minute)) {
		t.Errorf("moved appointment %+v", got)
	}
	h.settle()
	msgs := h.fake.Messages()[before:]
	if len(msgs) != 3 || !strings.Contains(textOf(t, msgs[0]), "変更") || !strings.Contains(textOf(t, msgs[0]), "2026/12/03") {
		t.Errorf("change messages: %+v", msgs)
	}
	if _, err := h.svc.UpdateAppointment(ctx, h.org.ID, a.ID, func(x *reception.Appointment) error {
		x.HostStaffIDs = []string{"nobody"}
		return nil
	}); !errors.Is(err, reception.ErrInvalid) {
		t.Errorf("unknown host: %v", err)
	}
	if _, err := h.svc.CreateAppointment(ctx, &reception.Appointment{OrgID: h.org.ID, HostStaffIDs: []string{"s1"},
		Visitors: []reception.AppointmentVisitor{{Name: "過去"}}, StartsAt: apptStart.AddDate(0, 0, -1)}); !errors.Is(err, reception.ErrInvalid) {
		t.Errorf("an appointment yesterday: %v", err)
	}
}

// TestCodeCheckInEventNamesTheAppointment: the host application hears of
// an arrival with a code as a checked-in event naming the appointment.
func TestCodeCheckInEventNamesTheAppointment(t *testing.T) {
	var mu sync.Mutex
	var got []notify.Event
	h, _ := apptHarness(t, storeFactories[0].new(t), notify.WithEventHandler(func(_ context.Context, ev notify.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
		return nil
	}))
	a := h.create(appointment(h))
	v, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{Code: a.Code, Reference: "row-7"})
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	mu.Lock()
	defer mu.Unlock()
	for _, ev := range got {
		if ev.Kind == notify.EventCheckedIn {
			if ev.AppointmentID != a.ID || ev.VisitID != v.ID || ev.Reference != "row-7" {
				t.Errorf("checked-in event %+v", ev)
			}
			return
		}
	}
	t.Errorf("no checked-in event among %+v", got)
}

// TestPeriodCodeResentCountsOnce: a period code's check-in sent again with
// its idempotency key returns the first visit and counts one arrival.
func TestPeriodCodeResentCountsOnce(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	ctx := context.Background()
	p := appointment(h)
	p.Period, p.ValidUntil = true, time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	p = h.create(p)
	req := notify.CheckInRequest{Code: p.Code, IdempotencyKey: "kiosk-1-0001"}
	v1, err := h.svc.CheckIn(ctx, h.org.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := h.svc.CheckIn(ctx, h.org.ID, req)
	if err != nil || v2.ID != v1.ID {
		t.Fatalf("resent: %v, %v", v2, err)
	}
	if got, _ := h.store.GetAppointment(ctx, h.org.ID, p.ID); got.Arrivals != 1 {
		t.Errorf("arrivals %d, want 1", got.Arrivals)
	}
}

// TestCodeMessagesStayInOrder: when the QR upload fails, the forward text
// waits for the image: a host reads the code, its QR code and the text to
// forward in that order, whatever fails in between.
func TestCodeMessagesStayInOrder(t *testing.T) {
	h, clock := apptHarness(t, storeFactories[0].new(t))
	h.fake.InjectFault("POST /bots/{botId}/attachments", 1, lineworkstest.Fault{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE"})
	a := h.create(appointment(h))
	h.settle()
	if msgs := h.messagesTo(userA); len(msgs) != 1 {
		t.Fatalf("%d messages while the upload fails, want only the code", len(msgs))
	}
	clock.Advance(time.Second) // the retry is due
	h.settle()
	msgs := h.messagesTo(userA)
	if len(msgs) != 3 {
		t.Fatalf("%d messages after the retry", len(msgs))
	}
	if !strings.Contains(textOf(t, msgs[0]), a.Code) || h.imageCode(msgs[1]) != a.Code || !strings.Contains(textOf(t, msgs[2]), "I have an appointment") {
		t.Errorf("messages out of order: %+v", msgs)
	}
}

// TestAppointmentRooms: with WithAppointmentRooms the rooms of the buttons
// that list a host hear of the arrival too; a tap there is allowed.
func TestAppointmentRooms(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t), notify.WithAppointmentRooms(true))
	ctx := context.Background()
	h.button.StaffIDs = []string{"s1"}
	if err := h.store.PutButton(ctx, h.button); err != nil {
		t.Fatal(err)
	}
	a := h.create(appointment(h))
	h.settle()
	v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: a.Code})
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	var room []lineworkstest.Message
	for _, m := range h.fake.Messages() {
		if m.ChannelID == roomID {
			room = append(room, m)
		}
	}
	if len(room) != 1 || !strings.Contains(textOf(t, room[0]), "ご予約のお客様") {
		t.Fatalf("room messages %+v", room)
	}
	labels, values := postbacks(t, room[0])
	h.tap(userB, roomID, labels[0], values[0])
	h.settle()
	if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.HandlerUserID != userB {
		t.Errorf("a tap in the host's room: visit %+v", got)
	}
}

// TestCodeCheckInRefusesATransaction: the appointment's arrival cannot join
// an application's transaction, so CheckInTx refuses a code.
func TestCodeCheckInRefusesATransaction(t *testing.T) {
	st := memstore.New(testBox(t))
	h, _ := apptHarness(t, st)
	a := h.create(appointment(h))
	tx := st.Begin()
	defer tx.Rollback()
	if _, err := h.svc.CheckInTx(context.Background(), tx, h.org.ID, notify.CheckInRequest{Code: a.Code}); !errors.Is(err, reception.ErrInvalid) {
		t.Errorf("CheckInTx with a code: %v", err)
	}
}

// TestDayCodeResentAndRecovered: a day code's check-in sent again with its
// idempotency key gets its visit back (the host is told once); another
// kiosk's check-in with the code is refused as used; an arrival recorded
// without its visit (a crash between the two writes) is completed by the
// retry.
func TestDayCodeResentAndRecovered(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	ctx := context.Background()
	a := h.create(appointment(h))
	h.settle()
	before := len(h.messagesTo(userA))
	req := notify.CheckInRequest{Code: a.Code, IdempotencyKey: "kiosk-1-0002"}
	v1, err := h.svc.CheckIn(ctx, h.org.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := h.svc.CheckIn(ctx, h.org.ID, req)
	if err != nil || v2.ID != v1.ID {
		t.Fatalf("resent: %v, %v", v2, err)
	}
	var ce *reception.CodeError
	if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: a.Code, IdempotencyKey: "kiosk-2-0001"}); !errors.As(err, &ce) || ce.Reason != reception.CodeUsed {
		t.Errorf("another kiosk: %v", err)
	}
	h.settle()
	if got := len(h.messagesTo(userA)) - before; got != 1 {
		t.Errorf("host told %d times", got)
	}

	b := h.create(appointment(h))
	id := notify.CodeVisitID(h.org.ID, notify.CheckInRequest{Code: b.Code}, b)
	if _, err := h.store.UpdateAppointment(ctx, h.org.ID, b.ID, func(x *reception.Appointment) ([]*reception.OutboxEntry, error) {
		return nil, x.Arrive(apptStart, id) // the arrival, then a crash
	}); err != nil {
		t.Fatal(err)
	}
	v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: b.Code})
	if err != nil || v.ID != id || v.AppointmentID != b.ID {
		t.Fatalf("retry after the crash: %+v, %v", v, err)
	}
	if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: b.Code}); !errors.As(err, &ce) || ce.Reason != reception.CodeUsed {
		t.Errorf("after the repair: %v", err)
	}
	if got, _ := h.store.GetAppointment(ctx, h.org.ID, b.ID); got.Arrivals != 1 {
		t.Errorf("arrivals %d", got.Arrivals)
	}

	// The kiosk makes a key per tap: the visitor's second try has another
	// key, and still completes the first one's arrival.
	c := h.create(appointment(h))
	first := notify.CheckInRequest{Code: c.Code, IdempotencyKey: "kiosk-1-0003"}
	id = notify.CodeVisitID(h.org.ID, first, c)
	if _, err := h.store.UpdateAppointment(ctx, h.org.ID, c.ID, func(x *reception.Appointment) ([]*reception.OutboxEntry, error) {
		return nil, x.Arrive(apptStart, id)
	}); err != nil {
		t.Fatal(err)
	}
	v, err = h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: c.Code, IdempotencyKey: "kiosk-1-0004"})
	if err != nil || v.ID != id {
		t.Fatalf("second try with a new key: %+v, %v", v, err)
	}
}
