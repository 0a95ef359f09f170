package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// Every command and subcommand answers -h with its usage on stdout and exit 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-h"}, {"help"}, {"token", "-h"}, {"verify", "-h"}, {"bot", "-h"},
		{"bot", "create", "-h"}, {"bot", "get", "-h"}, {"bot", "list", "-h"}, {"bot", "register", "-h"}, {"bot", "secret", "-h"},
		{"channel", "-h"}, {"channel", "get", "-h"}, {"channel", "members", "-h"},
		{"send", "-h"}, {"rooms", "-h"}, {"checkin", "-h"},
		{"callback", "-h"}, {"callback", "sign", "-h"}, {"callback", "send", "-h"},
		{"fake", "-h"}, {"profile", "-h"}, {"profile", "save", "-h"}, {"profile", "list", "-h"}, {"profile", "delete", "-h"},
		{"help", "send"}, {"send", "--help"},
	} {
		name := strings.Join(args, "_")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := run(t, nil, "", args...).want(t, ExitOK)
			if r.stderr != "" {
				t.Errorf("stderr: %q", r.stderr)
			}
			if !strings.Contains(r.stdout, "Usage: uketsuke") {
				t.Errorf("no usage on stdout:\n%s", r.stdout)
			}
			if args[0] != "help" && args[len(args)-1] == "-h" {
				name := strings.Join(args[:len(args)-1], "_")
				if name == "" {
					name = "uketsuke"
				}
				golden(t, "help/"+name, r.stdout)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage: uketsuke <command>"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"token", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"token", "extra"}, `unexpected argument "extra"`},
		{[]string{"bot"}, "a subcommand is required"},
		{[]string{"bot", "nope"}, `unknown subcommand "nope"`},
		{[]string{"bot", "create", "--name", "x"}, "--photo-url is required"},
		{[]string{"bot", "get", "abc"}, `bot ID "abc" is not a number`},
		{[]string{"bot", "register", "1"}, "--domain is required"},
		{[]string{"bot", "secret", "1"}, "--secret-out is required"},
		{[]string{"channel", "get"}, "a channel ID is required"},
		{[]string{"channel", "members", "a", "b"}, `unexpected argument "b"`},
		{[]string{"send", "--user", "u"}, "give exactly one of --text and --json"},
		{[]string{"send", "--user", "u", "--channel", "c", "--text", "x"}, "give exactly one of --channel and --user"},
		{[]string{"rooms", "--org", "o"}, "--server is required"},
		{[]string{"rooms", "--server", "x", "--org", "o"}, "need an absolute http(s) URL"},
		{[]string{"checkin", "--server", "http://x", "--org", "o", "--name", "n"}, "--button (or --code) is required"},
		{[]string{"checkin", "--server", "http://x", "--org", "o", "--button", "b", "--code", "123456"}, "--button and --code exclude each other"},
		{[]string{"checkin", "--server", "http://x", "--org", "o", "--button", "b", "--name", "n", "--count", "0"}, "--count must be at least 1"},
		{[]string{"callback", "sign"}, "--secret is required"},
		{[]string{"callback", "send", "--url", "http://x", "--secret", "s", "--bot", "1"}, "give exactly one of FILE, --tap, --message and --join"},
		{[]string{"callback", "send", "--url", "http://x", "--secret", "s", "--tap", "d"}, "--bot is required"},
		{[]string{"fake", "extra"}, `unexpected argument "extra"`},
		{[]string{"profile", "save"}, "a profile name is required"},
		{[]string{"profile", "save", "bad name"}, "profile name"},
	} {
		t.Run(strings.Join(tc.args, "_"), func(t *testing.T) {
			t.Parallel()
			r := run(t, nil, "", tc.args...).want(t, ExitUsage)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tc.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
		})
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	fe := newFake(t)

	r := run(t, fe.env, "", "token").want(t, ExitOK)
	golden(t, "token", fe.normalize(r.stdout))
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}

	r = run(t, fe.env, "", "token", "--json").want(t, ExitOK)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["accessToken"]; ok {
		t.Errorf("--json without --show prints the token: %s", r.stdout)
	}
	if diff := cmp.Diff([]any{"bot", "user.read"}, got["scopes"]); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}

	r = run(t, fe.env, "", "token", "--show", "--json").want(t, ExitOK)
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if tok, _ := got["accessToken"].(string); !tokenRE.MatchString(tok) {
		t.Errorf("token --show --json: accessToken %q", tok)
	}
}

func TestTokenFailureNamesTheCredential(t *testing.T) {
	t.Parallel()
	fe := newFake(t, "bot")
	_, otherKey := lineworkstest.GenerateKey()
	otherKeyFile := filepath.Join(t.TempDir(), "other.key")
	if err := os.WriteFile(otherKeyFile, otherKey, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"wrong secret", fe.env, []string{"--client-secret", "wrong-secret"}, []string{"invalid_client", "most likely wrong: client ID or client secret", "fields: clientId, clientSecret"}},
		// LINE WORKS answers a wrong client ID exactly like a wrong secret:
		// the message names both rather than blaming the secret.
		{"wrong client ID", fe.with(EnvClientID, "wrong-client-id"), nil, []string{"invalid_client", "fields: clientId, clientSecret"}},
		{"wrong key", fe.with(EnvPrivateKeyFile, otherKeyFile), nil, []string{"invalid_grant", "most likely wrong: service account ID or private key", "fields: serviceAccount, privateKey"}},
		{"scope not granted", fe.with(EnvScopes, "bot,user.read"), nil, []string{"lacks user.read", "most likely wrong: scopes", "fields: scopes"}},
		{"no client ID", fe.with(EnvClientID, ""), nil, []string{"clientId: required", "--client-id or UKETSUKE_CLIENT_ID"}},
		{"no key", fe.with(EnvPrivateKeyFile, ""), nil, []string{"privateKey: no key file given", "--key or UKETSUKE_PRIVATE_KEY_FILE"}},
		{"unreadable key", fe.with(EnvPrivateKeyFile, filepath.Join(t.TempDir(), "missing.key")), nil, []string{"privateKey: cannot read the key file"}},
		{"not a key", fe.with(EnvPrivateKeyFile, "testdata/not-a-key.txt"), nil, []string{"privateKey:", "no PEM block", "--key"}},
		{"bad service account", fe.with(EnvServiceAccount, "nobody"), nil, []string{"serviceAccount:", "--service-account"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tc.env, "", append([]string{"token"}, tc.args...)...).want(t, ExitFailure)
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
		})
	}
}

func TestSanitizeWarnsAndNamesFields(t *testing.T) {
	t.Parallel()
	fe := newFake(t)
	env := fe.with(EnvClientSecret, " "+fe.sa.ClientSecret+"\u3000", EnvBotID, "2000001\u200b")
	r := run(t, env, "", "bot", "get").want(t, ExitOK)
	for _, w := range []string{"warning: removed stray white space", "clientSecret", "botId"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not contain %q: %q", w, r.stderr)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	cb := newCallbackServer(t, 2000001, "")
	fe := newFake(t)
	setCallback(t, fe, cb.URL+"/callback/lineworks")
	fe.registerDomain(t)

	r := run(t, fe.env, "", "verify").want(t, ExitOK)
	golden(t, "verify_ok", fe.normalize(r.stdout, cb.URL, "http://CALLBACK"))

	r = run(t, fe.env, "", "verify", "--json").want(t, ExitOK)
	golden(t, "verify_ok_json", fe.normalize(r.stdout, cb.URL, "http://CALLBACK"))
	var out struct {
		OK     bool
		Checks []check
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || !out.OK || len(out.Checks) != 9 {
		t.Errorf("verify --json: ok %t, %d checks, err %v", out.OK, len(out.Checks), err)
	}
}

func TestVerifyFailures(t *testing.T) {
	t.Parallel()
	t.Run("unregistered bot without callback", func(t *testing.T) {
		t.Parallel()
		fe := newFake(t, "bot")
		r := run(t, fe.env, "", "verify", "--scopes", "bot").want(t, ExitFailure)
		golden(t, "verify_fail", fe.normalize(r.stdout))
	})
	t.Run("callback unreachable", func(t *testing.T) {
		t.Parallel()
		fe := newFake(t)
		setCallback(t, fe, "http://127.0.0.1:1/callback/lineworks")
		fe.registerDomain(t)
		r := run(t, fe.env, "", "verify").want(t, ExitFailure)
		if !strings.Contains(r.stdout, "✗ callback URL reachable: no answer") {
			t.Errorf("stdout:\n%s", r.stdout)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		fe := newFake(t)
		r := run(t, fe.with(EnvClientSecret, "wrong-secret"), "", "verify").want(t, ExitFailure)
		golden(t, "verify_wrong_secret", fe.normalize(r.stdout))
	})
	t.Run("no such bot", func(t *testing.T) {
		t.Parallel()
		fe := newFake(t)
		r := run(t, fe.env, "", "verify", "--bot-id", "999").want(t, ExitFailure)
		if !strings.Contains(r.stdout, "✗ bot exists: bot 999: GET /v1.0/bots/999: 404 NOT_FOUND") {
			t.Errorf("stdout:\n%s", r.stdout)
		}
	})
	t.Run("bad key", func(t *testing.T) {
		t.Parallel()
		fe := newFake(t)
		r := run(t, fe.with(EnvPrivateKeyFile, "testdata/not-a-key.txt"), "", "verify").want(t, ExitFailure)
		if !strings.Contains(r.stdout, "✗ private key parses: private key: no PEM block") || !strings.Contains(r.stdout, "- token issued") {
			t.Errorf("stdout:\n%s", r.stdout)
		}
	})
}

// setCallback points the seeded bot's callback at url through the API.
func setCallback(t *testing.T, fe *fakeEnv, url string) {
	t.Helper()
	ts, _ := fe.sa.TokenSource(context.Background())
	cl, _ := lineworks.NewClient(ts, lineworks.WithBaseURL(fe.fake.APIURL))
	// The fake, like LINE WORKS, wants https; a test server is http, so
	// seed the bot again instead of PATCHing it.
	b, _ := fe.fake.Bot(fe.botID)
	b.CallbackURL, b.EnableCallback = url, true
	fe.fake.AddBot(b)
	if got, err := cl.Bots.Get(context.Background(), fe.botID); err != nil || got.CallbackURL != url {
		t.Fatalf("seeding the callback URL: %v %+v", err, got)
	}
}

func TestBotCommands(t *testing.T) {
	t.Parallel()
	fe := newFake(t)

	secretFile := filepath.Join(t.TempDir(), "bot.secret")
	r := run(t, fe.env, "", "bot", "create", "--name", "受付通知", "--photo-url", "https://example.com/b.png",
		"--admin", "admin@example.com, sub@example.com", "--callback-url", "https://reception.example.com/callback/lineworks",
		"--secret-out", secretFile).want(t, ExitOK)
	golden(t, "bot_create", fe.normalize(r.stdout, secretFile, "SECRET_FILE"))
	created, ok := fe.fake.Bot(2000002)
	if !ok {
		t.Fatal("bot 2000002 was not created")
	}
	data, err := os.ReadFile(secretFile)
	if err != nil || strings.TrimSpace(string(data)) != created.BotSecret {
		t.Errorf("secret file: %q, %v", data, err)
	}
	if fi, _ := os.Stat(secretFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v", fi.Mode())
	}
	if strings.Contains(r.stdout+r.stderr, created.BotSecret) {
		t.Errorf("bot create printed the bot secret")
	}
	if diff := cmp.Diff([]string{"admin@example.com", "sub@example.com"}, created.Administrators); diff != "" {
		t.Errorf("administrators (-want +got):\n%s", diff)
	}

	r = run(t, fe.env, "", "bot", "get", "2000002").want(t, ExitOK)
	golden(t, "bot_get", r.stdout)
	r = run(t, fe.env, "", "bot", "get", "--json").want(t, ExitOK)
	golden(t, "bot_get_json", r.stdout)
	r = run(t, fe.env, "", "bot", "list").want(t, ExitOK)
	golden(t, "bot_list", r.stdout)
	r = run(t, fe.env, "", "bot", "list", "--json").want(t, ExitOK)
	golden(t, "bot_list_json", r.stdout)

	// bot secret voids the secret bot create issued and writes the new one.
	r = run(t, fe.env, "", "bot", "secret", "2000002", "--secret-out", secretFile).want(t, ExitOK)
	reissued, _ := fe.fake.Bot(2000002)
	data, err = os.ReadFile(secretFile)
	if err != nil || strings.TrimSpace(string(data)) != reissued.BotSecret || reissued.BotSecret == created.BotSecret {
		t.Errorf("bot secret: file %q, fake %q, before %q, %v", data, reissued.BotSecret, created.BotSecret, err)
	}
	if strings.Contains(r.stdout+r.stderr, reissued.BotSecret) || !strings.Contains(r.stdout, "previous one no longer works") {
		t.Errorf("bot secret printed:\n%s", r)
	}
	r = run(t, fe.env, "", "bot", "secret", "42", "--secret-out", secretFile).want(t, ExitFailure)
	if !strings.Contains(r.stderr, "404 NOT_FOUND") {
		t.Errorf("bot secret of an unknown bot: %q", r.stderr)
	}
	// Without --secret-out no secret is issued, and the tool says how to.
	r = run(t, fe.env, "", "bot", "create", "--name", "二台目", "--photo-url", "https://example.com/b.png", "--admin", "admin@example.com").want(t, ExitOK)
	if !strings.Contains(r.stdout, "not issued; run: uketsuke bot secret 2000003 --secret-out FILE") {
		t.Errorf("bot create without --secret-out:\n%s", r)
	}

	r = run(t, fe.env, "", "bot", "register", "2000002", "--domain", "10000001").want(t, ExitOK)
	golden(t, "bot_register", r.stdout)
	r = run(t, fe.env, "", "bot", "register", "2000002", "--domain", "10000001").want(t, ExitOK)
	if !strings.Contains(r.stdout, "already registered") {
		t.Errorf("second register: %s", r)
	}

	r = run(t, fe.env, "", "bot", "get", "42").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "uketsuke bot get: GET /v1.0/bots/42: 404 NOT_FOUND") {
		t.Errorf("stderr: %q", r.stderr)
	}
	r = run(t, fe.env, "", "bot", "create", "--name", "x", "--photo-url", "http://insecure", "--admin", "a").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "photoUrl") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

func TestChannelCommands(t *testing.T) {
	t.Parallel()
	fe := newFake(t)
	r := run(t, fe.env, "", "channel", "get", "channel-1").want(t, ExitOK)
	golden(t, "channel_get", r.stdout)
	r = run(t, fe.env, "", "channel", "members", "channel-1").want(t, ExitOK)
	golden(t, "channel_members", r.stdout)
	r = run(t, fe.env, "", "channel", "members", "channel-1", "--json").want(t, ExitOK)
	golden(t, "channel_members_json", r.stdout)
	r = run(t, fe.env, "", "channel", "get", "nope").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "uketsuke channel get:") || !strings.Contains(r.stderr, "404 NOT_FOUND") {
		t.Errorf("stderr: %q", r.stderr)
	}
	r = run(t, fe.with(EnvBotID, ""), "", "channel", "get", "channel-1").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "botId: no bot ID given (set --bot-id or UKETSUKE_BOT_ID)") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

func TestSend(t *testing.T) {
	t.Parallel()
	fe := newFake(t)
	r := run(t, fe.env, "", "send", "--channel", "channel-1", "--text", "来訪者です").want(t, ExitOK)
	golden(t, "send_text", r.stdout)

	button := `{"type":"button_template","contentText":"山田様がお見えです","actions":[{"type":"message","label":"対応します","postback":"uk1:accept:v1"}]}`
	file := filepath.Join(t.TempDir(), "button.json")
	if err := os.WriteFile(file, []byte(button), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, fe.env, "", "send", "--user", "admin@example.com", "--json", file).want(t, ExitOK)
	run(t, fe.env, `{"type":"sticker","packageId":"1","stickerId":"2"}`, "send", "--channel", "channel-1", "--json", "-").want(t, ExitOK)

	msgs := fe.fake.Messages()
	if len(msgs) != 3 {
		t.Fatalf("the fake got %d messages, want 3", len(msgs))
	}
	type sent struct{ ChannelID, UserID, Content string }
	var got []sent
	for _, m := range msgs {
		got = append(got, sent{m.ChannelID, m.UserID, string(m.Content)})
	}
	want := []sent{
		{"channel-1", "", `{"type":"text","text":"来訪者です"}`},
		{"", "admin@example.com", ""},
		{"channel-1", "", ""},
	}
	for i := range got[1:] {
		got[i+1].Content = "" // re-encoded by the client; compared below
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	var content map[string]any
	_ = json.Unmarshal(msgs[1].Content, &content)
	if content["type"] != "button_template" || content["contentText"] != "山田様がお見えです" {
		t.Errorf("button template arrived as %s", msgs[1].Content)
	}
}

// An invalid message is refused before any request, naming the field.
func TestSendInvalidContentMakesNoRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, content string
		args          []string
		want          string
	}{
		{"empty label", `{"type":"button_template","contentText":"x","actions":[{"type":"message","label":"","postback":"p"}]}`, nil, "actions[0].label"},
		{"unknown type", `{"type":"hologram"}`, nil, `type: unknown content type "hologram"`},
		{"request body instead of content", `{"content":{"type":"text","text":"x"}}`, nil, "type: is required"},
		{"not JSON", `{"type":`, nil, "invalid content"},
		{"text too long", "", []string{"--text", strings.Repeat("あ", 2001)}, "text: length 2001 exceeds 2000"},
		{"@All in a 1:1", `{"type":"text","text":"<m userId=\"all\"> hi"}`, []string{"--user", "u1"}, "all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fe := newFake(t)
			args := []string{"send"}
			if !contains(tc.args, "--user") {
				args = append(args, "--channel", "channel-1")
			}
			args = append(args, tc.args...)
			if tc.content != "" {
				args = append(args, "--json", "-")
			}
			r := run(t, fe.env, tc.content, args...).want(t, ExitFailure)
			if !strings.Contains(r.stderr, "uketsuke send: invalid content") || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr %q does not name %q", r.stderr, tc.want)
			}
			if n, m := fe.fake.TokenRequests(), fe.fake.APIRequests(); n != 0 || m != 0 {
				t.Errorf("%d token and %d API requests were made", n, m)
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestSendToUnknownChannelFails(t *testing.T) {
	t.Parallel()
	fe := newFake(t)
	fe.fake.SetStrictChannels(true)
	r := run(t, fe.env, "", "send", "--channel", "nope", "--text", "hi").want(t, ExitFailure)
	if !strings.Contains(r.stderr, "404") {
		t.Errorf("stderr: %q", r.stderr)
	}
}
