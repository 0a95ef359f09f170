package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// emailStaffHarness is an appointment harness with user.read whose staff
// member s3 is registered by the fake administrator's login e-mail (in
// another case than the directory's), as the admin form allows.
func emailStaffHarness(t *testing.T, store reception.Store) (*harness, *chat) {
	t.Helper()
	clock := &manualClock{now: apptStart}
	h := newHarness(t, store, func(c *harnessConfig) { c.clock = clock.Now; c.scopes = []string{"bot", "user.read"} })
	if err := store.PutStaff(context.Background(), &reception.Staff{ID: "s3", OrgID: h.org.ID, Name: "管理 太郎",
		UserID: "Admin@Example.com", Active: true}); err != nil {
		t.Fatal(err)
	}
	h.fake.AddUser(lineworkstest.User{UserID: "user-other", Email: "other@example.com"})
	return h, newChat(h)
}

// TestStaffByEmailBooksFromChat: a staff member registered by e-mail
// writes from their user ID and may book; a user with another e-mail is
// still refused.
func TestStaffByEmailBooksFromChat(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h, c := emailStaffHarness(t, sf.new(t))
			c.say(lineworkstest.AdminUserID, "来客予約 12/2 14:00 テスト商事 佐藤様")
			labels, values := postbacks(t, c.last(lineworkstest.AdminUserID))
			c.post(lineworkstest.MessageTapEvent(lineworkstest.AdminUserID, "", labels[0], values[0]))
			list, err := h.store.ListAppointments(context.Background(), h.org.ID, reception.AppointmentFilter{})
			if err != nil || len(list) != 1 || list[0].HostStaffIDs[0] != "s3" {
				t.Fatalf("appointments %+v, %v; want one hosted by s3", list, err)
			}
			c.say("user-other", "来客予約 12/2 15:00 テスト商事 佐藤様")
			if text := textOf(t, c.last("user-other")); !strings.Contains(text, "登録されたスタッフだけ") {
				t.Errorf("another user got %q", text)
			}
		})
	}
}

// TestStaffByEmailTapsOwnNotification: a check-in for the staff member
// registered by e-mail goes 1:1 to the e-mail; their tap (from their user
// ID) accepts it; a tap by another user is refused.
func TestStaffByEmailTapsOwnNotification(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h, c := emailStaffHarness(t, sf.new(t))
			ctx := context.Background()
			v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales", StaffID: "s3", Visitor: notify.Visitor{Name: "客"}})
			if err != nil {
				t.Fatal(err)
			}
			h.settle()
			if len(h.messagesTo("Admin@Example.com")) == 0 {
				t.Fatalf("no 1:1 notification to the e-mail: %+v", h.fake.Messages())
			}
			c.post(lineworkstest.MessageTapEvent("user-other", "", "対応します", notify.AcceptPostback(v.ID)))
			if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.Status == reception.StatusAccepted {
				t.Fatalf("a tap by another user accepted the visit")
			}
			c.post(lineworkstest.MessageTapEvent(lineworkstest.AdminUserID, "", "対応します", notify.AcceptPostback(v.ID)))
			if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.Status != reception.StatusAccepted || got.HandlerUserID != lineworkstest.AdminUserID {
				t.Errorf("visit %+v, want accepted by the staff member registered by e-mail", got)
			}
			if n := len(h.messagesTo("Admin@Example.com")); n != 1 {
				t.Errorf("the e-mail got %d messages, want only the notification (the tapper's reply goes to the user ID)", n)
			}
			if n := len(h.messagesTo(lineworkstest.AdminUserID)); n != 1 {
				t.Errorf("the tapper got %d replies, want 1", n)
			}
		})
	}
}

// TestStaffByEmailLookupFails: without a scope to read users the lookup
// fails; the tap is refused and the log says why.
func TestStaffByEmailLookupFails(t *testing.T) {
	clock := &manualClock{now: apptStart}
	h := newHarness(t, storeFactories[0].new(t), func(c *harnessConfig) { c.clock = clock.Now; c.scopes = []string{"bot"} })
	if err := h.store.PutStaff(context.Background(), &reception.Staff{ID: "s3", OrgID: h.org.ID, Name: "管理 太郎", UserID: lineworkstest.AdminEmail, Active: true}); err != nil {
		t.Fatal(err)
	}
	c := newChat(h)
	c.say(lineworkstest.AdminUserID, "来客予約 12/2 14:00 テスト商事 佐藤様")
	if text := textOf(t, c.last(lineworkstest.AdminUserID)); !strings.Contains(text, "登録されたスタッフだけ") {
		t.Errorf("got %q, want a refusal", text)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "looking up the user's e-mail failed") {
		t.Errorf("logs lack the cause:\n%s", logs)
	}
}

// TestStaffByEmailLookupCached: the user's e-mail is looked up once for
// several messages from the same user.
func TestStaffByEmailLookupCached(t *testing.T) {
	h, c := emailStaffHarness(t, storeFactories[0].new(t))
	h.fake.InjectFault(usersRoute, 1000, lineworkstest.Fault{}) // counts the requests only
	c.say(lineworkstest.AdminUserID, "来客予約 12/2 14:00 テスト商事 佐藤様")
	c.say(lineworkstest.AdminUserID, "来客予約 12/2 15:00 テスト商事 佐藤様")
	labels, values := postbacks(t, c.last(lineworkstest.AdminUserID))
	c.post(lineworkstest.MessageTapEvent(lineworkstest.AdminUserID, "", labels[0], values[0]))
	if n := h.fake.FaultStats().Injected; n != 1 {
		t.Errorf("Users API requests = %d, want 1 (the e-mail is cached)", n)
	}
}

// escalateAppointmentVisit checks in with a new appointment hosted by s3
// (registered by e-mail) alone and has the host tap 「他の人に対応を依頼」
// 1:1 from their user ID. It returns the visit and how many messages the
// bot had sent before the tap.
func escalateAppointmentVisit(t *testing.T, h *harness, c *chat) (*reception.Visit, int) {
	t.Helper()
	ctx := context.Background()
	a := appointment(h)
	a.HostStaffIDs = []string{"s3"}
	a = h.create(a)
	v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: a.Code})
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	if len(h.messagesTo("Admin@Example.com")) == 0 {
		t.Fatalf("the host got no arrival notification: %+v", h.fake.Messages())
	}
	before := len(h.fake.Messages())
	c.post(lineworkstest.MessageTapEvent(lineworkstest.AdminUserID, "", "他の人に対応を依頼", notify.EscalatePostback(v.ID)))
	return v, before
}

// TestAppointmentEscalationReachesOthers: the only host of an appointment
// (registered by login e-mail, tapping from their user ID) asks others;
// the request goes to the room of a button that lists the host, or else to
// the default room, with @All — never back to the host.
func TestAppointmentEscalationReachesOthers(t *testing.T) {
	for _, setup := range []string{"button room", "default room"} {
		t.Run(setup, func(t *testing.T) {
			h, c := emailStaffHarness(t, storeFactories[0].new(t))
			ctx := context.Background()
			want := roomID
			if setup == "button room" {
				b, err := h.store.GetButton(ctx, h.org.ID, "sales")
				if err != nil {
					t.Fatal(err)
				}
				b.StaffIDs = []string{"s3"}
				if err := h.store.PutButton(ctx, b); err != nil {
					t.Fatal(err)
				}
			} else {
				want = "room-default"
				h.org.Integration.DefaultChannelID = want
				if err := h.store.PutOrganization(ctx, h.org); err != nil {
					t.Fatal(err)
				}
			}
			_, before := escalateAppointmentVisit(t, h, c)
			var asked int
			for _, m := range h.fake.Messages()[before:] {
				if m.UserID == "Admin@Example.com" {
					t.Errorf("the host's e-mail was sent %q after the tap", textOf(t, m))
				}
				if m.ChannelID == want && strings.Contains(textOf(t, m), lineworks.MentionAll) && strings.Contains(textOf(t, m), "対応をお願いします") {
					asked++
				}
			}
			if asked != 1 {
				t.Errorf("%s got %d requests with @All, want 1: %+v", want, asked, h.fake.Messages())
			}
			if mine := h.messagesTo(lineworkstest.AdminUserID); len(mine) > 0 && strings.Contains(textOf(t, mine[len(mine)-1]), "対応をお願いします") {
				t.Errorf("the tapper was asked: %q", textOf(t, mine[len(mine)-1]))
			}
		})
	}
}

// TestAppointmentEscalationNobodyElse: with no room listing the host and
// no default room, the only host is told there is no one else to ask;
// nothing is sent to anyone and no escalation is recorded.
func TestAppointmentEscalationNobodyElse(t *testing.T) {
	h, c := emailStaffHarness(t, storeFactories[0].new(t))
	v, before := escalateAppointmentVisit(t, h, c)
	msgs := h.fake.Messages()
	if len(msgs) != before+1 {
		t.Fatalf("%d messages after the tap, want one reply: %+v", len(msgs)-before, msgs[before:])
	}
	reply := msgs[len(msgs)-1]
	if reply.UserID != lineworkstest.AdminUserID || !strings.Contains(textOf(t, reply), "ほかに依頼できる人がいません") {
		t.Errorf("reply %+v %q, want the tapper told there is no one else", reply, textOf(t, reply))
	}
	got, _ := h.store.GetVisit(context.Background(), h.org.ID, v.ID)
	for _, ev := range got.Events {
		if ev.Kind == reception.EventEscalated {
			t.Errorf("an escalation was recorded: %+v", ev)
		}
	}
}
