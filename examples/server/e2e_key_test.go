package main

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// TestRestartWithAnotherKey is the secret-key trap as a user meets it: the
// server restarted on the same database with a new key (an inline
// `openssl rand` on every start) must not start and look healthy; it exits
// non-zero naming the key setting. Restarted with the key that sealed the
// secrets, it delivers.
func TestRestartWithAnotherKey(t *testing.T) {
	t.Parallel()
	bin := serverBinary(t)
	fake := lineworkstest.NewServer()
	defer fake.Close()
	envA := e2eEnv(fake, t.TempDir())
	envA["UKETSUKE_SECRET_KEY"] = keyA
	envB := maps.Clone(envA)
	envB["UKETSUKE_SECRET_KEY"] = keyB

	p := startServer(t, bin, envA)
	setupOrg(t, p.URL, fake)
	p.Stop()

	wrong := servertest.New(t, bin, envB)
	if err := wrong.Start(); err == nil {
		t.Fatalf("the server started with another key; stdout:\n%s", wrong.Stdout())
	}
	if err := wrong.Wait(); err == nil {
		t.Error("the server refused to start but exited 0")
	}
	stderr := wrong.Stderr()
	for _, want := range []string{"UKETSUKE_SECRET_KEY", "acme"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not name %q:\n%s", want, stderr)
		}
	}
	for _, secret := range []string{keyA, keyB, e2eBotSecret} {
		if strings.Contains(stderr+wrong.Stdout(), secret) {
			t.Errorf("the refusal shows a secret (%.8s…)", secret)
		}
	}

	p = startServer(t, bin, envA)
	defer p.Stop()
	if status, body := get(t, p.URL+"/readyz"); status != http.StatusOK {
		t.Errorf("/readyz with the right key = %d %s", status, body)
	}
	call(t, "POST", p.URL+httpserver.APIPrefix+"/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": "鈴木 一郎"}}, nil, http.StatusCreated)
	msgs := waitMessages(t, fake, 1, p)
	if msgs[0].ChannelID != e2eRoom || !strings.Contains(contentOf(t, msgs[0]).Text, "鈴木 一郎") {
		t.Errorf("delivered %+v %s, want the check-in in %s", msgs[0], msgs[0].Content, e2eRoom)
	}
}
