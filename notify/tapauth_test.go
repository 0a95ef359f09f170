package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// TestTapOutsideAudienceRefused: accept and escalate taps from a room the
// visit was not announced in, or 1:1 from someone it was not sent to, are
// answered there with NotHere and change nothing; taps from its room and
// from staff it went to 1:1 still work, and OpenTaps restores taps from
// anywhere.
func TestTapOutsideAudienceRefused(t *testing.T) {
	ctx := context.Background()
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			v := h.checkIn(notify.CheckInRequest{ButtonID: "sales"})
			h.settle()
			sent := len(h.fake.Messages())
			h.tap(userB, "room-elsewhere", "対応します", notify.AcceptPostback(v.ID))
			h.tap(userB, "room-elsewhere", "他の人に対応を依頼", notify.EscalatePostback(v.ID))
			h.tap("user-outsider", "", "対応します", notify.AcceptPostback(v.ID))
			h.settle()
			msgs := sentAfter(h, sent)
			if len(msgs) != 3 {
				t.Fatalf("answers to three taps from outside = %d messages, want 3: %+v", len(msgs), msgs)
			}
			where := map[string]int{}
			for i, m := range msgs {
				if txt := textOf(t, m); !strings.Contains(txt, "ここでは操作できません") {
					t.Errorf("answer %d = %q, want the refusal", i, txt)
				}
				where[m.ChannelID+"/"+m.UserID]++
			}
			if where["room-elsewhere/"] != 2 || where["/user-outsider"] != 1 {
				t.Errorf("refusals went to %v, want 2 to room-elsewhere and 1 to user-outsider 1:1", where)
			}
			got, err := h.store.GetVisit(ctx, h.org.ID, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != reception.StatusWaiting || len(got.Events) != 2 { // checked_in, notified
				t.Errorf("visit after refused taps: %s with events %+v; want waiting, nothing recorded", got.Status, got.Events)
			}

			// The visit's room is its audience.
			h.tap(userB, roomID, "対応します", notify.AcceptPostback(v.ID))
			h.settle()
			if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.Status != reception.StatusAccepted || got.HandlerUserID != userB {
				t.Errorf("after a tap in the visit's room: %s by %q, want accepted by %s", got.Status, got.HandlerUserID, userB)
			}

			// An organization that wants the old behaviour takes taps from
			// anywhere.
			org, err := h.store.GetOrganization(ctx, h.org.ID)
			if err != nil {
				t.Fatal(err)
			}
			org.OpenTaps = true
			if err := h.store.PutOrganization(ctx, org); err != nil {
				t.Fatal(err)
			}
			w := h.checkIn(notify.CheckInRequest{ButtonID: "sales"})
			h.settle()
			h.tap(userA, "room-elsewhere", "対応します", notify.AcceptPostback(w.ID))
			h.settle()
			if got, _ := h.store.GetVisit(ctx, h.org.ID, w.ID); got.Status != reception.StatusAccepted || got.HandlerUserID != userA {
				t.Errorf("with OpenTaps, a tap from another room: %s by %q, want accepted by %s", got.Status, got.HandlerUserID, userA)
			}
		})
	}
}

// TestTapFromPersonalAudience: staff a visit was sent to 1:1 may act on it
// 1:1; the refusal to an outsider names no visit, so it does not make the
// outsider part of the audience.
func TestTapFromPersonalAudience(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, storeFactories[0].new(t))
	v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", StaffID: h.staff.ID})
	h.settle()
	h.tap("user-outsider", "", "対応します", notify.AcceptPostback(v.ID))
	h.settle()
	h.tap("user-outsider", "", "対応します", notify.AcceptPostback(v.ID))
	h.settle()
	if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.Status != reception.StatusWaiting {
		t.Fatalf("after an outsider's second 1:1 tap: %s, want waiting", got.Status)
	}
	h.tap(userA, "", "対応します", notify.AcceptPostback(v.ID))
	h.settle()
	if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.Status != reception.StatusAccepted || got.HandlerUserID != userA {
		t.Errorf("after a 1:1 tap by the staff member it was sent to: %s by %q, want accepted by %s", got.Status, got.HandlerUserID, userA)
	}
}
