package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// result is one in-process run of the tool.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// run calls Main with env as the whole environment and stdin as input.
func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errb, mapEnv(env))
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func mapEnv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// want checks the exit code and prints everything when it is wrong.
func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\n%s", r.code, code, r)
	}
	return r
}

// fakeEnv is a lineworkstest server seeded with an app, a bot registered in
// the default domain, a channel and two users, and the UKETSUKE_*
// environment that points the tool at it.
type fakeEnv struct {
	fake      *lineworkstest.Server
	sa        *lineworks.ServiceAccount
	keyFile   string
	botID     int64
	botSecret string
	channelID string
	env       map[string]string
	config    string // XDG_CONFIG_HOME
}

func newFake(t *testing.T, scopes ...string) *fakeEnv {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"bot", "user.read"}
	}
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	sa := fake.NewServiceAccount(scopes...)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "private.key")
	if err := os.WriteFile(keyFile, sa.PrivateKey, 0o600); err != nil {
		t.Fatal(err)
	}
	fake.AddUser(lineworkstest.User{UserID: "admin@example.com", LastName: "管理", FirstName: "太郎"})
	botID := fake.AddBot(lineworkstest.Bot{
		BotName: "受付 Bot", Description: "reception", PhotoURL: "https://example.com/p.png",
		Administrators: []string{"admin@example.com"}, EnableGroupJoin: true,
		// Fixed, so that the golden output of "bot get --json" is stable.
		CreatedTime: "2026-01-05T09:00:00+09:00", ModifiedTime: "2026-01-05T09:00:00+09:00",
	})
	bot, _ := fake.Bot(botID)
	channelID := fake.AddChannel(botID, lineworkstest.Channel{ChannelID: "channel-1", Title: "受付", Members: []string{"admin@example.com", "staff@example.com"}})
	fe := &fakeEnv{fake: fake, sa: sa, keyFile: keyFile, botID: botID, botSecret: bot.BotSecret, channelID: channelID, config: filepath.Join(dir, "config")}
	fe.env = map[string]string{
		EnvClientID:       sa.ClientID,
		EnvClientSecret:   sa.ClientSecret,
		EnvServiceAccount: sa.ServiceAccountID,
		EnvPrivateKeyFile: keyFile,
		EnvScopes:         strings.Join(scopes, " "),
		EnvBotID:          "2000001",
		EnvAPIURL:         fake.APIURL,
		EnvAuthURL:        fake.URL + "/oauth2/v2.0/", // the base, as the server takes it
		"XDG_CONFIG_HOME": fe.config,
		"HOME":            dir,
	}
	if botID != 2000001 {
		t.Fatalf("seeded bot ID %d, the tests assume 2000001", botID)
	}
	return fe
}

// registerDomain registers the seeded bot in the default domain through the
// API, as an admin would.
func (fe *fakeEnv) registerDomain(t *testing.T) {
	t.Helper()
	ts, err := fe.sa.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cl, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fe.fake.APIURL))
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Bots.RegisterDomain(context.Background(), fe.botID, lineworkstest.DefaultDomainID, lineworks.DomainRegistration{Visible: true}); err != nil {
		t.Fatal(err)
	}
}

// with returns a copy of the environment with changes ("" deletes).
func (fe *fakeEnv) with(kv ...string) map[string]string {
	env := make(map[string]string, len(fe.env))
	for k, v := range fe.env {
		env[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(env, kv[i])
		} else {
			env[kv[i]] = kv[i+1]
		}
	}
	return env
}

var timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)

// normalize replaces what changes from run to run with placeholders.
func (fe *fakeEnv) normalize(s string, extra ...string) string {
	pairs := append([]string{
		fe.fake.URL, "http://FAKE",
		fe.sa.ClientID, "CLIENT_ID",
		fe.sa.ServiceAccountID, "SERVICE_ACCOUNT",
		fe.keyFile, "KEY_FILE",
	}, extra...)
	s = strings.NewReplacer(pairs...).Replace(s)
	return timeRE.ReplaceAllString(s, "TIME")
}

// golden compares got with testdata/name.golden, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.buf.Write(p)
}

// waitFor returns the contents once they contain substr, failing the test
// when ctx ends first.
func (b *syncBuffer) waitFor(t *testing.T, ctx context.Context, substr string) string {
	t.Helper()
	for {
		b.mu.Lock()
		s := b.buf.String()
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		ch := b.changed
		b.mu.Unlock()
		if strings.Contains(s, substr) {
			return s
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("waiting for %q: %v; got:\n%s", substr, ctx.Err(), s)
		}
	}
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tokenRE matches the access and refresh tokens lineworkstest issues.
var tokenRE = regexp.MustCompile(`fake1r?[0-9a-f]{32}`)
