package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// kioskAPICheckIn checks in through the JSON API with the kiosk token.
func kioskAPICheckIn(t *testing.T, base, org, token, button string) app.CheckInResult {
	t.Helper()
	var out app.CheckInResult
	servertest.CallJSON(t, "POST", base+httpserver.APIPrefix+"/orgs/"+org+"/checkins", token,
		map[string]any{"buttonId": button, "visitor": map[string]any{"name": "鈴木 一郎"}}, &out, http.StatusCreated)
	return out
}

// waitDelivery polls the organization until its delivery status is want.
// A poll, because the status is another process's state and nothing
// announces its changes (the fake sees a send before the server records
// how it went).
func waitDelivery(t *testing.T, p *servertest.Process, org, want string) httpserver.OrgJSON {
	t.Helper()
	var got httpserver.OrgJSON
	if !eventually(30*time.Second, 50*time.Millisecond, func() bool {
		got = httpserver.OrgJSON{}
		call(t, "GET", p.URL+httpserver.APIPrefix+"/orgs/"+org, nil, &got, http.StatusOK)
		return got.Delivery != nil && got.Delivery.Status == want
	}) {
		t.Fatalf("organization %s: delivery %+v, want status %s\nserver log:\n%s", org, got.Delivery, want, p.Stderr())
	}
	return got
}

// eventually checks cond every interval until it holds (true) or d passes
// (false). Only for state that nothing announces, such as another
// process's: where a channel, a hook or a long poll exists, wait on that.
func eventually(d, interval time.Duration, cond func() bool) bool {
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-tick.C:
		case <-timeout.C:
			return cond()
		}
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
	api := p.URL + httpserver.APIPrefix
	call(t, "PUT", api+"/orgs/bare", map[string]string{"name": "未設定"}, nil, http.StatusCreated)

	fake.InjectFault(lineworkstest.TokenRoute, 10000, lineworkstest.Fault{Status: 401, Code: "invalid_client", Description: "client authentication failed"})
	// The server keeps only a hash of a kiosk token: issue one to use.
	var acme httpserver.OrgJSON
	call(t, "PUT", api+"/orgs/acme", map[string]any{"name": "ACME 株式会社", "locale": "ja", "rotateKioskToken": true}, &acme, http.StatusOK)
	// The first check-in's send tells that the credentials are refused.
	kioskAPICheckIn(t, p.URL, "acme", acme.KioskToken, "sales")
	red := waitDelivery(t, p, "acme", "unavailable")
	if red.Delivery.Cause != "credentials" || !strings.Contains(red.Delivery.Detail, "token request failed (401)") || red.Delivery.Since == nil {
		t.Errorf("delivery = %+v; want credentials refused, naming the error, with a time", red.Delivery)
	}
	if out := kioskAPICheckIn(t, p.URL, "acme", acme.KioskToken, "sales"); out.Delivery != app.DeliveryUnavailable || out.Fallback == "" {
		t.Errorf("check-in while the credentials are refused = %+v; want unavailable with the fallback", out)
	}
	c := servertest.SignInAdmin(t, p.URL, testAdminToken)
	_, page := getWith(t, c, p.URL+"/admin/acme")
	for _, want := range []string{`class="card delivery unavailable"`, "credentials", "check the client ID or client secret", "保存して確認"} {
		if !strings.Contains(page, want) {
			t.Errorf("admin page lacks %q:\n%s", want, page)
		}
	}
	status, ready := get(t, p.URL+"/readyz")
	// Counted by cause; no organization named: /readyz needs no sign-in.
	if status != http.StatusOK || !strings.Contains(ready, "undeliverable organizations: 2") ||
		!strings.Contains(ready, "  credentials: 1") || !strings.Contains(ready, "  no_integration: 1") ||
		strings.Contains(ready, "acme") || strings.Contains(ready, "bare") {
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
	if _, ready := get(t, p.URL+"/readyz"); !strings.Contains(ready, "undeliverable organizations: 1") || strings.Contains(ready, "credentials") {
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
