package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

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
