package notify_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

const sendRoute = "POST /bots/{botId}/channels/{channelId}/messages"

// visitOf returns the visit ID of a notification (from its postback).
func visitOf(t *testing.T, m lineworkstest.Message) string {
	t.Helper()
	_, values := postbacks(t, m)
	parts := strings.SplitN(values[0], ":", 3)
	return parts[2]
}

func TestFaultsDeliverEveryNotificationOnce(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			h.fake.InjectFault(sendRoute, 3, lineworkstest.RateLimitFault(240, 10*time.Millisecond))
			h.fake.InjectFault(sendRoute, 3, lineworkstest.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR"})
			h.fake.InjectFault(sendRoute, 2, lineworkstest.Fault{Status: 503, Code: "SERVICE_UNAVAILABLE"})
			h.run()
			const n = 20
			want := map[string]bool{}
			for i := range n {
				v, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "来訪者" + string(rune('A'+i))}})
				if err != nil {
					t.Fatal(err)
				}
				want[v.ID] = true
			}
			msgs := h.waitMessages(n)
			got := map[string]int{}
			for _, m := range msgs {
				got[visitOf(t, m)]++
			}
			for id := range want {
				if got[id] != 1 {
					t.Errorf("visit %s delivered %d times, want 1", id, got[id])
				}
			}
			if st := h.fake.FaultStats(); st.Injected != 8 {
				t.Errorf("faults injected = %d, want 8", st.Injected)
			}
			// Settle, then check nothing else arrived and nothing is dead.
			h.quiesce()
			if extra := len(h.fake.Messages()); extra != n {
				t.Errorf("messages = %d, want %d", extra, n)
			}
			dead, err := h.store.ListOutbox(context.Background(), h.org.ID, reception.OutboxFilter{State: reception.OutboxDead})
			if err != nil || len(dead) != 0 {
				t.Errorf("dead entries = %v, %v", dead, err)
			}
		})
	}
}

func TestPermanentFailureIsDeadWithItsError(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 403, Code: "FORBIDDEN", Description: "bot is not a member of the channel"})
			ctx := context.Background()
			if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); err != nil {
				t.Fatal(err)
			}
			if n, err := h.svc.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("DispatchOnce = %d, %v", n, err)
			}
			dead, err := h.store.ListOutbox(ctx, h.org.ID, reception.OutboxFilter{State: reception.OutboxDead})
			if err != nil || len(dead) != 1 {
				t.Fatalf("dead = %v, %v", dead, err)
			}
			if !strings.Contains(dead[0].LastError, "FORBIDDEN") || !strings.Contains(dead[0].LastError, "not a member") {
				t.Errorf("LastError = %q, want the API error", dead[0].LastError)
			}
		})
	}
}

func TestRetriesExhaustedBecomeDead(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			h.fake.InjectFault(sendRoute, 100, lineworkstest.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR"})
			ctx := context.Background()
			if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); err != nil {
				t.Fatal(err)
			}
			for range 5 { // the harness allows 5 attempts
				if n, err := h.svc.DispatchOnce(ctx); err != nil || n != 1 {
					t.Fatalf("DispatchOnce = %d, %v", n, err)
				}
				clk.Advance(time.Minute)
			}
			dead, _ := h.store.ListOutbox(ctx, h.org.ID, reception.OutboxFilter{State: reception.OutboxDead})
			if len(dead) != 1 || dead[0].Attempts != 5 || !strings.Contains(dead[0].LastError, "500") {
				t.Fatalf("dead = %+v", dead)
			}
			if n, _ := h.svc.DispatchOnce(ctx); n != 0 {
				t.Errorf("a dead entry was leased again")
			}
		})
	}
}

// TestStoppedDispatcherLeaseExpires: a dispatcher that leased an entry and
// died never completes it; after the lease lapses another dispatcher sends
// it.
func TestStoppedDispatcherLeaseExpires(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			ctx := context.Background()
			if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "Crash"}}); err != nil {
				t.Fatal(err)
			}
			// The crashed dispatcher: it leased the entry for 30 s, then died.
			leased, err := h.store.LeaseOutbox(ctx, "crashed-dispatcher", 10, 30*time.Second, clk.Now())
			if err != nil || len(leased) != 1 {
				t.Fatalf("lease = %v, %v", leased, err)
			}
			if n, _ := h.svc.DispatchOnce(ctx); n != 0 {
				t.Fatal("a leased entry was leased twice")
			}
			clk.Advance(31 * time.Second)
			if n, err := h.svc.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("after expiry DispatchOnce = %d, %v", n, err)
			}
			if got := len(h.fake.Messages()); got != 1 {
				t.Errorf("messages = %d, want 1", got)
			}
			// The crashed owner cannot complete it any more.
			if err := h.store.CompleteOutbox(ctx, leased[0].ID, "crashed-dispatcher", clk.Now(), nil); !errors.Is(err, reception.ErrConflict) {
				t.Errorf("stale owner completed: %v", err)
			}
		})
	}
}

func TestGracefulShutdownReleasesLeases(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			ctx := context.Background()
			if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); err != nil {
				t.Fatal(err)
			}
			// Lease as the service's owner, as if a batch was taken just before
			// shutdown, then run and stop at once.
			if l, err := h.store.LeaseOutbox(ctx, h.svc.Owner(), 10, time.Hour, time.Now()); err != nil || len(l) != 1 {
				t.Fatalf("lease: %v %v", l, err)
			}
			runCtx, cancel := context.WithCancel(ctx)
			cancel()
			_ = h.svc.Run(runCtx)
			pending, _ := h.store.ListOutbox(ctx, h.org.ID, reception.OutboxFilter{State: reception.OutboxPending})
			if len(pending) != 1 || pending[0].LeaseOwner != "" {
				t.Fatalf("after shutdown: %+v, want one pending entry without lease", pending)
			}
			other, err := notify.New(h.store, &notify.LineWorksConnector{APIURL: h.fake.APIURL, TokenURL: h.fake.TokenURL})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := other.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("another replica: %d, %v", n, err)
			}
		})
	}
}

func TestReminderFiresOnTimeAndStopsAfterAccept(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			ctx := context.Background()
			v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "Late"}})
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(4*time.Minute + 59*time.Second)
			if n, err := h.svc.RemindOnce(ctx); err != nil || n != 0 {
				t.Fatalf("reminder before 5 min: %d, %v", n, err)
			}
			clk.Advance(time.Second)
			if n, err := h.svc.RemindOnce(ctx); err != nil || n != 1 {
				t.Fatalf("reminder at 5 min: %d, %v", n, err)
			}
			if n, _ := h.svc.RemindOnce(ctx); n != 0 {
				t.Fatal("the same reminder was recorded twice")
			}
			for {
				n, err := h.svc.DispatchOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
			}
			msgs := h.fake.Messages()
			if len(msgs) != 2 {
				t.Fatalf("messages = %d, want notification + reminder", len(msgs))
			}
			// Both went out in one batch, in either order.
			reminder := textOf(t, msgs[0])
			if !strings.Contains(reminder, "まだ対応者がいません") {
				reminder = textOf(t, msgs[1])
			}
			if !strings.Contains(reminder, lineworks.MentionAll) || !strings.Contains(reminder, "Late") || !strings.Contains(reminder, "まだ対応者がいません") {
				t.Errorf("reminder = %q, want @All and the visitor", reminder)
			}
			// Accepted before the second reminder: no more reminders.
			if _, err := h.store.ClaimVisit(ctx, h.org.ID, v.ID, userA, clk.Now()); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Hour)
			if n, _ := h.svc.RemindOnce(ctx); n != 0 {
				t.Errorf("reminder after accept: %d", n)
			}
			got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID)
			if got.Reminders != 1 {
				t.Errorf("reminders = %d, want 1", got.Reminders)
			}
		})
	}
}

func TestReminderStopsAtMax(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			ctx := context.Background()
			if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); err != nil {
				t.Fatal(err)
			}
			total := 0
			for range 10 {
				clk.Advance(5 * time.Minute)
				n, err := h.svc.RemindOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				total += n
			}
			if total != 2 {
				t.Errorf("reminders = %d, want the button's max of 2", total)
			}
		})
	}
}

func TestHostileVisitorNameMentionsNobody(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			ctx := context.Background()
			for _, name := range []string{`<m userId="all">`, `<m userId="user-b">`, `{{.Visitor}}`, `</m><m userId='all'>`} {
				if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: name, Company: name, Note: name}}); err != nil {
					t.Fatal(err)
				}
			}
			for {
				if n, _ := h.svc.DispatchOnce(ctx); n == 0 {
					break
				}
			}
			msgs := h.fake.Messages()
			if len(msgs) != 4 {
				t.Fatalf("messages = %d, want 4 (the fake rejects invalid ones)", len(msgs))
			}
			for _, m := range msgs {
				txt := textOf(t, m)
				if n := lineworks.CountMentions(txt); n != 0 {
					t.Errorf("%q contains %d mentions", txt, n)
				}
				if strings.Contains(txt, "<m") {
					t.Errorf("%q contains mention markup", txt)
				}
			}
		})
	}
}

func TestRouting(t *testing.T) {
	ctx := context.Background()
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			st := h.store
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(st.PutStaff(ctx, &reception.Staff{ID: "s2", OrgID: h.org.ID, Name: "鈴木 次郎", UserID: userB, Active: true}))
			must(st.PutButton(ctx, &reception.Button{ID: "personal", OrgID: h.org.ID, Label: "個人", Enabled: true, ChannelIDs: []string{roomID}, StaffIDs: []string{"s1"}, PersonalFirst: true}))
			must(st.PutButton(ctx, &reception.Button{ID: "both", OrgID: h.org.ID, Label: "両方", Enabled: true, ChannelIDs: []string{roomID}, StaffIDs: []string{"s1"}}))
			must(st.PutButton(ctx, &reception.Button{ID: "noroute", OrgID: h.org.ID, Label: "なし", Enabled: true}))
			must(st.PutButton(ctx, &reception.Button{ID: "off", OrgID: h.org.ID, Label: "停止", Enabled: false, ChannelIDs: []string{roomID}}))

			targets := func(visitID string) []string {
				es, err := st.ListOutbox(ctx, h.org.ID, reception.OutboxFilter{})
				must(err)
				var out []string
				for _, e := range es {
					if e.VisitID == visitID {
						out = append(out, string(e.Target.Kind)+":"+e.Target.ID)
					}
				}
				return out
			}
			cases := []struct {
				name    string
				req     notify.CheckInRequest
				want    string
				wantErr error
				field   string
			}{
				{"rooms", notify.CheckInRequest{ButtonID: "sales"}, "room:" + roomID, nil, ""},
				{"personal first with chosen staff", notify.CheckInRequest{ButtonID: "personal", StaffID: "s2"}, "user:" + userB, nil, ""},
				{"personal first without a choice", notify.CheckInRequest{ButtonID: "personal"}, "room:" + roomID + ",user:" + userA, nil, ""},
				{"rooms and staff and the chosen one", notify.CheckInRequest{ButtonID: "both", StaffID: "s2"}, "room:" + roomID + ",user:" + userA + ",user:" + userB, nil, ""},
				{"no route", notify.CheckInRequest{ButtonID: "noroute"}, "", notify.ErrNoRoute, ""},
				{"disabled button", notify.CheckInRequest{ButtonID: "off"}, "", reception.ErrInvalid, "buttonId"},
				{"unknown button", notify.CheckInRequest{ButtonID: "nope"}, "", reception.ErrNotFound, ""},
				{"unknown staff", notify.CheckInRequest{ButtonID: "sales", StaffID: "nobody"}, "", reception.ErrInvalid, "staffId"},
				{"name too long", notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: strings.Repeat("あ", 101)}}, "", reception.ErrInvalid, "visitor.name"},
				{"negative party", notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Count: -1}}, "", reception.ErrInvalid, "visitor.count"},
				{"no button", notify.CheckInRequest{}, "", reception.ErrInvalid, "buttonId"},
			}
			for _, tc := range cases {
				v, err := h.svc.CheckIn(ctx, h.org.ID, tc.req)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Errorf("%s: err = %v, want %v", tc.name, err, tc.wantErr)
					}
					if tc.field != "" {
						fes := reception.FieldErrors(err)
						if len(fes) == 0 || fes[0].Field != tc.field {
							t.Errorf("%s: field errors %v, want %s", tc.name, fes, tc.field)
						}
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					continue
				}
				got := targets(v.ID)
				slices.Sort(got) // entries of one check-in share a timestamp: no defined order
				if got := strings.Join(got, ","); got != tc.want {
					t.Errorf("%s: targets %q, want %q", tc.name, got, tc.want)
				}
			}
			// The refused no-route check-in is logged for the admin (the
			// service is not running: nothing else writes the log).
			if logs := h.logs.String(); !strings.Contains(logs, "check-in refused: the button reaches no room") || !strings.Contains(logs, "button=noroute") {
				t.Errorf("no warning names the button without a route:\n%s", logs)
			}
			// Default room fallback.
			org, _ := st.GetOrganization(ctx, h.org.ID)
			org.Integration.DefaultChannelID = "room-default"
			must(st.PutOrganization(ctx, org))
			v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "noroute"})
			must(err)
			if got := strings.Join(targets(v.ID), ","); got != "room:room-default" {
				t.Errorf("fallback targets %q", got)
			}
			// A button that notifies staff has a route: no fallback.
			must(st.PutButton(ctx, &reception.Button{ID: "staffonly", OrgID: h.org.ID, Label: "担当者", Enabled: true, StaffIDs: []string{"s2"}}))
			v, err = h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "staffonly"})
			must(err)
			if got := strings.Join(targets(v.ID), ","); got != "user:"+userB {
				t.Errorf("staff-only button targets %q, want only %s", got, userB)
			}
		})
	}
}

func TestUnknownAndForeignTaps(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			h.run()
			h.tap(userA, roomID, "対応します", "uk1:accept:doesnotexist")
			msgs := h.waitMessages(1)
			if txt := textOf(t, msgs[0]); !strings.Contains(txt, "見つかりません") {
				t.Errorf("reply = %q", txt)
			}
			// Not ours, plain text, other event kinds: quietly ignored.
			h.tap(userA, roomID, "hello", "somebody-elses-postback")
			rec := h.sender.ServeTo(h.svc.CallbackHandler(), lineworkstest.TextMessageEvent(userA, roomID, "just chatting"))
			if rec.Code != 200 {
				t.Fatalf("text message answered %d", rec.Code)
			}
			rec = h.sender.ServeTo(h.svc.CallbackHandler(), []byte(`{"type":"brand_new_event","source":{"domainId":1},"issuedTime":"2026-01-01T00:00:00Z"}`))
			if rec.Code != 200 {
				t.Fatalf("unknown event answered %d", rec.Code)
			}
			// A forged callback is refused and stored nowhere.
			forged := lineworkstest.CallbackSender{BotID: botID, Secret: "wrong"}
			if rec := forged.ServeTo(h.svc.CallbackHandler(), lineworkstest.MessageTapEvent(userA, roomID, "x", "uk1:accept:x")); rec.Code != 401 {
				t.Errorf("forged callback answered %d, want 401", rec.Code)
			}
			h.quiesce()
			if got := len(h.fake.Messages()); got != 1 {
				t.Errorf("messages = %d, want only the polite reply", got)
			}
		})
	}
}

func TestTextOverrides(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, storeFactories[0].new(t), func(c *harnessConfig) {
		c.options = []notify.Option{
			notify.WithOrgTexts("acme", notify.Texts{AcceptLabel: "行きます"}),
			notify.WithTexts("en", notify.Texts{EscalateLabel: "Help!"}),
		}
	})
	if _, err := notify.New(h.store, &notify.LineWorksConnector{}, notify.WithOrgTexts("x", notify.Texts{Accepted: "{{"})); err == nil {
		t.Error("a broken template was accepted")
	}
	if err := h.store.PutButton(ctx, &reception.Button{ID: "custom", OrgID: h.org.ID, Label: "特別", Enabled: true, ChannelIDs: []string{roomID}, Template: "特別なお客様: {{.Visitor}}"}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"sales", "custom"} {
		if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: b, Visitor: notify.Visitor{Name: "佐藤"}}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		if n, _ := h.svc.DispatchOnce(ctx); n == 0 {
			break
		}
	}
	var texts []string
	for _, m := range h.fake.Messages() {
		labels, _ := postbacks(t, m)
		if labels[0] != "行きます" || labels[1] != "他の人に対応を依頼" {
			t.Errorf("labels = %v, want the organization's override and the locale's default", labels)
		}
		texts = append(texts, textOf(t, m))
	}
	slices.Sort(texts)
	if len(texts) != 2 || !strings.HasPrefix(texts[1], "特別なお客様: 佐藤 様") || !strings.Contains(texts[0], "「営業部」") {
		t.Errorf("texts = %q, want the default and the button's template", texts)
	}
}

// TestFastPathSendsWithoutPolling: while Run runs, a check-in's messages go
// out at once — here the dispatcher polls only hourly and is never kicked —
// and the entry was stored leased to this service, so no other replica
// takes it meanwhile.
func TestFastPathSendsWithoutPolling(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t), func(c *harnessConfig) {
				c.options = []notify.Option{notify.WithLease(time.Minute), notify.WithPollInterval(time.Hour)}
			})
			// The send is slow, so the entry is still leased when we look.
			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Delay: 300 * time.Millisecond})
			h.run()
			for !h.svc.Running() { // the fast path needs Run
				runtime.Gosched()
			}
			v, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "Fast"}})
			if err != nil {
				t.Fatal(err)
			}
			pending, err := h.store.ListOutbox(context.Background(), h.org.ID, reception.OutboxFilter{State: reception.OutboxPending})
			if err != nil || len(pending) != 1 {
				t.Fatalf("pending = %v, %v", pending, err)
			}
			// Leased in the check-in transaction, at the check-in's time (a
			// dispatcher lease would start later).
			if pending[0].LeaseOwner != h.svc.Owner() || pending[0].LeaseExpiresAt.Sub(v.CreatedAt.Add(time.Minute)).Abs() >= time.Microsecond {
				t.Errorf("entry lease %q until %v, want %q until %v", pending[0].LeaseOwner, pending[0].LeaseExpiresAt, h.svc.Owner(), v.CreatedAt.Add(time.Minute))
			}
			msgs := h.waitMessages(1)
			if visitOf(t, msgs[0]) != v.ID {
				t.Fatalf("message for %s, want %s", visitOf(t, msgs[0]), v.ID)
			}
			h.stopRun() // returns once the fast path's send is recorded
			sent, err := h.store.ListOutbox(context.Background(), h.org.ID, reception.OutboxFilter{State: reception.OutboxSent})
			if err != nil {
				t.Fatal(err)
			}
			if len(sent) != 1 {
				t.Fatalf("sent = %+v, want the entry marked sent", sent)
			}
			if sent[0].Attempts != 1 {
				t.Errorf("attempts = %d, want 1 (the lease taken at check-in)", sent[0].Attempts)
			}
		})
	}
}

// TestUnconfiguredOrganizationWaits: messages of an organization whose
// integration is incomplete wait for the admin instead of being buried,
// however many times the dispatcher looks at them, and the waiting uses up
// none of their attempts: once configured, a transient failure is retried.
func TestUnconfiguredOrganizationWaits(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			if _, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); err != nil {
				t.Fatal(err)
			}
			full, err := h.store.GetOrganizationWithSecrets(ctx, h.org.ID)
			if err != nil {
				t.Fatal(err)
			}
			good := full.Integration
			full.Integration.BotID = 0 // e.g. the bot is not created yet
			if err := h.store.PutOrganization(ctx, full); err != nil {
				t.Fatal(err)
			}
			for range 20 { // far more than the harness's 5 attempts
				if _, err := h.svc.DispatchOnce(ctx); err != nil {
					t.Fatal(err)
				}
				clk.Advance(time.Hour)
			}
			waiting, _ := h.store.ListOutbox(ctx, h.org.ID, reception.OutboxFilter{})
			if len(waiting) != 1 || waiting[0].State != reception.OutboxPending || waiting[0].Attempts != 0 ||
				!strings.Contains(waiting[0].LastError, "not configured") {
				t.Fatalf("after 20 looks at an unconfigured organization: %+v; want one pending entry, 0 attempts, the reason", waiting)
			}
			full.Integration = good
			if err := h.store.PutOrganization(ctx, full); err != nil {
				t.Fatal(err)
			}
			h.svc.ExpireOrgCache() // as if its 2 s (wall clock) had passed
			// The first send after the admin finished fails once: one
			// attempt of five, so it is retried, not buried.
			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR"})
			for i := range 2 {
				clk.Advance(time.Hour)
				if n, err := h.svc.DispatchOnce(ctx); err != nil || n != 1 {
					t.Fatalf("dispatch %d after configuring: %d, %v", i, n, err)
				}
			}
			if dead, _ := h.store.ListOutbox(ctx, h.org.ID, reception.OutboxFilter{State: reception.OutboxDead}); len(dead) != 0 {
				t.Fatalf("dead entries: %+v", dead)
			}
			if got := len(h.fake.Messages()); got != 1 {
				t.Errorf("messages = %d, want 1", got)
			}
		})
	}
}

// failingComplete loses the first CompleteInbox, as a crash right after a
// callback was handled would.
type failingComplete struct {
	reception.Store
	failed bool
}

func (f *failingComplete) CompleteInbox(ctx context.Context, id, owner string, at time.Time) error {
	if !f.failed {
		f.failed = true
		return errors.New("simulated crash before the entry was marked done")
	}
	return f.Store.CompleteInbox(ctx, id, owner, at)
}

// TestCallbackHandledTwiceRecordsOnce: a callback handled again after its
// completion was lost sends nothing twice and records one escalation.
func TestCallbackHandledTwiceRecordsOnce(t *testing.T) {
	ctx := context.Background()
	clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	store := &failingComplete{Store: storeFactories[0].new(t)}
	h := newHarness(t, store, func(c *harnessConfig) { c.clock = clk.Now })
	v, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "二度"}})
	if err != nil {
		t.Fatal(err)
	}
	if rec := h.sender.ServeTo(h.svc.CallbackHandler(), lineworkstest.MessageTapEvent(userA, roomID, "他の人に対応を依頼", notify.EscalatePostback(v.ID))); rec.Code != 200 {
		t.Fatalf("callback answered %d", rec.Code)
	}
	for range 2 {
		if _, err := h.svc.ProcessInboxOnce(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute) // past the lease, so the entry is handled again
	}
	if !store.failed {
		t.Fatal("the simulated crash did not happen")
	}
	got, _ := h.store.GetVisit(ctx, h.org.ID, v.ID)
	n := 0
	for _, ev := range got.Events {
		if ev.Kind == reception.EventEscalated {
			n++
		}
	}
	if n != 1 {
		t.Errorf("escalated events = %d, want 1", n)
	}
	for {
		if n, _ := h.svc.DispatchOnce(ctx); n == 0 {
			break
		}
	}
	escalations := 0
	for _, m := range h.fake.Messages() {
		if strings.Contains(textOf(t, m), lineworks.MentionAll) {
			escalations++
		}
	}
	if escalations != 1 {
		t.Errorf("@All messages = %d, want 1", escalations)
	}
}

// TestRetryWaitsAsLongAsLineWorksAsks: a 429 that asks for a wait longer
// than the dispatcher's own backoff schedules the next attempt no earlier
// than asked.
func TestRetryWaitsAsLongAsLineWorksAsks(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = clk.Now })
			// No retries in the client: the 429 reaches the dispatcher,
			// whose own backoff (1 s at the first attempt) is shorter than
			// the 90 s LINE WORKS asks for.
			svc, err := notify.New(h.store, &notify.LineWorksConnector{APIURL: h.fake.APIURL, TokenURL: h.fake.TokenURL,
				RetryPolicy: lineworks.Backoff{MaxAttempts: 1}},
				notify.WithClock(clk.Now), notify.WithBackoff(time.Second, time.Hour), notify.WithLease(5*time.Second), notify.WithBatchSize(16), notify.WithConcurrency(4), notify.WithMaxAttempts(5),
				// The 429 also holds the tenant's budget for 90 s; the
				// budget is measured with the test's clock (pgstore's
				// would use the database's).
				notify.WithRateLimiter(notify.NewMemoryRateLimiter(clk.Now)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); err != nil {
				t.Fatal(err)
			}
			h.fake.InjectFault(sendRoute, 1, lineworkstest.RateLimitFault(240, 90*time.Second))
			start := clk.Now()
			if n, err := svc.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("first dispatch = %d, %v", n, err)
			}
			pending, _ := h.store.ListOutbox(ctx, h.org.ID, reception.OutboxFilter{State: reception.OutboxPending})
			if len(pending) != 1 || pending[0].NextAttemptAt.Before(start.Add(90*time.Second)) || !strings.Contains(pending[0].LastError, "429") {
				t.Fatalf("after the 429: %+v; want one pending entry due no earlier than %v", pending, start.Add(90*time.Second))
			}
			clk.Advance(89 * time.Second)
			if n, _ := svc.DispatchOnce(ctx); n != 0 {
				t.Errorf("the entry was leased again %v after a 429 that asked for 90 s", 89*time.Second)
			}
			clk.Advance(time.Second)
			if n, err := svc.DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("dispatch at 90 s = %d, %v", n, err)
			}
			if got := len(h.fake.Messages()); got != 1 {
				t.Errorf("messages = %d, want 1", got)
			}
		})
	}
}
