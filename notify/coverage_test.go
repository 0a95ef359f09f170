package notify_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// Tests for behaviour that the flow and delivery tests left unchecked:
// personal messages, the display-name cache, who asked for help, reminder
// mentions, English texts, truncation of hostile input at its maximum
// length, and the service's logs and metrics.

// maxContentText is the documented contentText limit of a button template
// (https://developers.worksmobile.com/jp/docs/bot-send-buttontemplate).
const maxContentText = 1000

// usersRoute is the fake's Users API route, as InjectFault names it.
const usersRoute = "GET /users/{userId}"

// settle handles every stored callback and sends every due message, without
// Run: each step finishes before the next starts, so message order is
// deterministic and the harness's log buffer has no concurrent writer.
func (h *harness) settle() {
	h.t.Helper()
	ctx := context.Background()
	for {
		n, err := h.svc.ProcessInboxOnce(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for {
		n, err := h.svc.DispatchOnce(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
}

func (h *harness) checkIn(req notify.CheckInRequest) *reception.Visit {
	h.t.Helper()
	v, err := h.svc.CheckIn(context.Background(), h.org.ID, req)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

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
			deadline := time.Now().Add(10 * time.Second)
			for !slices.ContainsFunc(h.fake.Messages()[1:], func(m lineworkstest.Message) bool {
				return m.UserID == userB && m.ChannelID == "" && strings.Contains(textOf(t, m), `担当: <m userId="user-b">`)
			}) {
				if time.Now().After(deadline) {
					t.Fatalf("no 1:1 accept reply to %s; messages: %+v", userB, h.fake.Messages())
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // let a wrong notification arrive
			for _, m := range h.fake.Messages()[1:] {
				if decoded(t, m)["type"] == "button_template" {
					t.Errorf("a second notification went to user %q channel %q", m.UserID, m.ChannelID)
				}
			}
		})
	}
}

// TestRealNameLookedUpOnce: with user.read, two accepts by the same user
// (two visits) show the real name both times and call the Users API once.
func TestRealNameLookedUpOnce(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.scopes = []string{"bot", "user.read"} })
			h.fake.AddUser(lineworkstest.User{UserID: userA, LastName: "山田", FirstName: "太郎"})
			// A fault with neither status nor delay answers normally: here it
			// only counts the requests to the Users API (FaultStats.Injected).
			h.fake.InjectFault(usersRoute, 1000, lineworkstest.Fault{})
			for _, name := range []string{"一人目", "二人目"} {
				v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: name}})
				h.settle()
				h.tap(userA, roomID, "対応します", notify.AcceptPostback(v.ID))
				h.settle()
			}
			msgs := h.fake.Messages()
			if len(msgs) != 4 {
				t.Fatalf("messages = %d, want two notifications and two accept replies", len(msgs))
			}
			for _, i := range []int{1, 3} {
				if txt := textOf(t, msgs[i]); !strings.Contains(txt, "担当: 山田 太郎") {
					t.Errorf("accept reply %d = %q, want the real name", i, txt)
				}
			}
			if n := h.fake.FaultStats().Injected; n != 1 {
				t.Errorf("Users API requests = %d, want 1 (the name is cached)", n)
			}
			// Cross-check: every other API request was one received message.
			if n := h.fake.APIRequests() - int64(len(msgs)); n != 1 {
				t.Errorf("API requests besides sends = %d, want 1", n)
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

// checkVisitorField checks how a visitor-typed field appears in txt: found by
// its first characters and ending just before end (or at the end of txt), it
// is either the whole escaped value or a prefix of it cut with "…", and it
// holds no part of the escaped mention tag unless it holds all of it (a cut
// must not leave half a tag).
func checkVisitorField(t *testing.T, txt, raw, tag, end string) {
	t.Helper()
	esc := lineworks.EscapeText(raw)
	head := string([]rune(esc)[:3])
	i := strings.Index(txt, head)
	if i < 0 {
		t.Errorf("%q lacks the field starting %q", txt, head)
		return
	}
	seg := txt[i:]
	if end != "" {
		j := strings.Index(seg, end)
		if j < 0 {
			t.Errorf("%q: no %q after the field", txt, end)
			return
		}
		seg = seg[:j]
	}
	if cut, ok := strings.CutSuffix(seg, "…"); seg != esc && (!ok || !strings.HasPrefix(esc, cut)) {
		t.Errorf("field shown as %q, want %q or a prefix of it ending with …", seg, esc)
	}
	if strings.Contains(seg, "＜") && !strings.Contains(seg, lineworks.EscapeText(tag)) {
		t.Errorf("field shown as %q holds part of a mention tag", seg)
	}
}

// tail returns the last n characters of s.
func tail(s string, n int) string {
	r := []rune(s)
	return string(r[max(0, len(r)-n):])
}

// padTo returns prefix+tag followed by pad up to n characters.
func padTo(prefix, tag, pad string, n int) string {
	s := prefix + tag
	return s + strings.Repeat(pad, n-utf8.RuneCountInString(s))
}

// TestMaxLengthHostileVisitorIsTruncatedSafely: visitor fields of the
// maximum accepted length, each with a mention tag, show no mention and keep
// every message within the LINE WORKS limits, whole or cut with "…". Where
// the whole text is cut (a long button template), it is cut to the limit
// with "…" whether a visitor's escaped tag or the template's own mention
// straddles the cut; the template's mention goes whole, not half.
func TestMaxLengthHostileVisitorIsTruncatedSafely(t *testing.T) {
	nameTag, noteTag := `<m userId="x">`, lineworks.MentionAll
	name := padTo(strings.Repeat("あ", 45), nameTag, "い", notify.MaxVisitorName)
	company := padTo(strings.Repeat("会", 50), nameTag, "社", notify.MaxVisitorCompany)
	note := padTo(strings.Repeat("ノ", 292), noteTag, "ト", notify.MaxVisitorNote)
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			ctx := context.Background()
			// The name starts at character 950: its tag straddles the
			// 1,000-character cut.
			cutName := strings.Repeat("x", 950) + "{{.Name}}"
			// The template's own mention straddles the cut.
			cutMention := strings.Repeat("x", 990) + `<m userId="user-a">` + "{{.Name}}"
			for id, tpl := range map[string]string{"cutname": cutName, "cutmention": cutMention} {
				if err := h.store.PutButton(ctx, &reception.Button{ID: id, OrgID: h.org.ID, Label: id, Enabled: true, ChannelIDs: []string{roomID}, Template: tpl}); err != nil {
					t.Fatal(err)
				}
			}
			v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: name, Company: company, Note: note, Count: notify.MaxPartySize}})
			h.settle()
			clk.Advance(5 * time.Minute)
			if n, err := h.svc.RemindOnce(ctx); err != nil || n != 1 {
				t.Fatalf("RemindOnce = %d, %v", n, err)
			}
			h.settle()
			h.tap(userA, roomID, "対応します", notify.AcceptPostback(v.ID))
			h.settle()
			h.tap(userA, roomID, "他の人に対応を依頼", notify.EscalatePostback(v.ID)) // the handler asks for help
			h.settle()
			for _, b := range []string{"cutname", "cutmention"} {
				h.checkIn(notify.CheckInRequest{ButtonID: b, Visitor: notify.Visitor{Name: name}})
				h.settle()
			}

			// The fake refuses messages over the limits; a refused one would
			// be missing here and dead in the outbox.
			msgs := h.fake.Messages()
			if dead, err := h.store.ListOutbox(ctx, h.org.ID, reception.OutboxFilter{State: reception.OutboxDead}); err != nil || len(dead) != 0 {
				t.Fatalf("dead entries: %+v, %v", dead, err)
			}
			if len(msgs) != 6 {
				t.Fatalf("messages = %d, want notification, reminder, accept reply, escalation and two cut notifications", len(msgs))
			}
			if !strings.HasPrefix(textOf(t, msgs[3]), lineworks.MentionAll) {
				t.Fatalf("message 3 = %q, want the escalation", textOf(t, msgs[3]))
			}
			// Mentions uketsuke makes itself: @All in the reminder, the
			// handler, @All and the requester in the escalation.
			wantMentions := []int{0, 1, 1, 2, 0, 0}
			texts := make([]string, len(msgs))
			for i, m := range msgs {
				txt, limit := textOf(t, m), lineworks.MaxTextLength
				if decoded(t, m)["type"] == "button_template" {
					limit = maxContentText
				}
				texts[i] = txt
				if n := utf8.RuneCountInString(txt); n == 0 || n > limit {
					t.Errorf("message %d is %d characters, limit %d", i, n, limit)
				}
				if n := lineworks.CountMentions(txt); n != wantMentions[i] || strings.Count(txt, "<") != n {
					t.Errorf("message %d = %q has %d mentions and %d '<', want %d", i, txt, n, strings.Count(txt, "<"), wantMentions[i])
				}
				if i >= 4 {
					continue
				}
				checkVisitorField(t, txt, company, nameTag, " "+string([]rune(name)[:2]))
				checkVisitorField(t, txt, name, nameTag, " 様")
				if i == 0 {
					checkVisitorField(t, txt, note, noteTag, "")
				}
			}
			if got, want := texts[4], strings.Repeat("x", 950)+lineworks.EscapeText(name); utf8.RuneCountInString(got) != maxContentText ||
				!strings.HasSuffix(got, "…") || !strings.HasPrefix(want, strings.TrimSuffix(got, "…")) {
				t.Errorf("notification cut in the name = …%q (%d characters), want the first %d characters of …%q and …",
					tail(got, 30), utf8.RuneCountInString(got), maxContentText-1, tail(want, 70))
			}
			if got, want := texts[5], strings.Repeat("x", 990)+"…"; got != want {
				t.Errorf("notification cut at the template's mention = …%q (%d characters), want 990 x and …", tail(got, 30), utf8.RuneCountInString(got))
			}
		})
	}
}

// countingMetrics is a notify.Metrics that counts name/label pairs.
type countingMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *countingMetrics) Inc(name, label string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int{}
	}
	m.n[name+"/"+label]++
}

func (m *countingMetrics) snapshot() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.n {
		out[k] = v
	}
	return out
}

// TestMetricsCountTheFlow: a flow with a retried and a dead message, a
// reminder, claims won, lost and repeated, an escalation, a join and a
// duplicate callback is counted exactly.
func TestMetricsCountTheFlow(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			metrics := &countingMetrics{}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) {
				c.clock = clk.Now
				c.options = []notify.Option{notify.WithMetrics(metrics)}
			})
			ctx := context.Background()
			callback := func(body []byte) {
				t.Helper()
				if rec := h.sender.ServeTo(h.svc.CallbackHandler(), body); rec.Code != http.StatusOK {
					t.Fatalf("callback answered %d", rec.Code)
				}
				h.settle()
			}

			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR"})
			v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "計測"}})
			h.settle() // 500: retried
			clk.Advance(time.Minute)
			h.settle() // sent
			clk.Advance(4 * time.Minute)
			if n, err := h.svc.RemindOnce(ctx); err != nil || n != 1 {
				t.Fatalf("RemindOnce = %d, %v", n, err)
			}
			h.settle() // reminder sent

			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 403, Code: "FORBIDDEN"})
			h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "届かない"}})
			h.settle() // 403: dead

			callback(lineworkstest.MessageTapEvent(userA, roomID, "対応します", notify.AcceptPostback(v.ID))) // won, reply sent
			callback(lineworkstest.MessageTapEvent(userB, roomID, "対応します", notify.AcceptPostback(v.ID))) // conflict, reply sent
			// A later issuedTime: a new tap by the handler, not the winning one.
			time.Sleep(5 * time.Millisecond)
			callback(lineworkstest.MessageTapEvent(userA, roomID, "対応します", notify.AcceptPostback(v.ID)))       // repeat, nothing sent
			callback(lineworkstest.MessageTapEvent(userA, roomID, "他の人に対応を依頼", notify.EscalatePostback(v.ID))) // the handler asks for help
			join := lineworkstest.JoinEvent("room-new")
			callback(join) // room ID message sent
			callback(join) // the same body again: a duplicate

			got := metrics.snapshot()
			want := map[string]int{
				notify.MetricCheckIns + "/":           2,
				notify.MetricSent + "/room":           6, // notification, reminder, two replies, escalation, room ID
				notify.MetricRetried + "/room":        1,
				notify.MetricDead + "/room":           1,
				notify.MetricReminders + "/":          1,
				notify.MetricClaims + "/won":          1,
				notify.MetricClaims + "/conflict":     1,
				notify.MetricClaims + "/repeat":       1,
				notify.MetricEscalated + "/":          1,
				notify.MetricCallbacks + "/message":   4,
				notify.MetricCallbacks + "/join":      1,
				notify.MetricCallbacks + "/duplicate": 1,
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%s = %d, want %d", k, got[k], n)
				}
			}
			for k, n := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected metric %s = %d", k, n)
				}
			}
			if n := len(h.fake.Messages()); n != 6 {
				t.Errorf("messages = %d, want the 6 counted as sent", n)
			}
		})
	}
}

// logLine returns the fields of the one log line with msg, failing the test
// unless exactly one matches.
func logLine(t *testing.T, logs, msg string) []string {
	t.Helper()
	var found [][]string
	for line := range strings.SplitSeq(logs, "\n") {
		if strings.Contains(line, fmt.Sprintf("msg=%q", msg)) {
			found = append(found, strings.Fields(line))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d log lines with msg=%q, want 1; logs:\n%s", len(found), msg, logs)
	}
	return found[0]
}

// TestLogLinesNameOrganizationAndVisit: the log lines of a check-in, a
// retried and a dead delivery, and an accept carry org= and visit= with the
// right IDs.
func TestLogLinesNameOrganizationAndVisit(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			// The service's clock stands still, so the retried entry waits
			// until the clock is moved instead of taking the 403 meant for
			// the second visit.
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR"})
			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 403, Code: "FORBIDDEN"})
			retried := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "再送"}})
			h.settle() // 500: retried
			dead := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "断念"}})
			h.settle() // 403: dead
			clk.Advance(time.Minute)
			h.settle() // the retried one is sent
			h.tap(userA, roomID, "対応します", notify.AcceptPostback(retried.ID))
			h.settle()
			if n := len(h.fake.Messages()); n != 2 {
				t.Fatalf("messages = %d, want the retried notification and the accept reply", n)
			}
			// Run never ran and settle waited for every goroutine it started:
			// nothing writes to the buffer now.
			logs := h.logs.String()
			for _, c := range []struct {
				msg   string
				visit string
			}{
				{"message will be retried", retried.ID},
				{"message given up", dead.ID},
				{"visit accepted", retried.ID},
			} {
				fields := logLine(t, logs, c.msg)
				for _, want := range []string{"org=" + h.org.ID, "visit=" + c.visit} {
					if !slices.Contains(fields, want) {
						t.Errorf("log line %q lacks %s", strings.Join(fields, " "), want)
					}
				}
			}
			// One "checked in" line per visit, each naming it.
			var checkedIn []string
			for line := range strings.SplitSeq(logs, "\n") {
				if !strings.Contains(line, `msg="checked in"`) {
					continue
				}
				f := strings.Fields(line)
				if !slices.Contains(f, "org="+h.org.ID) {
					t.Errorf("log line %q lacks org=%s", line, h.org.ID)
				}
				for _, id := range []string{retried.ID, dead.ID} {
					if slices.Contains(f, "visit="+id) {
						checkedIn = append(checkedIn, id)
					}
				}
			}
			if slices.Sort(checkedIn); !slices.Equal(checkedIn, slices.Sorted(slices.Values([]string{retried.ID, dead.ID}))) {
				t.Errorf("checked-in log lines name visits %v, want %s and %s once each", checkedIn, retried.ID, dead.ID)
			}
		})
	}
}
