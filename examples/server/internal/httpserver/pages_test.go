package httpserver

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// pagesHarness serves the pages and the API over a memory store, with
// organization acme set up against a fake LINE WORKS.
type pagesHarness struct {
	t     *testing.T
	srv   *httptest.Server
	store reception.Store
	fake  *lineworkstest.Server
	sa    *lineworks.ServiceAccount
	kiosk string
	// kioskTexts are given to replicas made after they are set.
	kioskTexts app.KioskTexts
}

func newPagesHarness(t *testing.T) *pagesHarness {
	t.Helper()
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	h := &pagesHarness{t: t, store: memstore.New(servertest.SecretBox(t)), fake: fake, sa: fake.NewServiceAccount("bot", "user.read")}
	h.srv = h.replica(testAdminToken)
	store := h.store
	ctx := context.Background()
	org := &reception.Organization{ID: "acme", Name: "ACME 株式会社", Locale: "ja", KioskToken: "kiosk-token-acme-0123456789", CreatedAt: time.Now(), UpdatedAt: time.Now(),
		Integration: reception.Integration{ClientID: h.sa.ClientID, ClientSecret: h.sa.ClientSecret, ServiceAccountID: h.sa.ServiceAccountID,
			PrivateKey: h.sa.PrivateKey, Scopes: []string{"bot", "user.read"}, BotID: 3000001, BotSecret: "bot-secret-acme"}}
	if err := store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	h.kiosk = org.KioskToken
	for _, st := range []*reception.Staff{
		{ID: "yamada", OrgID: "acme", Name: "山田 太郎", UserID: "user-yamada", Active: true},
		{ID: "gone", OrgID: "acme", Name: "退職 済子", UserID: "user-gone", Active: false},
	} {
		if err := store.PutStaff(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.PutButton(ctx, &reception.Button{ID: "sales", OrgID: "acme", Label: "営業部", Labels: map[string]string{"en": "Sales"}, Enabled: true, ChannelIDs: []string{"room-1"}}); err != nil {
		t.Fatal(err)
	}
	return h
}

// replica serves the pages and the API over the harness's store and fake
// LINE WORKS, as another server process would, with the given admin token.
func (h *pagesHarness) replica(adminToken string) *httptest.Server {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := testApp(h.t, h.store, h.fake, log)
	a.KioskTexts = h.kioskTexts
	mux := http.NewServeMux()
	(&api{app: a, adminToken: []byte(adminToken), log: log}).register(mux)
	newPages(a, []byte(adminToken)).register(mux)
	mux.Handle("POST "+app.CallbackPath, a.Notify.CallbackHandler())
	srv := httptest.NewServer(mux)
	h.t.Cleanup(srv.Close)
	return srv
}

// client is a browser: a cookie jar and no automatic redirects.
func (h *pagesHarness) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (h *pagesHarness) get(c *http.Client, path string) (int, string, *http.Response) {
	h.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = h.srv.URL + path
	}
	resp, err := c.Get(u)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp
}

func (h *pagesHarness) post(c *http.Client, path string, form url.Values) (int, string, *http.Response) {
	h.t.Helper()
	resp, err := c.PostForm(h.srv.URL+path, form)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%.2000s", page)
	}
	return m[1]
}

// signIn signs c in with the admin token and returns the session's CSRF
// token.
func (h *pagesHarness) signIn(c *http.Client) string {
	h.t.Helper()
	_, page, _ := h.get(c, "/admin")
	status, body, resp := h.post(c, "/admin/login", url.Values{"csrf": {csrfOf(h.t, page)}, "token": {testAdminToken}})
	if status != http.StatusSeeOther {
		h.t.Fatalf("sign-in = %d:\n%s", status, body)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && (!ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Value == testAdminToken) {
			h.t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict and not the token", ck)
		}
	}
	_, page, _ = h.get(c, "/admin/acme")
	return csrfOf(h.t, page)
}

func TestAdminSignIn(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	c := h.client()
	status, page, _ := h.get(c, "/admin/acme")
	if status != http.StatusOK || !strings.Contains(page, `name="token"`) || strings.Contains(page, "kiosk-token-acme") {
		t.Fatalf("GET /admin/acme without a session = %d, want the sign-in form:\n%s", status, page)
	}
	status, _, _ = h.post(c, "/admin/login", url.Values{"csrf": {csrfOf(t, page)}, "token": {"wrong-token-0123456789"}})
	if status != http.StatusUnauthorized {
		t.Errorf("wrong token = %d, want 401", status)
	}
	csrf := h.signIn(c)
	status, page, _ = h.get(c, "/admin/acme")
	if status != http.StatusOK || strings.Contains(page, "token=") || !strings.Contains(page, `id="kiosk-kept"`) {
		t.Errorf("the org page shows a kiosk URL it cannot know (the store keeps a hash), or does not say one is issued:\n%s", page)
	}
	// Reissuing shows the new kiosk URL on the next page, once; it works,
	// and the old token no longer does.
	status, _, resp := h.post(c, "/admin/acme/kiosk", url.Values{"csrf": {csrf}})
	if status != http.StatusSeeOther {
		t.Fatalf("reissue = %d", status)
	}
	_, page, _ = h.get(c, resp.Header.Get("Location"))
	m := regexp.MustCompile(`/kiosk/acme\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `id="kiosk-issued"`) {
		t.Fatalf("the page after reissuing does not show the new kiosk URL:\n%s", page)
	}
	if _, again, _ := h.get(c, "/admin/acme"); strings.Contains(again, m[1]) {
		t.Error("the kiosk URL is shown a second time")
	}
	kc := h.client()
	if status, _, _ := h.get(kc, "/kiosk/acme?token="+m[1]); status != http.StatusSeeOther {
		t.Errorf("the new kiosk URL = %d, want the kiosk (a redirect keeping the token in a cookie)", status)
	} else if status, page, _ := h.get(kc, "/kiosk/acme"); status != http.StatusOK || !strings.Contains(page, `class="big"`) {
		t.Errorf("the kiosk after enrolling with the new URL = %d", status)
	}
	if status, _, _ := h.get(h.client(), "/kiosk/acme?token=kiosk-token-acme-0123456789"); status != http.StatusForbidden {
		t.Errorf("the old kiosk URL = %d, want 403", status)
	}
}

// TestAdminCSRF checks that every admin POST needs the session's CSRF token.
func TestAdminCSRF(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)

	// The sign-in form itself: without the double-submit token.
	c := h.client()
	if status, _, _ := h.post(c, "/admin/login", url.Values{"token": {testAdminToken}}); status != http.StatusForbidden {
		t.Errorf("sign-in without CSRF token = %d, want 403", status)
	}

	c = h.client()
	csrf := h.signIn(c)
	form := func(token string) url.Values {
		v := url.Values{"id": {"neworg"}, "name": {"New"}}
		if token != "" {
			v.Set("csrf", token)
		}
		return v
	}
	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"no token", "/admin/orgs", form("")},
		{"wrong token", "/admin/orgs", form(csrf + "x")},
		{"another session's token", "/admin/orgs", form(h.signIn(h.client()) + "")},
		{"integration", "/admin/acme/lineworks", url.Values{"clientId": {"evil"}}},
		{"button", "/admin/acme/buttons", url.Values{"label": {"x"}, "csrf": {"nope"}}},
		{"staff", "/admin/acme/staff/yamada/active", url.Values{"active": {"0"}}},
		{"kiosk token", "/admin/acme/kiosk", url.Values{}},
		{"logout", "/admin/logout", url.Values{}},
	} {
		if status, body, _ := h.post(c, tc.path, tc.form); status != http.StatusForbidden {
			t.Errorf("%s: POST %s = %d, want 403:\n%.500s", tc.name, tc.path, status, body)
		}
	}
	if _, err := h.store.GetOrganization(context.Background(), "neworg"); err == nil {
		t.Error("a refused form created the organization")
	}
	if st, _ := h.store.GetStaff(context.Background(), "acme", "yamada"); !st.Active {
		t.Error("a refused form deactivated staff")
	}
	// No session at all, with a token copied from a page.
	if status, _, _ := h.post(h.client(), "/admin/orgs", form(csrf)); status != http.StatusForbidden {
		t.Errorf("POST without a session = %d, want 403", status)
	}
	// The right token works.
	if status, body, _ := h.post(c, "/admin/orgs", form(csrf)); status != http.StatusSeeOther {
		t.Fatalf("POST with the token = %d:\n%s", status, body)
	}
	if _, err := h.store.GetOrganization(context.Background(), "neworg"); err != nil {
		t.Errorf("organization not created: %v", err)
	}
	// The kiosk form has its own token.
	k := h.client()
	h.get(k, "/kiosk/acme?token="+h.kiosk)
	if status, _, _ := h.post(k, "/kiosk/acme", url.Values{"buttonId": {"sales"}, "csrf": {"forged"}}); status != http.StatusForbidden {
		t.Errorf("kiosk POST with a wrong token = %d, want 403", status)
	}
}

func TestKioskCheckIn(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	c := h.client()
	if status, _, _ := h.get(c, "/kiosk/acme"); status != http.StatusUnauthorized {
		t.Errorf("kiosk without the token = %d, want 401", status)
	}
	if status, _, _ := h.get(c, "/kiosk/acme?token=wrong"); status != http.StatusForbidden {
		t.Errorf("kiosk with a wrong token = %d, want 403", status)
	}
	status, _, resp := h.get(c, "/kiosk/acme?token="+h.kiosk+"&lang=en")
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/kiosk/acme?lang=en" {
		t.Fatalf("enrolment = %d → %q", status, resp.Header.Get("Location"))
	}
	var ck *http.Cookie
	for _, x := range resp.Cookies() {
		if x.Name == kioskCookie {
			ck = x
		}
	}
	if ck == nil || !ck.HttpOnly || ck.MaxAge < 86400 {
		t.Fatalf("kiosk cookie = %+v, want a lasting HttpOnly cookie", ck)
	}
	_, page, _ := h.get(c, "/kiosk/acme?lang=en")
	if !strings.Contains(page, ">Sales</button>") || !strings.Contains(page, "山田 太郎") || strings.Contains(page, "退職") {
		t.Errorf("English kiosk page: want the English label and only active staff:\n%s", page)
	}
	_, page, _ = h.get(c, "/kiosk/acme")
	if !strings.Contains(page, ">営業部</button>") || !strings.Contains(page, "いらっしゃいませ") {
		t.Errorf("Japanese kiosk page:\n%s", page)
	}
	status, body, resp := h.post(c, "/kiosk/acme", url.Values{"csrf": {csrfOf(t, page)}, "lang": {"ja"}, "buttonId": {"sales"},
		"name": {"鈴木 一郎"}, "company": {"テスト商事"}, "count": {"2"}, "staffId": {"yamada"}})
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/kiosk/acme/done" {
		t.Fatalf("check-in = %d:\n%s", status, body)
	}
	_, done, _ := h.get(c, "/kiosk/acme/done")
	// The completion screen stays until tapped or for a set time (kiosk.js),
	// never by a meta refresh, which a visitor cannot stop.
	if !strings.Contains(done, "担当者に通知しました。少々お待ちください") || strings.Contains(done, `http-equiv="refresh"`) || !strings.Contains(done, `role="status"`) {
		t.Errorf("completion page:\n%s", done)
	}
	visits, err := h.store.ListVisits(context.Background(), "acme", reception.VisitFilter{})
	if err != nil || len(visits) != 1 {
		t.Fatalf("visits = %v, %v", visits, err)
	}
	if v := visits[0]; v.VisitorName != "鈴木 一郎" || v.Company != "テスト商事" || v.PartySize != 2 || v.StaffID != "yamada" || v.ButtonID != "sales" {
		t.Errorf("visit = %+v", v)
	}
	// An unknown button is refused with the form kept.
	status, body, _ = h.post(c, "/kiosk/acme", url.Values{"csrf": {csrfOf(t, page)}, "buttonId": {"nope"}, "name": {"高橋"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "受付できませんでした") || !strings.Contains(body, `value="高橋"`) {
		t.Errorf("unknown button = %d:\n%s", status, body)
	}
}

// postMultipart posts the integration form as a browser does.
func (h *pagesHarness) postMultipart(c *http.Client, path string, fields map[string]string, fileField, fileName string, file []byte) (int, string) {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if fileField != "" {
		fw, _ := mw.CreateFormFile(fileField, fileName)
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	resp, err := c.Post(h.srv.URL+path, mw.FormDataContentType(), &buf)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func TestAdminIntegrationForm(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	c := h.client()
	csrf := h.signIn(c)

	// A full-width space around the Client ID is removed, and the page
	// says so next to the field; verification works with the trimmed value.
	status, page := h.postMultipart(c, "/admin/acme/lineworks", map[string]string{"csrf": csrf, "action": "verify",
		"clientId": "\u3000" + h.sa.ClientID + " ", "serviceAccount": h.sa.ServiceAccountID, "adminUserId": "user-yamada", "scopes": "bot user.read"}, "", "", nil)
	if status != http.StatusOK || !regexp.MustCompile(`(?s)id="field-clientId".*?class="field-warning">Client ID: `).MatchString(page) {
		t.Fatalf("integration with a full-width space = %d, want a warning at Client ID:\n%s", status, page)
	}
	if !strings.Contains(page, "LINE WORKS に接続できました") {
		t.Errorf("verify did not succeed:\n%s", page)
	}
	org, _ := h.store.GetOrganization(context.Background(), "acme")
	if org.Integration.ClientID != h.sa.ClientID || org.Integration.AdminUserID != "user-yamada" {
		t.Errorf("stored integration = %+v", org.Integration)
	}

	// A public key as the .key file is refused at the key field, and
	// nothing is stored.
	status, page = h.postMultipart(c, "/admin/acme/lineworks", map[string]string{"csrf": csrf, "clientId": h.sa.ClientID, "adminUserId": "someone-else"},
		"privateKeyFile", "public.key", servertest.PublicKeyPEM(t))
	if status != http.StatusBadRequest || !regexp.MustCompile(`(?s)id="field-privateKey".*?class="invalid".*?class="field-error">Private Key`).MatchString(page) {
		t.Errorf("public key file = %d, want an error at the key field:\n%s", status, page)
	}
	org, _ = h.store.GetOrganization(context.Background(), "acme")
	if org.Integration.AdminUserID != "user-yamada" {
		t.Errorf("a refused form changed the stored integration: %+v", org.Integration)
	}

	// A wrong client secret: saved, and the check names the field.
	status, page = h.postMultipart(c, "/admin/acme/lineworks", map[string]string{"csrf": csrf, "action": "verify", "clientSecret": "wrong-secret"}, "", "", nil)
	if status != http.StatusOK || !strings.Contains(page, "接続できませんでした") || !strings.Contains(page, `class="field-error">Client Secret`) {
		t.Errorf("wrong client secret = %d, want a failed check naming Client Secret:\n%s", status, page)
	}
	// The status on the same page, on a reload and for the kiosk agrees
	// with the failed check: the credentials saved are refused.
	for what, p := range map[string]string{"after the check": page, "reloaded": h.getPage(c, "/admin/acme")} {
		if !strings.Contains(p, `class="card delivery unavailable"`) || !strings.Contains(p, "credentials") {
			t.Errorf("delivery status %s is not red naming the credentials:\n%s", what, p)
		}
	}
	// The URL the form posted to, opened again, leads back to the page.
	if status, _, resp := h.get(c, "/admin/acme/lineworks"); status != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/acme" {
		t.Errorf("GET /admin/acme/lineworks = %d → %q, want a redirect to the organization", status, resp.Header.Get("Location"))
	}
}

func (h *pagesHarness) getPage(c *http.Client, path string) string {
	h.t.Helper()
	_, page, _ := h.get(c, path)
	return page
}

func TestAdminButtonsAndStaff(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	c := h.client()
	csrf := h.signIn(c)
	ctx := context.Background()

	// A room arrives through a join event.
	sender := lineworkstest.CallbackSender{BotID: 3000001, Secret: "bot-secret-acme", URL: h.srv.URL + app.CallbackPath}
	if status, err := sender.Send(ctx, lineworkstest.JoinEvent("room-2f")); err != nil || status != http.StatusOK {
		t.Fatalf("join callback = %d, %v", status, err)
	}
	// The event is processed by the engine, which does not run here; record
	// the room as the engine would.
	if err := h.store.PutRoom(ctx, &reception.Room{OrgID: "acme", ChannelID: "room-2f", Title: "2F 受付", JoinedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, page, _ := h.get(c, "/admin/acme/rooms")
	if !strings.Contains(page, "room-2f") || !strings.Contains(page, "2F 受付") {
		t.Errorf("rooms page:\n%s", page)
	}
	_, page, _ = h.get(c, "/admin/acme/buttons")
	if !regexp.MustCompile(`<option value="room-2f"( selected)?>2F 受付 — room-2f</option>`).MatchString(page) {
		t.Errorf("the room picker does not offer the joined room:\n%s", page)
	}
	status, body, _ := h.post(c, "/admin/acme/buttons", url.Values{"csrf": {csrf}, "id": {"visitors"}, "label": {"来客"}, "labelEn": {"Visitors"},
		"room": {"room-2f"}, "staff": {"yamada"}, "after": {"5m"}, "max": {"2"}, "mentionAll": {"1"}, "enabled": {"1"}})
	if status != http.StatusSeeOther {
		t.Fatalf("saving a button = %d:\n%s", status, body)
	}
	b, err := h.store.GetButton(ctx, "acme", "visitors")
	if err != nil || len(b.ChannelIDs) != 1 || b.ChannelIDs[0] != "room-2f" || b.Labels["en"] != "Visitors" || b.Reminder.After != 5*time.Minute || len(b.StaffIDs) != 1 {
		t.Errorf("button = %+v, %v", b, err)
	}
	_, page, _ = h.get(c, "/admin/acme/buttons")
	if !strings.Contains(page, "2F 受付 (room-2f)") {
		t.Errorf("the button list does not show the room:\n%s", page)
	}
	// A button that reaches nobody (no room, no staff, no default room) is
	// flagged; one with only staff is not.
	for _, b := range []*reception.Button{
		{ID: "nowhere", OrgID: "acme", Label: "行き先なし", Enabled: true},
		{ID: "people", OrgID: "acme", Label: "担当者だけ", Enabled: true, StaffIDs: []string{"yamada"}},
		{ID: "gone", OrgID: "acme", Label: "退職者だけ", Enabled: true, StaffIDs: []string{"gone"}},
	} {
		if err := h.store.PutButton(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	_, page, _ = h.get(c, "/admin/acme/buttons")
	flagged := map[string]bool{}
	for _, row := range regexp.MustCompile(`(?s)<tr data-id="([^"]+)".*?</tr>`).FindAllStringSubmatch(page, -1) {
		flagged[row[1]] = strings.Contains(row[0], `class="field-error no-route"`)
	}
	// gone's only staff member is inactive: check-ins on it reach nobody.
	if want := map[string]bool{"nowhere": true, "people": false, "gone": true}; !flagged["nowhere"] || flagged["people"] || !flagged["gone"] {
		t.Errorf("buttons flagged as reaching nobody: %v, want %v", flagged, want)
	}
	// A bad reminder names its field.
	status, body, _ = h.post(c, "/admin/acme/buttons", url.Values{"csrf": {csrf}, "label": {"長すぎるラベル長すぎるラベル長すぎるラベル"}})
	if status != http.StatusBadRequest || !strings.Contains(body, `id="label" value="長すぎるラベル長すぎるラベル長すぎるラベル" required maxlength="20" placeholder="営業部" class="invalid"`) {
		t.Errorf("long label = %d:\n%s", status, body)
	}

	// Staff: add, then deactivate.
	status, body, _ = h.post(c, "/admin/acme/staff", url.Values{"csrf": {csrf}, "id": {"sato"}, "name": {"佐藤 花子"}, "userId": {"user-sato\u3000"}, "active": {"1"}, "buttons": {"sales"}})
	if status != http.StatusSeeOther {
		t.Fatalf("adding staff = %d:\n%s", status, body)
	}
	if st, err := h.store.GetStaff(ctx, "acme", "sato"); err != nil || st.UserID != "user-sato" || !st.Active {
		t.Errorf("staff = %+v, %v", st, err)
	}
	if status, _, _ = h.post(c, "/admin/acme/staff/sato/active", url.Values{"csrf": {csrf}, "active": {"0"}}); status != http.StatusSeeOther {
		t.Errorf("deactivate = %d", status)
	}
	if st, _ := h.store.GetStaff(ctx, "acme", "sato"); st.Active {
		t.Error("staff still active")
	}
}

func TestAdminVisits(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	c := h.client()
	h.signIn(c)
	ctx := context.Background()
	now := time.Now().UTC()
	v := &reception.Visit{ID: "v1", OrgID: "acme", VisitorName: "鈴木 一郎", Company: "テスト商事", ButtonID: "sales", Status: reception.StatusWaiting, CreatedAt: now}
	if err := h.store.CheckIn(ctx, v, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.ClaimVisit(ctx, "acme", "v1", "user-yamada", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, page, _ := h.get(c, "/admin/acme/visits")
	if !regexp.MustCompile(`(?s)鈴木 一郎 様.*対応中.*class="handler">山田 太郎</td>`).MatchString(page) {
		t.Errorf("visits page does not show the handler:\n%s", page)
	}
	status, csv, resp := h.get(c, "/admin/acme/visits.csv?date="+now.Format(time.DateOnly))
	if status != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(csv, "鈴木 一郎") || !strings.Contains(csv, "山田 太郎") {
		t.Errorf("CSV = %d %q:\n%s", status, resp.Header.Get("Content-Type"), csv)
	}
	if _, body, resp := h.get(h.client(), "/admin/acme/visits.csv"); strings.Contains(resp.Header.Get("Content-Type"), "csv") || strings.Contains(body, "鈴木") {
		t.Error("CSV export without a session")
	}
}

// TestLineWorksSignIn follows the admins' OAuth sign-in against the fake:
// start → authorize → callback, with the cookies a browser keeps.
func TestLineWorksSignIn(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	h.fake.AddUser(lineworkstest.User{UserID: "admin-user-42", LastName: "管理", FirstName: "花子"})
	h.fake.SetSignInUser("admin-user-42")
	c := h.client()

	// Without an admin session the sign-in does not start.
	if status, page, _ := h.get(c, oauthStartPath+"?org=acme"); status != http.StatusOK || !strings.Contains(page, `name="token"`) {
		t.Errorf("start without a session = %d, want the sign-in form", status)
	}
	h.signIn(c)
	_, page, _ := h.get(c, "/admin/acme")
	if !strings.Contains(page, oauthStartPath+"?org=acme") {
		t.Errorf("the org page has no LINE WORKS sign-in link")
	}

	status, _, resp := h.get(c, oauthStartPath+"?org=acme")
	authorize, err := url.Parse(resp.Header.Get("Location"))
	if status != http.StatusFound || err != nil || !strings.HasPrefix(authorize.String(), h.fake.AuthURL) {
		t.Fatalf("start = %d → %q", status, resp.Header.Get("Location"))
	}
	q := authorize.Query()
	if q.Get("client_id") != h.sa.ClientID || q.Get("redirect_uri") != h.srv.URL+oauthCallbackPath || q.Get("scope") != "user.read" || len(q.Get("state")) < 20 {
		t.Errorf("authorize URL = %s", authorize)
	}
	var state *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == oauthStateCookie {
			state = ck
		}
	}
	if state == nil || !state.HttpOnly || state.MaxAge <= 0 || state.MaxAge > 900 {
		t.Fatalf("state cookie = %+v", state)
	}
	// The cookie seals the state sent to LINE WORKS (and the organization
	// and admin session), so that any replica can finish the sign-in.
	if payload, _, _ := strings.Cut(state.Value, "."); !strings.Contains(decodeSealed(t, payload), `"state":"`+q.Get("state")+`"`) {
		t.Errorf("state cookie %q does not carry the state %q", state.Value, q.Get("state"))
	}

	// The fake signs the user in and redirects back with a code.
	status, _, resp = h.get(c, authorize.String())
	callback := resp.Header.Get("Location")
	if status != http.StatusFound || !strings.HasPrefix(callback, h.srv.URL+oauthCallbackPath) {
		t.Fatalf("authorize = %d → %q", status, callback)
	}

	// A forged state (an attacker's redirect) is refused, and does not
	// spoil the real sign-in.
	forged, _ := url.Parse(callback)
	fq := forged.Query()
	fq.Set("state", "forged-state-forged-state")
	forged.RawQuery = fq.Encode()
	if status, page, _ := h.get(c, forged.String()); status != http.StatusForbidden {
		t.Errorf("forged state = %d, want 403:\n%s", status, page)
	}
	if org, _ := h.store.GetOrganization(context.Background(), "acme"); org.Integration.AdminUserID != "" {
		t.Errorf("forged sign-in set the admin user to %q", org.Integration.AdminUserID)
	}

	status, page, _ = h.get(c, callback)
	if status != http.StatusOK || !strings.Contains(page, "管理 花子") {
		t.Fatalf("callback = %d:\n%s", status, page)
	}
	org, err := h.store.GetOrganization(context.Background(), "acme")
	if err != nil || org.Integration.AdminUserID != "admin-user-42" {
		t.Errorf("admin user ID = %q, %v; want the signed-in user admin-user-42", org.Integration.AdminUserID, err)
	}
	// The state is used up: replaying the callback fails.
	if status, _, _ := h.get(c, callback); status == http.StatusOK {
		t.Error("a replayed callback was accepted")
	}
	// A callback without a sign-in started in this browser is refused.
	if status, _, _ := h.get(h.client(), callback); status != http.StatusBadRequest {
		t.Errorf("callback in another browser = %d, want 400", status)
	}
}

// The button form of an organization whose bot is in one room, with no
// default room, starts with that room chosen, and "no room" says it
// reaches staff only (there is no default room to fall back to).
func TestButtonFormPicksTheOnlyRoom(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	if err := h.store.PutRoom(context.Background(), &reception.Room{OrgID: "acme", ChannelID: "room-lobby", Title: "受付チーム", JoinedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	h.signIn(c)
	page := h.getPage(c, "/admin/acme/buttons")
	if !regexp.MustCompile(`<option value="room-lobby" selected>受付チーム`).MatchString(page) {
		t.Errorf("the only room is not preselected:\n%s", page)
	}
	if !strings.Contains(page, "ルームなし — 担当者への個別通知のみ") || strings.Contains(page, ">既定のルーム (default room)</option>") {
		t.Errorf("the empty choice does not say it reaches staff only:\n%s", page)
	}
}
