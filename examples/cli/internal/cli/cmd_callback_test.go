package cli

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/uketsuke/uketsuke/lineworks"
)

// callbackServer is an httptest server running lineworks.NewCallbackReceiver
// for one bot, recording what it accepted.
type callbackServer struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	got    []*lineworks.Callback
}

const testBotSecret = "bot-secret-for-tests-0123456789"

func newCallbackServer(t *testing.T, botID int64, secret string) *callbackServer {
	t.Helper()
	if secret == "" {
		secret = testBotSecret
	}
	cs := &callbackServer{secret: secret}
	h, err := lineworks.NewCallbackReceiver(func(_ context.Context, id int64) (string, error) {
		if id != botID {
			return "", fmt.Errorf("unknown bot %d", id)
		}
		return secret, nil
	}, func(_ context.Context, cb *lineworks.Callback) error {
		cs.mu.Lock()
		defer cs.mu.Unlock()
		cs.got = append(cs.got, cb)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/callback/lineworks", h)
	cs.Server = httptest.NewServer(mux)
	t.Cleanup(cs.Close)
	return cs
}

func (cs *callbackServer) callbacks() []*lineworks.Callback {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]*lineworks.Callback(nil), cs.got...)
}

func TestCallbackSign(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"message","source":{"userId":"u","domainId":1},"issuedTime":"2026-01-01T00:00:00.000Z","content":{"type":"text","text":"こんにちは"}}` + "\n")
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil)) + "\n"

	r := run(t, nil, "", "callback", "sign", "--secret", "s3cret", file).want(t, ExitOK)
	if r.stdout != want {
		t.Errorf("sign FILE = %q, want %q", r.stdout, want)
	}
	r = run(t, map[string]string{EnvBotSecret: "s3cret"}, string(body), "callback", "sign").want(t, ExitOK)
	if r.stdout != want {
		t.Errorf("sign stdin = %q, want %q", r.stdout, want)
	}
	if err := lineworks.VerifySignature("s3cret", body, strings.TrimSpace(r.stdout)); err != nil {
		t.Errorf("lineworks.VerifySignature: %v", err)
	}
	if strings.Contains(r.stdout+r.stderr, "s3cret") {
		t.Error("the secret was echoed")
	}
}

func TestCallbackSendTap(t *testing.T) {
	t.Parallel()
	cs := newCallbackServer(t, 2000001, "")
	url := cs.URL + "/callback/lineworks"
	r := run(t, map[string]string{EnvBotSecret: testBotSecret}, "", "callback", "send", "--url", url, "--bot", "2000001",
		"--tap", "uk1:accept:visit-42", "--user", "staff@example.com", "--channel", "channel-1").want(t, ExitOK)
	if got := strings.ReplaceAll(r.stdout, cs.URL, "http://CALLBACK"); got != "POST http://CALLBACK/callback/lineworks (message event with postback \"uk1:accept:visit-42\", bot 2000001): 200 OK\n" {
		t.Errorf("stdout: %q", got)
	}
	cbs := cs.callbacks()
	if len(cbs) != 1 {
		t.Fatalf("the handler accepted %d callbacks, want 1", len(cbs))
	}
	ev := cbs[0].Event
	me, ok := ev.(lineworks.MessageEvent)
	if !ok {
		t.Fatalf("event %T, want MessageEvent", ev)
	}
	text, ok := me.Content.(lineworks.ReceivedText)
	if !ok {
		t.Fatalf("content %T, want ReceivedText", me.Content)
	}
	type tap struct{ User, Channel, Text, Postback string }
	if diff := cmp.Diff(tap{"staff@example.com", "channel-1", "対応します", "uk1:accept:visit-42"},
		tap{me.Source.UserID, me.Source.ChannelID, text.Text, text.Postback}); diff != "" {
		t.Errorf("tap (-want +got):\n%s", diff)
	}
	if cbs[0].BotID != 2000001 {
		t.Errorf("bot %d", cbs[0].BotID)
	}
}

func TestCallbackSendFileAndErrors(t *testing.T) {
	t.Parallel()
	cs := newCallbackServer(t, 2000001, "")
	url := cs.URL + "/callback/lineworks"
	file := filepath.Join(t.TempDir(), "join.json")
	if err := os.WriteFile(file, []byte(`{"type":"join","source":{"channelId":"c","domainId":1},"issuedTime":"2026-01-01T00:00:00.000Z"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, nil, "", "callback", "send", "--url", url, "--bot", "2000001", "--secret", testBotSecret, file).want(t, ExitOK)
	run(t, nil, "", "callback", "send", "--url", url, "--bot", "2000001", "--secret", testBotSecret, "--join", "room-9").want(t, ExitOK)
	if n := len(cs.callbacks()); n != 2 {
		t.Errorf("accepted %d callbacks, want 2", n)
	}

	r := run(t, nil, "", "callback", "send", "--url", url, "--bot", "2000001", "--secret", "wrong-secret", "--message", "hi").want(t, ExitFailure)
	if !strings.Contains(r.stdout, "401 Unauthorized") || !strings.Contains(r.stderr, "is the bot secret right for bot 2000001?") {
		t.Errorf("wrong secret:\n%s", r)
	}
	r = run(t, nil, "", "callback", "send", "--url", "http://127.0.0.1:1/cb", "--bot", "1", "--secret", "x", "--message", "hi").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "connection refused") && !strings.Contains(r.stderr, "connect") {
		t.Errorf("unreachable:\n%s", r)
	}
}
