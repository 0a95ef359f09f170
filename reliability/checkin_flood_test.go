package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
)

// TestCheckInFlood floods the server binary's check-in API with one
// organization's kiosk token (a leaked token) from 32 clients and 200
// client addresses (X-Forwarded-For from a trusted proxy), at the default
// limits, while another organization's kiosk checks in from its own
// address. The token's limit holds (at most its burst of 10, plus one a
// minute); every refusal is 429 with Retry-After; nothing refused is
// stored or sent; the other kiosk's check-ins are all accepted and
// announced.
func TestCheckInFlood(t *testing.T) {
	checkSecretsAtEnd(t)
	n := size(500, 2000, 10000)
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	tp := newTap(t, fake)
	db := filepath.Join(t.TempDir(), "uketsuke.db")
	env := serverEnv(tp, db)
	env["UKETSUKE_TRUSTED_PROXIES"] = "127.0.0.1"
	p := startServer(t, "server", env)
	setupServerOrg(t, p.URL, fake)
	setupBeta(t, p.URL, fake)
	acmeToken, betaToken := kioskToken(t, p.URL, "acme"), kioskToken(t, p.URL, "beta")
	// Kiosk tokens are not searched for: the admin API shows them.
	logBefore := len(p.Stderr())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var (
		next, accepted, refused atomic.Int64
		wg                      sync.WaitGroup
		mu                      sync.Mutex
		wrong                   []string
	)
	start := time.Now()
	for range 32 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				status, hd, err := kioskCheckIn(ctx, p.URL, "acme", "front", acmeToken, fmt.Sprintf("198.51.100.%d", i%200))
				switch {
				case err == nil && status == http.StatusCreated:
					accepted.Add(1)
				case err == nil && status == http.StatusTooManyRequests && hd.Get("Retry-After") != "":
					refused.Add(1)
				default:
					mu.Lock()
					wrong = append(wrong, fmt.Sprintf("%d %v", status, err))
					mu.Unlock()
				}
			}
		})
	}
	// The real kiosk of another organization, during the flood.
	betaOK := 0
	for range 8 {
		status, _, err := kioskCheckIn(ctx, p.URL, "beta", "front", betaToken, "203.0.113.5")
		if err != nil || status != http.StatusCreated {
			t.Errorf("the other kiosk's check-in = %d %v, want 201", status, err)
		} else {
			betaOK++
		}
		// Pacing, not waiting for anything: a kiosk's check-ins come apart,
		// spread across the flood.
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	took := time.Since(start)
	if len(wrong) > 0 {
		t.Errorf("%d answers were neither 201 nor 429 with Retry-After, e.g. %s", len(wrong), wrong[0])
	}
	if allowed := 10 + int64(took/time.Minute) + 1; accepted.Load() > allowed || accepted.Load() < 10 {
		t.Errorf("accepted %d of %d in %v, want 10 to %d (burst 10, 60/h)", accepted.Load(), n, took, allowed)
	}
	// Everything accepted is stored and sent, nothing else.
	want := int(accepted.Load())
	if !waitFor(ctx, 30*time.Second, func() bool { return roomMessages(fake, procRoom) >= want && roomMessages(fake, "room-beta") >= betaOK }) {
		t.Fatalf("messages: acme %d of %d, beta %d of %d", roomMessages(fake, procRoom), want, roomMessages(fake, "room-beta"), betaOK)
	}
	if got := storedVisits(t, p.URL, "acme"); got != want {
		t.Errorf("acme has %d visits stored, want %d", got, want)
	}
	logBytes := len(p.Stderr()) - logBefore
	// Stopped, the server has finished its sends; with nothing left pending
	// in its database, no extra message can come.
	p.Stop()
	withStoreOf(t, db, func(st reception.Store) { checkNothingPending(t, st, "acme", "beta") })
	if got := roomMessages(fake, procRoom); got != want {
		t.Errorf("acme's room got %d messages, want %d (one per accepted check-in)", got, want)
	}
	if got := roomMessages(fake, "room-beta"); got != betaOK {
		t.Errorf("beta's room got %d messages, want %d", got, betaOK)
	}
	outputText(t.Name()+": figures", fmt.Sprintf("%d check-ins with one kiosk token from 200 addresses in %v: %d accepted, %d refused with 429; "+
		"the other kiosk %d of 8 accepted; server log during the flood: %d bytes\n", n, took.Round(time.Millisecond), accepted.Load(), refused.Load(), betaOK, logBytes))
	t.Logf("%d check-ins in %v: %d accepted, %d refused (429); other kiosk %d/8; log %d bytes", n, took.Round(time.Millisecond), accepted.Load(), refused.Load(), betaOK, logBytes)
}

// setupBeta configures organization beta: its own bot at the fake and
// button front announcing to room-beta.
func setupBeta(t *testing.T, base string, fake *lineworkstest.Server) {
	t.Helper()
	sa := fake.NewServiceAccount("bot")
	botSecret := "botsecret-" + randomHex(16)
	secret("client secret", sa.ClientSecret)
	secret("bot secret", botSecret)
	privateKeySecrets("private key", sa.PrivateKey)
	api := base + apiPrefix
	mustCall(t, "PUT", api+"/orgs/beta", map[string]string{"name": "Beta", "locale": "ja"}, nil, http.StatusCreated)
	mustCall(t, "PUT", api+"/orgs/beta/lineworks", map[string]any{
		"clientId": sa.ClientID, "clientSecret": sa.ClientSecret, "serviceAccount": sa.ServiceAccountID,
		"privateKey": string(sa.PrivateKey), "botId": procBotID + 1, "botSecret": botSecret,
		"adminUserId": "admin-user", "scopes": []string{"bot"}, "rateLimit": 1_000_000,
	}, nil, http.StatusOK)
	mustCall(t, "PUT", api+"/orgs/beta/buttons/front", map[string]any{"label": "受付", "rooms": []string{"room-beta"}}, nil, http.StatusCreated)
}

// kioskToken issues org a new kiosk token and returns it: the server keeps
// only a hash, so a token is seen only in the answer that issues it.
func kioskToken(t *testing.T, base, org string) string {
	t.Helper()
	var o struct {
		Name, Locale string
		KioskToken   string `json:"kioskToken"`
	}
	mustCall(t, "GET", base+apiPrefix+"/orgs/"+org, nil, &o, http.StatusOK)
	if o.KioskToken != "" {
		t.Fatalf("GET /orgs/%s shows its kiosk token; only the answer that issues one may", org)
	}
	mustCall(t, "PUT", base+apiPrefix+"/orgs/"+org, map[string]any{"name": o.Name, "locale": o.Locale, "rotateKioskToken": true}, &o, http.StatusOK)
	if o.KioskToken == "" {
		t.Fatalf("organization %s: no kiosk token issued", org)
	}
	return o.KioskToken
}

// kioskCheckIn checks in as a kiosk behind the trusted proxy at addr.
func kioskCheckIn(ctx context.Context, base, org, button, token, addr string) (int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+apiPrefix+"/orgs/"+org+"/checkins", strings.NewReader(`{"buttonId":"`+button+`","visitor":{"name":"来訪 太郎"}}`))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := apiClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header, nil
}

func roomMessages(fake *lineworkstest.Server, room string) int {
	n := 0
	for _, m := range fake.Messages() {
		if m.ChannelID == room {
			n++
		}
	}
	return n
}

func storedVisits(t *testing.T, base, org string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, data, err := call(ctx, "GET", base+apiPrefix+"/orgs/"+org+"/visits?limit=10000", nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("listing visits: %d %v %s", status, err, data)
	}
	var out []json.RawMessage
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("visits: %v: %.300s", err, data)
	}
	return len(out)
}
