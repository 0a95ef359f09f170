package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
)

// kioskAPICheckIn checks in through the JSON API with the kiosk token.
func kioskAPICheckIn(t *testing.T, base, org, token, button string) checkInOutJSON {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"buttonId": button, "visitor": map[string]any{"name": "鈴木 一郎"}})
	req, _ := http.NewRequest("POST", base+apiPrefix+"/orgs/"+org+"/checkins", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("check-in = %d: %s", resp.StatusCode, data)
	}
	var out checkInOutJSON
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
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
	if out.Delivery != deliveryUnavailable || out.Fallback != reception.DefaultKioskFallback || out.VisitID == "" {
		t.Errorf("check-in answer = %+v; want delivery unavailable with the default fallback", out)
	}
	if out := kioskAPICheckIn(t, h.srv.URL, "acme", h.kiosk, "sales"); out.Delivery != deliveryQueued || out.Fallback != "" {
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
	call(t, "PUT", h.srv.URL+apiPrefix+"/orgs/noint", map[string]string{"name": "改名 株式会社"}, nil, http.StatusOK)
	var got orgJSON
	call(t, "GET", h.srv.URL+apiPrefix+"/orgs/noint", nil, &got, http.StatusOK)
	if got.KioskFallback != "内線100番にお電話ください / Please call extension 100" || got.Delivery == nil || got.Delivery.Cause != "no_integration" {
		t.Errorf("GET org after a rename = %+v", got)
	}
	_, adminPage, _ = h.get(c, "/admin/acme")
	if !strings.Contains(adminPage, `class="card delivery ok"`) {
		t.Errorf("admin page of a configured organization is not green:\n%s", adminPage)
	}
}

// signInAdmin signs a cookie-jar client into the admin pages of base.
func signInAdmin(t *testing.T, base string) *http.Client {
	t.Helper()
	h := &pagesHarness{t: t}
	c := h.client()
	resp, err := c.Get(base + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp, err = c.PostForm(base+"/admin/login", url.Values{"csrf": {csrfOf(t, string(page))}, "token": {testAdminToken}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %v %v", resp, err)
	}
	resp.Body.Close()
	return c
}

// waitDelivery polls the organization until its delivery status is want.
func waitDelivery(t *testing.T, p *servertest.Process, org, want string) orgJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got orgJSON
		call(t, "GET", p.URL+apiPrefix+"/orgs/"+org, nil, &got, http.StatusOK)
		if got.Delivery != nil && got.Delivery.Status == want {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("organization %s: delivery %+v, want status %s\nserver log:\n%s", org, got.Delivery, want, p.Stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDeliveryHealthEndToEnd: against a fake LINE WORKS that refuses the
// credentials, the server (a real process) turns the organization red on
// the admin page, tells kiosks to show the fallback, and counts it in
// /readyz (still 200) and the gauge; once LINE WORKS accepts them again,
// the queued check-ins go out and everything turns green.
func TestDeliveryHealthEndToEnd(t *testing.T) {
	t.Parallel()
	bin := serverBinary(t)
	fake := lineworkstest.NewServer()
	defer fake.Close()
	p := startServer(t, bin, e2eEnv(fake, t.TempDir()))
	setupOrg(t, p.URL, fake)
	api := p.URL + apiPrefix
	call(t, "PUT", api+"/orgs/bare", map[string]string{"name": "未設定"}, nil, http.StatusCreated)

	fake.InjectFault(lineworkstest.TokenRoute, 10000, lineworkstest.Fault{Status: 401, Code: "invalid_client", Description: "client authentication failed"})
	var acme orgJSON
	call(t, "GET", api+"/orgs/acme", nil, &acme, http.StatusOK)
	// The first check-in's send tells that the credentials are refused.
	kioskAPICheckIn(t, p.URL, "acme", acme.KioskToken, "sales")
	red := waitDelivery(t, p, "acme", "unavailable")
	if red.Delivery.Cause != "credentials" || !strings.Contains(red.Delivery.Detail, "token request failed (401)") || red.Delivery.Since == nil {
		t.Errorf("delivery = %+v; want credentials refused, naming the error, with a time", red.Delivery)
	}
	if out := kioskAPICheckIn(t, p.URL, "acme", acme.KioskToken, "sales"); out.Delivery != deliveryUnavailable || out.Fallback == "" {
		t.Errorf("check-in while the credentials are refused = %+v; want unavailable with the fallback", out)
	}
	c := signInAdmin(t, p.URL)
	_, page := getWith(t, c, p.URL+"/admin/acme")
	for _, want := range []string{`class="card delivery unavailable"`, "credentials", "check the client ID or client secret", "保存して確認"} {
		if !strings.Contains(page, want) {
			t.Errorf("admin page lacks %q:\n%s", want, page)
		}
	}
	status, ready := get(t, p.URL+"/readyz")
	if status != http.StatusOK || !strings.Contains(ready, "undeliverable organizations: 2") ||
		!strings.Contains(ready, "org acme: unavailable credentials") || !strings.Contains(ready, "org bare: unavailable no_integration") {
		t.Errorf("/readyz = %d:\n%s", status, ready)
	}
	_, metrics := get(t, p.URL+"/metrics")
	for _, want := range []string{`uketsuke_organizations_undeliverable{cause="credentials"} 1`, `uketsuke_organizations_undeliverable{cause="no_integration"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if n := strings.Count(p.Stderr(), "organization cannot deliver notifications"); n != 2 {
		t.Errorf("logged %d transitions to undeliverable, want 2 (acme and bare, once each):\n%s", n, p.Stderr())
	}

	// Fixed: the queued check-ins go out, and it all turns green.
	fake.ClearFaults()
	waitMessages(t, fake, 2, p)
	waitDelivery(t, p, "acme", "ok")
	_, page = getWith(t, c, p.URL+"/admin/acme")
	if !strings.Contains(page, `class="card delivery ok"`) {
		t.Errorf("admin page after the fix is not green:\n%s", page)
	}
	if _, ready := get(t, p.URL+"/readyz"); !strings.Contains(ready, "undeliverable organizations: 1") || strings.Contains(ready, "org acme") {
		t.Errorf("/readyz after the fix:\n%s", ready)
	}
	if _, metrics := get(t, p.URL+"/metrics"); !strings.Contains(metrics, `uketsuke_organizations_undeliverable{cause="credentials"} 0`) {
		t.Errorf("/metrics after the fix does not count 0 refused credentials")
	}
	if !strings.Contains(p.Stderr(), "organization delivers notifications again") {
		t.Errorf("no log line for the recovery:\n%s", p.Stderr())
	}
}

func getWith(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}
