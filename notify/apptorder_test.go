package notify_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
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

// TestCancelRightAfterChangeIsPrompt is the new user's trial: under Run,
// on the Free plan's 60 requests a minute and with a poll interval of an
// hour (so that only a kick or a due time can wake the dispatcher), a
// change is followed half a second later by a cancel while the change's QR
// upload is slow. The cancel notice waits for the step being sent and
// then comes at once: the host's last message, within a few seconds of the
// upload's end (the trial's came 17 s late), and the forward text of the
// dead code is never sent.
func TestCancelRightAfterChangeIsPrompt(t *testing.T) {
	h := newHarness(t, storeFactories[0].new(t), func(c *harnessConfig) {
		// Two delivery slots per tenant, as by default: the notice can
		// be tried while the image is on the wire.
		c.options = append(c.options, notify.WithPollInterval(time.Hour), notify.WithConcurrency(8))
	})
	ctx := context.Background()
	h.org.Integration.RateLimit = 60
	if err := h.store.PutOrganization(ctx, h.org); err != nil {
		t.Fatal(err)
	}
	a := appointment(h)
	a.StartsAt = time.Now().Add(24 * time.Hour)
	a = h.create(a)
	h.settle()
	created := len(h.fake.Messages())
	const upload = 1500 * time.Millisecond
	h.fake.InjectFault("POST /bots/{botId}/attachments", 1, lineworkstest.Fault{Delay: upload})
	h.run()
	if _, err := h.svc.UpdateAppointment(ctx, h.org.ID, a.ID, func(a *reception.Appointment) error {
		a.Room = "第2会議室"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.waitMessages(created + 1) // the change's text
	// The image's send starts a second later (the budget's pace) and its
	// upload takes 1.5 s: cancel in the middle of it.
	deadline := time.Now().Add(10 * time.Second)
	for h.fake.FaultStats().Injected == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the QR image's upload never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if _, err := h.svc.CancelAppointment(ctx, h.org.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("cancel notice", func(m lineworkstest.Message) bool {
		return m.UserID == userA && decoded(t, m)["type"] == "text" && strings.Contains(textOf(t, m), "取り消しました")
	})
	// The upload, then at most two paced sends (the image if its send had
	// started, the notice) a second apart, with room for a slow machine.
	t.Logf("cancel notice after %v", time.Since(start))
	if d := time.Since(start); d > upload+4*time.Second {
		t.Errorf("the cancel notice came %v after the cancel", d)
	}
	h.quiesce()
	var got []string
	var times []time.Time
	for _, m := range h.messagesTo(userA)[created:] {
		times = append(times, m.Received)
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
	// The image's send settles, and the notice goes at the budget's next
	// slot: a second later on the Free plan (the client paces sends).
	if n := len(times); n == 3 && times[2].Sub(times[1]) > 2500*time.Millisecond {
		t.Errorf("the notice came %v after the image", times[2].Sub(times[1]))
	}
	if last := textOf(t, h.messagesTo(userA)[len(h.messagesTo(userA))-1]); !strings.Contains(last, "使えなくなりました") || !strings.Contains(last, "転送しないでください") {
		t.Errorf("the cancel notice %q does not say the code is dead and not to forward what came before", last)
	}
	if !strings.Contains(h.logs.String(), "waits for the step being sent") {
		t.Errorf("the notice was not tried while the image was being sent (the test's timing is off):\n%s", h.logs)
	}
	if !strings.Contains(h.logs.String(), "appointment message dropped") {
		t.Errorf("no step of the dead code was dropped:\n%s", h.logs)
	}
}

// TestRetryWakesDispatcher: with a poll interval of an hour, a message
// whose first send fails is sent again when its backoff is over: the
// dispatcher wakes at the entry's next attempt, not at the next poll.
func TestRetryWakesDispatcher(t *testing.T) {
	h := newHarness(t, storeFactories[0].new(t), func(c *harnessConfig) {
		c.options = append(c.options, notify.WithPollInterval(time.Hour))
	})
	h.fake.InjectFault("POST /bots/{botId}/channels/{channelId}/messages", 1, lineworkstest.Fault{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE"})
	h.run()
	if _, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "客"}}); err != nil {
		t.Fatal(err)
	}
	h.waitMessages(1)
}
