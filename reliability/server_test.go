package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// These helpers run the server as its users do: the examples/server binary,
// built once per test binary, started as a process (see servertest).

// serverBinary builds github.com/uketsuke/uketsuke/examples/server once,
// or returns UKETSUKE_RELIABILITY_SERVER, a server binary built elsewhere
// (e.g. a release build to check).
func serverBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("UKETSUKE_RELIABILITY_SERVER"); bin != "" {
		return bin
	}
	return servertest.Build(t, "github.com/uketsuke/uketsuke/examples/server")
}

const adminToken = "reliability-admin-token-0123456789"

// startServer starts the binary with env (and none of the test's own
// UKETSUKE_* variables) on a loopback port. Its output is registered for
// the secret search.
func startServer(t testing.TB, name string, env map[string]string) *servertest.Process {
	t.Helper()
	p, err := tryStartServer(t, name, env)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tryStartServer is startServer returning why the server did not start.
func tryStartServer(t testing.TB, name string, env map[string]string) (*servertest.Process, error) {
	t.Helper()
	p := servertest.New(t, serverBinary(t), env)
	output(t.Name()+": "+name+" stdout", p.Stdout)
	output(t.Name()+": "+name+" stderr", p.Stderr)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// rssKiB returns VmRSS of the process from /proc, in KiB.
func rssKiB(p *servertest.Process) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.Pid())
}

// apiClient talks to the server's JSON API with the admin token.
var apiClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// call sends a JSON request and returns the status and body. A transport
// error is returned, not fatal: a server being killed answers with them.
func call(ctx context.Context, method, u string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := apiClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// mustCall is call that fails t unless the answer has status want.
func mustCall(t testing.TB, method, u string, body, out any, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, data, err := call(ctx, method, u, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	outputText("API answer "+method+" "+u, string(data))
	if status != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, u, status, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, u, err, data)
		}
	}
}

const (
	procBotID    int64 = 2000001
	procRoom           = "room-front"
	apiPrefix          = "/api/v1"
	secretKeyB64       = "cmVsaWFiaWxpdHktc3VpdGUtc2VjcmV0LWtleS0zMmI=" // 32 bytes
)

// serverEnv is the environment of a server on db reaching LINE WORKS
// through tp.
func serverEnv(tp *tap, db string) map[string]string {
	return map[string]string{
		"UKETSUKE_DEMO":               "0",
		"UKETSUKE_DB":                 db,
		"UKETSUKE_ADMIN_TOKEN":        adminToken,
		"UKETSUKE_SECRET_KEY":         secretKeyB64,
		"UKETSUKE_PUBLIC_URL":         "https://uketsuke.example.test",
		"UKETSUKE_LINEWORKS_API_URL":  tp.APIURL,
		"UKETSUKE_LINEWORKS_AUTH_URL": tp.AuthURL,
		"UKETSUKE_LEASE":              "2s",
	}
}

// setupServerOrg configures organization acme through the API: the
// integration (credentials of a fresh app at the fake), and button front
// announcing to procRoom. It returns the bot secret.
func setupServerOrg(t testing.TB, base string, fake *lineworkstest.Server) string {
	t.Helper()
	sa := fake.NewServiceAccount("bot")
	botSecret := "botsecret-" + randomHex(16)
	secret("client secret", sa.ClientSecret)
	secret("bot secret", botSecret)
	privateKeySecrets("private key", sa.PrivateKey)
	secret("admin token", adminToken)
	secret("secret key", secretKeyB64)
	api := base + apiPrefix
	mustCall(t, "PUT", api+"/orgs/acme", map[string]string{"name": "ACME", "locale": "ja"}, nil, http.StatusCreated)
	mustCall(t, "PUT", api+"/orgs/acme/lineworks", map[string]any{
		"clientId": sa.ClientID, "clientSecret": sa.ClientSecret, "serviceAccount": sa.ServiceAccountID,
		"privateKey": string(sa.PrivateKey), "botId": procBotID, "botSecret": botSecret,
		"adminUserId": "admin-user", "scopes": []string{"bot"}, "rateLimit": 1_000_000,
	}, nil, http.StatusOK)
	mustCall(t, "PUT", api+"/orgs/acme/buttons/front", map[string]any{"label": "受付", "rooms": []string{procRoom}}, nil, http.StatusCreated)
	return botSecret
}
