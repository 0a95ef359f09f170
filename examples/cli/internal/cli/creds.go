package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
)

// Environment variables read for credentials. They mean what the flags of
// the same name mean; the server reads the same names.
const (
	EnvClientID       = "UKETSUKE_CLIENT_ID"
	EnvClientSecret   = "UKETSUKE_CLIENT_SECRET"
	EnvServiceAccount = "UKETSUKE_SERVICE_ACCOUNT"
	EnvPrivateKeyFile = "UKETSUKE_PRIVATE_KEY_FILE"
	EnvScopes         = "UKETSUKE_SCOPES"
	EnvBotID          = "UKETSUKE_BOT_ID"
	EnvAPIURL         = "UKETSUKE_LINEWORKS_API_URL"
	EnvAuthURL        = "UKETSUKE_LINEWORKS_AUTH_URL"
	EnvProfile        = "UKETSUKE_PROFILE"
	EnvBotSecret      = "UKETSUKE_BOT_SECRET"
	EnvServerURL      = "UKETSUKE_SERVER_URL"
	EnvOrg            = "UKETSUKE_ORG"
	EnvServerToken    = "UKETSUKE_SERVER_TOKEN"
)

// defaultAuthBase is the base of the LINE WORKS auth server, as
// UKETSUKE_LINEWORKS_AUTH_URL means it (the server reads it the same way).
const defaultAuthBase = "https://auth.worksmobile.com/oauth2/v2.0"

// DefaultScopes are requested when no scopes are configured: sending
// messages and reading display names.
const DefaultScopes = "bot user.read"

// credFlags are the credential flags shared by every command that talks to
// LINE WORKS.
type credFlags struct {
	clientID, clientSecret, serviceAccount, keyFile, scopes, botID, apiURL, authURL, profile string
}

const credDoc = `Credentials come from flags, else UKETSUKE_* environment variables
(UKETSUKE_CLIENT_ID, UKETSUKE_CLIENT_SECRET, UKETSUKE_SERVICE_ACCOUNT,
UKETSUKE_PRIVATE_KEY_FILE, UKETSUKE_SCOPES, UKETSUKE_BOT_ID,
UKETSUKE_LINEWORKS_API_URL, UKETSUKE_LINEWORKS_AUTH_URL), else the profile
named by --profile or UKETSUKE_PROFILE (or "default" when it exists) in
<user config dir>/uketsuke/profiles.json. Stray white space is removed from
every value, with a warning naming the field.`

func addCredFlags(fs *flag.FlagSet) *credFlags {
	cf := &credFlags{}
	fs.StringVar(&cf.clientID, "client-id", "", "LINE WORKS app Client `ID`")
	fs.StringVar(&cf.clientSecret, "client-secret", "", "LINE WORKS app Client `SECRET` (prefer "+EnvClientSecret+" or a profile: flags end up in shell history)")
	fs.StringVar(&cf.serviceAccount, "service-account", "", "Service Account `ID`, like xxxxx.serviceaccount@example.com")
	fs.StringVar(&cf.keyFile, "key", "", "private key `FILE` (private_YYYYMMDDhhmmss.key)")
	fs.StringVar(&cf.scopes, "scopes", "", "`SCOPES` to request, space or comma separated (default \""+DefaultScopes+"\")")
	fs.StringVar(&cf.botID, "bot-id", "", "bot `ID`")
	fs.StringVar(&cf.apiURL, "api-url", "", "API base `URL` (default "+lineworks.DefaultBaseURL+")")
	fs.StringVar(&cf.authURL, "auth-url", "", "auth server base `URL`; the token endpoint is <URL>/token (a token endpoint URL is accepted too) (default "+defaultAuthBase+")")
	fs.StringVar(&cf.profile, "profile", "", "credential profile `NAME`")
	return cf
}

// Profile is one saved credential set. The private key is stored as a path,
// never inline.
type Profile struct {
	ClientID       string `json:"clientId,omitempty"`
	ClientSecret   string `json:"clientSecret,omitempty"`
	ServiceAccount string `json:"serviceAccount,omitempty"`
	PrivateKeyFile string `json:"privateKeyFile,omitempty"`
	Scopes         string `json:"scopes,omitempty"`
	BotID          string `json:"botId,omitempty"`
	APIURL         string `json:"apiUrl,omitempty"`
	AuthURL        string `json:"authUrl,omitempty"`
}

type profileFile struct {
	Profiles map[string]Profile `json:"profiles"`
}

// userConfigDir is os.UserConfigDir reading a.getenv, so that tests (and
// the profile command) see the environment Main was given.
func (a *app) userConfigDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := a.env("AppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%AppData% is not set")
	case "darwin", "ios":
		if h := a.env("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support"), nil
		}
		return "", errors.New("$HOME is not set")
	case "plan9":
		if h := a.env("home"); h != "" {
			return filepath.Join(h, "lib"), nil
		}
		return "", errors.New("$home is not set")
	}
	if d := a.env("XDG_CONFIG_HOME"); d != "" {
		if !filepath.IsAbs(d) {
			return "", errors.New("$XDG_CONFIG_HOME is a relative path")
		}
		return d, nil
	}
	if h := a.env("HOME"); h != "" {
		return filepath.Join(h, ".config"), nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME is set")
}

func (a *app) profilesPath() (string, error) {
	dir, err := a.userConfigDir()
	if err != nil {
		return "", fmt.Errorf("locating the profile file: %w", err)
	}
	return filepath.Join(dir, "uketsuke", "profiles.json"), nil
}

// loadProfiles reads the profile file; a missing file is an empty set.
func (a *app) loadProfiles() (*profileFile, string, error) {
	path, err := a.profilesPath()
	if err != nil {
		return nil, "", err
	}
	pf := &profileFile{Profiles: map[string]Profile{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return pf, path, nil
	}
	if err != nil {
		return nil, path, err
	}
	if err := json.Unmarshal(data, pf); err != nil {
		return nil, path, fmt.Errorf("%s: %w", path, err)
	}
	if pf.Profiles == nil {
		pf.Profiles = map[string]Profile{}
	}
	return pf, path, nil
}

// saveProfiles writes the file with mode 0600 (directory 0700): it holds
// client secrets.
func saveProfiles(path string, pf *profileFile) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".profiles-*.json") // created 0600
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// selectedProfile returns the profile chosen by --profile, UKETSUKE_PROFILE
// or, failing both, "default" if it exists.
func (a *app) selectedProfile(cf *credFlags) (Profile, string, error) {
	name := firstNonEmpty(cf.profile, a.env(EnvProfile))
	explicit := name != ""
	if !explicit {
		name = "default"
	}
	pf, path, err := a.loadProfiles()
	if err != nil {
		if explicit {
			return Profile{}, "", err
		}
		return Profile{}, "", nil // an unreadable default is not worth failing for
	}
	p, ok := pf.Profiles[name]
	if !ok {
		if explicit {
			return Profile{}, "", fmt.Errorf("no profile %q in %s (uketsuke profile list)", name, path)
		}
		return Profile{}, "", nil
	}
	return p, name, nil
}

// mergedProfile applies the precedence flags > environment > profile.
func (a *app) mergedProfile(cf *credFlags) (Profile, error) {
	p, _, err := a.selectedProfile(cf)
	if err != nil {
		return Profile{}, err
	}
	return Profile{
		ClientID:       firstNonEmpty(cf.clientID, a.env(EnvClientID), p.ClientID),
		ClientSecret:   firstNonEmpty(cf.clientSecret, a.env(EnvClientSecret), p.ClientSecret),
		ServiceAccount: firstNonEmpty(cf.serviceAccount, a.env(EnvServiceAccount), p.ServiceAccount),
		PrivateKeyFile: firstNonEmpty(cf.keyFile, a.env(EnvPrivateKeyFile), p.PrivateKeyFile),
		Scopes:         firstNonEmpty(cf.scopes, a.env(EnvScopes), p.Scopes),
		BotID:          firstNonEmpty(cf.botID, a.env(EnvBotID), p.BotID),
		APIURL:         firstNonEmpty(cf.apiURL, a.env(EnvAPIURL), p.APIURL),
		AuthURL:        firstNonEmpty(cf.authURL, a.env(EnvAuthURL), p.AuthURL),
	}, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// creds is a resolved, sanitized credential set.
type creds struct {
	sa       lineworks.ServiceAccount
	keyFile  string
	keyErr   error // reading the key file failed
	botID    int64
	botIDErr error
	apiURL   string
}

// where tells the user how to set each credential field.
var where = map[string]string{
	lineworks.FieldClientID:       "--client-id or " + EnvClientID,
	lineworks.FieldClientSecret:   "--client-secret or " + EnvClientSecret,
	lineworks.FieldServiceAccount: "--service-account or " + EnvServiceAccount,
	lineworks.FieldPrivateKey:     "--key or " + EnvPrivateKeyFile,
	lineworks.FieldScopes:         "--scopes or " + EnvScopes,
	"botId":                       "--bot-id or " + EnvBotID,
}

// resolve merges the sources, reads the key file and sanitizes everything,
// warning on stderr about each trimmed field. It fails only for problems of
// the sources themselves (an unreadable profile file); a missing or wrong
// credential is left for validate, so that verify can report it as a check.
func (a *app) resolve(cf *credFlags) (*creds, error) {
	p, err := a.mergedProfile(cf)
	if err != nil {
		return nil, err
	}
	c := &creds{keyFile: p.PrivateKeyFile}
	c.sa = lineworks.ServiceAccount{
		ClientID:         p.ClientID,
		ClientSecret:     p.ClientSecret,
		ServiceAccountID: p.ServiceAccount,
		Scopes:           splitScopes(firstNonEmpty(p.Scopes, DefaultScopes)),
		HTTPClient:       a.hc,
	}
	if c.keyFile != "" {
		key, err := os.ReadFile(c.keyFile)
		if err != nil {
			// The path is not secret; the error never includes contents.
			c.keyErr = fmt.Errorf("privateKey: cannot read the key file: %w (set %s)", err, where[lineworks.FieldPrivateKey])
		}
		c.sa.PrivateKey = key
	} else {
		c.keyErr = fmt.Errorf("privateKey: no key file given (set %s)", where[lineworks.FieldPrivateKey])
	}
	changed := c.sa.Sanitize()
	if raw := p.BotID; raw != "" {
		id, trimmed := lineworks.TrimCredential(raw)
		if trimmed {
			changed = append(changed, "botId")
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			c.botIDErr = fmt.Errorf("botId: %q is not a bot ID (a positive number; set %s)", id, where["botId"])
		}
		c.botID = n
	}
	if len(changed) > 0 {
		a.warnf("removed stray white space or invisible characters from %s", strings.Join(changed, ", "))
	}
	c.apiURL = lineworks.DefaultBaseURL
	if p.APIURL != "" {
		c.apiURL = strings.TrimSpace(p.APIURL)
	}
	if p.AuthURL != "" {
		tu, err := tokenURL(strings.TrimSpace(p.AuthURL))
		if err != nil {
			return nil, err
		}
		c.sa.TokenURL = tu
	}
	return c, nil
}

// splitScopes splits on ASCII commas and blanks; Sanitize deals with the
// rest (full-width spaces and such) and reports it.
func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// tokenURL derives the token endpoint from an auth URL: like the server,
// it takes the auth server base (https://auth.worksmobile.com/oauth2/v2.0)
// and appends /token; a URL already naming the token or authorize endpoint
// is accepted too.
func tokenURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("auth URL %q: need an absolute http(s) URL (set --auth-url or %s)", raw, EnvAuthURL)
	}
	p := strings.TrimSuffix(u.Path, "/")
	switch {
	case strings.HasSuffix(p, "/token"):
	case strings.HasSuffix(p, "/authorize"):
		p = strings.TrimSuffix(p, "/authorize") + "/token"
	default:
		p += "/token"
	}
	u.Path, u.RawPath = p, ""
	return u.String(), nil
}

// validate checks the credentials without a request and explains how to
// fix the first problem.
func (c *creds) validate() error {
	if err := c.sa.Validate(); err != nil {
		var ce *lineworks.CredentialError
		if errors.As(err, &ce) {
			if ce.Field == lineworks.FieldPrivateKey && c.keyErr != nil {
				return c.keyErr
			}
			return fmt.Errorf("%s: %s (set %s)", ce.Field, ce.Reason, where[ce.Field])
		}
		return err
	}
	return nil
}

// needBot returns the bot ID or an error saying how to set it.
func (c *creds) needBot() (int64, error) {
	if c.botIDErr != nil {
		return 0, c.botIDErr
	}
	if c.botID == 0 {
		return 0, fmt.Errorf("botId: no bot ID given (set %s)", where["botId"])
	}
	return c.botID, nil
}

// client validates the credentials and returns an API client.
func (a *app) client(c *creds) (*lineworks.Client, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	ts, err := c.sa.TokenSource(a.ctx)
	if err != nil {
		return nil, err
	}
	opts := []lineworks.Option{lineworks.WithBaseURL(c.apiURL)}
	if a.hc != nil {
		opts = append(opts, lineworks.WithHTTPClient(a.hc))
	}
	cl, err := lineworks.NewClient(ts, opts...)
	if err != nil {
		return nil, fmt.Errorf("api URL %q: %w (set --api-url or %s)", c.apiURL, err, EnvAPIURL)
	}
	return cl, nil
}

// explainTokenError says which credential is most likely wrong.
func explainTokenError(err error) string {
	var te *lineworks.TokenError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "lineworks: ")
	}
	msg := strings.TrimPrefix(te.Error(), "lineworks: ")
	switch te.Cause {
	case lineworks.CauseClient:
		msg += "\n  most likely wrong: client ID or client secret (" + where[lineworks.FieldClientID] + "; " + where[lineworks.FieldClientSecret] + ")"
	case lineworks.CauseServiceAccount:
		msg += "\n  most likely wrong: service account ID or private key (" + where[lineworks.FieldServiceAccount] + "; " + where[lineworks.FieldPrivateKey] + ")"
	case lineworks.CauseScope:
		msg += "\n  most likely wrong: scopes (" + where[lineworks.FieldScopes] + "); grant them to the app in the Developer Console"
	case lineworks.CauseNetwork:
		msg += "\n  check the auth URL (--auth-url or " + EnvAuthURL + ") and the network"
	}
	if fs := te.Fields(); len(fs) > 0 {
		// Both candidates: LINE WORKS does not say which of the pair is wrong.
		msg += "\n  fields: " + strings.Join(fs, ", ")
	}
	return msg
}

// hasScope reports whether granted includes one of want, counting the
// umbrella scopes LINE WORKS grants ("bot" covers "bot.message").
func hasScope(granted []string, want ...string) (string, bool) {
	for _, w := range want {
		if slices.Contains(granted, w) {
			return w, true
		}
	}
	return "", false
}
