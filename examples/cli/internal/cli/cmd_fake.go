package cli

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// EnvFakeChannelID names the seeded channel in fake's --env-out file (the
// other variables there are the credential variables).
const EnvFakeChannelID = "UKETSUKE_FAKE_CHANNEL_ID"

func (a *app) cmdFake(args []string) error {
	c := newCmd("fake", "[flags]", `
Run a fake LINE WORKS (package lineworkstest) on --addr for local
development without a tenant: an auth server that checks JWT assertions
like the real one, the Bot API, and a record of every message. It registers
an app, seeds a bot (registered in domain 10000001), a talk room and two
users, writes the app's private key to --key-out (mode 0600), and prints the
credentials, the URLs and the exact environment variables and flags for the
server and this tool. The credentials are fake, so they are printed in full.

Every message the fake receives is printed to stdout as it arrives, one
line each. It runs until interrupted (Ctrl-C).`)
	addr := c.fs.String("addr", "127.0.0.1:8089", "`ADDRESS` to listen on (port 0 picks a free one)")
	keyOut := c.fs.String("key-out", "", "write the private key to `FILE` (default a new temporary file, removed on exit)")
	envOut := c.fs.String("env-out", "", "also write the environment variables to `FILE` (KEY=VALUE lines, mode 0600)")
	scopes := c.fs.String("scopes", DefaultScopes, "scopes granted to the fake app")
	callbackURL := c.fs.String("callback-url", "", "callback `URL` of the seeded bot, e.g. http://localhost:8080/callback/lineworks")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return a.usageErr(c, "unexpected argument %q", pos[0])
	}
	granted := splitScopes(*scopes)
	if len(granted) == 0 {
		return a.usageErr(c, "--scopes is empty")
	}

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	fake := lineworkstest.NewServerOn(l)
	defer fake.Close()

	sa := fake.NewServiceAccount(granted...)
	keyPath := *keyOut
	if keyPath == "" {
		f, err := os.CreateTemp("", "uketsuke-fake-*.key") // 0600
		if err != nil {
			return err
		}
		keyPath = f.Name()
		f.Close()
		defer os.Remove(keyPath)
	}
	if abs, err := filepath.Abs(keyPath); err == nil {
		keyPath = abs
	}
	if err := writePrivate(keyPath, sa.PrivateKey); err != nil {
		return fmt.Errorf("writing the key: %w", err)
	}

	// Seed what send, verify, channel and callback need.
	const admin, staff = "admin@example.com", "staff@example.com"
	fake.AddUser(lineworkstest.User{UserID: admin, Email: admin, LastName: "管理", FirstName: "太郎"})
	fake.AddUser(lineworkstest.User{UserID: staff, Email: staff, LastName: "受付", FirstName: "花子"})
	botID := fake.AddBot(lineworkstest.Bot{
		BotName:         "uketsuke (fake)",
		Description:     "Visitor notifications from the reception",
		PhotoURL:        "https://example.com/uketsuke.png",
		Administrators:  []string{admin},
		EnableCallback:  *callbackURL != "",
		CallbackURL:     *callbackURL,
		CallbackEvents:  []string{lineworks.CallbackEventText},
		EnableGroupJoin: true,
	})
	bot, _ := fake.Bot(botID)
	channelID := fake.AddChannel(botID, lineworkstest.Channel{Title: "受付 (fake)", Members: []string{admin, staff}})
	if err := a.registerFakeBot(sa, fake, botID); err != nil {
		return fmt.Errorf("seeding the fake: %w", err)
	}

	authURL := fake.URL + "/oauth2/v2.0"
	env := [][2]string{
		{EnvClientID, sa.ClientID},
		{EnvClientSecret, sa.ClientSecret},
		{EnvServiceAccount, sa.ServiceAccountID},
		{EnvPrivateKeyFile, keyPath},
		{EnvScopes, strings.Join(granted, " ")},
		{EnvBotID, fmt.Sprint(botID)},
		{EnvBotSecret, bot.BotSecret},
		{EnvAPIURL, fake.APIURL},
		{EnvAuthURL, authURL},
		{EnvFakeChannelID, channelID},
	}
	if *envOut != "" {
		var b strings.Builder
		for _, kv := range env {
			fmt.Fprintf(&b, "%s=%s\n", kv[0], shellQuote(kv[1]))
		}
		if err := writeFileAtomic(*envOut, []byte(b.String())); err != nil {
			return fmt.Errorf("writing %s: %w", *envOut, err)
		}
	}

	w := a.stdout
	fmt.Fprintf(w, "fake LINE WORKS listening on %s (Ctrl-C stops it)\n\n", fake.URL)
	fmt.Fprintf(w, "  API URL:          %s\n", fake.APIURL)
	fmt.Fprintf(w, "  auth URL:         %s (token endpoint %s)\n\n", authURL, fake.TokenURL)
	fmt.Fprintf(w, "credentials (fake, for local development only):\n")
	fmt.Fprintf(w, "  client ID:        %s\n", sa.ClientID)
	fmt.Fprintf(w, "  client secret:    %s\n", sa.ClientSecret)
	fmt.Fprintf(w, "  service account:  %s\n", sa.ServiceAccountID)
	fmt.Fprintf(w, "  private key file: %s\n", keyPath)
	fmt.Fprintf(w, "  scopes:           %s\n", strings.Join(granted, " "))
	fmt.Fprintf(w, "  bot ID:           %d (domain %d)\n", botID, lineworkstest.DefaultDomainID)
	fmt.Fprintf(w, "  bot secret:       %s\n", bot.BotSecret)
	fmt.Fprintf(w, "  channel ID:       %s (members %s, %s)\n\n", channelID, admin, staff)
	fmt.Fprintf(w, "environment for the server and this tool:\n")
	for _, kv := range env[:9] {
		fmt.Fprintf(w, "  export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	fmt.Fprintf(w, "\nor as flags:\n  uketsuke send --client-id %s --client-secret %s --service-account %s --key %s --scopes %s --bot-id %d --api-url %s --auth-url %s --channel %s --text hello\n\n",
		sa.ClientID, sa.ClientSecret, sa.ServiceAccountID, shellQuote(keyPath), shellQuote(strings.Join(granted, " ")), botID, fake.APIURL, authURL, channelID)
	fmt.Fprintf(w, "messages received:\n")

	// Print every message as it arrives, until interrupted.
	seen := 0
	for {
		changed := fake.Changed()
		msgs := fake.Messages()
		for _, m := range msgs[seen:] {
			printMessage(w, m)
		}
		seen = len(msgs)
		select {
		case <-a.ctx.Done():
			fmt.Fprintf(a.stderr, "uketsuke fake: stopped\n")
			return nil
		case <-changed:
		}
	}
}

func printMessage(w io.Writer, m lineworkstest.Message) {
	dest := "channel " + m.ChannelID
	if m.ChannelID == "" {
		dest = "user " + m.UserID
	}
	fmt.Fprintf(w, "message: bot %d → %s: %s\n", m.BotID, dest, m.Content)
}

// registerFakeBot registers the seeded bot in the default domain through the
// API, as an admin would, so that verify passes against the fake.
func (a *app) registerFakeBot(sa *lineworks.ServiceAccount, fake *lineworkstest.Server, botID int64) error {
	s := *sa
	s.Scopes = []string{"bot"}
	ts, err := s.TokenSource(a.ctx)
	if err != nil {
		return err
	}
	cl, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL))
	if err != nil {
		return err
	}
	return cl.Bots.RegisterDomain(a.ctx, botID, lineworkstest.DefaultDomainID, lineworks.DomainRegistration{Visible: true})
}

// shellQuote quotes s for POSIX shells when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./-_", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeFileAtomic writes data with mode 0600 and renames it into place, so
// a reader polling for the file never sees half of it.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".uketsuke-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
