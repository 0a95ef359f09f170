package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

func (a *app) cmdCallback(args []string) error {
	return a.subcommand("callback", "Work with LINE WORKS callbacks (webhooks) without a tenant.", args, []subcmd{
		{"sign", "print the X-WORKS-Signature of a body", a.cmdCallbackSign},
		{"send", "post a signed event to a callback URL", a.cmdCallbackSend},
	})
}

// botSecret takes the secret from the flag or UKETSUKE_BOT_SECRET and trims
// it like every other credential.
func (a *app) botSecret(c *cmd, flagValue string) (string, error) {
	s := firstNonEmpty(flagValue, a.env(EnvBotSecret))
	if s == "" {
		return "", a.usageErr(c, "--secret is required (or set %s)", EnvBotSecret)
	}
	if t, changed := lineworks.TrimCredential(s); changed {
		a.warnf("removed stray white space or invisible characters from botSecret")
		s = t
	}
	return s, nil
}

func (a *app) cmdCallbackSign(args []string) error {
	c := newCmd("callback sign", "--secret SECRET [FILE]", `
Print the X-WORKS-Signature LINE WORKS would send with a callback body:
Base64 of HMAC-SHA256 of the body exactly as given (FILE, or stdin when
FILE is absent or "-"), keyed with the bot secret. The secret may come from
UKETSUKE_BOT_SECRET instead of --secret.`)
	secretFlag := c.fs.String("secret", "", "bot `SECRET` (prefer "+EnvBotSecret+")")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return a.usageErr(c, "unexpected argument %q", pos[1])
	}
	secret, err := a.botSecret(c, *secretFlag)
	if err != nil {
		return err
	}
	file := ""
	if len(pos) == 1 {
		file = pos[0]
	}
	body, err := a.readInput(file)
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	a.printf("%s\n", lineworkstest.SignBody(secret, body))
	return nil
}

// callbackSendHelp is the help of the callback send command.
const callbackSendHelp = `
Post a callback to URL signed as LINE WORKS signs it (X-WORKS-Signature,
X-WORKS-BotId) and print the answer's status. The body is FILE as given, or
one built for you:

  --tap DATA       a "message" event whose content carries postback DATA:
                   what LINE WORKS sends when a user taps a message action
                   such as 「対応します」 in a button template
  --message TEXT   a plain text "message" event
  --join CHANNEL   a "join" event: the bot was invited into CHANNEL

--user and --channel set the event's source (no --channel: a 1:1 room);
its domainId is --domain: by default the fake's domain (` + EnvFakeDomainID + `
when set, else 10000001), as the fake's own callbacks and API carry it.
Exits 1 unless the answer is 2xx.`

func (a *app) cmdCallbackSend(args []string) error {
	c := newCmd("callback send", "--url URL --secret SECRET --bot ID (FILE | --tap DATA | --message TEXT | --join CHANNEL) [flags]", callbackSendHelp)
	target := c.fs.String("url", "", "callback `URL`, e.g. http://localhost:8080/callback/lineworks")
	secretFlag := c.fs.String("secret", "", "bot `SECRET` (prefer "+EnvBotSecret+")")
	botFlag := c.fs.String("bot", "", "bot `ID` for X-WORKS-BotId (default "+EnvBotID+")")
	tap := c.fs.String("tap", "", "postback `DATA` of the tapped message action")
	message := c.fs.String("message", "", "`TEXT` of a plain message event")
	join := c.fs.String("join", "", "channel `ID` the bot joined")
	user := c.fs.String("user", "user@example.com", "user `ID` the event comes from")
	channel := c.fs.String("channel", "", "channel `ID` the event comes from (empty: a 1:1 room)")
	label := c.fs.String("text", "対応します", "`TEXT` of the tapped action (with --tap)")
	domainFlag := c.fs.String("domain", "", "domain `ID` in the event's source (default "+EnvFakeDomainID+" or the fake's 10000001)")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	n := 0
	for _, set := range []bool{len(pos) > 0, *tap != "", *message != "", *join != ""} {
		if set {
			n++
		}
	}
	switch {
	case len(pos) > 1:
		return a.usageErr(c, "unexpected argument %q", pos[1])
	case n != 1:
		return a.usageErr(c, "give exactly one of FILE, --tap, --message and --join")
	case *target == "":
		return a.usageErr(c, "--url is required")
	}
	if u, err := url.Parse(*target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return a.usageErr(c, "--url %q: need an absolute http(s) URL", *target)
	}
	botRaw := strings.TrimSpace(firstNonEmpty(*botFlag, a.env(EnvBotID)))
	if botRaw == "" {
		return a.usageErr(c, "--bot is required (or set %s)", EnvBotID)
	}
	botID, err := strconv.ParseInt(botRaw, 10, 64)
	if err != nil || botID <= 0 {
		return a.usageErr(c, "--bot %q is not a bot ID", botRaw)
	}
	secret, err := a.botSecret(c, *secretFlag)
	if err != nil {
		return err
	}
	domainID := lineworkstest.DefaultDomainID
	if raw := strings.TrimSpace(firstNonEmpty(*domainFlag, a.env(EnvFakeDomainID))); raw != "" {
		if domainID, err = strconv.ParseInt(raw, 10, 64); err != nil || domainID <= 0 {
			return a.usageErr(c, "--domain %q is not a domain ID", raw)
		}
	}
	body, kind, err := a.callbackBody(pos, callbackEvent{tap: *tap, message: *message, join: *join, user: *user, channel: *channel, label: *label})
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		body = lineworkstest.InDomain(body, domainID) // a FILE is sent as given
	}
	sender := lineworkstest.CallbackSender{BotID: botID, Secret: secret, URL: *target, Client: a.httpClient(30 * time.Second)}
	done := a.progress("posting the callback")
	status, err := sender.Send(a.ctx, body)
	done()
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "lineworkstest: CallbackSender.Send: "))
	}
	a.printf("POST %s (%s, bot %d): %d %s\n", *target, kind, botID, status, http.StatusText(status))
	if status/100 != 2 {
		fmt.Fprintf(a.stderr, "uketsuke callback send: the endpoint answered %d %s", status, http.StatusText(status))
		if status == http.StatusUnauthorized {
			fmt.Fprintf(a.stderr, " (is the bot secret right for bot %d?)", botID)
		}
		fmt.Fprintln(a.stderr)
		return errReported
	}
	return nil
}

// callbackEvent is the event callback send builds when no FILE is given.
type callbackEvent struct {
	tap, message, join, user, channel, label string
}

// callbackBody is the body to post: FILE as given, or the event asked
// for, with a description of it for the output.
func (a *app) callbackBody(pos []string, ev callbackEvent) (body []byte, kind string, err error) {
	switch {
	case len(pos) == 1:
		if body, err = a.readInput(pos[0]); err != nil {
			return nil, "", fmt.Errorf("reading the body: %w", err)
		}
		if pos[0] == "-" {
			return body, "body from stdin", nil
		}
		return body, "body of " + pos[0], nil
	case ev.tap != "":
		return lineworkstest.MessageTapEvent(ev.user, ev.channel, ev.label, ev.tap), "message event with postback " + strconv.Quote(ev.tap), nil
	case ev.message != "":
		return lineworkstest.TextMessageEvent(ev.user, ev.channel, ev.message), "text message event", nil
	}
	return lineworkstest.JoinEvent(ev.join), "join event for channel " + ev.join, nil
}
