package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// Variables in fake's --env-out file besides the credential variables: the
// seeded channel, the fake's domain and the user "Sign in with LINE WORKS"
// signs in.
const (
	EnvFakeChannelID  = "UKETSUKE_FAKE_CHANNEL_ID"
	EnvFakeDomainID   = "UKETSUKE_FAKE_DOMAIN_ID"
	EnvFakeSignInUser = "UKETSUKE_FAKE_SIGNIN_USER_ID"
)

// fakeSeed is what cmdFake seeds and prints.
type fakeSeed struct {
	sa        *lineworks.ServiceAccount
	keyPath   string
	botID     int64
	botSecret string
	channelID string
	admin     lineworkstest.User
	caPath    string // with --tls: the CA certificate file
}

// fakeHelp is the help of the fake command.
const fakeHelp = `
Run a fake LINE WORKS (package lineworkstest) on --addr for local
development without a tenant: an auth server that checks JWT assertions
like the real one, the Bot API, and a record of every message. It registers
an app, seeds a bot (registered in domain 10000001), a talk room and two
users, writes the app's private key to --key-out (mode 0600), and prints the
credentials, the URLs and the exact environment variables and flags for the
server and this tool. The credentials are fake, so they are printed in full.
"Sign in with LINE WORKS" against the fake signs in its administrator
(admin@example.com) without asking; its user ID and the domain ID are
printed too.

Every message the fake receives is printed to stdout as it arrives, one
line each. It runs until interrupted (Ctrl-C). Lines typed on stdin act as
a person in the LINE WORKS app:

  invite [BOT_ID] TITLE   invite the bot (default the newest one: the bot
                          your server created, else the seeded one) into a new
                          room named TITLE; the bot's callback URL gets a
                          join event signed with its current secret
  tap [N]                 tap button N (default 1) of the newest message with
                          buttons, as the sign-in user, in its room
  say TEXT                write TEXT to the bot (the newest one) 1:1 as the
                          sign-in user, e.g. to make an appointment:
                          say 来客予約 明日 14:00 テスト商事 佐藤様

Unlike LINE WORKS, this fake lets a bot created through the API have an
http://localhost (or 127.0.0.1) callback URL, so a reception server on this
machine can walk its real set-up against it without a certificate.

Like LINE WORKS, the fake refuses (404) a message to a channel the bot is
not in; --relaxed-channels accepts any channel ID, for quick experiments.
With --tls it serves https with a certificate from a CA generated at start,
written to --ca-out; point any LINE WORKS client at it with SSL_CERT_FILE
(or its own CA setting) set to that file.`

func (a *app) cmdFake(args []string) error {
	c := newCmd("fake", "[flags]", fakeHelp)
	addr := c.fs.String("addr", "127.0.0.1:8089", "`ADDRESS` to listen on (port 0 picks a free one)")
	keyOut := c.fs.String("key-out", "", "write the private key to `FILE` (default a new temporary file, removed on exit)")
	envOut := c.fs.String("env-out", "", "also write the environment variables to `FILE` (KEY=VALUE lines, mode 0600)")
	scopes := c.fs.String("scopes", DefaultScopes, "scopes granted to the fake app")
	callbackURL := c.fs.String("callback-url", "", "callback `URL` of the seeded bot, e.g. http://localhost:8080/callback/lineworks")
	relaxed := c.fs.Bool("relaxed-channels", false, "accept messages to any channel ID (LINE WORKS answers 404 for a channel the bot is not in)")
	useTLS := c.fs.Bool("tls", false, "serve https with a generated certificate")
	caOut := c.fs.String("ca-out", "", "with --tls, write the CA certificate to `FILE` (default a new temporary file, removed on exit)")
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
	// A server on this machine has no certificate: let it create its bot
	// with an http://localhost callback URL, which LINE WORKS would refuse.
	opts := []lineworkstest.ServerOption{lineworkstest.WithLoopbackCallbacks()}
	if *useTLS {
		host, _, _ := net.SplitHostPort(*addr)
		opts = append(opts, lineworkstest.WithTLS(host))
	}
	fake := lineworkstest.NewServerOn(l, opts...)
	defer fake.Close()
	// Strict unless asked: a client that works against the fake must not
	// then fail against LINE WORKS for a channel its bot is not in.
	fake.SetStrictChannels(!*relaxed)
	seed, cleanup, err := a.seedFake(fake, granted, *keyOut, *callbackURL)
	defer cleanup()
	if err != nil {
		return err
	}
	if *useTLS {
		path, rm, err := writeCA(fake, *caOut)
		defer rm()
		if err != nil {
			return fmt.Errorf("writing the CA file: %w", err)
		}
		seed.caPath = path
	}
	env := fakeEnvVars(fake, seed, granted)
	if *envOut != "" {
		var b strings.Builder
		for _, kv := range env {
			fmt.Fprintf(&b, "%s=%s\n", kv[0], shellQuote(kv[1]))
		}
		if err := writeFileAtomic(*envOut, []byte(b.String())); err != nil {
			return fmt.Errorf("writing %s: %w", *envOut, err)
		}
	}
	a.printFake(fake, seed, env, granted)
	return a.runFake(fake, seed.botID)
}

// seedFake registers the app, writes its key and seeds what send, verify,
// channel, callback and sign-in need. cleanup removes a temporary key file.
func (a *app) seedFake(fake *lineworkstest.Server, granted []string, keyOut, callbackURL string) (seed fakeSeed, cleanup func(), err error) {
	cleanup = func() {}
	seed.sa = fake.NewServiceAccount(granted...)
	seed.keyPath = keyOut
	if seed.keyPath == "" {
		f, err := os.CreateTemp("", "uketsuke-fake-*.key") // 0600
		if err != nil {
			return seed, cleanup, err
		}
		seed.keyPath = f.Name()
		f.Close()
		cleanup = func() { os.Remove(f.Name()) }
	}
	if abs, err := filepath.Abs(seed.keyPath); err == nil {
		seed.keyPath = abs
	}
	if err := writePrivate(seed.keyPath, seed.sa.PrivateKey); err != nil {
		return seed, cleanup, fmt.Errorf("writing the key: %w", err)
	}

	// The administrator every fake has is the one who signs in; the staff
	// member makes the room a real one.
	seed.admin, _ = fake.SignInUser()
	const staff = "staff@example.com"
	fake.AddUser(lineworkstest.User{UserID: staff, Email: staff, LastName: "受付", FirstName: "花子"})
	seed.botID = fake.AddBot(lineworkstest.Bot{
		BotName:         "uketsuke (fake)",
		Description:     "Visitor notifications from the reception",
		PhotoURL:        "https://example.com/uketsuke.png",
		Administrators:  []string{lineworkstest.AdminEmail},
		EnableCallback:  callbackURL != "",
		CallbackURL:     callbackURL,
		CallbackEvents:  []string{lineworks.CallbackEventText},
		EnableGroupJoin: true,
	})
	bot, _ := fake.Bot(seed.botID)
	seed.botSecret = bot.BotSecret
	seed.channelID = fake.AddChannel(seed.botID, lineworkstest.Channel{Title: "受付 (fake)", Members: []string{seed.admin.UserID, staff}})
	if err := a.registerFakeBot(seed.sa, fake, seed.botID); err != nil {
		return seed, cleanup, fmt.Errorf("seeding the fake: %w", err)
	}
	return seed, cleanup, nil
}

// fakeEnvVars lists the --env-out variables; the first nine are the ones
// the server and this tool read, printed as exports.
func fakeEnvVars(fake *lineworkstest.Server, seed fakeSeed, granted []string) [][2]string {
	sa := seed.sa
	return [][2]string{
		{EnvClientID, sa.ClientID},
		{EnvClientSecret, sa.ClientSecret},
		{EnvServiceAccount, sa.ServiceAccountID},
		{EnvPrivateKeyFile, seed.keyPath},
		{EnvScopes, strings.Join(granted, " ")},
		{EnvBotID, fmt.Sprint(seed.botID)},
		{EnvBotSecret, seed.botSecret},
		{EnvAPIURL, fake.APIURL},
		{EnvAuthURL, fake.URL + "/oauth2/v2.0"},
		{EnvFakeChannelID, seed.channelID},
		{EnvFakeDomainID, fmt.Sprint(lineworkstest.DefaultDomainID)},
		{EnvFakeSignInUser, seed.admin.UserID},
	}
}

func (a *app) printFake(fake *lineworkstest.Server, seed fakeSeed, env [][2]string, granted []string) {
	w, sa, authURL := a.stdout, seed.sa, fake.URL+"/oauth2/v2.0"
	fmt.Fprintf(w, "fake LINE WORKS listening on %s (Ctrl-C stops it)\n\n", fake.URL)
	fmt.Fprintf(w, "  API URL:          %s\n", fake.APIURL)
	fmt.Fprintf(w, "  auth URL:         %s (token endpoint %s)\n", authURL, fake.TokenURL)
	if seed.caPath != "" {
		fmt.Fprintf(w, "  CA file:          %s (for other clients: export SSL_CERT_FILE=%s)\n", seed.caPath, shellQuote(seed.caPath))
	}
	fmt.Fprintf(w, "\n")
	fmt.Fprintf(w, "credentials (fake, for local development only):\n")
	fmt.Fprintf(w, "  client ID:        %s\n", sa.ClientID)
	fmt.Fprintf(w, "  client secret:    %s\n", sa.ClientSecret)
	fmt.Fprintf(w, "  service account:  %s\n", sa.ServiceAccountID)
	fmt.Fprintf(w, "  private key file: %s\n", seed.keyPath)
	fmt.Fprintf(w, "  scopes:           %s\n", strings.Join(granted, " "))
	fmt.Fprintf(w, "  domain ID:        %d\n", lineworkstest.DefaultDomainID)
	fmt.Fprintf(w, "  sign-in user:     %s (%s, %s, administrator): who \"Sign in with LINE WORKS\" signs in\n",
		seed.admin.UserID, seed.admin.Email, strings.TrimSpace(seed.admin.LastName+" "+seed.admin.FirstName))
	fmt.Fprintf(w, "  bot ID:           %d (domain %d)\n", seed.botID, lineworkstest.DefaultDomainID)
	fmt.Fprintf(w, "  bot secret:       %s\n", seed.botSecret)
	fmt.Fprintf(w, "  channel ID:       %s (members %s, staff@example.com)\n\n", seed.channelID, seed.admin.Email)
	// The reception server takes its credentials from its admin page, not
	// from the environment: it needs only where LINE WORKS is.
	fmt.Fprintf(w, "environment for a reception server (go run ./examples/server); paste the credentials above into its admin page:\n")
	fmt.Fprintf(w, "  export %s=%s\n  export %s=%s\n\n", EnvAPIURL, shellQuote(fake.APIURL), EnvAuthURL, shellQuote(authURL))
	fmt.Fprintf(w, "environment for this tool (uketsuke send, bot, channel, …):\n")
	for _, kv := range env[:9] {
		fmt.Fprintf(w, "  export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	fmt.Fprintf(w, "\nor as flags:\n  uketsuke send --client-id %s --client-secret %s --service-account %s --key %s --scopes %s --bot-id %d --api-url %s --auth-url %s --channel %s --text hello\n\n",
		sa.ClientID, sa.ClientSecret, sa.ServiceAccountID, shellQuote(seed.keyPath), shellQuote(strings.Join(granted, " ")), seed.botID, fake.APIURL, authURL, seed.channelID)
	if a.readsCommands() {
		fmt.Fprintf(w, "type \"invite TITLE\" and Enter to invite the bot into a new room, as a person in LINE WORKS would\n")
		fmt.Fprintf(w, "type \"tap\" (or \"tap 2\") and Enter to tap the first (second) button of the newest message, as %s\n", seed.admin.Email)
		fmt.Fprintf(w, "type \"say TEXT\" and Enter to write TEXT to the bot 1:1 as %s (e.g. say 来客予約 明日 14:00 テスト商事 佐藤様)\n\n", seed.admin.Email)
	}
	fmt.Fprintf(w, "messages received:\n")
}

// runFake prints every message as it arrives and runs the commands typed on
// stdin, until interrupted. Both happen here, so output lines never mix.
func (a *app) runFake(fake *lineworkstest.Server, botID int64) error {
	lines := make(chan string)
	if a.readsCommands() {
		go func() {
			sc := bufio.NewScanner(a.stdin)
			for sc.Scan() {
				select {
				case lines <- sc.Text():
				case <-a.ctx.Done():
					return
				}
			}
		}()
	}
	seen := 0
	for {
		changed := fake.Changed()
		msgs := fake.Messages()
		for _, m := range msgs[seen:] {
			printMessage(a.stdout, m)
		}
		seen = len(msgs)
		select {
		case <-a.ctx.Done():
			fmt.Fprintf(a.stderr, "uketsuke fake: stopped\n")
			return nil
		case <-changed:
		case line := <-lines:
			a.fakeCommand(fake, botID, line)
		}
	}
}

// readsCommands reports whether fake reads commands from stdin: not when
// there is none, nor from the terminal of a job started in the background.
func (a *app) readsCommands() bool {
	if a.stdin == nil {
		return false
	}
	f, ok := a.stdin.(*os.File)
	return !ok || !inBackground(f)
}

// fakeCommand runs one line typed on fake's stdin.
func (a *app) fakeCommand(fake *lineworkstest.Server, botID int64, line string) {
	verb, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	switch verb {
	case "":
	case "invite":
		a.fakeInvite(fake, botID, strings.TrimSpace(rest))
	case "tap":
		a.fakeTap(fake, strings.TrimSpace(rest))
	case "say":
		a.fakeSay(fake, botID, strings.TrimSpace(rest))
	default:
		fmt.Fprintf(a.stdout, "unknown command %q (try: invite TITLE, tap, or say TEXT)\n", verb)
	}
}

// fakeInvite invites a bot into a new room named title.
func (a *app) fakeInvite(fake *lineworkstest.Server, botID int64, title string) {
	// Without a bot ID, the newest bot: the one a server just created
	// through the API (nobody should have to copy its ID), else the
	// seeded one.
	if bots := fake.Bots(); len(bots) > 0 {
		botID = bots[len(bots)-1].BotID
	}
	// A leading number names a bot, as long as the fake has it.
	if id, t, ok := strings.Cut(title, " "); ok {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			if _, known := fake.Bot(n); known {
				botID, title = n, strings.TrimSpace(t)
			}
		}
	}
	if title == "" {
		fmt.Fprintf(a.stdout, "invite: a room title is required (invite [BOT_ID] TITLE)\n")
		return
	}
	channelID, err := fake.InviteBot(a.ctx, botID, title)
	switch {
	case channelID == "":
		fmt.Fprintf(a.stdout, "invite: %v\n", err)
	case err != nil:
		fmt.Fprintf(a.stdout, "invited bot %d into %q (channel %s), but the join event failed: %v\n", botID, title, channelID, err)
	default:
		note := "join event sent"
		if cs, _ := fake.CallbackSenderFor(botID); cs.URL == "" {
			note = "no join event: the bot has no callback URL"
		} else if bot, _ := fake.Bot(botID); len(bot.ChannelEvents) > 0 && !slices.Contains(bot.ChannelEvents, "join") {
			note = "no join event: the bot's channelEvents leave out join"
		} else {
			note += " to " + cs.URL
		}
		fmt.Fprintf(a.stdout, "invited bot %d into %q (channel %s); %s\n", botID, title, channelID, note)
	}
}

// fakeTap taps button n (1-based; default 1, 「対応します」 on a check-in) of
// the newest message with buttons, as the sign-in user, in the room (or
// 1:1) it was sent to: the tap a member of staff makes in LINE WORKS.
func (a *app) fakeTap(fake *lineworkstest.Server, arg string) {
	n := 1
	if arg != "" {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 1 {
			fmt.Fprintf(a.stdout, "tap: %q is not a button number (tap, tap 2, …)\n", arg)
			return
		}
		n = v
	}
	msg, actions := newestWithButtons(fake.Messages())
	if len(actions) < n {
		fmt.Fprintf(a.stdout, "tap: no message with %d buttons received yet\n", n)
		return
	}
	act := actions[n-1]
	sender, err := fake.CallbackSenderFor(msg.BotID)
	if err != nil || sender.URL == "" {
		fmt.Fprintf(a.stdout, "tap: bot %d has no callback URL to tell (%v)\n", msg.BotID, err)
		return
	}
	user, _ := fake.SignInUser()
	status, err := sender.Send(a.ctx, lineworkstest.MessageTapEvent(user.UserID, msg.ChannelID, act.Label, act.Postback))
	if err != nil {
		fmt.Fprintf(a.stdout, "tap: %v\n", err)
		return
	}
	fmt.Fprintf(a.stdout, "tapped %q as %s; %s answered %d\n", act.Label, user.Email, sender.URL, status)
}

// fakeSay sends text to the newest bot (else the seeded one) 1:1 as the
// sign-in user: what a member of staff writing to the bot in LINE WORKS
// does, e.g. to make an appointment (「来客予約 明日 14:00 テスト商事 佐藤様」).
func (a *app) fakeSay(fake *lineworkstest.Server, botID int64, text string) {
	if text == "" {
		fmt.Fprintf(a.stdout, "say: a text is required (say 来客予約 明日 14:00 テスト商事 佐藤様)\n")
		return
	}
	if bots := fake.Bots(); len(bots) > 0 {
		botID = bots[len(bots)-1].BotID
	}
	sender, err := fake.CallbackSenderFor(botID)
	if err != nil || sender.URL == "" {
		fmt.Fprintf(a.stdout, "say: bot %d has no callback URL to tell (%v)\n", botID, err)
		return
	}
	user, _ := fake.SignInUser()
	// A 1:1 message has no channel ID (bot-callback-message).
	status, err := sender.Send(a.ctx, lineworkstest.TextMessageEvent(user.UserID, "", text))
	if err != nil {
		fmt.Fprintf(a.stdout, "say: %v\n", err)
		return
	}
	fmt.Fprintf(a.stdout, "said %q to bot %d as %s; %s answered %d\n", text, botID, user.Email, sender.URL, status)
}

type tapAction struct{ Label, Postback string }

// newestWithButtons finds the newest message whose content has message
// actions with a postback (button or list templates, quick replies aside).
func newestWithButtons(msgs []lineworkstest.Message) (lineworkstest.Message, []tapAction) {
	for i := len(msgs) - 1; i >= 0; i-- {
		var c struct {
			Actions []tapAction `json:"actions"`
		}
		if json.Unmarshal(msgs[i].Content, &c) != nil {
			continue
		}
		actions := slices.DeleteFunc(c.Actions, func(a tapAction) bool { return a.Postback == "" })
		if len(actions) > 0 {
			return msgs[i], actions
		}
	}
	return lineworkstest.Message{}, nil
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
	s.HTTPClient = fake.Client() // trusts the fake's CA under --tls
	ts, err := s.TokenSource(a.ctx)
	if err != nil {
		return err
	}
	cl, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL), lineworks.WithHTTPClient(fake.Client()))
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

// writeCA writes the fake's CA certificate to path (a new temporary file
// when empty, removed by the returned func) and returns its absolute path.
func writeCA(fake *lineworkstest.Server, path string) (string, func(), error) {
	rm := func() {}
	if path == "" {
		f, err := os.CreateTemp("", "uketsuke-fake-ca-*.pem")
		if err != nil {
			return "", rm, err
		}
		f.Close()
		path = f.Name()
		rm = func() { os.Remove(f.Name()) }
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path, rm, writeFileAtomic(path, fake.CACertPEM())
}
