package notify_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// What messages say and to whom: personal messages, who asked for help,
// reminder mentions, English texts.

// TestPersonalFirstSendsOneToOneButtons: a PersonalFirst button with a chosen
// staff member sends only a 1:1 message to that person, carrying both
// buttons; a tap in the 1:1 room is answered there.
func TestPersonalFirstSendsOneToOneButtons(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			ctx := context.Background()
			if err := h.store.PutStaff(ctx, &reception.Staff{ID: "s2", OrgID: h.org.ID, Name: "鈴木 次郎", UserID: userB, Active: true}); err != nil {
				t.Fatal(err)
			}
			if err := h.store.PutButton(ctx, &reception.Button{ID: "personal", OrgID: h.org.ID, Label: "個人", Enabled: true,
				ChannelIDs: []string{roomID}, StaffIDs: []string{"s1"}, PersonalFirst: true}); err != nil {
				t.Fatal(err)
			}
			h.run() // the fast path sends the content as built
			v := h.checkIn(notify.CheckInRequest{ButtonID: "personal", StaffID: "s2", Visitor: notify.Visitor{Name: "佐藤"}})
			msgs := h.waitMessages(1)
			m := msgs[0]
			if m.UserID != userB || m.ChannelID != "" || m.BotID != botID {
				t.Fatalf("notification went to user %q channel %q bot %d, want 1:1 to %q", m.UserID, m.ChannelID, m.BotID, userB)
			}
			labels, values := postbacks(t, m) // fails unless a button_template of message actions
			if !slices.Equal(labels, []string{"対応します", "他の人に対応を依頼"}) {
				t.Errorf("labels = %q", labels)
			}
			if !slices.Equal(values, []string{notify.AcceptPostback(v.ID), notify.EscalatePostback(v.ID)}) {
				t.Errorf("postbacks = %q, want accept and escalate of %s", values, v.ID)
			}
			for i, a := range decoded(t, m)["actions"].([]any) {
				if txt := a.(map[string]any)["text"]; txt != labels[i] {
					t.Errorf("action %d posts text %v, want its label %q", i, txt, labels[i])
				}
			}
			if body := textOf(t, m); !strings.Contains(body, "佐藤 様") || !strings.Contains(body, "ご指名: 鈴木 次郎") {
				t.Errorf("personal notification = %q, want the visitor and the chosen staff member", body)
			}

			// B accepts in the 1:1 room: the answer comes back 1:1 (the
			// button's rooms may hear of it too).
			h.tap(userB, "", labels[0], values[0])
			h.waitFor("1:1 accept reply to "+userB, func(m lineworkstest.Message) bool {
				return m.UserID == userB && m.ChannelID == "" && strings.Contains(textOf(t, m), `担当: <m userId="user-b">`)
			})
			h.quiesce() // a wrong notification would have arrived by now
			for _, m := range h.fake.Messages()[1:] {
				if decoded(t, m)["type"] == "button_template" {
					t.Errorf("a second notification went to user %q channel %q", m.UserID, m.ChannelID)
				}
			}
		})
	}
}

// TestEscalationNamesRequester: the @All request for help names who asked:
// a mention with the bot scope only, the real name with user.read.
func TestEscalationNamesRequester(t *testing.T) {
	cases := []struct {
		name    string
		scopes  []string
		want    string
		notWant string
	}{
		{"mention", []string{"bot"}, `（<m userId="user-b"> より依頼）`, ""},
		{"real name", []string{"bot", "user.read"}, "（鈴木 次郎 より依頼）", `<m userId="user-b">`},
	}
	for _, sf := range storeFactories {
		for _, tc := range cases {
			t.Run(sf.name+"/"+tc.name, func(t *testing.T) {
				h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.scopes = tc.scopes })
				h.fake.AddUser(lineworkstest.User{UserID: userB, LastName: "鈴木", FirstName: "次郎"})
				v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "佐藤"}})
				h.settle()
				h.tap(userB, roomID, "他の人に対応を依頼", notify.EscalatePostback(v.ID))
				h.settle()
				msgs := h.fake.Messages()
				if len(msgs) != 2 {
					t.Fatalf("messages = %d, want notification and escalation", len(msgs))
				}
				esc := textOf(t, msgs[1])
				if !strings.HasPrefix(esc, lineworks.MentionAll) || !strings.Contains(esc, "佐藤 様") || !strings.Contains(esc, tc.want) {
					t.Errorf("escalation = %q, want @All, the visitor and %q", esc, tc.want)
				}
				if tc.notWant != "" && strings.Contains(esc, tc.notWant) {
					t.Errorf("escalation = %q, should not contain %q", esc, tc.notWant)
				}
				if strings.Contains(esc, `<m userId="user-a">`) {
					t.Errorf("escalation = %q names someone who did not ask", esc)
				}
			})
		}
	}
}

// TestReminderMentionAllFollowsPolicy: reminders mention @All only when the
// button's reminder policy says so.
func TestReminderMentionAllFollowsPolicy(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			ctx := context.Background()
			if err := h.store.PutButton(ctx, &reception.Button{ID: "quiet", OrgID: h.org.ID, Label: "総務部", Enabled: true, ChannelIDs: []string{roomID},
				Reminder: reception.ReminderPolicy{After: 5 * time.Minute, MentionAll: false, Max: 1}}); err != nil {
				t.Fatal(err)
			}
			h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "全員宛"}}) // MentionAll: true
			h.checkIn(notify.CheckInRequest{ButtonID: "quiet", Visitor: notify.Visitor{Name: "静か"}})
			h.settle()
			clk.Advance(5 * time.Minute)
			if n, err := h.svc.RemindOnce(ctx); err != nil || n != 2 {
				t.Fatalf("RemindOnce = %d, %v; want 2", n, err)
			}
			h.settle()
			msgs := h.fake.Messages()
			if len(msgs) != 4 {
				t.Fatalf("messages = %d, want two notifications and two reminders", len(msgs))
			}
			seen := map[string]bool{}
			for _, m := range msgs[2:] {
				txt := textOf(t, m)
				switch {
				case strings.Contains(txt, "全員宛"):
					seen["loud"] = true
					if !strings.HasPrefix(txt, lineworks.MentionAll+" まだ対応者がいません") {
						t.Errorf("reminder with MentionAll = %q, want it to start with @All", txt)
					}
				case strings.Contains(txt, "静か"):
					seen["quiet"] = true
					if strings.Contains(txt, lineworks.MentionAll) || lineworks.CountMentions(txt) != 0 || !strings.HasPrefix(txt, "まだ対応者がいません") {
						t.Errorf("reminder without MentionAll = %q, want no mention", txt)
					}
				default:
					t.Errorf("unexpected reminder %q", txt)
				}
			}
			if !seen["loud"] || !seen["quiet"] {
				t.Errorf("reminders seen: %v", seen)
			}
		})
	}
}

// TestEnglishOrganization: an organization with locale "en" gets the English
// texts, action labels and button label in every message, not the Japanese
// ones.
func TestEnglishOrganization(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			ctx := context.Background()
			org, err := h.store.GetOrganizationWithSecrets(ctx, h.org.ID)
			if err != nil {
				t.Fatal(err)
			}
			org.Locale = "en"
			if err := h.store.PutOrganization(ctx, org); err != nil {
				t.Fatal(err)
			}
			b := h.button.Clone()
			b.Labels = map[string]string{"en": "Sales"}
			if err := h.store.PutButton(ctx, b); err != nil {
				t.Fatal(err)
			}
			v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "Hanako Sato", Company: "Test Corp", Count: 2}})
			h.settle()
			clk.Advance(5 * time.Minute)
			if n, err := h.svc.RemindOnce(ctx); err != nil || n != 1 {
				t.Fatalf("RemindOnce = %d, %v", n, err)
			}
			h.settle()
			h.tap(userA, roomID, "I'll take it", notify.AcceptPostback(v.ID))
			h.settle()
			h.tap(userA, roomID, "Ask someone else", notify.EscalatePostback(v.ID)) // the handler asks for help
			h.settle()
			msgs := h.fake.Messages()
			if len(msgs) != 4 {
				t.Fatalf("messages = %d, want notification, reminder, accept reply, escalation", len(msgs))
			}
			texts := make([]string, len(msgs))
			for i, m := range msgs {
				texts[i] = textOf(t, m)
				for _, ja := range []string{"様", "お越し", "受付時刻", "担当", "対応", "依頼", "お待ち"} {
					if strings.Contains(texts[i], ja) {
						t.Errorf("message %d = %q contains the Japanese %q", i, texts[i], ja)
					}
				}
			}
			if want := "Test Corp Hanako Sato (party of 2) is here for \"Sales\".\nChecked in at 09:00"; texts[0] != want {
				t.Errorf("notification = %q, want %q", texts[0], want)
			}
			for _, i := range []int{0, 1} {
				if labels, _ := postbacks(t, msgs[i]); !slices.Equal(labels, []string{"I'll take it", "Ask someone else"}) {
					t.Errorf("message %d labels = %q", i, labels)
				}
			}
			if want := lineworks.MentionAll + ` Nobody has answered yet: Test Corp Hanako Sato ("Sales", waiting 5 min)`; texts[1] != want {
				t.Errorf("reminder = %q, want %q", texts[1], want)
			}
			if want := "Test Corp Hanako Sato\nHandled by <m userId=\"user-a\">"; texts[2] != want {
				t.Errorf("accept reply = %q, want %q", texts[2], want)
			}
			if want := lineworks.MentionAll + ` Could someone take care of Test Corp Hanako Sato? (asked by <m userId="user-a">)`; texts[3] != want {
				t.Errorf("escalation = %q, want %q", texts[3], want)
			}
			if labels, _ := postbacks(t, msgs[3]); !slices.Equal(labels, []string{"I'll take it"}) {
				t.Errorf("escalation labels = %q", labels)
			}
		})
	}
}
