package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// TestAcceptFromPersonalMessageTellsTheRoom: a staff member who accepts
// from their personal (1:1) notification gets the answer there, and the
// button's room — which was notified too — sees who handles the visitor.
func TestAcceptFromPersonalMessageTellsTheRoom(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sf.new(t))
			h.run()
			if _, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", StaffID: h.staff.ID, Visitor: notify.Visitor{Name: "鈴木 一郎"}}); err != nil {
				t.Fatal(err)
			}
			var personal *lineworkstest.Message
			for _, m := range h.waitMessages(2) {
				if m.UserID == userA && m.ChannelID == "" {
					personal = &m
				}
			}
			if personal == nil {
				t.Fatalf("no personal notification to %s among %+v", userA, h.fake.Messages())
			}
			labels, values := postbacks(t, *personal)
			h.tap(userA, "", labels[0], values[0]) // tapped in the 1:1 chat

			msgs := h.waitMessages(4)[2:]
			got := map[string]string{} // "room"/"user" → text
			for _, m := range msgs {
				switch {
				case m.ChannelID == roomID:
					got["room"] = textOf(t, m)
				case m.UserID == userA:
					got["user"] = textOf(t, m)
				}
			}
			for _, where := range []string{"room", "user"} {
				if txt := got[where]; !strings.Contains(txt, "鈴木 一郎") || !strings.Contains(txt, lineworks.Mention(userA)) || !strings.Contains(txt, "担当") {
					t.Errorf("accepted message in the %s = %q, want the visitor and the handler", where, txt)
				}
			}
			h.quiesce() // anything more would have been sent by now
			if n := len(h.fake.Messages()); n != 4 {
				t.Errorf("messages = %d, want 2 notifications and 2 accepted messages", n)
			}
		})
	}
}

// checkInAcceptedByA runs h, checks visitor in on the sales button and has
// userA accept in the room; it returns the visit and its notification's
// action labels and postbacks. Two messages are out: notification and
// acceptance.
func checkInAcceptedByA(t *testing.T, h *harness, visitor string) (*reception.Visit, []string, []string) {
	t.Helper()
	h.run()
	v, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: visitor}})
	if err != nil {
		t.Fatal(err)
	}
	labels, values := postbacks(t, h.waitMessages(1)[0])
	h.tap(userA, roomID, labels[0], values[0])
	h.waitMessages(2)
	return v, labels, values
}

// TestTapOnClosedVisit: accepting or escalating a visit that was closed
// (after someone handled it) gets the polite "already closed" answer, not
// "X is handling it", and changes nothing.
func TestTapOnClosedVisit(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := newHarness(t, sf.new(t))
			v, labels, values := checkInAcceptedByA(t, h, "佐藤 次郎")
			if _, err := h.store.AppendVisitEvent(ctx, h.org.ID, v.ID, reception.VisitEvent{Kind: reception.EventClosed, At: time.Now()}); err != nil {
				t.Fatal(err)
			}
			h.tap(userB, roomID, labels[0], values[0])
			h.tap(userB, roomID, labels[1], values[1])
			for i, m := range h.waitMessages(4)[2:] {
				if txt := textOf(t, m); !strings.Contains(txt, "すでに終了") || m.ChannelID != roomID {
					t.Errorf("answer %d to a tap on the closed visit = %q in %q, want the closed text in the room", i, txt, m.ChannelID)
				}
			}
			got, err := h.store.GetVisit(ctx, h.org.ID, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != reception.StatusClosed || got.HandlerUserID != userA {
				t.Errorf("visit after taps on it closed: status %s, handler %s; want closed, %s", got.Status, got.HandlerUserID, userA)
			}
		})
	}
}

// TestLongestVisitorInputShownWhole: a visitor who fills every field to the
// longest CheckIn accepts sees it all in the notification, and the message
// stays within LINE WORKS' limits (the fake refuses anything over them).
func TestLongestVisitorInputShownWhole(t *testing.T) {
	h := newHarness(t, storeFactories[0].new(t))
	h.run()
	name := strings.Repeat("名", notify.MaxVisitorName)
	company := strings.Repeat("社", notify.MaxVisitorCompany)
	note := strings.Repeat("用", notify.MaxVisitorNote)
	if _, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", StaffID: h.staff.ID,
		Visitor: notify.Visitor{Name: name, Company: company, Note: note, Count: notify.MaxPartySize}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range h.waitMessages(2) {
		txt := textOf(t, m)
		for what, want := range map[string]string{"name": name, "company": company, "note": note} {
			if !strings.Contains(txt, want) {
				t.Errorf("notification to %s%s does not show the whole %s:\n%s", m.ChannelID, m.UserID, what, txt)
			}
		}
		if n := len([]rune(txt)); n > 1000 {
			t.Errorf("notification text is %d characters, over the button template's 1,000", n)
		}
	}
}

// TestBystanderCannotEscalateAcceptedVisit: after A accepted, B's
// 「他の人に対応を依頼」 tells B that A handles the visit; nobody is asked
// with @All and A keeps the visit. A's own escalation still works.
func TestBystanderCannotEscalateAcceptedVisit(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := newHarness(t, sf.new(t))
			v, labels, values := checkInAcceptedByA(t, h, "高橋 三郎")
			h.tap(userB, roomID, labels[1], values[1])
			reply := h.waitMessages(3)[2]
			if txt := textOf(t, reply); strings.Contains(txt, lineworks.MentionAll) || !strings.Contains(txt, lineworks.Mention(userA)) || !strings.Contains(txt, lineworks.Mention(userB)) {
				t.Errorf("answer to a bystander's escalation = %q, want B told that A handles it, no @All", txt)
			}
			if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.Status != reception.StatusAccepted || got.HandlerUserID != userA {
				t.Errorf("after a bystander's escalation: %s by %q, want accepted by %s", got.Status, got.HandlerUserID, userA)
			}
			h.tap(userA, roomID, labels[1], values[1])
			if txt := textOf(t, h.waitMessages(4)[3]); !strings.Contains(txt, lineworks.MentionAll) {
				t.Errorf("the handler's escalation = %q, want @All", txt)
			}
			if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.Status != reception.StatusEscalated {
				t.Errorf("after the handler's escalation: %s, want escalated", got.Status)
			}
		})
	}
}

// TestBrokenButtonTemplateStillAnnounces: a per-button template that fails
// to render (stored before it was validated) does not turn the visitor
// away: the standard text goes out and the admin is warned in the log.
func TestBrokenButtonTemplateStillAnnounces(t *testing.T) {
	h := newHarness(t, storeFactories[0].new(t))
	if err := notify.ValidateNotificationTemplate("{{.Visitorr}} 様"); err == nil {
		t.Fatal("ValidateNotificationTemplate accepted an unknown field")
	}
	if err := notify.ValidateNotificationTemplate("{{.Company}} {{.Name}} 様（{{.Button}}）"); err != nil {
		t.Fatalf("ValidateNotificationTemplate refused a good template: %v", err)
	}
	h.button.Template = "{{.Visitorr}} 様"
	if err := h.store.PutButton(context.Background(), h.button); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "田中 四郎"}}); err != nil {
		t.Fatalf("check-in on a button with a broken template: %v", err)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "template fails") || !strings.Contains(logs, "button=sales") {
		t.Errorf("no warning about the broken template:\n%s", logs)
	}
	h.run()
	if txt := textOf(t, h.waitMessages(1)[0]); !strings.Contains(txt, "田中 四郎 様が「営業部」でお越しです") {
		t.Errorf("notification = %q, want the standard text", txt)
	}
}
