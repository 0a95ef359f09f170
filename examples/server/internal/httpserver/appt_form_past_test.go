package httpserver

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestApptFormAllErrors: the admin appointment form shows a past date
// together with the other errors, on the create and the change form, and a
// negative party size asks for 0〜1000, not for a number.
func TestApptFormAllErrors(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	c := h.client()
	csrf := h.signIn(c)
	start := time.Now().Add(48 * time.Hour).UTC()
	status, body, _ := (&apiHarness{t: t, srv: h.srv}).do("POST", "/orgs/acme/appointments", testAdminToken,
		map[string]any{"hosts": []string{"yamada"}, "visitors": []map[string]string{{"company": "変更前商事"}}, "startsAt": start})
	var ap struct{ ID string }
	if err := json.Unmarshal(body, &ap); status != http.StatusCreated || err != nil {
		t.Fatalf("creating an appointment = %d %s", status, body)
	}
	past := time.Now().Add(-48 * time.Hour).UTC()
	for _, id := range []string{"", ap.ID} {
		form := url.Values{"csrf": {csrf}, "id": {id}, "date": {past.Format(time.DateOnly)}, "time": {"10:00"},
			"hosts": {"yamada"}, "email": {"not-mail"}, "partySize": {"-3"}}
		status, page, _ := h.post(c, "/admin/acme/appointments", form)
		page = html.UnescapeString(page)
		for _, want := range []string{"「日付」「時刻」：過ぎています", "メールアドレスの形", "0〜1000 の数"} {
			if status != http.StatusBadRequest || !strings.Contains(page, want) {
				t.Errorf("form (id %q) = %d, lacks %q", id, status, want)
			}
		}
		if strings.Contains(page, "人数は数字で") {
			t.Errorf("form (id %q): -3 is a number, yet the page asks for one", id)
		}
	}
}
