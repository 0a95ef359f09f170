package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// mailHarness is an appointment harness whose service mails through a real
// SMTP server on loopback.
func mailHarness(t *testing.T, store reception.Store) (*harness, *manualClock, *smtpSink) {
	t.Helper()
	sink := newSMTPSink(t)
	h, clock := apptHarness(t, store, notify.WithMailer(&notify.SMTPMailer{Addr: sink.addr, From: "ACME 受付 <reception@example.com>"}))
	return h, clock, sink
}

// TestAppointmentMailsTheVisitor: a visitor with an address gets the code
// and a QR code that decodes to it, through net/smtp to a real SMTP server.
func TestAppointmentMailsTheVisitor(t *testing.T) {
	h, _, sink := mailHarness(t, storeFactories[0].new(t))
	a := appointment(h)
	a.Visitors = append(a.Visitors, reception.AppointmentVisitor{Name: "Jane Roe", Email: "jane@example.com"})
	a = h.create(a)
	h.settle()
	mails := sink.mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want one (only one visitor has an address)", len(mails))
	}
	if mails[0].from != "reception@example.com" || len(mails[0].to) != 1 || mails[0].to[0] != "jane@example.com" {
		t.Errorf("envelope %s → %v", mails[0].from, mails[0].to)
	}
	m := parseMail(t, mails[0].data)
	if !strings.Contains(m.subject, "受付コード") || !strings.Contains(m.subject, "ACME") {
		t.Errorf("subject %q", m.subject)
	}
	for _, want := range []string{"Jane Roe 様", "受付コード: " + a.Code, "Reception code: " + a.Code, "第1会議室", "14:00"} {
		if !strings.Contains(m.text, want) {
			t.Errorf("mail text lacks %q:\n%s", want, m.text)
		}
	}
	png, ok := m.files["image/png"]
	if !ok {
		t.Fatalf("no QR attachment; parts %v", m.files)
	}
	if got := decodeQR(t, png); got != a.Code {
		t.Errorf("attached QR holds %q, want %q", got, a.Code)
	}
	if !a.VisitorReminderAt.IsZero() {
		t.Errorf("a visitor reminder for an appointment today: %v", a.VisitorReminderAt)
	}
}

// TestAppointmentWithoutMailerSendsNoMail: without WithMailer no e-mail is
// queued at all.
func TestAppointmentWithoutMailerSendsNoMail(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	a := appointment(h)
	a.Visitors[0].Email = "sato@example.com"
	a.StartsAt = a.StartsAt.AddDate(0, 0, 3)
	a = h.create(a)
	if !a.VisitorReminderAt.IsZero() {
		t.Errorf("visitor reminder without a mailer: %v", a.VisitorReminderAt)
	}
	entries, err := h.store.ListOutbox(context.Background(), h.org.ID, reception.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Target.Kind == reception.TargetEmail {
			t.Errorf("an e-mail was queued: %+v", e)
		}
	}
}

// TestAppointmentReminders: the visitor's e-mail the day before at 10:00,
// the host's 1:1 reminder 30 minutes before, each once, on an injected
// clock; a cancelled appointment reminds nobody.
func TestAppointmentReminders(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h, clock, sink := mailHarness(t, sf.new(t))
			ctx := context.Background()
			a := appointment(h)
			a.StartsAt = time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)
			a.Visitors[0].Email = "sato@example.com"
			a = h.create(a)
			gone := h.create(appointment(h))
			if _, err := h.svc.CancelAppointment(ctx, h.org.ID, gone.ID); err != nil {
				t.Fatal(err)
			}
			if want := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC); !a.VisitorReminderAt.Equal(want) {
				t.Errorf("visitor reminder at %v, want %v", a.VisitorReminderAt, want)
			}
			h.settle()
			before, mailsBefore := len(h.messagesTo(userA)), len(sink.mails())

			remind := func() int {
				t.Helper()
				n, err := h.svc.RemindOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				h.settle()
				return n
			}
			clock.Advance(24*time.Hour + 59*time.Minute) // 12/3 09:59
			if n := remind(); n != 0 {
				t.Errorf("%d reminders before they are due", n)
			}
			clock.Advance(time.Minute)
			if n := remind(); n != 1 || len(sink.mails()) != mailsBefore+1 {
				t.Fatalf("at 10:00 the day before: %d reminders, %d mails", n, len(sink.mails())-mailsBefore)
			}
			m := parseMail(t, sink.mails()[mailsBefore].data)
			if !strings.Contains(m.subject, "明日") || !strings.Contains(m.text, a.Code) || decodeQR(t, m.files["image/png"]) != a.Code {
				t.Errorf("visitor reminder %q:\n%s", m.subject, m.text)
			}
			if len(h.messagesTo(userA)) != before {
				t.Errorf("the host was reminded the day before")
			}
			clock.Advance(27*time.Hour + 30*time.Minute) // 12/4 13:30
			if n := remind(); n != 1 {
				t.Fatalf("host reminder: %d", n)
			}
			msgs := h.messagesTo(userA)
			if len(msgs) != before+1 || !strings.Contains(textOf(t, msgs[before]), "まもなく") || !strings.Contains(textOf(t, msgs[before]), a.Code) {
				t.Fatalf("host reminder messages %+v", msgs[before:])
			}
			if n := remind(); n != 0 || len(h.messagesTo(userA)) != before+1 || len(sink.mails()) != mailsBefore+1 {
				t.Errorf("reminded again: %d", n)
			}
			got, _ := h.store.GetAppointment(ctx, h.org.ID, a.ID)
			if !got.HostReminderAt.IsZero() || !got.VisitorReminderAt.IsZero() {
				t.Errorf("due times left: %+v", got)
			}
		})
	}
}

// TestMailRefusedForGoodIsGivenUp: an address the SMTP server refuses for
// good (550) is given up on at the first attempt; the others go out.
func TestMailRefusedForGoodIsGivenUp(t *testing.T) {
	h, _, sink := mailHarness(t, storeFactories[0].new(t))
	a := appointment(h)
	a.Visitors = []reception.AppointmentVisitor{{Name: "A", Email: "nosuchuser@example.com"}, {Name: "B", Email: "b@example.com"}}
	h.create(a)
	h.settle()
	if got := sink.mails(); len(got) != 1 || got[0].to[0] != "b@example.com" {
		t.Errorf("mails %+v", got)
	}
	entries, err := h.store.ListOutbox(context.Background(), h.org.ID, reception.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Target.Kind == reception.TargetEmail && e.Target.ID == "nosuchuser@example.com" {
			found = true
			if e.State != reception.OutboxDead || e.Attempts != 1 {
				t.Errorf("refused mail: state %s after %d attempts", e.State, e.Attempts)
			}
		}
	}
	if !found {
		t.Error("no outbox entry for the refused address")
	}
}
