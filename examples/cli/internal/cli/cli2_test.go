package cli

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// tokenRE matches the access and refresh tokens lineworkstest issues.
var tokenRE = regexp.MustCompile(`fake1r?[0-9a-f]{32}`)

// callbackServer is an httptest server running lineworks.NewCallbackHandler
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

// reception is an httptest server with exactly the two routes of the
// uketsuke server's JSON API the tool uses.
type reception struct {
	*httptest.Server
	mu       sync.Mutex
	checkins []map[string]any
}

const serverToken = "server-api-token-abcdef"

func newReception(t *testing.T) *reception {
	t.Helper()
	rc := &reception{}
	mux := http.NewServeMux()
	auth := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer "+serverToken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid API token"}`)
			return false
		}
		return true
	}
	mux.HandleFunc("POST /api/v1/orgs/{org}/checkins", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"error":"bad JSON"}`, http.StatusBadRequest)
			return
		}
		if body["staffId"] == "ghost" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"no staff member with this ID","field":"staffId"}`)
			return
		}
		if r.PathValue("org") != "acme" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"no such organization"}`)
			return
		}
		rc.mu.Lock()
		rc.checkins = append(rc.checkins, body)
		n := len(rc.checkins)
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"visitId":"visit-%d"}`, n)
	})
	mux.HandleFunc("GET /api/v1/orgs/{org}/rooms", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"channelId":"channel-1","title":"受付","joinedAt":"2026-01-01T09:00:00Z"},{"channelId":"channel-2","title":"総務","joinedAt":"2026-01-01T09:00:00Z","leftAt":"2026-01-02T09:00:00Z"}]`)
	})
	rc.Server = httptest.NewServer(mux)
	t.Cleanup(rc.Close)
	return rc
}

func TestRooms(t *testing.T) {
	t.Parallel()
	rc := newReception(t)
	r := run(t, nil, "", "rooms", "--server", rc.URL, "--org", "acme", "--token", serverToken).want(t, ExitOK)
	golden(t, "rooms", r.stdout)
	env := map[string]string{EnvServerURL: rc.URL + "/", EnvOrg: "acme", EnvServerToken: serverToken}
	r = run(t, env, "", "rooms", "--json").want(t, ExitOK)
	golden(t, "rooms_json", r.stdout)

	r = run(t, env, "", "rooms", "--token", "wrong").want(t, ExitFailure)
	want := "uketsuke rooms: GET " + rc.URL + "/api/v1/orgs/acme/rooms: 401 Unauthorized: invalid API token (check --token or UKETSUKE_SERVER_TOKEN)\n"
	if r.stderr != want {
		t.Errorf("stderr:\n%q\nwant\n%q", r.stderr, want)
	}
}

func TestCheckin(t *testing.T) {
	t.Parallel()
	rc := newReception(t)
	r := run(t, nil, "", "checkin", "--server", rc.URL, "--org", "acme", "--token", serverToken,
		"--button", "front", "--name", "山田 太郎", "--company", "山田商事", "--count", "2", "--staff", "staff-1").want(t, ExitOK)
	golden(t, "checkin", r.stdout)
	r = run(t, map[string]string{EnvServerToken: serverToken}, "", "checkin", "--server", rc.URL, "--org", "acme",
		"--button", "front", "--name", "Jane", "--json").want(t, ExitOK)
	golden(t, "checkin_json", r.stdout)

	want := []map[string]any{
		{"buttonId": "front", "visitor": map[string]any{"name": "山田 太郎", "company": "山田商事", "count": 2.0}, "staffId": "staff-1"},
		{"buttonId": "front", "visitor": map[string]any{"name": "Jane", "count": 1.0}},
	}
	rc.mu.Lock()
	got := rc.checkins
	rc.mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request bodies (-want +got):\n%s", diff)
	}

	r = run(t, nil, "", "checkin", "--server", rc.URL, "--org", "other", "--token", serverToken, "--button", "b", "--name", "n").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "404 Not Found: no such organization (check --server and --org)") {
		t.Errorf("stderr: %q", r.stderr)
	}
	r = run(t, nil, "", "checkin", "--server", rc.URL, "--org", "acme", "--token", serverToken, "--button", "b", "--name", "n", "--staff", "ghost").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "400 Bad Request: no staff member with this ID; field staffId\n") {
		t.Errorf("stderr: %q", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, serverToken) {
		t.Error("the server token was echoed")
	}
}

// TestServerBadInput: a token with inner white space and a server URL with
// a password are refused, naming the setting without echoing the secret.
func TestServerBadInput(t *testing.T) {
	t.Parallel()
	r := run(t, map[string]string{EnvServerToken: "tok en-secret"}, "", "rooms", "--server", "http://127.0.0.1:1", "--org", "acme").want(t, ExitUsage)
	if !strings.Contains(r.stderr, EnvServerToken) || strings.Contains(r.stderr, "en-secret") {
		t.Errorf("stderr: %q", r.stderr)
	}
	r = run(t, nil, "", "rooms", "--server", "http://u:url-secret@127.0.0.1:1", "--org", "acme").want(t, ExitUsage)
	if !strings.Contains(r.stderr, "--server") || strings.Contains(r.stderr, "url-secret") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

func TestTokenURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://auth.worksmobile.com/oauth2/v2.0":           "https://auth.worksmobile.com/oauth2/v2.0/token",
		"https://auth.worksmobile.com/oauth2/v2.0/":          "https://auth.worksmobile.com/oauth2/v2.0/token",
		"https://auth.worksmobile.com/oauth2/v2.0/token":     "https://auth.worksmobile.com/oauth2/v2.0/token",
		"https://auth.worksmobile.com/oauth2/v2.0/authorize": "https://auth.worksmobile.com/oauth2/v2.0/token",
		"http://127.0.0.1:8089/oauth2/v2.0":                  "http://127.0.0.1:8089/oauth2/v2.0/token",
	} {
		if got, err := tokenURL(in); err != nil || got != want {
			t.Errorf("tokenURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "auth.worksmobile.com", "ftp://x/y"} {
		if _, err := tokenURL(bad); err == nil || !strings.Contains(err.Error(), EnvAuthURL) {
			t.Errorf("tokenURL(%q): %v", bad, err)
		}
	}
}

// The round trip: fake runs through Main on an ephemeral port; token and
// send run against it with the environment it wrote; the message shows up
// in fake's output.
func TestFakeRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	envFile := filepath.Join(dir, "fake.env")
	keyFile := filepath.Join(dir, "fake.key")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"fake", "--addr", "127.0.0.1:0", "--env-out", envFile, "--key-out", keyFile}, nil, &out, &errb, mapEnv(nil))
	}()

	env := waitEnvFile(t, envFile, done, &errb)
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi, err)
	}
	if fi, _ := os.Stat(envFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("env file mode %v", fi.Mode())
	}
	for _, k := range []string{EnvClientID, EnvClientSecret, EnvServiceAccount, EnvPrivateKeyFile, EnvScopes, EnvBotID, EnvBotSecret, EnvAPIURL, EnvAuthURL, EnvFakeChannelID, EnvFakeDomainID, EnvFakeSignInUser} {
		if env[k] == "" {
			t.Errorf("%s missing from the env file", k)
		}
		if !strings.HasPrefix(k, "UKETSUKE_FAKE_") && !strings.Contains(out.String(), "export "+k+"=") {
			t.Errorf("fake did not print export %s", k)
		}
	}
	env["XDG_CONFIG_HOME"] = dir
	// Who signs in, and where, is printed for a person trying the set-up.
	if env[EnvFakeSignInUser] != lineworkstest.AdminUserID || env[EnvFakeDomainID] != fmt.Sprint(lineworkstest.DefaultDomainID) {
		t.Errorf("env file: sign-in user %q, domain %q", env[EnvFakeSignInUser], env[EnvFakeDomainID])
	}
	for _, want := range []string{
		fmt.Sprintf("  domain ID:        %d\n", lineworkstest.DefaultDomainID),
		fmt.Sprintf("  sign-in user:     %s (admin@example.com, 管理 太郎, administrator)", lineworkstest.AdminUserID),
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("fake did not print %q:\n%s", want, out.String())
		}
	}

	r := run(t, env, "", "token").want(t, ExitOK)
	if !strings.Contains(r.stdout, "scopes:  bot user.read") {
		t.Errorf("token:\n%s", r)
	}
	run(t, env, "", "verify").want(t, ExitFailure) // the seeded bot has no callback URL
	run(t, env, "", "send", "--channel", env[EnvFakeChannelID], "--text", "round trip 来訪").want(t, ExitOK)
	run(t, env, "", "send", "--user", "staff@example.com", "--text", "personal").want(t, ExitOK)
	// Strict by default, like LINE WORKS: the bot is not in this room.
	if r := run(t, env, "", "send", "--channel", "no-such-room", "--text", "lost").want(t, ExitFailure); !strings.Contains(r.stderr, "404") {
		t.Errorf("send to an unknown channel:\n%s", r)
	}

	want := []string{
		fmt.Sprintf(`message: bot %s → channel %s: {"type":"text","text":"round trip 来訪"}`, env[EnvBotID], env[EnvFakeChannelID]),
		fmt.Sprintf(`message: bot %s → user staff@example.com: {"type":"text","text":"personal"}`, env[EnvBotID]),
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want[1]) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "message: ") {
			lines = append(lines, sc.Text())
		}
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("messages printed by fake (-want +got):\n%s", diff)
	}

	// The flags fake prints work as well as the environment.
	flagLine := ""
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "uketsuke send ") {
			flagLine = strings.TrimSpace(l)
		}
	}
	args := shellSplit(t, strings.TrimPrefix(flagLine, "uketsuke "))
	run(t, map[string]string{"XDG_CONFIG_HOME": dir}, "", args...).want(t, ExitOK)

	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("fake exited %d\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fake did not stop when its context ended")
	}
}

// A person at the fake's terminal invites the bot into a named room, as in
// the LINE WORKS app: the bot's callback URL gets a join event signed with
// the bot's secret, and the channel API names the room.
func TestFakeInvite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	envFile := filepath.Join(dir, "fake.env")
	type delivery struct {
		body []byte
		sig  string
	}
	joins := make(chan delivery, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		joins <- delivery{body, r.Header.Get("X-WORKS-Signature")}
	}))
	defer cb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stdin, typed := io.Pipe()
	defer typed.Close()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"fake", "--addr", "127.0.0.1:0", "--env-out", envFile, "--callback-url", cb.URL + "/callback/lineworks"}, stdin, &out, &errb, mapEnv(nil))
	}()
	env := waitEnvFile(t, envFile, done, &errb)
	out.waitFor(t, ctx, "type \"invite ROOM TITLE\"")

	fmt.Fprintln(typed, "invite 受付ロビー")
	var d delivery
	select {
	case d = <-joins:
	case <-ctx.Done():
		t.Fatalf("no join event; fake printed:\n%s", out.String())
	}
	if err := lineworks.VerifySignature(env[EnvBotSecret], d.body, d.sig); err != nil {
		t.Errorf("join event not signed with the bot secret: %v", err)
	}
	ev, err := lineworks.ParseEvent(d.body)
	join, ok := ev.(lineworks.JoinEvent)
	if err != nil || !ok || join.Source.ChannelID == "" {
		t.Fatalf("callback = %T %s, %v", ev, d.body, err)
	}
	out.waitFor(t, ctx, fmt.Sprintf("invited bot %s into %q (channel %s); join event sent to %s", env[EnvBotID], "受付ロビー", join.Source.ChannelID, cb.URL))
	r := run(t, env, "", "channel", "get", join.Source.ChannelID).want(t, ExitOK)
	if !strings.Contains(r.stdout, "受付ロビー") || !strings.Contains(r.stdout, "MULTI_USERS") {
		t.Errorf("channel get:\n%s", r)
	}

	fmt.Fprintln(typed, "invite")
	out.waitFor(t, ctx, "invite: a room title is required")
	fmt.Fprintln(typed, "invite 42 会議室") // no bot 42: the whole line is the title
	out.waitFor(t, ctx, fmt.Sprintf("invited bot %s into %q", env[EnvBotID], "42 会議室"))
	fmt.Fprintln(typed, "dance")
	out.waitFor(t, ctx, `unknown command "dance"`)

	// A bot a local server creates through the API, with an http://127.0.0.1
	// callback URL (this fake accepts one; LINE WORKS would not), is the
	// one "invite TITLE" invites: nobody copies its ID.
	secretFile := filepath.Join(dir, "bot.secret")
	r = run(t, env, "", "bot", "create", "--name", "受付", "--photo-url", "https://example.com/bot.png", "--admin", "admin@example.com",
		"--description", "来客受付", "--callback-url", cb.URL+"/callback/lineworks", "--group-join", "--secret-out", secretFile).want(t, ExitOK)
	var newBot string
	if _, err := fmt.Sscanf(r.stdout, "bot created: %s", &newBot); err != nil || newBot == env[EnvBotID] {
		t.Fatalf("bot create printed %q", r.stdout)
	}
	run(t, env, "", "bot", "register", newBot, "--domain", env["UKETSUKE_FAKE_DOMAIN_ID"]).want(t, ExitOK)
	for len(joins) > 0 {
		<-joins // the join of "invite 42 会議室", already reported above
	}
	fmt.Fprintln(typed, "invite 2F 受付")
	select {
	case d = <-joins:
	case <-ctx.Done():
		t.Fatalf("no join event for the new bot; fake printed:\n%s", out.String())
	}
	secret, _ := os.ReadFile(secretFile)
	if err := lineworks.VerifySignature(strings.TrimSpace(string(secret)), d.body, d.sig); err != nil {
		t.Errorf("the join of 'invite 2F 受付' is not the new bot's: %v", err)
	}
	out.waitFor(t, ctx, fmt.Sprintf("invited bot %s into %q", newBot, "2F 受付"))

	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("fake exited %d\n%s", code, errb.String())
	}
}

func waitEnvFile(t *testing.T, path string, done chan int, errb *syncBuffer) map[string]string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			env := map[string]string{}
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				k, v, _ := strings.Cut(l, "=")
				if u, err := strconv.Unquote(strings.ReplaceAll(v, "'", `"`)); err == nil && strings.HasPrefix(v, "'") {
					v = u
				}
				env[k] = v
			}
			return env
		}
		select {
		case code := <-done:
			t.Fatalf("fake exited %d before writing %s:\n%s", code, path, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("fake did not write %s", path)
		}
	}
}

// shellSplit splits a command line with single-quoted words.
func shellSplit(t *testing.T, s string) []string {
	t.Helper()
	var args []string
	var cur strings.Builder
	inQuote, inWord := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			inQuote, inWord = !inQuote, true
		case r == ' ' && !inQuote:
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	fe := newFake(t)
	// Only the config location in the environment: the credentials come
	// from flags when saving and from the profile afterwards.
	base := map[string]string{"XDG_CONFIG_HOME": fe.config}
	flags := []string{"--client-id", fe.sa.ClientID, "--client-secret", fe.sa.ClientSecret, "--service-account", fe.sa.ServiceAccountID,
		"--key", fe.keyFile, "--bot-id", "2000001", "--api-url", fe.fake.APIURL, "--auth-url", fe.fake.TokenURL}
	r := run(t, base, "", append([]string{"profile", "save", "dev"}, flags...)...).want(t, ExitOK)
	golden(t, "profile_save", fe.normalize(r.stdout, fe.config, "CONFIG"))

	path := filepath.Join(fe.config, "uketsuke", "profiles.json")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile file: %v %v", fi, err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "PRIVATE KEY") || !strings.Contains(string(data), fe.keyFile) {
		t.Errorf("the profile must hold the key's path, not the key:\n%s", data)
	}

	run(t, base, "", "token").want(t, ExitFailure) // no profile selected, no "default"
	run(t, base, "", "token", "--profile", "dev").want(t, ExitOK)
	run(t, map[string]string{"XDG_CONFIG_HOME": fe.config, EnvProfile: "dev"}, "", "send", "--channel", "channel-1", "--text", "via profile").want(t, ExitOK)
	r = run(t, base, "", "token", "--profile", "nope").want(t, ExitFailure)
	if !strings.Contains(r.stderr, `no profile "nope"`) {
		t.Errorf("stderr: %q", r.stderr)
	}

	// Precedence: flags > environment > profile.
	withEnv := map[string]string{"XDG_CONFIG_HOME": fe.config, EnvClientSecret: "wrong-from-env"}
	run(t, withEnv, "", "token", "--profile", "dev").want(t, ExitFailure)
	run(t, withEnv, "", "token", "--profile", "dev", "--client-secret", fe.sa.ClientSecret).want(t, ExitOK)

	// "default" is used without --profile.
	run(t, base, "", append([]string{"profile", "save", "default"}, flags...)...).want(t, ExitOK)
	run(t, base, "", "token").want(t, ExitOK)
	r = run(t, base, "", "profile", "list").want(t, ExitOK)
	golden(t, "profile_list", fe.normalize(r.stdout))
	run(t, base, "", "profile", "delete", "default").want(t, ExitOK)
	run(t, base, "", "token").want(t, ExitFailure)
}

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

// fake --tls serves https and writes the CA it printed; a client other than
// ours that trusts that file (as SSL_CERT_FILE would make it) gets a token.
func TestFakeTLSWritesTheCA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	envFile, caFile := filepath.Join(dir, "fake.env"), filepath.Join(dir, "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"fake", "--tls", "--ca-out", caFile, "--addr", "127.0.0.1:0", "--env-out", envFile}, nil, &out, &errb, mapEnv(nil))
	}()
	env := waitEnvFile(t, envFile, done, &errb)
	if !strings.HasPrefix(env[EnvAPIURL], "https://") {
		t.Errorf("API URL %q is not https", env[EnvAPIURL])
	}
	if want := "export SSL_CERT_FILE=" + caFile; !strings.Contains(out.String(), want) {
		t.Errorf("fake did not print %q:\n%s", want, out.String())
	}
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("no certificate in the CA file")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	// No token: the answer is the JSON 401 of the API, over verified TLS.
	resp, err := c.Get(env[EnvAPIURL] + "bots")
	if err != nil {
		t.Fatalf("https with the printed CA: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET bots without a token: %d, want 401", resp.StatusCode)
	}
	cancel()
	<-done
}
