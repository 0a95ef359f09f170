package notify_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// These tests check that the messages after a check-in — acceptance,
// escalation, reminders — reach the people the check-in reached (the
// visit's audience), in a form LINE WORKS takes there.

// tapAt taps like harness.tap, with the callback issued at `at` (the
// builders stamp the wall clock; tests on a manual clock need its time).
func tapAt(h *harness, at time.Time, userID, channelID, label, postback string) {
	h.t.Helper()
	body := issuedTimeRE.ReplaceAll(lineworkstest.MessageTapEvent(userID, channelID, label, postback),
		[]byte(`"issuedTime":"`+at.UTC().Format("2006-01-02T15:04:05.000Z")+`"`))
	if rec := h.sender.ServeTo(h.svc.CallbackHandler(), body); rec.Code != 200 {
		h.t.Fatalf("callback answered %d: %s", rec.Code, rec.Body)
	}
}

var issuedTimeRE = regexp.MustCompile(`"issuedTime":"[^"]*"`)

// sentAfter returns the messages the fake received after the first n.
func sentAfter(h *harness, n int) []lineworkstest.Message {
	return h.fake.Messages()[n:]
}

// TestPersonalReminderHasNoAtAll: a visit announced only 1:1 is reminded
// 1:1, without @All (which LINE WORKS refuses outside talk rooms), even when
// the reminder policy asks for @All.
func TestPersonalReminderHasNoAtAll(t *testing.T) {
	ctx := context.Background()
	clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	h := newHarness(t, storeFactories[0].new(t), func(c *harnessConfig) { c.clock = clk.Now })
	if err := h.store.PutButton(ctx, &reception.Button{ID: "p", OrgID: h.org.ID, Label: "個人", Enabled: true, PersonalFirst: true,
		Reminder: reception.ReminderPolicy{After: 5 * time.Minute, MentionAll: true, Max: 1}}); err != nil {
		t.Fatal(err)
	}
	h.checkIn(notify.CheckInRequest{ButtonID: "p", StaffID: "s1"})
	h.settle()
	clk.Advance(5 * time.Minute)
	if n, err := h.svc.RemindOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RemindOnce = %d, %v", n, err)
	}
	h.settle()
	got := sentAfter(h, 1)
	if len(got) != 1 || got[0].UserID != userA || got[0].ChannelID != "" || strings.Contains(textOf(t, got[0]), lineworks.MentionAll) {
		t.Fatalf("reminder messages = %+v, want one 1:1 reminder to %s without @All", got, userA)
	}
	if dead, _ := h.store.ListOutbox(ctx, h.org.ID, reception.OutboxFilter{State: reception.OutboxDead}); len(dead) != 0 {
		t.Errorf("dead entries: %+v", dead)
	}
}

// TestStaffOnlyButtonIsRemindedPersonally: a button with staff but no room
// reminds its staff, 1:1.
func TestStaffOnlyButtonIsRemindedPersonally(t *testing.T) {
	ctx := context.Background()
	clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	h := newHarness(t, storeFactories[0].new(t), func(c *harnessConfig) { c.clock = clk.Now })
	if err := h.store.PutButton(ctx, &reception.Button{ID: "staff", OrgID: h.org.ID, Label: "担当者", Enabled: true, StaffIDs: []string{"s1"},
		Reminder: reception.ReminderPolicy{After: 5 * time.Minute, Max: 1}}); err != nil {
		t.Fatal(err)
	}
	h.checkIn(notify.CheckInRequest{ButtonID: "staff"})
	h.settle()
	clk.Advance(5 * time.Minute)
	if n, err := h.svc.RemindOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RemindOnce = %d, %v", n, err)
	}
	h.settle()
	if got := sentAfter(h, 1); len(got) != 1 || got[0].UserID != userA || !strings.Contains(textOf(t, got[0]), "まだ対応者がいません") {
		t.Errorf("reminder messages = %+v, want one reminder to %s", got, userA)
	}
}

// TestNoReminderRightAfterHandback: a handler who hands the visit back long
// after its reminder time triggers the @All request, not also a reminder a
// second later; the next reminder comes a reminder interval after it.
func TestNoReminderRightAfterHandback(t *testing.T) {
	ctx := context.Background()
	clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	h := newHarness(t, storeFactories[0].new(t), func(c *harnessConfig) { c.clock = clk.Now })
	v := h.checkIn(notify.CheckInRequest{ButtonID: "sales"}) // reminders after 5 min, at most 2, @All
	h.settle()
	clk.Advance(time.Minute)
	tapAt(h, clk.Now(), userA, roomID, "対応します", notify.AcceptPostback(v.ID))
	h.settle()
	clk.Advance(20 * time.Minute)
	tapAt(h, clk.Now(), userA, roomID, "他の人に対応を依頼", notify.EscalatePostback(v.ID))
	h.settle()
	if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.Status != reception.StatusEscalated {
		t.Fatalf("after the handback: %s, want escalated", got.Status)
	}
	clk.Advance(time.Second)
	if n, _ := h.svc.RemindOnce(ctx); n != 0 {
		t.Errorf("a reminder fired %d time(s) one second after the handback's @All", n)
	}
	// Its due time moved to a reminder interval after the handback, so it
	// is not looked at again meanwhile.
	handback := clk.Now().Add(-time.Second)
	if due, _ := h.store.ListDueReminders(ctx, clk.Now().Add(4*time.Minute), 10); len(due) != 0 {
		t.Errorf("due 4 min after the handback: %d visits, want none", len(due))
	}
	if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); !got.NextReminderAt.Equal(handback.Add(5*time.Minute)) || got.Reminders != 0 {
		t.Errorf("after the postponement: next reminder %v, %d reminders; want %v, 0", got.NextReminderAt, got.Reminders, handback.Add(5*time.Minute))
	}
	clk.Advance(5 * time.Minute)
	if n, err := h.svc.RemindOnce(ctx); err != nil || n != 1 {
		t.Errorf("RemindOnce a reminder interval after the handback = %d, %v; want 1", n, err)
	}
}

// TestPersonallyNotifiedStaffToldOfAccept: staff notified 1:1 learn that
// someone in the room took the visitor; the handler gets no 1:1 of it.
func TestPersonallyNotifiedStaffToldOfAccept(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, storeFactories[0].new(t))
	if err := h.store.PutButton(ctx, &reception.Button{ID: "both", OrgID: h.org.ID, Label: "両方", Enabled: true, ChannelIDs: []string{roomID}, StaffIDs: []string{"s1"}}); err != nil {
		t.Fatal(err)
	}
	v := h.checkIn(notify.CheckInRequest{ButtonID: "both"})
	h.settle()
	h.tap(userB, roomID, "対応します", notify.AcceptPostback(v.ID))
	h.settle()
	where := map[string]string{}
	for _, m := range sentAfter(h, 2) {
		where[m.ChannelID+m.UserID] = textOf(t, m)
	}
	if txt := where[userA]; !strings.Contains(txt, lineworks.Mention(userB)) {
		t.Errorf("%s, notified 1:1, was told %q; want that %s handles the visit", userA, txt, userB)
	}
	if txt := where[roomID]; !strings.Contains(txt, lineworks.Mention(userB)) {
		t.Errorf("the room was told %q; want that %s handles the visit", txt, userB)
	}
	if _, ok := where[userB]; ok || len(where) != 2 {
		t.Errorf("acceptance went to %v; want the room and %s only", where, userA)
	}
}

// TestAcceptHandledAgainAfterHandback: an accept callback handled a second
// time (its completion was lost in a crash) after the handler handed the
// visit back does not take it back.
func TestAcceptHandledAgainAfterHandback(t *testing.T) {
	ctx := context.Background()
	clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	store := &failingComplete{Store: storeFactories[0].new(t)}
	h := newHarness(t, store, func(c *harnessConfig) { c.clock = clk.Now })
	v := h.checkIn(notify.CheckInRequest{ButtonID: "sales"})
	h.tap(userA, roomID, "対応します", notify.AcceptPostback(v.ID))
	if _, err := h.svc.ProcessInboxOnce(ctx); err != nil { // claims; the completion "crashes"
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	h.tap(userA, roomID, "他の人に対応を依頼", notify.EscalatePostback(v.ID))
	if _, err := h.svc.ProcessInboxOnce(ctx); err != nil { // the handback
		t.Fatal(err)
	}
	clk.Advance(time.Minute) // the accept's lease lapses: it is handled again
	h.settle()
	if !store.failed {
		t.Fatal("the accept's completion was never lost: the test did not test a second handling")
	}
	got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID)
	if got.Status != reception.StatusEscalated || got.HandlerUserID != "" {
		t.Errorf("visit %s by %q; want escalated without a handler (A handed it back)", got.Status, got.HandlerUserID)
	}
	accepted := 0
	for _, m := range h.fake.Messages() {
		if strings.Contains(textOf(t, m), "担当") {
			accepted++
		}
	}
	if accepted != 1 {
		t.Errorf("acceptance announced %d times, want once", accepted)
	}
}

// TestEscalationReachesEveryRoom: 「他の人に対応を依頼」 — from a 1:1 chat or
// from one of the rooms — asks in every room of a multi-room button, with
// @All, and sends nothing 1:1.
func TestEscalationReachesEveryRoom(t *testing.T) {
	for _, from := range []string{"", roomID} {
		t.Run("from "+map[string]string{"": "1:1", roomID: "a room"}[from], func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, storeFactories[0].new(t))
			if err := h.store.PutButton(ctx, &reception.Button{ID: "multi", OrgID: h.org.ID, Label: "複数", Enabled: true, ChannelIDs: []string{roomID, "room-2"}, StaffIDs: []string{"s1"}}); err != nil {
				t.Fatal(err)
			}
			v := h.checkIn(notify.CheckInRequest{ButtonID: "multi"})
			h.settle()
			h.tap(userA, from, "他の人に対応を依頼", notify.EscalatePostback(v.ID))
			h.settle()
			rooms := map[string]bool{}
			for _, m := range sentAfter(h, 3) {
				if m.ChannelID == "" || !strings.Contains(textOf(t, m), lineworks.MentionAll) {
					t.Errorf("escalation message %+v: want @All in a room", m)
				}
				rooms[m.ChannelID] = true
			}
			if !rooms[roomID] || !rooms["room-2"] || len(rooms) != 2 {
				t.Errorf("escalation reached %v; want both rooms", rooms)
			}
		})
	}
}

// failingAnnouncement loses the first acceptance announcement, as a crash
// right after the claim, before its messages were queued, would.
type failingAnnouncement struct {
	reception.Store
	failed bool
}

func (f *failingAnnouncement) EnqueueOutbox(ctx context.Context, e *reception.OutboxEntry) error {
	if !f.failed && strings.Contains(e.DedupeKey, "/accepted/") {
		f.failed = true
		return errors.New("simulated crash before the acceptance was announced")
	}
	return f.Store.EnqueueOutbox(ctx, e)
}

// TestStaleAcceptanceNotAnnounced: an accept handled again after its
// handler handed the visit back announces nothing — "A handles it" would no
// longer be true.
func TestStaleAcceptanceNotAnnounced(t *testing.T) {
	ctx := context.Background()
	clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	store := &failingAnnouncement{Store: storeFactories[0].new(t)}
	// The failed accept is retried 10 s later: after the handback.
	h := newHarness(t, store, func(c *harnessConfig) {
		c.clock = clk.Now
		c.options = append(c.options, notify.WithBackoff(10*time.Second, time.Minute))
	})
	v := h.checkIn(notify.CheckInRequest{ButtonID: "sales"})
	tapAt(h, clk.Now(), userA, roomID, "対応します", notify.AcceptPostback(v.ID))
	if _, err := h.svc.ProcessInboxOnce(ctx); err != nil { // claims; the announcement is lost
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	tapAt(h, clk.Now(), userA, roomID, "他の人に対応を依頼", notify.EscalatePostback(v.ID))
	if n, err := h.svc.ProcessInboxOnce(ctx); err != nil || n != 1 { // the handback alone
		t.Fatalf("handback: ProcessInboxOnce = %d, %v; want the handback only", n, err)
	}
	clk.Advance(time.Minute) // the failed accept is due again
	h.settle()
	if !store.failed {
		t.Fatal("no announcement was lost: the test did not test a second handling")
	}
	for _, m := range h.fake.Messages() {
		if txt := textOf(t, m); strings.Contains(txt, "担当") {
			t.Errorf("stale acceptance announced in %s: %q", m.ChannelID+m.UserID, txt)
		}
	}
	if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.Status != reception.StatusEscalated {
		t.Errorf("visit %s, want escalated", got.Status)
	}
}
