package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

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
	waitCtx, waitCancel := context.WithTimeout(ctx, 10*time.Second)
	out.waitFor(t, waitCtx, want[1])
	waitCancel()
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
	out.waitFor(t, ctx, "type \"invite TITLE\"")

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

	// "tap 2" taps the second button of the newest message with buttons,
	// as the sign-in user, in its room: the bot's callback gets the
	// postback, signed with the bot's secret.
	ev, err = lineworks.ParseEvent(d.body)
	if err != nil {
		t.Fatal(err)
	}
	room := ev.EventSource().ChannelID
	content := filepath.Join(dir, "buttons.json")
	if err := os.WriteFile(content, []byte(`{"type":"button_template","contentText":"来客です","actions":[`+
		`{"type":"message","label":"対応します","postback":"accept:v1"},{"type":"message","label":"他の人に対応を依頼","postback":"escalate:v1"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, env, "", "send", "--bot-id", newBot, "--channel", room, "--json", content).want(t, ExitOK)
	fmt.Fprintln(typed, "tap 2")
	select {
	case d = <-joins:
	case <-ctx.Done():
		t.Fatalf("no tap callback; fake printed:\n%s", out.String())
	}
	if err := lineworks.VerifySignature(strings.TrimSpace(string(secret)), d.body, d.sig); err != nil {
		t.Errorf("the tap is not signed with the bot's secret: %v", err)
	}
	tap, err := lineworks.ParseEvent(d.body)
	data, ok := lineworks.Tap(tap)
	if err != nil || !ok || data != "escalate:v1" || tap.EventSource().ChannelID != room || tap.EventSource().UserID != lineworkstest.AdminUserID {
		t.Errorf("tap callback = %s (%v), want escalate:v1 from the admin in %s", d.body, err, room)
	}
	out.waitFor(t, ctx, `tapped "他の人に対応を依頼" as admin@example.com`)
	fmt.Fprintln(typed, "tap 3")
	out.waitFor(t, ctx, "tap: no message with 3 buttons")

	// "say TEXT" writes to the newest bot 1:1 as the sign-in user: a
	// message event without a channel, signed with the bot's secret.
	fmt.Fprintln(typed, "say 来客予約 明日 14:00 テスト商事 佐藤様")
	select {
	case d = <-joins:
	case <-ctx.Done():
		t.Fatalf("no message callback; fake printed:\n%s", out.String())
	}
	if err := lineworks.VerifySignature(strings.TrimSpace(string(secret)), d.body, d.sig); err != nil {
		t.Errorf("the message is not signed with the bot's secret: %v", err)
	}
	said, err := lineworks.ParseEvent(d.body)
	msg, ok := said.(lineworks.MessageEvent)
	if err != nil || !ok || msg.Source.ChannelID != "" || msg.Source.UserID != lineworkstest.AdminUserID {
		t.Fatalf("say callback = %s (%v), want a 1:1 message from the admin", d.body, err)
	}
	if txt, _ := msg.Content.(lineworks.ReceivedText); txt.Text != "来客予約 明日 14:00 テスト商事 佐藤様" {
		t.Errorf("say sent %#v", msg.Content)
	}
	out.waitFor(t, ctx, `said "来客予約 明日 14:00 テスト商事 佐藤様" to bot `+newBot)
	fmt.Fprintln(typed, "say")
	out.waitFor(t, ctx, "say: a text is required")

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
