package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// No command prints the client secret, the key, the bot secret or an
// access token — except token --show, which exists to print the token.
func TestNoSecretsInOutput(t *testing.T) {
	t.Parallel()
	fe := newFake(t)
	cs := newCallbackServer(t, 2000001, fe.botSecret)
	setCallback(t, fe, cs.URL+"/callback/lineworks") // before registering: it re-seeds the bot
	fe.registerDomain(t)
	rc := newReception(t)
	keyLines := strings.Split(strings.TrimSpace(string(fe.sa.PrivateKey)), "\n")
	secrets := []string{fe.sa.ClientSecret, fe.botSecret, serverToken, keyLines[1], keyLines[len(keyLines)-2]}
	env := fe.with(EnvBotSecret, fe.botSecret, EnvServerURL, rc.URL, EnvOrg, "acme", EnvServerToken, serverToken)
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	_ = os.WriteFile(bodyFile, []byte(`{"type":"join","source":{"channelId":"c","domainId":1},"issuedTime":"2026-01-01T00:00:00.000Z"}`), 0o644)

	var all []result
	for _, args := range [][]string{
		{"token"}, {"token", "--json"}, {"verify"}, {"verify", "--json"},
		{"token", "--client-secret", "\u3000" + fe.sa.ClientSecret + " "},
		{"token", "--client-secret", fe.sa.ClientSecret + "x"},
		{"token", "--key", "testdata/not-a-key.txt"},
		{"bot", "get"}, {"bot", "get", "--json"}, {"bot", "list", "--json"},
		{"bot", "create", "--name", "n", "--photo-url", "https://example.com/p.png", "--admin", "a@example.com", "--json"},
		{"bot", "create", "--name", "n", "--photo-url", "https://example.com/p.png", "--admin", "a@example.com"},
		{"channel", "get", "channel-1", "--json"}, {"channel", "members", "channel-1"},
		{"send", "--channel", "channel-1", "--text", "x"},
		{"send", "--channel", "nope", "--text", strings.Repeat("x", 2001)},
		{"rooms"}, {"rooms", "--json"}, {"checkin", "--button", "b", "--name", "n", "--json"},
		{"rooms", "--org", "missing"},
		{"callback", "sign", bodyFile},
		{"callback", "send", "--url", cs.URL + "/callback/lineworks", "--bot", "2000001", "--tap", "d"},
		{"callback", "send", "--url", cs.URL + "/callback/lineworks", "--bot", "2000001", "--secret", "wrong", "--tap", "d"},
		{"profile", "save", "p"}, {"profile", "list"},
	} {
		r := run(t, env, "", args...)
		if r.code == ExitUsage {
			t.Errorf("%v: usage error\n%s", args, r)
		}
		all = append(all, r)
		for _, s := range secrets {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("%v printed a secret (%.6s…):\n%s", args, s, r)
			}
		}
		if tok := tokenRE.FindString(r.stdout + r.stderr); tok != "" {
			t.Errorf("%v printed an access token:\n%s", args, r)
		}
	}
	if len(all) == 0 {
		t.Fatal("nothing ran")
	}
	r := run(t, env, "", "token", "--show").want(t, ExitOK)
	if !tokenRE.MatchString(r.stdout) {
		t.Errorf("token --show does not print the token:\n%s", r)
	}
}
