package httpserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/reception"
)

// kioskAPICheckIn checks in through the JSON API with the kiosk token.
func kioskAPICheckIn(t *testing.T, base, org, token, button string) app.CheckInResult {
	t.Helper()
	var out app.CheckInResult
	servertest.CallJSON(t, "POST", base+APIPrefix+"/orgs/"+org+"/checkins", token,
		map[string]any{"buttonId": button, "visitor": map[string]any{"name": "鈴木 一郎"}}, &out, http.StatusCreated)
	return out
}

// call sends a JSON request with the admin token and decodes the answer.
func call(t *testing.T, method, u string, body, out any, want int) {
	t.Helper()
	servertest.CallJSON(t, method, u, testAdminToken, body, out, want)
}

// TestKioskFallbackWithoutIntegration: an organization without a LINE
// WORKS integration still stores and queues check-ins, but neither the API
// answer nor the kiosk claims staff were notified; the admin page is red
// with the cause, and the admin's own fallback text reaches the kiosk.
func TestKioskFallbackWithoutIntegration(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	ctx := context.Background()
	org := &reception.Organization{ID: "noint", Name: "未設定 株式会社", KioskToken: "kiosk-token-noint-0123456789", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := h.store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := h.store.PutButton(ctx, &reception.Button{ID: "desk", OrgID: "noint", Label: "受付", Enabled: true, ChannelIDs: []string{"room-1"}}); err != nil {
		t.Fatal(err)
	}

	out := kioskAPICheckIn(t, h.srv.URL, "noint", org.KioskToken, "desk")
	if out.Delivery != app.DeliveryUnavailable || out.Fallback != reception.DefaultKioskFallback || out.VisitID == "" {
		t.Errorf("check-in answer = %+v; want delivery unavailable with the default fallback", out)
	}
	if out := kioskAPICheckIn(t, h.srv.URL, "acme", h.kiosk, "sales"); out.Delivery != app.DeliveryQueued || out.Fallback != "" {
		t.Errorf("check-in answer of a configured organization = %+v; want queued without fallback", out)
	}

	// The kiosk: the start page makes no promise, the done page shows the
	// fallback instead of 「担当者に通知しました」.
	c := h.client()
	h.get(c, "/kiosk/noint?token="+org.KioskToken)
	_, page, _ := h.get(c, "/kiosk/noint")
	if !strings.Contains(page, `id="fallback"`) || strings.Contains(page, "担当者に通知します。") {
		t.Errorf("kiosk start page of an organization that cannot deliver:\n%s", page)
	}
	status, _, resp := h.post(c, "/kiosk/noint", url.Values{"csrf": {csrfOf(t, page)}, "lang": {"ja"}, "buttonId": {"desk"}})
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/kiosk/noint/done?delivery=unavailable" {
		t.Fatalf("kiosk check-in = %d → %q", status, resp.Header.Get("Location"))
	}
	_, done, _ := h.get(c, resp.Header.Get("Location"))
	if strings.Contains(done, "担当者に通知しました") || !strings.Contains(done, "担当者に通知できませんでした") ||
		!strings.Contains(done, "受付の電話") {
		t.Errorf("kiosk done page of an organization that cannot deliver:\n%s", done)
	}

	// Nothing accepted is lost: both check-ins are stored and queued.
	visits, err := h.store.ListVisits(ctx, "noint", reception.VisitFilter{})
	if err != nil || len(visits) != 2 {
		t.Fatalf("visits = %v, %v; want 2", visits, err)
	}
	queued, err := h.store.ListOutbox(ctx, "noint", reception.OutboxFilter{State: reception.OutboxPending})
	if err != nil || len(queued) != 2 {
		t.Fatalf("pending outbox = %v, %v; want 2", queued, err)
	}

	adminSetsFallback(t, h, c)
}

// adminSetsFallback: the admin page of noint is red, names the cause and
// the fix; the admin sets the fallback text, which the kiosk then shows.
func adminSetsFallback(t *testing.T, h *pagesHarness, c *http.Client) {
	t.Helper()
	h.signIn(c)
	_, adminPage, _ := h.get(c, "/admin/noint")
	for _, want := range []string{`class="card delivery unavailable"`, "通知を届けられません", "no_integration", "missing Client ID", "Botを作成してください"} {
		if !strings.Contains(adminPage, want) {
			t.Errorf("admin page lacks %q:\n%s", want, adminPage)
		}
	}
	csrf := csrfOf(t, adminPage)
	status, body, _ := h.post(c, "/admin/noint/kiosk/fallback", url.Values{"csrf": {csrf}, "kioskFallback": {strings.Repeat("長", reception.MaxKioskFallback+1)}})
	if status != http.StatusBadRequest || !strings.Contains(body, "longer than 300 characters") {
		t.Errorf("too long a fallback = %d; want 400 naming the limit:\n%.3000s", status, body)
	}
	status, _, _ = h.post(c, "/admin/noint/kiosk/fallback", url.Values{"csrf": {csrf}, "kioskFallback": {"内線100番にお電話ください / Please call extension 100"}})
	if status != http.StatusSeeOther {
		t.Fatalf("saving the fallback = %d", status)
	}
	_, done, _ := h.get(c, "/kiosk/noint/done?delivery=unavailable&lang=en")
	if !strings.Contains(done, "内線100番にお電話ください / Please call extension 100") || !strings.Contains(done, "could not notify the staff") {
		t.Errorf("done page after the admin set the fallback:\n%s", done)
	}
	// A PUT without kioskFallback (e.g. a rename) keeps it.
	call(t, "PUT", h.srv.URL+APIPrefix+"/orgs/noint", map[string]string{"name": "改名 株式会社"}, nil, http.StatusOK)
	var got OrgJSON
	call(t, "GET", h.srv.URL+APIPrefix+"/orgs/noint", nil, &got, http.StatusOK)
	if got.KioskFallback != "内線100番にお電話ください / Please call extension 100" || got.Delivery == nil || got.Delivery.Cause != "no_integration" {
		t.Errorf("GET org after a rename = %+v", got)
	}
	_, adminPage, _ = h.get(c, "/admin/acme")
	if !strings.Contains(adminPage, `class="card delivery ok"`) {
		t.Errorf("admin page of a configured organization is not green:\n%s", adminPage)
	}
}
