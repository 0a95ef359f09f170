package notify_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
)

// TestCancelAfterChangeComesLast: a change whose QR upload fails once,
// then a cancel a second later: the host reads 「変更されました」 and then
// 「取り消しました」, and neither the QR image nor the forward text of the
// dead code.
func TestCancelAfterChangeComesLast(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h, clock := apptHarness(t, sf.new(t))
			ctx := context.Background()
			a := h.create(appointment(h))
			h.settle()
			created := len(h.messagesTo(userA))
			h.fake.InjectFault("POST /bots/{botId}/attachments", 1, lineworkstest.Fault{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE"})
			if _, err := h.svc.UpdateAppointment(ctx, h.org.ID, a.ID, func(a *reception.Appointment) error {
				a.Room = "第2会議室"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			h.settle()
			clock.Advance(time.Second)
			if _, err := h.svc.CancelAppointment(ctx, h.org.ID, a.ID); err != nil {
				t.Fatal(err)
			}
			for range 5 {
				h.settle()
				clock.Advance(time.Second)
			}
			msgs := h.messagesTo(userA)[created:]
			var got []string
			for _, m := range msgs {
				if decoded(t, m)["type"] != "text" {
					got = append(got, "image")
					continue
				}
				got = append(got, textOf(t, m))
			}
			if len(got) != 2 || !strings.Contains(got[0], "変更されました") || !strings.Contains(got[1], "取り消しました") {
				t.Errorf("the host got %q, want the change and then the cancel only", got)
			}
		})
	}
}

// TestCancelBeforeCodeSent: cancelled before the code went out, the host
// gets the cancel notice only.
func TestCancelBeforeCodeSent(t *testing.T) {
	h, clock := apptHarness(t, storeFactories[0].new(t))
	a := h.create(appointment(h))
	if _, err := h.svc.CancelAppointment(context.Background(), h.org.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		h.settle()
		clock.Advance(time.Second)
	}
	msgs := h.messagesTo(userA)
	if len(msgs) != 1 || !strings.Contains(textOf(t, msgs[0]), "取り消しました") {
		t.Errorf("the host got %d messages, want the cancel notice only", len(msgs))
	}
}

// TestCancelTwiceLogsOnce: a second cancel changes nothing, tells nobody
// and does not log "appointment cancelled" again.
func TestCancelTwiceLogsOnce(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	a := h.create(appointment(h))
	for range 3 {
		if _, err := h.svc.CancelAppointment(context.Background(), h.org.ID, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(h.logs.String(), `msg="appointment cancelled"`); n != 1 {
		t.Errorf("logged \"appointment cancelled\" %d times, want once", n)
	}
}

// TestCancelDuringSlowUpload: the service runs; a change's QR upload is
// slow and the appointment is cancelled meanwhile. The cancel notice is
// the host's last message, and the forward text of the dead code never
// comes (the image may, if its send had started).
func TestCancelDuringSlowUpload(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	ctx := context.Background()
	a := h.create(appointment(h))
	h.settle()
	created := len(h.fake.Messages())
	h.fake.InjectFault("POST /bots/{botId}/attachments", 1, lineworkstest.Fault{Delay: 500 * time.Millisecond})
	h.run()
	if _, err := h.svc.UpdateAppointment(ctx, h.org.ID, a.ID, func(a *reception.Appointment) error {
		a.Room = "第2会議室"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.waitMessages(created + 1) // the change's text; the upload is under way
	if _, err := h.svc.CancelAppointment(ctx, h.org.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("cancel notice", func(m lineworkstest.Message) bool {
		return m.UserID == userA && decoded(t, m)["type"] == "text" && strings.Contains(textOf(t, m), "取り消しました")
	})
	h.quiesce()
	var got []string
	for _, m := range h.messagesTo(userA)[created:] {
		if decoded(t, m)["type"] != "text" {
			got = append(got, "image")
			continue
		}
		got = append(got, strings.SplitN(textOf(t, m), "\n", 2)[0])
	}
	if n := len(got); n < 2 || n > 3 || !strings.Contains(got[0], "変更されました") || !strings.Contains(got[n-1], "取り消しました") ||
		n == 3 && got[1] != "image" {
		t.Errorf("the host got %q, want the change, perhaps its image, and the cancel last", got)
	}
}
