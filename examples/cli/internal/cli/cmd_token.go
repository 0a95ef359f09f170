package cli

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"golang.org/x/oauth2"
)

func (a *app) cmdToken(args []string) error {
	c := newCmd("token", "[flags]", `
Fetch an access token with the service-account credentials and print the
scopes LINE WORKS granted and when the token expires. The token itself is
printed only with --show. When the request fails, the message says which
credential is most likely wrong.

`+credDoc)
	cf := addCredFlags(c.fs)
	show := c.fs.Bool("show", false, "print the access token itself")
	asJSON := c.fs.Bool("json", false, "print JSON")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return a.usageErr(c, "unexpected argument %q", pos[0])
	}
	cr, err := a.resolve(cf)
	if err != nil {
		return err
	}
	if err := cr.validate(); err != nil {
		return err
	}
	ts, err := cr.sa.TokenSource(a.ctx)
	if err != nil {
		return err
	}
	done := a.progress("requesting a token")
	tok, err := ts.Token()
	done()
	if err != nil {
		fmt.Fprintf(a.stderr, "uketsuke token: %s\n", explainTokenError(err))
		return errReported
	}
	scopes := lineworks.GrantedScopes(tok)
	// LINE WORKS issues a token for the granted scopes only and names them
	// in "scope"; a scope left out fails later, as 403 on the calls that
	// need it. Checking credentials is this command's job, so say it now.
	if missing := missingScopes(cr.sa.Scopes, scopes); scopes != nil && len(missing) > 0 {
		fmt.Fprintf(a.stderr, "uketsuke token: the token lacks %s: not granted to the app in the Developer Console (granted: %s); most likely wrong: scopes (fields: scopes)\n",
			strings.Join(missing, " "), orNone(strings.Join(scopes, " ")))
		return errReported
	}
	if *asJSON {
		out := struct {
			Scopes      []string  `json:"scopes"`
			TokenType   string    `json:"tokenType,omitempty"`
			ExpiresIn   int64     `json:"expiresIn,omitempty"`
			Expiry      time.Time `json:"expiry,omitzero"`
			AccessToken string    `json:"accessToken,omitempty"`
		}{Scopes: nonNilStrings(scopes), TokenType: tok.TokenType, ExpiresIn: tok.ExpiresIn, Expiry: tok.Expiry}
		if *show {
			out.AccessToken = tok.AccessToken
		}
		return a.printJSON(out)
	}
	a.printf("token issued\n")
	a.printf("  scopes:  %s\n", orNone(strings.Join(scopes, " ")))
	a.printf("  expires: %s\n", expiryText(tok))
	if *show {
		a.printf("  token:   %s\n", tok.AccessToken)
	} else {
		a.printf("  token:   (hidden; --show prints it)\n")
	}
	return nil
}

func expiryText(tok *oauth2.Token) string {
	if tok.Expiry.IsZero() {
		return "unknown (the response had no expires_in)"
	}
	return fmt.Sprintf("%s (in %s)", tok.Expiry.Format(time.RFC3339), time.Duration(tok.ExpiresIn)*time.Second)
}

func orNone(s string) string {
	if s == "" {
		return "(none listed)"
	}
	return s
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// check is one line of verify's checklist.
type check struct {
	Name     string `json:"check"`
	Status   string `json:"status"` // ok, fail, skip
	Required bool   `json:"required"`
	Detail   string `json:"detail,omitempty"`
}

func (a *app) cmdVerify(args []string) error {
	c := newCmd("verify", "[flags]", `
Check a credential set end to end and print a checklist: the credentials
are complete, the private key parses, a token is issued, the bot exists and
is registered in a domain, its callback URL is set and answers, and the
granted scopes allow personal notifications (bot or bot.message) and display
names (user.read, user.profile.read or directory.read; optional, mentions
work without it). Exits 1 when a required check fails.

`+credDoc)
	cf := addCredFlags(c.fs)
	asJSON := c.fs.Bool("json", false, "print JSON")
	timeout := c.fs.Duration("callback-timeout", 10*time.Second, "how long to wait for the callback URL to answer")
	pos, err := a.parse(c, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return a.usageErr(c, "unexpected argument %q", pos[0])
	}
	cr, err := a.resolve(cf)
	if err != nil {
		return err
	}
	checks := a.verify(cr, *timeout)
	ok := true
	for _, ch := range checks {
		if ch.Required && ch.Status != "ok" {
			ok = false
		}
	}
	if *asJSON {
		if err := a.printJSON(struct {
			OK     bool    `json:"ok"`
			Checks []check `json:"checks"`
		}{ok, checks}); err != nil {
			return err
		}
	} else {
		for _, ch := range checks {
			mark := map[string]string{"ok": "✓", "fail": "✗", "skip": "-"}[ch.Status]
			line := mark + " " + ch.Name
			if ch.Detail != "" {
				line += ": " + ch.Detail
			}
			if !ch.Required && ch.Status == "fail" {
				line += " (optional)"
			}
			a.printf("%s\n", line)
		}
		if ok {
			a.printf("all required checks passed\n")
		} else {
			a.printf("some required checks failed\n")
		}
	}
	if !ok {
		return errReported
	}
	return nil
}

// verify runs the checks of a verification in order; a check whose
// prerequisite failed is reported as skipped.
func (a *app) verify(cr *creds, cbTimeout time.Duration) []check {
	var checks []check
	add := func(name string, required bool, err error, detail string) bool {
		ch := check{Name: name, Required: required, Status: "ok", Detail: detail}
		if err != nil {
			ch.Status, ch.Detail = "fail", oneLine(err)
		}
		checks = append(checks, ch)
		return err == nil
	}
	skip := func(required bool, why string, names ...string) []check {
		for _, n := range names {
			checks = append(checks, check{Name: n, Required: required, Status: "skip", Detail: why})
		}
		return checks
	}

	// 1. The credentials are complete; the key is checked on its own line.
	var credErr error
	if err := cr.validate(); err != nil && !strings.HasPrefix(err.Error(), lineworks.FieldPrivateKey+":") {
		credErr = err
	}
	add("credentials complete", true, credErr, "client ID, client secret, service account")

	// 2. The key parses.
	keyDetail, keyErr := checkKey(cr)
	keyOK := add("private key parses", true, keyErr, keyDetail)

	later := []string{"token issued", "bot exists", "bot registered in a domain", "callback URL set", "callback URL reachable", "scopes allow personal notifications"}
	if credErr != nil || !keyOK {
		skip(true, "needs complete credentials and a key", later...)
		return skip(false, "needs a token", "scopes allow display names")
	}

	// 3. A token is issued.
	ts, err := cr.sa.TokenSource(a.ctx)
	var tok *oauth2.Token
	if err == nil {
		done := a.progress("requesting a token")
		tok, err = ts.Token()
		done()
	}
	if err != nil {
		add("token issued", true, errors.New(explainTokenError(err)), "")
		skip(true, "needs a token", later[1:]...)
		return skip(false, "needs a token", "scopes allow display names")
	}
	granted := lineworks.GrantedScopes(tok)
	scopeNote := ""
	if len(granted) == 0 {
		granted, scopeNote = cr.sa.Scopes, " (as requested; the token response listed none)"
	}
	add("token issued", true, nil, "scopes "+strings.Join(granted, " ")+scopeNote)

	// 4–7. The bot, its domain and its callback URL.
	botChecks := later[1:5]
	botID, err := cr.needBot()
	if err != nil {
		add("bot exists", true, err, "")
		skip(true, "needs a bot ID", botChecks[1:]...)
	} else {
		a.verifyBot(cr, ts, botID, cbTimeout, add, skip)
	}

	// 8–9. Scopes.
	checkScopes(granted, add)
	return checks
}

// checkKey is verify's step 2: whether the private key parses, and if so
// its size.
func checkKey(cr *creds) (detail string, err error) {
	if cr.keyErr != nil {
		return "", cr.keyErr
	}
	k, err := lineworks.ParsePrivateKey(cr.sa.PrivateKey)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("RSA %d-bit", k.N.BitLen()), nil
}

// checkScopes is verify's steps 8–9: what the granted scopes allow.
func checkScopes(granted []string, add func(string, bool, error, string) bool) {
	if s, ok := hasScope(granted, "bot", "bot.message"); ok {
		add("scopes allow personal notifications", true, nil, s)
	} else {
		add("scopes allow personal notifications", true, fmt.Errorf("needs bot or bot.message (granted: %s; set %s and grant it in the Developer Console)", orNone(strings.Join(granted, " ")), where[lineworks.FieldScopes]), "")
	}
	if s, ok := hasScope(granted, "user.read", "user.profile.read", "directory.read", "user", "directory"); ok {
		add("scopes allow display names", false, nil, s)
	} else {
		add("scopes allow display names", false, errors.New("needs user.read, user.profile.read or directory.read; without it staff are shown as mentions"), "")
	}
}

func (a *app) verifyBot(cr *creds, ts oauth2.TokenSource, botID int64, cbTimeout time.Duration,
	add func(string, bool, error, string) bool, skip func(bool, string, ...string) []check) {
	opts := []lineworks.Option{lineworks.WithBaseURL(cr.apiURL), lineworks.WithRetryPolicy(lineworks.NoRetry)}
	if a.hc != nil {
		opts = append(opts, lineworks.WithHTTPClient(a.hc))
	}
	cl, err := lineworks.NewClient(ts, opts...)
	if err != nil {
		add("bot exists", true, fmt.Errorf("api URL %q: %w (set --api-url or %s)", cr.apiURL, err, EnvAPIURL), "")
		skip(true, "needs the bot", "bot registered in a domain", "callback URL set", "callback URL reachable")
		return
	}
	done := a.progress("checking the bot")
	bot, err := cl.Bots.Get(a.ctx, botID)
	done()
	if err != nil {
		add("bot exists", true, fmt.Errorf("bot %d: %s", botID, strings.TrimPrefix(err.Error(), "lineworks: ")), "")
		skip(true, "needs the bot", "bot registered in a domain", "callback URL set", "callback URL reachable")
		return
	}
	add("bot exists", true, nil, fmt.Sprintf("%d %q", bot.BotID, bot.BotName))

	var domains []string
	var derr error
	for d, err := range cl.Bots.ListDomains(a.ctx, botID) {
		if err != nil {
			derr = err
			break
		}
		vis := "not visible in the bot list"
		if d.Visible {
			vis = "visible"
		}
		domains = append(domains, fmt.Sprintf("%d (%s)", d.DomainID, vis))
	}
	if derr == nil && len(domains) == 0 {
		derr = fmt.Errorf("not registered in any domain; run: uketsuke bot register %d --domain DOMAIN_ID", botID)
	}
	add("bot registered in a domain", true, derr, strings.Join(domains, ", "))

	switch {
	case bot.CallbackURL == "":
		add("callback URL set", true, errors.New("the bot has no callback URL; taps on 「対応します」 would never arrive"), "")
		skip(true, "no callback URL", "callback URL reachable")
		return
	case !bot.EnableCallback:
		add("callback URL set", true, fmt.Errorf("%s is set but callbacks are disabled (enableCallback false)", bot.CallbackURL), "")
	default:
		detail := bot.CallbackURL
		if !strings.HasPrefix(bot.CallbackURL, "https://") {
			detail += " (LINE WORKS requires https)"
		}
		add("callback URL set", true, nil, detail)
	}
	done = a.progress("calling the callback URL")
	answer, err := a.probe(bot.CallbackURL, cbTimeout)
	done()
	add("callback URL reachable", true, err, answer)
}

// probe sends a GET to the callback URL: any HTTP answer means the host is
// reachable (a callback endpoint answers 405 to GET). Redirects are
// reported, not followed.
func (a *app) probe(rawURL string, timeout time.Duration) (string, error) {
	hc := a.httpClient(timeout)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(a.ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", fmt.Errorf("%s: %w", rawURL, err)
	}
	req.Header.Set("User-Agent", "uketsuke-cli verify")
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("no answer: %w", err)
	}
	resp.Body.Close()
	s := "answered " + resp.Status
	if loc := resp.Header.Get("Location"); loc != "" {
		s += " → " + loc
	}
	return s, nil
}

func oneLine(err error) string {
	s := strings.TrimPrefix(err.Error(), "lineworks: ")
	s = strings.ReplaceAll(s, "\n  ", "; ")
	return strings.ReplaceAll(s, "\n", "; ")
}

// missingScopes lists the requested scopes the token was not issued for.
func missingScopes(requested, granted []string) []string {
	var out []string
	for _, r := range requested {
		if !slices.Contains(granted, r) {
			out = append(out, r)
		}
	}
	return out
}
