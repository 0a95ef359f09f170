package httpserver

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// decodeSealed returns the JSON a sealed value's payload carries.
func decodeSealed(t *testing.T, payload string) string {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatalf("sealed payload %q: %v", payload, err)
	}
	return string(data)
}

// getWithCookie requests u as a browser holding only the session cookie
// value.
func getWithCookie(t *testing.T, u, value string) (int, string) {
	t.Helper()
	return servertest.Get(t, u, &http.Cookie{Name: sessionCookie, Value: value})
}

func sessionCookieOf(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	t.Fatal("the browser has no session cookie")
	return ""
}

// TestAdminSessionsAcrossReplicas checks that an admin session works on
// every replica configured with the same admin token — pages and forms,
// with the same CSRF token — and nowhere else, and that a forged, altered
// or signed-out cookie is refused.
func TestAdminSessionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	replica := h.replica(testAdminToken)
	stranger := h.replica("another-admin-token-0123456789abcdef")
	c := h.client()
	csrf := h.signIn(c)
	cookie := sessionCookieOf(t, c, h.srv.URL)
	if strings.Contains(cookie, testAdminToken) || strings.Contains(decodeSealed(t, strings.SplitN(cookie, ".", 2)[0]), testAdminToken) {
		t.Fatalf("the session cookie carries the admin token: %q", cookie)
	}

	// The other replica (same host, another port: the browser sends the
	// cookie, as behind a load balancer) knows the session and its CSRF
	// token, and takes its forms.
	status, page := getWithCookie(t, replica.URL+"/admin/acme", cookie)
	if status != http.StatusOK || strings.Contains(page, `name="token"`) || csrfOf(t, page) != csrf {
		t.Fatalf("admin page on the other replica = %d, CSRF %q (want %q)", status, csrfOf(t, page), csrf)
	}
	resp, err := c.PostForm(replica.URL+"/admin/orgs", url.Values{"id": {"from-replica"}, "name": {"Replica"}, "csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("form on the other replica = %d, want 303", resp.StatusCode)
	}
	if _, err := h.store.GetOrganization(context.Background(), "from-replica"); err != nil {
		t.Errorf("the other replica's form did not create the organization: %v", err)
	}

	// Refused: a server with another admin token, an altered payload or
	// signature, and nonsense.
	payload, sig, _ := strings.Cut(cookie, ".")
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(decodeSealed(t, payload), `"exp":`, `"exp":9`, 1)))
	for name, tc := range map[string]struct{ base, value string }{
		"another admin token": {stranger.URL, cookie},
		"longer expiry":       {h.srv.URL, forged + "." + sig},
		"altered signature":   {h.srv.URL, payload + "." + strings.Repeat("A", len(sig))},
		"no signature":        {h.srv.URL, payload},
		"nonsense":            {h.srv.URL, "%%%"},
	} {
		if status, page := getWithCookie(t, tc.base+"/admin/acme", tc.value); status != http.StatusOK || !strings.Contains(page, `name="token"`) {
			t.Errorf("%s: admin page = %d without the sign-in form", name, status)
		}
	}

	// Signing out ends the session on the replica that served it.
	if status, body, _ := h.post(c, "/admin/logout", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("sign-out = %d:\n%s", status, body)
	}
	if _, page := getWithCookie(t, h.srv.URL+"/admin/acme", cookie); !strings.Contains(page, `name="token"`) {
		t.Error("the signed-out cookie still opens the admin page")
	}
}

// TestSessionExpiry checks the session store's clock: a session ends after
// sessionTTL, and its cookie cannot be extended.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	s := newSessionStore([]byte(testAdminToken), func() time.Time { return now })
	ss := s.create()
	if got := s.get(ss.cookie); got == nil || got.id != ss.id || got.csrf != ss.csrf {
		t.Fatalf("get(new cookie) = %+v, want the session %+v", got, ss)
	}
	now = now.Add(sessionTTL - time.Second)
	if s.get(ss.cookie) == nil {
		t.Error("the session ended before sessionTTL")
	}
	now = now.Add(time.Second)
	if s.get(ss.cookie) != nil {
		t.Error("the session is still valid at sessionTTL")
	}
	// A cookie sealed for another purpose is not a session.
	other := newSealer([]byte(testAdminToken), "lineworks-sign-in").seal(sessionClaims{ID: "x", Expires: now.Add(time.Hour).Unix()})
	if s.get(other) != nil {
		t.Error("a value sealed for LINE WORKS sign-in was accepted as a session")
	}
}

// TestLineWorksSignInOnAnotherReplica starts a LINE WORKS sign-in on one
// replica and lets LINE WORKS' redirect land on another.
func TestLineWorksSignInOnAnotherReplica(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	replica := h.replica(testAdminToken)
	h.fake.AddUser(lineworkstest.User{UserID: "admin-user-7", LastName: "別", FirstName: "花子"})
	h.fake.SetSignInUser("admin-user-7")
	c := h.client()
	h.signIn(c)
	status, _, resp := h.get(c, oauthStartPath+"?org=acme")
	if status != http.StatusFound {
		t.Fatalf("start = %d", status)
	}
	_, _, resp = h.get(c, resp.Header.Get("Location"))
	callback, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || callback.Path != oauthCallbackPath {
		t.Fatalf("authorize redirected to %q", resp.Header.Get("Location"))
	}
	other, _ := url.Parse(replica.URL)
	callback.Host = other.Host
	status, page, _ := h.get(c, callback.String())
	if status != http.StatusOK || !strings.Contains(page, "別 花子") {
		t.Fatalf("callback on the other replica = %d:\n%.1000s", status, page)
	}
	if org, err := h.store.GetOrganization(context.Background(), "acme"); err != nil || org.Integration.AdminUserID != "admin-user-7" {
		t.Errorf("admin user = %q, %v; want admin-user-7", org.Integration.AdminUserID, err)
	}
}

// TestLineWorksSignInAfterSignOut checks that a LINE WORKS sign-in started
// by an admin session that has since signed out is refused.
func TestLineWorksSignInAfterSignOut(t *testing.T) {
	t.Parallel()
	h := newPagesHarness(t)
	h.fake.AddUser(lineworkstest.User{UserID: "admin-user-8", LastName: "後", FirstName: "太郎"})
	h.fake.SetSignInUser("admin-user-8")
	c := h.client()
	csrf := h.signIn(c)
	_, _, resp := h.get(c, oauthStartPath+"?org=acme")
	_, _, resp = h.get(c, resp.Header.Get("Location"))
	callback := resp.Header.Get("Location")
	if status, body, _ := h.post(c, "/admin/logout", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("sign-out = %d:\n%s", status, body)
	}
	if status, _, _ := h.get(c, callback); status != http.StatusForbidden {
		t.Errorf("callback after sign-out = %d, want 403", status)
	}
	if org, _ := h.store.GetOrganization(context.Background(), "acme"); org.Integration.AdminUserID != "" {
		t.Errorf("a sign-in of a signed-out session set the admin user to %q", org.Integration.AdminUserID)
	}
}
