package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// contentText is the text of the message the fake received that contains
// marker; there must be exactly one.
func (h *harness) contentText(marker string) string {
	h.t.Helper()
	var found []string
	for _, m := range h.fake.Messages() {
		if s, _ := decoded(h.t, m)["contentText"].(string); strings.Contains(s, marker) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		h.t.Fatalf("%d messages contain %q, want 1: %q", len(found), marker, found)
	}
	return found[0]
}

// TestNotificationSaysVisitorLanguage: the notification stays in the
// organization's language (ja) and says which language the visitor used,
// unless it is the organization's own.
func TestNotificationSaysVisitorLanguage(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{"en", "※ 来訪者は受付で英語を使いました"},
		{"zh-Hans", "※ 来訪者は受付で中国語（簡体字）を使いました"},
		{"ko", "※ 来訪者は受付で韓国語を使いました"},
		{"ja", ""},
		{"", ""},
	} {
		t.Run("lang="+tc.lang, func(t *testing.T) {
			h := newHarness(t, storeFactories[0].new(t))
			h.checkIn(notify.CheckInRequest{ButtonID: "sales", Language: tc.lang, Visitor: notify.Visitor{Name: "Kim Minji"}})
			h.settle()
			got := h.contentText("Kim Minji")
			if !strings.Contains(got, "が「営業部」でお越しです") {
				t.Errorf("the notification is not in Japanese: %q", got)
			}
			if tc.want != "" && !strings.HasSuffix(got, "\n"+tc.want) {
				t.Errorf("notification = %q, want it to end with the line %q", got, tc.want)
			}
			if tc.want == "" && strings.Contains(got, "来訪者は受付で") {
				t.Errorf("notification = %q, want no language note for %q", got, tc.lang)
			}
		})
	}
}

// TestNotificationLanguageNoteInEnglish: an English organization names the
// visitor's language in English.
func TestNotificationLanguageNoteInEnglish(t *testing.T) {
	store := storeFactories[0].new(t)
	h := newHarness(t, store)
	h.org.Locale = "en-US"
	if err := store.PutOrganization(context.Background(), h.org); err != nil {
		t.Fatal(err)
	}
	h.checkIn(notify.CheckInRequest{ButtonID: "sales", Language: "ja", Visitor: notify.Visitor{Name: "Sato"}})
	h.checkIn(notify.CheckInRequest{ButtonID: "sales", Language: "en", Visitor: notify.Visitor{Name: "Smith"}})
	h.settle()
	if got := h.contentText("Sato"); !strings.HasSuffix(got, "\nNote: the visitor used Japanese at the kiosk.") {
		t.Errorf("notification = %q", got)
	}
	if got := h.contentText("Smith"); strings.Contains(got, "Note:") {
		t.Errorf("an English visitor at an en-US organization: %q, want no note", got)
	}
}

// TestCheckInIdempotencyKey: a check-in sent twice with one key is one visit
// and one notification; it says when the visitor checked in and that it is
// late.
func TestCheckInIdempotencyKey(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			now := time.Date(2026, 5, 1, 10, 7, 30, 0, time.UTC)
			h := newHarness(t, sf.new(t), func(c *harnessConfig) { c.clock = func() time.Time { return now } })
			req := notify.CheckInRequest{ButtonID: "sales", IdempotencyKey: "kiosk-1714557600000-ab12", EnteredAt: now.Add(-5*time.Minute - 10*time.Second),
				Visitor: notify.Visitor{Name: "高橋 美咲"}}
			first := h.checkIn(req)
			again := h.checkIn(req)
			if again.ID != first.ID {
				t.Errorf("the same key gave visits %s and %s", first.ID, again.ID)
			}
			other := h.checkIn(notify.CheckInRequest{ButtonID: "sales", IdempotencyKey: "kiosk-other"})
			if other.ID == first.ID {
				t.Error("another key gave the same visit")
			}
			h.settle()
			visits, err := h.store.ListVisits(context.Background(), h.org.ID, reception.VisitFilter{})
			if err != nil || len(visits) != 2 {
				t.Fatalf("visits = %d, %v; want 2", len(visits), err)
			}
			if n := len(h.fake.Messages()); n != 2 {
				t.Errorf("%d messages, want 2 (the resend is not notified again)", n)
			}
			got := h.contentText("高橋")
			if !strings.Contains(got, "受付時刻 10:02") || !strings.HasSuffix(got, "\n※ 受付端末の通信が途切れていたため、6分遅れて届きました（受付 10:02）") {
				t.Errorf("late notification = %q", got)
			}
		})
	}
}

func TestCheckInRequestValidation(t *testing.T) {
	h := newHarness(t, storeFactories[0].new(t))
	for _, req := range []notify.CheckInRequest{
		{ButtonID: "sales", IdempotencyKey: "has space"},
		{ButtonID: "sales", IdempotencyKey: strings.Repeat("k", notify.MaxIdempotencyKey+1)},
		{ButtonID: "sales", Language: "en<script>"},
	} {
		if _, err := h.svc.CheckIn(context.Background(), h.org.ID, req); err == nil {
			t.Errorf("CheckIn(%+v) = nil error", req)
		}
	}
}
