package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// Defaults of the configuration.
const (
	defaultAddr      = ":8080"
	defaultDB        = "uketsuke.db"
	defaultAPIURL    = "https://www.worksapis.com/v1.0/"
	defaultAuthURL   = "https://auth.worksmobile.com/oauth2/v2.0/"
	defaultLease     = 30 * time.Second
	minAdminTokenLen = 16
	memoryDB         = "memory"
)

// storeKind is the storage backend chosen by UKETSUKE_DB.
type StoreKind int

const (
	StoreSQLite StoreKind = iota
	StoreMemory
	StorePostgres
)

func (k StoreKind) String() string {
	switch k {
	case StoreMemory:
		return "memory"
	case StorePostgres:
		return "postgres"
	}
	return "sqlite"
}

// demoMode is UKETSUKE_DEMO: auto (demo unless an organization has a LINE
// WORKS integration), on or off.
type DemoMode int

const (
	DemoAuto DemoMode = iota
	DemoOn
	DemoOff
)

// config is the server's configuration after parsing and validation.
type Config struct {
	Addr      string
	DB        string // path, DSN or "memory"
	Store     StoreKind
	PublicURL string // without trailing slash; "" if unset
	// AdminToken is "" when it must be generated.
	AdminToken string
	// SecretKey is UKETSUKE_SECRET_KEY, decoded. When it and SecretKeyFile
	// are unset, the key is read from or generated into <db>.key (SQLite)
	// or generated in memory (memory store).
	SecretKey []byte
	// SecretKeyFile is UKETSUKE_SECRET_KEY_FILE, read when the store opens.
	SecretKeyFile string
	APIURL        string // with trailing slash
	AuthURL       string // with trailing slash
	TokenURL      string
	Demo          DemoMode
	// Lease is how long a dispatcher holds an outbox or inbox entry; after
	// a crash, its entries are picked up again after this time.
	Lease time.Duration
	// KioskReturn is how long the kiosk's completion screen stays before
	// it returns to the start; 0 keeps it until the visitor taps.
	KioskReturn time.Duration
	// KioskTexts are the organizations' own kiosk texts per language, read
	// from the file UKETSUKE_KIOSK_TEXTS names; nil without it.
	KioskTexts app.KioskTexts
	// Limits bound check-ins made with kiosk tokens (limits.go).
	Limits Limits
	// Retention is how long visitors' personal data, and the outbox and
	// inbox rows, are kept (retention.go); 0 keeps them for ever.
	Retention time.Duration
	// Appointments are the appointments' settings (appointments.go).
	Appointments Appointments
	// Loc is UKETSUKE_TIME_ZONE: the zone of appointments' days, daily
	// limits and the times in messages.
	Loc *time.Location
}

// configError is an invalid setting; Setting names the environment
// variable (and so the flag) at fault.
type Error struct {
	Setting string
	Msg     string
}

func (e *Error) Error() string {
	return "invalid configuration: " + e.Setting + ": " + e.Msg
}

// setting describes one configuration value: its flag, its environment
// variable and its help text.
type setting struct {
	flag, env, def, help string
}

var settings = []setting{
	{"addr", "UKETSUKE_ADDR", defaultAddr, "address to listen on, host:port"},
	{"db", "UKETSUKE_DB", defaultDB, `SQLite file, a postgres:// URL (PostgreSQL) or "memory"`},
	{"public-url", "UKETSUKE_PUBLIC_URL", "", "public https URL of this server (the bot's callback URL is derived from it)"},
	{"admin-token", "UKETSUKE_ADMIN_TOKEN", "", "bearer token of the admin API (when unset: SQLite generates one once into <db>.admin-token, memory one per run; required with PostgreSQL)"},
	{"secret-key", "UKETSUKE_SECRET_KEY", "", "32-byte key encrypting stored LINE WORKS secrets, base64 (SQLite: generated once into <db>.key when neither this nor the key file is set)"},
	{"secret-key-file", "UKETSUKE_SECRET_KEY_FILE", "", "file holding the secret key, base64 (instead of UKETSUKE_SECRET_KEY; keep it mode 0600)"},
	{"lineworks-api-url", "UKETSUKE_LINEWORKS_API_URL", defaultAPIURL, "LINE WORKS API base URL"},
	{"lineworks-auth-url", "UKETSUKE_LINEWORKS_AUTH_URL", defaultAuthURL, "LINE WORKS auth base URL (the token endpoint is <url>token)"},
	{"demo", "UKETSUKE_DEMO", "", "1: demo mode with a built-in fake LINE WORKS, 0: never; default: demo until an organization has an integration"},
	{"time-zone", "UKETSUKE_TIME_ZONE", defaultTimeZone, `IANA time zone of appointments' days, daily limits and message times ("Local": this machine's zone)`},
	{"lease", "UKETSUKE_LEASE", defaultLease.String(), "how long a delivery lease lasts; a crashed process's work is retried after it"},
	{"kiosk-return", "UKETSUKE_KIOSK_RETURN", defaultKioskReturn.String(), "how long the kiosk's completion screen stays before it returns to the start (0: until tapped)"},
	{"kiosk-texts", "UKETSUKE_KIOSK_TEXTS", "", `JSON file of the organizations' own kiosk texts per language: {"<org>": {"en": {"welcome": "…", "fallback": "…"}}}`},
	{"kiosk-rate", "UKETSUKE_KIOSK_RATE", defaultKioskRate, "check-ins per kiosk token, sustained: N/s, N/m, N/h or N/d (0: no limit)"},
	{"kiosk-burst", "UKETSUKE_KIOSK_BURST", defaultKioskBurst, "check-ins per kiosk token at once, before the rate applies"},
	{"kiosk-code-rate", "UKETSUKE_KIOSK_CODE_RATE", defaultCodeRate, "wrong reception codes per kiosk (tablet, or API client address), sustained, once the burst is spent (0: no limit); an organization's kiosks together get 10 times as many"},
	{"kiosk-code-burst", "UKETSUKE_KIOSK_CODE_BURST", defaultCodeBurst, "wrong reception codes per kiosk (tablet, or API client address) before its codes are refused for a while"},
	{"address-rate", "UKETSUKE_ADDRESS_RATE", defaultAddressRate, "kiosk check-ins per client address, sustained: N/s, N/m, N/h or N/d (0: no limit)"},
	{"address-burst", "UKETSUKE_ADDRESS_BURST", defaultAddressBurst, "kiosk check-ins per client address at once, before the rate applies"},
	{"org-daily-checkins", "UKETSUKE_ORG_DAILY_CHECKINS", defaultOrgDaily, "kiosk check-ins per organization per day (0: no cap)"},
	{"retention", "UKETSUKE_RETENTION", defaultRetention, "how long visitors' names, companies and notes, and sent messages and callbacks, are kept: N days (90d) or a duration of at least 24h; 0: for ever"},
	{"trusted-proxies", "UKETSUKE_TRUSTED_PROXIES", "", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For names the client (limits count by client address)"},
}

// parseConfig reads flags from args (without the program name) and
// environment variables through env; a flag wins over its variable. The
// error is a *configError naming the setting, or flag.ErrHelp.
func Parse(args []string, env func(string) string, usage io.Writer) (*Config, error) {
	c, _, err := parseCommand(serverName, nil, args, env, usage)
	return c, err
}

// serverName is the server's name in usage messages.
const serverName = "uketsuke-server"

// parseCommand parses the server's settings plus a subcommand's extra ones
// (rotate-key's new key) and returns the config and the extra settings'
// values by variable name.
func parseCommand(name string, extra []setting, args []string, env func(string) string, usage io.Writer) (*Config, map[string]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.Usage = func() {
		fmt.Fprintf(usage, "Usage of %s:\n", name)
		if extra == nil && name == serverName {
			fmt.Fprintf(usage, "  %s [flags]                 run the server\n  %s %s [flags]      re-seal the stored secrets with a new key (server stopped)\n  %s %s [flags]   clear the stored secrets the key cannot open (a lost key)\n",
				name, name, cmdRotateKey, name, cmdResetSecrets)
		}
		fs.PrintDefaults()
	}
	all := append(append(append([]setting(nil), settings...), appointmentSettings...), extra...)
	vals := map[string]*string{}
	for _, s := range all {
		// The flag's default is the built-in one, never the environment's
		// value: usage (printed on -h and on a wrong flag) would show
		// UKETSUKE_ADMIN_TOKEN, UKETSUKE_SECRET_KEY or a DSN's password.
		vals[s.env] = fs.String(s.flag, s.def, s.help+" ($"+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, err
		}
		return nil, nil, &Error{Setting: "flags", Msg: err.Error()}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range all {
		if e := env(s.env); e != "" && !given[s.flag] {
			*vals[s.env] = e
		}
	}
	if fs.NArg() > 0 {
		return nil, nil, &Error{Setting: "flags", Msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	get := func(name string) string { return strings.TrimSpace(*vals[name]) }
	c, err := configFrom(get)
	if err != nil {
		return nil, nil, err
	}
	more := map[string]string{}
	for _, s := range extra {
		more[s.env] = get(s.env)
	}
	return c, more, nil
}

// configFrom validates the settings' values, read through get.
func configFrom(get func(string) string) (*Config, error) {
	c := &Config{}
	var err error

	c.Addr = get("UKETSUKE_ADDR")
	if _, port, perr := net.SplitHostPort(c.Addr); perr != nil || port == "" {
		return nil, &Error{"UKETSUKE_ADDR", fmt.Sprintf("%q is not host:port (e.g. :8080 or 127.0.0.1:8080)", c.Addr)}
	}

	c.DB = get("UKETSUKE_DB")
	switch {
	case c.DB == "":
		return nil, &Error{"UKETSUKE_DB", "is empty; give a SQLite file, a postgres:// URL or memory"}
	case c.DB == memoryDB:
		c.Store = StoreMemory
	case strings.HasPrefix(c.DB, "postgres://"), strings.HasPrefix(c.DB, "postgresql://"):
		if u, perr := url.Parse(c.DB); perr != nil || u.Host == "" {
			// Never echo the DSN: it may hold a password.
			return nil, &Error{"UKETSUKE_DB", "is not a valid postgres:// URL"}
		}
		c.Store = StorePostgres
	case strings.Contains(c.DB, "://"):
		return nil, &Error{"UKETSUKE_DB", "unknown URL scheme; use a file path, a postgres:// URL or memory"}
	default:
		c.Store = StoreSQLite
	}

	if raw := get("UKETSUKE_PUBLIC_URL"); raw != "" {
		if c.PublicURL, err = baseURL(raw, false); err != nil {
			return nil, &Error{"UKETSUKE_PUBLIC_URL", err.Error()}
		}
		c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	}

	if err := c.parseSecrets(get); err != nil {
		return nil, err
	}

	if c.APIURL, err = baseURL(get("UKETSUKE_LINEWORKS_API_URL"), true); err != nil {
		return nil, &Error{"UKETSUKE_LINEWORKS_API_URL", err.Error()}
	}
	if c.AuthURL, err = baseURL(get("UKETSUKE_LINEWORKS_AUTH_URL"), true); err != nil {
		return nil, &Error{"UKETSUKE_LINEWORKS_AUTH_URL", err.Error()}
	}
	c.TokenURL = c.AuthURL + "token"

	switch strings.ToLower(get("UKETSUKE_DEMO")) {
	case "":
		c.Demo = DemoAuto
	case "1", "true", "on", "yes":
		c.Demo = DemoOn
	case "0", "false", "off", "no":
		c.Demo = DemoOff
	default:
		return nil, &Error{"UKETSUKE_DEMO", fmt.Sprintf("%q is not 1 or 0", get("UKETSUKE_DEMO"))}
	}

	if c.Lease, err = time.ParseDuration(get("UKETSUKE_LEASE")); err != nil || c.Lease < time.Second || c.Lease > time.Hour {
		return nil, &Error{"UKETSUKE_LEASE", "must be a duration between 1s and 1h, e.g. 30s"}
	}
	if err := c.parseKiosk(get); err != nil {
		return nil, err
	}
	if c.Limits, err = parseLimits(get); err != nil {
		return nil, err
	}
	if c.Retention, err = parseRetention(get("UKETSUKE_RETENTION")); err != nil {
		return nil, err
	}
	if c.Loc, err = parseTimeZone(get("UKETSUKE_TIME_ZONE")); err != nil {
		return nil, &Error{"UKETSUKE_TIME_ZONE", err.Error()}
	}
	if c.Appointments, err = parseAppointments(get); err != nil {
		return nil, err
	}
	return c, nil
}

// defaultKioskReturn is how long the completion screen stays by default:
// long enough to read the fallback instruction, short enough that the next
// visitor does not find the last one's screen.
const defaultKioskReturn = 30 * time.Second

// parseKiosk reads the kiosk's settings.
func (c *Config) parseKiosk(get func(string) string) error {
	raw := get("UKETSUKE_KIOSK_RETURN")
	if _, err := strconv.Atoi(raw); err == nil {
		raw += "s" // plain seconds
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 || (d > 0 && d < 5*time.Second) || d > time.Hour {
		return &Error{"UKETSUKE_KIOSK_RETURN", "must be 0 (stay until tapped) or a duration between 5s and 1h, e.g. 30s"}
	}
	c.KioskReturn = d
	if path := get("UKETSUKE_KIOSK_TEXTS"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return &Error{"UKETSUKE_KIOSK_TEXTS", err.Error()}
		}
		if c.KioskTexts, err = app.ParseKioskTexts(data); err != nil {
			return &Error{"UKETSUKE_KIOSK_TEXTS", path + ": " + err.Error()}
		}
	}
	return nil
}

// parseSecrets reads the admin token and the secret key settings. Replicas
// on PostgreSQL share the database but no files, so there nothing can be
// generated and kept: both must be given.
func (c *Config) parseSecrets(get func(string) string) error {
	c.AdminToken = get("UKETSUKE_ADMIN_TOKEN")
	if err := checkAdminToken(c.AdminToken); err != nil {
		return &Error{"UKETSUKE_ADMIN_TOKEN", err.Error()}
	}
	if c.AdminToken == "" && c.Store == StorePostgres {
		return &Error{"UKETSUKE_ADMIN_TOKEN", "is required with PostgreSQL: every replica must accept the same token (openssl rand -hex 24)"}
	}

	raw, file := get("UKETSUKE_SECRET_KEY"), get("UKETSUKE_SECRET_KEY_FILE")
	switch {
	case raw != "" && file != "":
		return &Error{"UKETSUKE_SECRET_KEY_FILE", "and UKETSUKE_SECRET_KEY are both set; give the key one way only"}
	case raw != "":
		k, err := decodeKey(raw)
		if err != nil {
			return &Error{"UKETSUKE_SECRET_KEY", err.Error()}
		}
		c.SecretKey = k
	case file != "":
		c.SecretKeyFile = file
	case c.Store == StorePostgres:
		return &Error{"UKETSUKE_SECRET_KEY", "or UKETSUKE_SECRET_KEY_FILE is required with PostgreSQL (32 random bytes, base64: openssl rand -base64 32)"}
	}
	return nil
}

// checkAdminToken checks a given admin token ("" is fine: one is made).
func checkAdminToken(t string) error {
	if t != "" && len(t) < minAdminTokenLen {
		return fmt.Errorf("is shorter than %d characters", minAdminTokenLen)
	}
	if strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return errors.New("must be printable ASCII without spaces")
	}
	return nil
}

// baseURL checks an absolute http(s) URL without query or fragment and,
// with slash, makes it end in "/".
func baseURL(raw string, slash bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		// Redacted: user info may hold a password.
		return "", fmt.Errorf("%q must not have a query, fragment or user info", u.Redacted())
	}
	s := u.String()
	if slash && !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// decodeKey decodes a base64 secret key (standard or URL alphabet, padded or
// not) of reception.SecretKeySize bytes. The error never quotes the key.
func decodeKey(raw string) ([]byte, error) {
	raw = strings.TrimSpace(raw)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(raw); err == nil {
			if len(k) != reception.SecretKeySize {
				return nil, fmt.Errorf("decodes to %d bytes, want %d (openssl rand -base64 32)", len(k), reception.SecretKeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("is not base64 (openssl rand -base64 32)")
}
