package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// chat posts callback bodies to the service's real CallbackHandler over
// loopback HTTP, signed with the bot secret as LINE WORKS signs them.
type chat struct {
	h      *harness
	sender lineworkstest.CallbackSender
}

func newChat(h *harness) *chat {
	srv := httptest.NewServer(h.svc.CallbackHandler())
	h.t.Cleanup(srv.Close)
	s := h.sender
	s.URL = srv.URL
	return &chat{h: h, sender: s}
}

func (c *chat) post(body []byte) {
	c.h.t.Helper()
	status, err := c.sender.Send(context.Background(), body)
	if err != nil || status != http.StatusOK {
		c.h.t.Fatalf("callback: %d, %v", status, err)
	}
	c.h.settle()
}

// say is userID writing text to the bot 1:1.
func (c *chat) say(userID, text string) { c.post(lineworkstest.TextMessageEvent(userID, "", text)) }

// last is the last 1:1 message userID got.
func (c *chat) last(userID string) lineworkstest.Message {
	c.h.t.Helper()
	msgs := c.h.messagesTo(userID)
	if len(msgs) == 0 {
		c.h.t.Fatalf("%s got no message", userID)
	}
	return msgs[len(msgs)-1]
}

// TestAppointmentFromChatEndToEnd is the end-to-end test: a staff
// member's 1:1 message to the bot → the bot's confirmation → the confirm
// tap (twice: one appointment) → the code and its QR image at the fake
// (downloaded and decoded) → a check-in with the code → the host's 1:1
// notification → the host's tap names the handler.
func TestAppointmentFromChatEndToEnd(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h, clock := apptHarness(t, sf.new(t))
			c := newChat(h)
			ctx := context.Background()

			c.say(userA, "来客予約 12/2 14:00 テスト商事 佐藤様 2名 第1会議室")
			confirm := c.last(userA)
			summary := textOf(t, confirm)
			for _, want := range []string{"登録しますか", "テスト商事", "佐藤", "14:00", "第1会議室"} {
				if !strings.Contains(summary, want) {
					t.Errorf("confirmation %q lacks %q", summary, want)
				}
			}
			labels, values := postbacks(t, confirm)
			if len(labels) != 2 || labels[0] != "登録する" || labels[1] != "やめる" {
				t.Fatalf("confirmation buttons %v", labels)
			}
			if list, _ := h.store.ListAppointments(ctx, h.org.ID, reception.AppointmentFilter{}); len(list) != 0 {
				t.Fatalf("an appointment before the confirm tap: %+v", list)
			}

			tap := lineworkstest.MessageTapEvent(userA, "", labels[0], values[0])
			c.post(tap)
			c.post(issuedLater(t, tap, time.Second)) // a double tap
			list, err := h.store.ListAppointments(ctx, h.org.ID, reception.AppointmentFilter{})
			if err != nil || len(list) != 1 {
				t.Fatalf("appointments after two taps: %+v, %v", list, err)
			}
			a := list[0]
			if a.CreatedBy != userA || a.HostStaffIDs[0] != "s1" || a.Room != "第1会議室" || a.PartySize != 2 ||
				!a.StartsAt.Equal(time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)) || a.Visitors[0] != (reception.AppointmentVisitor{Company: "テスト商事", Name: "佐藤"}) {
				t.Errorf("appointment %+v", a)
			}
			msgs := h.messagesTo(userA)
			if len(msgs) != 4 {
				t.Fatalf("staff member got %d messages, want the confirmation, the code, the QR image and the forward text", len(msgs))
			}
			if text := textOf(t, msgs[1]); !strings.Contains(text, a.Code) {
				t.Errorf("code message %q lacks %s", text, a.Code)
			}
			if got := h.imageCode(msgs[2]); got != a.Code {
				t.Errorf("the QR image holds %q, want %q", got, a.Code)
			}
			if fwd := textOf(t, msgs[3]); !strings.Contains(fwd, a.Code) {
				t.Errorf("forward text %q lacks the code", fwd)
			}

			clock.Advance(4*time.Hour + 55*time.Minute)
			v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{Code: a.Code})
			if err != nil {
				t.Fatal(err)
			}
			h.settle()
			note := c.last(userA)
			if text := textOf(t, note); !strings.Contains(text, "ご予約のお客様") || !strings.Contains(text, "テスト商事 佐藤 様") {
				t.Errorf("host notification %q", text)
			}
			labels, values = postbacks(t, note)
			c.post(lineworkstest.MessageTapEvent(userA, "", labels[0], values[0]))
			if text := textOf(t, c.last(userA)); !strings.Contains(text, `<m userId="user-a">`) {
				t.Errorf("reply to the host's tap %q does not name the handler", text)
			}
			if got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID); got.HandlerUserID != userA || got.AppointmentID != a.ID {
				t.Errorf("visit %+v", got)
			}
		})
	}
}

// TestAppointmentFromChatRefusals: someone who is not staff is refused;
// a past time gets a question; only the sender can confirm; 「やめる」
// drops the request. None of them makes an appointment.
func TestAppointmentFromChatRefusals(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	c := newChat(h)
	ctx := context.Background()
	const stranger = "user-x"

	c.say(stranger, "来客予約 12/2 14:00 テスト商事 佐藤様")
	if text := textOf(t, c.last(stranger)); !strings.Contains(text, "登録されたスタッフだけ") {
		t.Errorf("stranger got %q", text)
	}

	c.say(userA, "来客予約 12/2 8:00 テスト商事 佐藤様") // it is 9:00
	past := decoded(t, c.last(userA))
	if past["type"] != "text" || !strings.Contains(past["text"].(string), "?") && !strings.Contains(past["text"].(string), "？") {
		t.Errorf("a past time got %v, want a question", past)
	}

	c.say(userA, "来客予約 12/2 15:00 テスト商事 佐藤様")
	labels, values := postbacks(t, c.last(userA))
	c.post(lineworkstest.MessageTapEvent(userB, "", labels[0], values[0]))
	if text := textOf(t, c.last(userB)); !strings.Contains(text, "本人だけ") {
		t.Errorf("another staff member's tap got %q", text)
	}
	c.post(lineworkstest.MessageTapEvent(userA, "", labels[1], values[1]))
	if text := textOf(t, c.last(userA)); !strings.Contains(text, "やめました") {
		t.Errorf("discard got %q", text)
	}
	c.post(lineworkstest.MessageTapEvent(stranger, "", labels[0], "uk1:book:nonexistent"))
	if text := textOf(t, c.last(stranger)); !strings.Contains(text, "見つかりません") {
		t.Errorf("a tap on an unknown request got %q", text)
	}
	if list, _ := h.store.ListAppointments(ctx, h.org.ID, reception.AppointmentFilter{}); len(list) != 0 {
		t.Errorf("appointments made: %+v", list)
	}
}

// TestAppointmentFromChatInEnglish: an English organization's staff book in
// English and get English answers.
func TestAppointmentFromChatInEnglish(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	h.org.Locale = "en"
	if err := h.store.PutOrganization(context.Background(), h.org); err != nil {
		t.Fatal(err)
	}
	c := newChat(h)
	c.say(userA, "book tomorrow 2pm Mr. Smith from Acme Inc. room A")
	labels, values := postbacks(t, c.last(userA))
	if text := textOf(t, c.last(userA)); !strings.Contains(text, "Register this appointment?") || !strings.Contains(text, "Smith") || labels[0] != "Register" {
		t.Fatalf("confirmation %q %v", text, labels)
	}
	c.post(lineworkstest.MessageTapEvent(userA, "", labels[0], values[0]))
	msgs := h.messagesTo(userA)
	if len(msgs) != 4 || !strings.Contains(textOf(t, msgs[1]), "Reception code: ") || !strings.Contains(textOf(t, msgs[1]), "Dec 3, 2026 14:00") {
		t.Errorf("code message %q", textOf(t, msgs[len(msgs)-1]))
	}
}

// TestChatHelpForStaff: a staff member's 1:1 text that is no command (「やめる」
// typed instead of tapped, "hello") gets how to book, in the organization's
// language; a stranger's gets nothing, and so do texts in a talk room and
// postbacks.
func TestChatHelpForStaff(t *testing.T) {
	h, _ := apptHarness(t, storeFactories[0].new(t))
	c := newChat(h)
	const stranger = "user-x"
	for _, text := range []string{"やめる", "hello"} {
		before := len(h.messagesTo(userA))
		c.say(userA, text)
		msgs := h.messagesTo(userA)
		if len(msgs) != before+1 {
			t.Fatalf("%q: staff got %d new messages, want 1 (the help)", text, len(msgs)-before)
		}
		help := textOf(t, msgs[len(msgs)-1])
		for _, want := range []string{"来客予約 12/3 14:00 テスト商事 佐藤様", "book Dec 3 2pm"} {
			if !strings.Contains(help, want) {
				t.Errorf("help %q lacks %q", help, want)
			}
		}
	}
	c.say(stranger, "hello")
	c.post(lineworkstest.TextMessageEvent(userA, "room-1", "hello"))
	c.post(lineworkstest.PostbackEvent(userA, "", "something"))
	c.post(lineworkstest.MessageTapEvent(userA, "", "やめる", "uk1:unknown:x"))
	if n := len(h.messagesTo(stranger)); n != 0 {
		t.Errorf("a stranger's hello got %d messages", n)
	}
	if n := len(h.messagesTo(userA)); n != 2 {
		t.Errorf("staff got %d messages, want only the two helps", n)
	}
	if n := len(h.fake.Messages()); n != 2 {
		t.Errorf("the bot sent %d messages, want only the two helps", n)
	}

	h.org.Locale = "en"
	if err := h.store.PutOrganization(context.Background(), h.org); err != nil {
		t.Fatal(err)
	}
	c.say(userA, "hi")
	if help := textOf(t, c.last(userA)); !strings.Contains(help, "book Dec 3 2pm Mr. Sato") || !strings.HasPrefix(help, "To make an appointment") {
		t.Errorf("English help %q", help)
	}
}
