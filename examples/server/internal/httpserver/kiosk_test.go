package httpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

func TestKioskTextComplete(t *testing.T) {
	if len(kioskText) != len(app.KioskLanguages) {
		t.Errorf("kioskText has %d languages, app.KioskLanguages %d", len(kioskText), len(app.KioskLanguages))
	}
	for _, lang := range app.KioskLanguages {
		for key := range kioskText["ja"] {
			if strings.TrimSpace(kioskText[lang][key]) == "" {
				t.Errorf("kioskText[%q][%q] is missing", lang, key)
			}
		}
	}
}

// TestKioskLanguages: the kiosk speaks each of its four languages, offers
// the others with their lang attribute, uses the organization's own texts
// per language, and the completion screen returns to the default language.
func TestKioskLanguages(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	h.kioskTexts = app.KioskTexts{"acme": {"ko": {Welcome: "ACME에 오신 것을 환영합니다", Fallback: "내선 100번으로 전화해 주세요"}}}
	h.srv = h.replica(testAdminToken)
	c := h.client()
	h.get(c, "/kiosk/acme?token="+h.kiosk)
	for _, tc := range []struct{ lang, welcome, lead string }{
		{"ja", "いらっしゃいませ", "ご用件のボタンを押してください"},
		{"en", "Welcome", "Please tap the reason for your visit"},
		{"zh-Hans", "欢迎光临", "请点击您的来访事由"},
		{"ko", "ACME에 오신 것을 환영합니다", "방문 목적 버튼을 눌러 주세요"},
	} {
		_, page, _ := h.get(c, "/kiosk/acme?lang="+tc.lang)
		for _, want := range []string{`<html lang="` + tc.lang + `">`, ">" + tc.welcome + "</h1>", tc.lead,
			`<input type="hidden" name="lang" value="` + tc.lang + `">`, `lang="ko" hreflang="ko"`, `>한국어</a>`, `lang="zh-Hans"`} {
			if !strings.Contains(page, want) {
				t.Errorf("kiosk in %s: no %q", tc.lang, want)
			}
		}
		status, body, resp := h.post(c, "/kiosk/acme", url.Values{"csrf": {csrfOf(t, page)}, "lang": {tc.lang}, "buttonId": {"sales"}})
		if status != http.StatusSeeOther {
			t.Fatalf("check-in in %s = %d:\n%s", tc.lang, status, body)
		}
		_, done, _ := h.get(c, resp.Header.Get("Location"))
		if !strings.Contains(done, `<html lang="`+tc.lang+`">`) || !strings.Contains(done, `href="/kiosk/acme" id="back-link"`) {
			t.Errorf("completion screen in %s: want its language and a way back to the default one:\n%s", tc.lang, done)
		}
	}
	// The organization cannot deliver (no bot): its Korean fallback text.
	_, page, _ := h.get(c, "/kiosk/acme?lang=ko")
	if !strings.Contains(page, "내선 100번으로 전화해 주세요") {
		t.Errorf("Korean kiosk of an organization that cannot deliver: no Korean fallback:\n%s", page)
	}
	// An unknown language is the default.
	if _, page, _ := h.get(c, "/kiosk/acme?lang=fr"); !strings.Contains(page, `<html lang="ja">`) {
		t.Error("?lang=fr did not fall back to Japanese")
	}
}

// TestKioskJSONCheckIn: kiosk.js posts with Accept: application/json and
// an idempotency key; sending the same key again (an answer lost in a
// network drop) is one visit.
func TestKioskJSONCheckIn(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	c := h.client()
	h.get(c, "/kiosk/acme?token="+h.kiosk)
	_, page, _ := h.get(c, "/kiosk/acme?lang=en")
	send := func(form url.Values) (int, map[string]string) {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/kiosk/acme", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		return resp.StatusCode, out
	}
	form := url.Values{"csrf": {csrfOf(t, page)}, "lang": {"en"}, "buttonId": {"sales"}, "name": {"Jane Doe"},
		"idempotencyKey": {"kiosk-test-1"}, "queuedMs": {"120000"}}
	for range 2 {
		status, out := send(form)
		if status != http.StatusOK || !strings.HasPrefix(out["done"], "/kiosk/acme/done?") || !strings.Contains(out["done"], "lang=en") {
			t.Fatalf("JSON check-in = %d %v", status, out)
		}
	}
	visits, err := h.store.ListVisits(context.Background(), "acme", reception.VisitFilter{})
	if err != nil || len(visits) != 1 {
		t.Fatalf("visits after sending one key twice = %d, %v; want 1", len(visits), err)
	}
	form.Set("buttonId", "nope")
	form.Set("idempotencyKey", "kiosk-test-2")
	if status, out := send(form); status != http.StatusBadRequest || !strings.Contains(out["error"], "The check-in failed") {
		t.Errorf("refused JSON check-in = %d %v", status, out)
	}
}
