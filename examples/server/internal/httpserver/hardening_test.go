package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// full serves everything New serves over the harness's store and fake,
// with the options o changes; it replaces h.srv.
func (h *pagesHarness) full(o func(*Options, *app.App)) {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := testApp(h.t, h.store, h.fake, log)
	opts := Options{App: a, AdminToken: testAdminToken, Metrics: NewMetrics(), SecretCheck: func(context.Context, *slog.Logger) string { return "" }}
	if o != nil {
		o(&opts, a)
	}
	h.srv = httptest.NewServer(New(opts))
	h.t.Cleanup(h.srv.Close)
}

func (h *pagesHarness) apiCall(method, path, token string, body any, header ...string) (int, []byte, http.Header) {
	h.t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// TestSecurityHeaders: every response (pages, the demo, static files, the
// API) carries the CSP, nosniff and Referrer-Policy; with an https public
// URL also HSTS, and every cookie is Secure though the request is plain
// http (TLS ends at a proxy that does not say so).
func TestSecurityHeaders(t *testing.T) {
	h := newPagesHarness(t)
	dm, err := StartDemo(context.Background(), h.store, slog.New(slog.DiscardHandler), time.Now(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dm.Close)
	h.full(func(o *Options, a *app.App) { a.PublicURL = "https://uketsuke.example.test"; o.Demo = dm })
	c := h.client()
	for _, path := range []string{"/", "/demo", "/admin", "/kiosk/acme", "/kiosk/acme?token=" + h.kiosk, "/static/kiosk.js", "/api/v1/orgs", "/healthz"} {
		_, _, resp := h.get(c, path)
		hd := resp.Header
		if !strings.Contains(hd.Get("Content-Security-Policy"), "default-src 'self'") || !strings.Contains(hd.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") == "" || !strings.HasPrefix(hd.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s: headers %v", path, hd)
		}
		for _, ck := range resp.Cookies() {
			if !ck.Secure {
				t.Errorf("%s: cookie %s is not Secure", path, ck.Name)
			}
		}
	}
	// Without an https public URL: no HSTS, and cookies over http are not
	// Secure (they would never come back).
	h2 := newPagesHarness(t)
	h2.full(nil)
	_, _, resp := h2.get(h2.client(), "/admin")
	if resp.Header.Get("Strict-Transport-Security") != "" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("http public URL: headers %v", resp.Header)
	}
	for _, ck := range resp.Cookies() {
		if ck.Secure {
			t.Errorf("cookie %s Secure over plain http without a public https URL", ck.Name)
		}
	}
}

// TestStaticNoListing: /static/ serves files, never a directory listing.
func TestStaticNoListing(t *testing.T) {
	h := newPagesHarness(t)
	h.full(nil)
	for _, path := range []string{"/static/", "/static/templates/", "/static/templates", "/static/templates/kiosk.html", "/static/demo.html"} {
		if status, body, _ := h.get(h.client(), path); status != http.StatusNotFound {
			t.Errorf("%s = %d:\n%.300s", path, status, body)
		}
	}
	if status, _, _ := h.get(h.client(), "/static/kiosk.js"); status != http.StatusOK {
		t.Errorf("/static/kiosk.js = %d", status)
	}
}

// TestLocalPathControlCharacters: browsers drop tabs and line breaks from
// URLs, so "/\t/evil.example" would lead off-site after the sign-in.
func TestLocalPathControlCharacters(t *testing.T) {
	for _, bad := range []string{"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/a\x00b", "//evil.example", "/\\evil.example"} {
		if localPath(bad) {
			t.Errorf("localPath(%q) = true", bad)
		}
	}
	if !localPath("/admin/acme?notice=saved") {
		t.Error("a plain local path refused")
	}
	h := newPagesHarness(t)
	h.full(nil)
	c := h.client()
	_, page, _ := h.get(c, "/admin")
	status, _, resp := h.post(c, "/admin/login", url.Values{"csrf": {csrfOf(t, page)}, "token": {testAdminToken}, "next": {"/\t/evil.example"}})
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Errorf("sign-in with next=/\\t/evil.example → %d %q, want /admin", status, resp.Header.Get("Location"))
	}
}

// TestOAuthErrorRedirect: a crafted error redirect (wrong state) neither
// ends the admin's sign-in nor shows its text; a provider error for the
// real sign-in shows a fixed message.
func TestOAuthErrorRedirect(t *testing.T) {
	h := newPagesHarness(t)
	h.full(nil)
	c := h.client()
	h.signIn(c)
	_, _, resp := h.get(c, oauthStartPath+"?org=acme")
	authorize, _ := url.Parse(resp.Header.Get("Location"))
	evil := "Your account is locked. Call +81-3-0000-0000"
	forged := oauthCallbackPath + "?" + url.Values{"error": {"access_denied"}, "error_description": {evil}, "state": {"forged"}}.Encode()
	status, page, _ := h.get(c, forged)
	if status != http.StatusForbidden || strings.Contains(page, "locked") {
		t.Errorf("forged error redirect = %d:\n%s", status, page)
	}
	// The real sign-in still completes.
	_, _, resp = h.get(c, authorize.String())
	if status, page, _ := h.get(c, resp.Header.Get("Location")); status != http.StatusOK {
		t.Fatalf("the real callback after a forged one = %d:\n%s", status, page)
	}
	// A provider error for the real sign-in: fixed text, not the description.
	_, _, resp = h.get(c, oauthStartPath+"?org=acme")
	authorize, _ = url.Parse(resp.Header.Get("Location"))
	state := authorize.Query().Get("state")
	status, page, _ = h.get(c, oauthCallbackPath+"?"+url.Values{"error": {"access_denied"}, "error_description": {evil}, "state": {state}}.Encode())
	if status != http.StatusBadGateway || strings.Contains(page, "locked") || strings.Contains(page, "access_denied") {
		t.Errorf("provider error = %d:\n%s", status, page)
	}
}

// TestNamesRefusedByAPI: control and bidi characters in names are a 400
// naming the field, through the API and the kiosk.
func TestNamesRefusedByAPI(t *testing.T) {
	h := newPagesHarness(t)
	h.full(nil)
	for _, tt := range []struct {
		method, path string
		body         any
		field        string
	}{
		{"PUT", "/api/v1/orgs/acme", map[string]string{"name": "ACME\u202e"}, "name"},
		{"PUT", "/api/v1/orgs/acme/buttons/b2", map[string]any{"label": "営業\u2066部", "rooms": []string{"room-1"}}, "label"},
		{"PUT", "/api/v1/orgs/acme/staff/s2", map[string]any{"name": "山田\x1b[31m", "userId": "user-2"}, "name"},
		{"POST", "/api/v1/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": "鈴木\u202e"}}, "visitor.name"},
		{"POST", "/api/v1/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"company": "AC\nME"}}, "visitor.company"},
	} {
		status, body, _ := h.apiCall(tt.method, tt.path, testAdminToken, tt.body)
		var e errorJSON
		_ = json.Unmarshal(body, &e)
		if status != http.StatusBadRequest || e.Field != tt.field {
			t.Errorf("%s %s = %d %s, want 400 naming %s", tt.method, tt.path, status, body, tt.field)
		}
	}
}

// TestDemoEnds: without demo mode the demo organization's kiosk token is
// refused; an auto demo ends (404 on /demo…, token refused) once another
// organization has a LINE WORKS integration.
func TestDemoEnds(t *testing.T) {
	h := newPagesHarness(t)
	ctx := context.Background()
	dm, err := StartDemo(ctx, h.store, slog.New(slog.DiscardHandler), time.Now(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dm.Close)
	demoToken := demoKioskToken(t, dm)
	// The harness's acme already has an integration: the auto demo is
	// over at its first look.
	h.full(func(o *Options, _ *app.App) { o.Demo = dm })
	for _, path := range []string{"/demo", "/demo/messages"} {
		if status, _, _ := h.get(h.client(), path); status != http.StatusNotFound {
			t.Errorf("%s after demo mode ended = %d, want 404", path, status)
		}
	}
	if status, _, _ := h.get(h.client(), "/kiosk/"+app.DemoOrgID+"?token="+demoToken); status != http.StatusForbidden {
		t.Errorf("demo kiosk enrolment after demo mode ended = %d, want 403", status)
	}
	if status, body, _ := h.apiCall("POST", "/api/v1/orgs/"+app.DemoOrgID+"/checkins", demoToken, map[string]any{"buttonId": "sales"}); status != http.StatusUnauthorized {
		t.Errorf("demo kiosk-token check-in after demo mode ended = %d %s, want 401", status, body)
	}
	// No demo at all (a restart without demo mode): the token is refused too.
	h.full(nil)
	if status, _, _ := h.apiCall("POST", "/api/v1/orgs/"+app.DemoOrgID+"/checkins", demoToken, map[string]any{"buttonId": "sales"}); status != http.StatusUnauthorized {
		t.Errorf("demo kiosk-token check-in without demo mode = %d, want 401", status)
	}
	if status, _, _ := h.get(h.client(), "/demo"); status != http.StatusNotFound {
		t.Errorf("/demo without demo mode = %d", status)
	}
	// A live demo (forced on) keeps both.
	on, err := StartDemo(ctx, h.store, slog.New(slog.DiscardHandler), time.Now(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(on.Close)
	h.full(func(o *Options, _ *app.App) { o.Demo = on })
	demoToken = demoKioskToken(t, on) // a new start issues a new one
	if status, _, _ := h.get(h.client(), "/demo"); status != http.StatusOK {
		t.Errorf("/demo in demo mode = %d", status)
	}
	if status, body, _ := h.apiCall("POST", "/api/v1/orgs/"+app.DemoOrgID+"/checkins", demoToken, map[string]any{"buttonId": "sales"}); status != http.StatusCreated {
		t.Errorf("demo kiosk-token check-in in demo mode = %d %s", status, body)
	}
}

// TestCheckInLimits: kiosk-token check-ins beyond the token's bucket are
// 429 with Retry-After and store nothing; the admin token is not limited;
// another organization's kiosk from another address is unaffected; the
// bucket refills with time; the per-address bucket and the daily cap hold.
func TestCheckInLimits(t *testing.T) {
	h := newPagesHarness(t)
	ctx := context.Background()
	other := &reception.Organization{ID: "beta", Name: "Beta", Locale: "ja", KioskToken: "kiosk-token-beta-0123456789", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := h.store.PutOrganization(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := h.store.PutButton(ctx, &reception.Button{ID: "front", OrgID: "beta", Label: "受付", Enabled: true, ChannelIDs: []string{"room-b"}}); err != nil {
		t.Fatal(err)
	}
	clk := &testClock{now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	h.full(func(o *Options, a *app.App) {
		a.Now = clk.Now
		o.Limits = CheckInLimits{KioskRate: rate.Limit(60.0 / 3600), KioskBurst: 3, AddressRate: rate.Limit(60.0 / 3600), AddressBurst: 4, OrgDaily: 5,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	})
	checkIn := func(org, token, addr string) (int, http.Header) {
		status, _, hd := h.apiCall("POST", "/api/v1/orgs/"+org+"/checkins", token, map[string]any{"buttonId": map[string]string{"acme": "sales", "beta": "front"}[org]}, "X-Forwarded-For", addr)
		return status, hd
	}
	count := func(org string) int {
		vs, _ := h.store.ListVisits(ctx, org, reception.VisitFilter{})
		return len(vs)
	}
	for i := range 3 {
		if s, _ := checkIn("acme", h.kiosk, "198.51.100.1"); s != http.StatusCreated {
			t.Fatalf("check-in %d = %d", i, s)
		}
	}
	// The token's bucket is empty, from any address.
	for _, addr := range []string{"198.51.100.1", "198.51.100.2", "2001:db8::1"} {
		s, hd := checkIn("acme", h.kiosk, addr)
		if s != http.StatusTooManyRequests || hd.Get("Retry-After") != "60" {
			t.Errorf("4th check-in from %s = %d Retry-After %q, want 429 and 60", addr, s, hd.Get("Retry-After"))
		}
	}
	if n := count("acme"); n != 3 {
		t.Errorf("acme visits = %d, want 3: refused check-ins were stored", n)
	}
	// The admin token is not limited; another kiosk is unaffected.
	if s, _ := checkIn("acme", testAdminToken, "198.51.100.1"); s != http.StatusCreated {
		t.Errorf("admin-token check-in = %d", s)
	}
	if s, _ := checkIn("beta", other.KioskToken, "203.0.113.9"); s != http.StatusCreated {
		t.Errorf("the other kiosk = %d", s)
	}
	// A minute refills one check-in.
	clk.Advance(time.Minute)
	if s, _ := checkIn("acme", h.kiosk, "198.51.100.1"); s != http.StatusCreated {
		t.Errorf("after a minute = %d", s)
	}
	// Per address: beta's kiosk behind acme's address shares its bucket
	// (4 there, 3 used at 10:00, one refilled, one used at 10:01).
	if s, _ := checkIn("beta", other.KioskToken, "198.51.100.1"); s != http.StatusCreated {
		t.Errorf("beta from acme's address = %d", s)
	}
	if s, _ := checkIn("beta", other.KioskToken, "198.51.100.1"); s != http.StatusTooManyRequests {
		t.Errorf("the address's 6th = %d, want 429", s)
	}
	// The daily cap counts kiosk check-ins (the admin token's are not
	// refused or counted): acme's kiosk has 4; the 5th is the last today
	// and the 6th waits for midnight, 13 h 49 min away.
	clk.Advance(10 * time.Minute)
	if s, _ := checkIn("acme", h.kiosk, "198.51.100.3"); s != http.StatusCreated {
		t.Errorf("5th of the day = %d", s)
	}
	s, hd := checkIn("acme", h.kiosk, "198.51.100.4")
	if s != http.StatusTooManyRequests || hd.Get("Retry-After") != "49740" {
		t.Errorf("over the daily cap = %d Retry-After %q, want 429 until midnight (49740)", s, hd.Get("Retry-After"))
	}
	clk.Advance(14 * time.Hour)
	if s, _ := checkIn("acme", h.kiosk, "198.51.100.4"); s != http.StatusCreated {
		t.Errorf("next day = %d", s)
	}
}

// TestKioskPageLimit: the kiosk page answers a refused check-in with a
// friendly bilingual page, 429 and Retry-After, and stores nothing.
func TestKioskPageLimit(t *testing.T) {
	h := newPagesHarness(t)
	h.full(func(o *Options, _ *app.App) {
		o.Limits = CheckInLimits{KioskRate: rate.Limit(1.0 / 3600), KioskBurst: 1}
	})
	c := h.client()
	h.get(c, "/kiosk/acme?token="+h.kiosk)
	_, page, _ := h.get(c, "/kiosk/acme")
	form := url.Values{"csrf": {csrfOf(t, page)}, "buttonId": {"sales"}}
	if status, _, _ := h.post(c, "/kiosk/acme", form); status != http.StatusSeeOther {
		t.Fatalf("first check-in = %d", status)
	}
	status, body, resp := h.post(c, "/kiosk/acme", form)
	if status != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "ただいま受付が混み合っています") || !strings.Contains(body, "The reception is busy") {
		t.Errorf("second check-in = %d Retry-After %q:\n%s", status, resp.Header.Get("Retry-After"), body)
	}
	// kiosk.js posts with Accept: application/json and shows the error
	// it gets: the same friendly words, and the 429 that keeps a queued
	// check-in queued.
	req, _ := http.NewRequest("POST", h.srv.URL+"/kiosk/acme", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(data), "ただいま受付が混み合っています") || !strings.Contains(string(data), "The reception is busy") {
		t.Errorf("JSON check-in over the limit = %d Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), data)
	}
	if vs, _ := h.store.ListVisits(context.Background(), "acme", reception.VisitFilter{}); len(vs) != 1 {
		t.Errorf("visits = %d, want 1", len(vs))
	}
}

// TestTokenGuessBackoff: after freeFailures wrong tokens from an address,
// its requests wait their turn before the token is compared; a wrong token
// is still 401, the real one still works (and ends the back-off); another
// address is not slowed. Fake time (synctest): nothing sleeps for real.
func TestTokenGuessBackoff(t *testing.T) {
	// The harness (its fake LINE WORKS listens on the network) is made
	// outside the bubble: network waits do not let fake time advance.
	h := newPagesHarness(t)
	synctest.Test(t, func(t *testing.T) {
		log := slog.New(slog.DiscardHandler)
		a := testApp(t, h.store, h.fake, log)
		handler := New(Options{App: a, AdminToken: testAdminToken, Metrics: NewMetrics(), SecretCheck: func(context.Context, *slog.Logger) string { return "" }})
		call := func(token, addr string) (int, time.Duration) {
			req := httptest.NewRequest("GET", "/api/v1/orgs", nil)
			req.RemoteAddr = addr + ":4000"
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			start := time.Now()
			handler.ServeHTTP(rec, req)
			return rec.Code, time.Since(start)
		}
		for i := range freeFailures {
			if code, took := call("wrong-token-0123456789", "192.0.2.1"); code != http.StatusUnauthorized || took != 0 {
				t.Fatalf("wrong token %d = %d after %v, want 401 at once", i, code, took)
			}
		}
		code, took := call("wrong-token-0123456789", "192.0.2.1")
		if code != http.StatusUnauthorized || took < backoffBase {
			t.Errorf("6th wrong token = %d after %v, want 401 after at least %v", code, took, backoffBase)
		}
		if code, took := call("wrong-token-0123456789", "192.0.2.2"); code != http.StatusUnauthorized || took != 0 {
			t.Errorf("another address = %d after %v, want 401 at once", code, took)
		}
		code, took = call(testAdminToken, "192.0.2.1")
		if code != http.StatusOK || took == 0 {
			t.Errorf("the real token from the slowed address = %d after %v, want 200 after its turn", code, took)
		}
		if code, took := call("wrong-token-0123456789", "192.0.2.1"); code != http.StatusUnauthorized || took != 0 {
			t.Errorf("after the real token = %d after %v, want the back-off over", code, took)
		}
		// Parallel guesses queue; beyond backoffQueue they are 429 unchecked.
		for range freeFailures + 3 {
			call("wrong-token-0123456789", "192.0.2.3")
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		for range 40 {
			wg.Go(func() {
				c, _ := call("wrong-token-0123456789", "192.0.2.3")
				mu.Lock()
				codes[c]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[http.StatusTooManyRequests] == 0 || codes[http.StatusUnauthorized] == 0 || codes[http.StatusUnauthorized] > 10 {
			t.Errorf("40 parallel guesses from a slowed address: %v, want a few 401 and the rest 429", codes)
		}
	})
}

// TestCallbackRejectionLogSampled: a flood of rejected callbacks logs at
// most sampleBurst lines a minute, and the next window's first line says
// how many were left out.
func TestCallbackRejectionLogSampled(t *testing.T) {
	h := newPagesHarness(t)
	var buf syncBuffer
	clk := &testClock{now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	h.full(func(o *Options, a *app.App) {
		a.Now = clk.Now
		a.Log = slog.New(slog.NewTextHandler(&buf, nil))
	})
	for range 1000 {
		req, _ := http.NewRequest("POST", h.srv.URL+app.CallbackPath, strings.NewReader(`{"type":"join"}`))
		req.Header.Set("X-WORKS-BotId", "3000001")
		req.Header.Set("X-WORKS-Signature", "Zm9yZ2Vk")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged callback = %d", resp.StatusCode)
		}
	}
	if n := strings.Count(buf.String(), "callback not accepted"); n != sampleBurst {
		t.Errorf("1000 rejections logged %d lines, want %d", n, sampleBurst)
	}
	clk.Advance(sampleWindow)
	req, _ := http.NewRequest("POST", h.srv.URL+app.CallbackPath, strings.NewReader(`{}`))
	req.Header.Set("X-WORKS-BotId", "3000001")
	req.Header.Set("X-WORKS-Signature", "Zm9yZ2Vk")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if !strings.Contains(buf.String(), "suppressedBefore=990") {
		t.Errorf("no count of the suppressed lines:\n%s", buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// demoKioskToken is the token of d's kiosk URL (a new one at every start:
// stores keep only its hash).
func demoKioskToken(t *testing.T, d *Demo) string {
	t.Helper()
	u, err := url.Parse(d.KioskPath())
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("demo kiosk path %q", d.KioskPath())
	}
	return u.Query().Get("token")
}
