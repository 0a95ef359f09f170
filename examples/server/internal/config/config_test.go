package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/internal/servertest"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	kioskTexts := filepath.Join(t.TempDir(), "kiosk.json")
	badKioskTexts := filepath.Join(t.TempDir(), "bad.json")
	for f, data := range map[string]string{
		kioskTexts:    `{"acme": {"en": {"welcome": "Welcome to ACME", "fallback": "Please call extension 100."}}}`,
		badKioskTexts: `{"acme": {"fr": {"welcome": "Bienvenue"}}}`,
	} {
		if err := os.WriteFile(f, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	defaults := Config{Addr: ":8080", DB: "uketsuke.db", Store: StoreSQLite, APIURL: defaultAPIURL, AuthURL: defaultAuthURL,
		TokenURL: defaultAuthURL + "token", Demo: DemoAuto, Lease: 30 * time.Second, KioskReturn: 30 * time.Second,
		Limits: Limits{KioskRate: rate.Limit(60.0 / 3600), KioskBurst: 10, AddressRate: rate.Limit(180.0 / 3600), AddressBurst: 30, OrgDaily: 1000,
			CodeRate: rate.Limit(20.0 / 3600), CodeBurst: 5},
		Retention: 90 * 24 * time.Hour, Appointments: Appointments{Reminder: 30 * time.Minute}, Loc: tokyo}
	with := func(f func(c *Config)) *Config {
		c := defaults
		f(&c)
		return &c
	}
	tests := []struct {
		name        string
		args        []string
		env         map[string]string
		want        *Config
		wantSetting string // the setting a configError names
	}{
		{name: "defaults", want: &defaults},
		{name: "env", env: map[string]string{
			"UKETSUKE_ADDR": "127.0.0.1:9000", "UKETSUKE_DB": "memory", "UKETSUKE_PUBLIC_URL": "https://uketsuke.example.com/",
			"UKETSUKE_ADMIN_TOKEN": "0123456789abcdef", "UKETSUKE_SECRET_KEY": key, "UKETSUKE_DEMO": "0",
			"UKETSUKE_LINEWORKS_API_URL": "http://127.0.0.1:1/v1.0", "UKETSUKE_LINEWORKS_AUTH_URL": "http://127.0.0.1:1/oauth2/v2.0",
			"UKETSUKE_LEASE": "5s", "UKETSUKE_KIOSK_RETURN": "0", "UKETSUKE_KIOSK_TEXTS": kioskTexts,
		}, want: with(func(c *Config) {
			c.KioskReturn = 0
			c.KioskTexts = app.KioskTexts{"acme": {"en": {Welcome: "Welcome to ACME", Fallback: "Please call extension 100."}}}
			c.Addr, c.DB, c.Store, c.PublicURL = "127.0.0.1:9000", "memory", StoreMemory, "https://uketsuke.example.com"
			c.AdminToken, c.SecretKey, c.Demo, c.Lease = "0123456789abcdef", []byte(strings.Repeat("k", 32)), DemoOff, 5*time.Second
			c.APIURL, c.AuthURL, c.TokenURL = "http://127.0.0.1:1/v1.0/", "http://127.0.0.1:1/oauth2/v2.0/", "http://127.0.0.1:1/oauth2/v2.0/token"
		})},
		{name: "flag wins over env", args: []string{"--addr", "127.0.0.1:0", "-demo", "1"}, env: map[string]string{"UKETSUKE_ADDR": ":1", "UKETSUKE_DEMO": "0"},
			want: with(func(c *Config) { c.Addr, c.Demo = "127.0.0.1:0", DemoOn })},
		{name: "postgres needs a key", env: map[string]string{"UKETSUKE_DB": "postgres://u:p@db/uketsuke", "UKETSUKE_ADMIN_TOKEN": "0123456789abcdef"}, wantSetting: "UKETSUKE_SECRET_KEY"},
		{name: "postgres needs an admin token", env: map[string]string{"UKETSUKE_DB": "postgres://u:p@db/uketsuke", "UKETSUKE_SECRET_KEY": key}, wantSetting: "UKETSUKE_ADMIN_TOKEN"},
		{name: "postgres", env: map[string]string{"UKETSUKE_DB": "postgres://u:p@db/uketsuke", "UKETSUKE_SECRET_KEY": key, "UKETSUKE_ADMIN_TOKEN": "0123456789abcdef"},
			want: with(func(c *Config) {
				c.DB, c.Store, c.SecretKey, c.AdminToken = "postgres://u:p@db/uketsuke", StorePostgres, []byte(strings.Repeat("k", 32)), "0123456789abcdef"
			})},
		{name: "postgres with a key file", env: map[string]string{"UKETSUKE_DB": "postgres://u:p@db/uketsuke", "UKETSUKE_SECRET_KEY_FILE": "/run/secrets/key", "UKETSUKE_ADMIN_TOKEN": "0123456789abcdef"},
			want: with(func(c *Config) {
				c.DB, c.Store, c.SecretKeyFile, c.AdminToken = "postgres://u:p@db/uketsuke", StorePostgres, "/run/secrets/key", "0123456789abcdef"
			})},
		{name: "key and key file", env: map[string]string{"UKETSUKE_SECRET_KEY": key, "UKETSUKE_SECRET_KEY_FILE": "/run/secrets/key"}, wantSetting: "UKETSUKE_SECRET_KEY_FILE"},
		{name: "key file flag", args: []string{"-secret-key-file", "k.key"}, want: with(func(c *Config) { c.SecretKeyFile = "k.key" })},
		{name: "bad addr", env: map[string]string{"UKETSUKE_ADDR": "8080"}, wantSetting: "UKETSUKE_ADDR"},
		{name: "unknown db scheme", env: map[string]string{"UKETSUKE_DB": "mysql://x"}, wantSetting: "UKETSUKE_DB"},
		{name: "public url not absolute", env: map[string]string{"UKETSUKE_PUBLIC_URL": "uketsuke.example.com"}, wantSetting: "UKETSUKE_PUBLIC_URL"},
		{name: "short admin token", env: map[string]string{"UKETSUKE_ADMIN_TOKEN": "short"}, wantSetting: "UKETSUKE_ADMIN_TOKEN"},
		{name: "key not base64", env: map[string]string{"UKETSUKE_SECRET_KEY": "not base64!"}, wantSetting: "UKETSUKE_SECRET_KEY"},
		{name: "key too short", env: map[string]string{"UKETSUKE_SECRET_KEY": base64.StdEncoding.EncodeToString([]byte("short"))}, wantSetting: "UKETSUKE_SECRET_KEY"},
		{name: "bad api url", env: map[string]string{"UKETSUKE_LINEWORKS_API_URL": "ftp://x"}, wantSetting: "UKETSUKE_LINEWORKS_API_URL"},
		{name: "bad auth url", env: map[string]string{"UKETSUKE_LINEWORKS_AUTH_URL": "https://x/?q=1"}, wantSetting: "UKETSUKE_LINEWORKS_AUTH_URL"},
		{name: "bad demo", env: map[string]string{"UKETSUKE_DEMO": "maybe"}, wantSetting: "UKETSUKE_DEMO"},
		{name: "bad lease", env: map[string]string{"UKETSUKE_LEASE": "10ms"}, wantSetting: "UKETSUKE_LEASE"},
		{name: "kiosk return in seconds", env: map[string]string{"UKETSUKE_KIOSK_RETURN": "90"}, want: with(func(c *Config) { c.KioskReturn = 90 * time.Second })},
		{name: "bad kiosk return", env: map[string]string{"UKETSUKE_KIOSK_RETURN": "1s"}, wantSetting: "UKETSUKE_KIOSK_RETURN"},
		{name: "missing kiosk texts", env: map[string]string{"UKETSUKE_KIOSK_TEXTS": "/nonexistent/kiosk.json"}, wantSetting: "UKETSUKE_KIOSK_TEXTS"},
		{name: "kiosk texts in an unknown language", env: map[string]string{"UKETSUKE_KIOSK_TEXTS": badKioskTexts}, wantSetting: "UKETSUKE_KIOSK_TEXTS"},
		{name: "limits", env: map[string]string{"UKETSUKE_KIOSK_RATE": "2/m", "UKETSUKE_KIOSK_BURST": "3", "UKETSUKE_ADDRESS_RATE": "0",
			"UKETSUKE_ADDRESS_BURST": "1", "UKETSUKE_ORG_DAILY_CHECKINS": "0", "UKETSUKE_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1,::1"},
			want: with(func(c *Config) {
				c.Limits = Limits{KioskRate: rate.Limit(2.0 / 60), KioskBurst: 3, AddressBurst: 1, CodeRate: rate.Limit(20.0 / 3600), CodeBurst: 5, TrustedProxies: []netip.Prefix{
					netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}}
			})},
		{name: "bad kiosk rate", env: map[string]string{"UKETSUKE_KIOSK_RATE": "60"}, wantSetting: "UKETSUKE_KIOSK_RATE"},
		{name: "bad kiosk rate unit", env: map[string]string{"UKETSUKE_KIOSK_RATE": "60/week"}, wantSetting: "UKETSUKE_KIOSK_RATE"},
		{name: "zero kiosk burst", env: map[string]string{"UKETSUKE_KIOSK_BURST": "0"}, wantSetting: "UKETSUKE_KIOSK_BURST"},
		{name: "bad address rate", env: map[string]string{"UKETSUKE_ADDRESS_RATE": "-1/h"}, wantSetting: "UKETSUKE_ADDRESS_RATE"},
		{name: "bad address burst", env: map[string]string{"UKETSUKE_ADDRESS_BURST": "x"}, wantSetting: "UKETSUKE_ADDRESS_BURST"},
		{name: "bad daily cap", env: map[string]string{"UKETSUKE_ORG_DAILY_CHECKINS": "-5"}, wantSetting: "UKETSUKE_ORG_DAILY_CHECKINS"},
		{name: "time zone", env: map[string]string{"UKETSUKE_TIME_ZONE": "America/New_York"}, want: with(func(c *Config) { c.Loc = newYork })},
		{name: "time zone Local", env: map[string]string{"UKETSUKE_TIME_ZONE": "Local"}, want: with(func(c *Config) { c.Loc = time.Local })},
		{name: "unknown time zone", env: map[string]string{"UKETSUKE_TIME_ZONE": "Asia/Tokio"}, wantSetting: "UKETSUKE_TIME_ZONE"},
		{name: "bad trusted proxy", env: map[string]string{"UKETSUKE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, wantSetting: "UKETSUKE_TRUSTED_PROXIES"},
		{name: "retention in days", env: map[string]string{"UKETSUKE_RETENTION": "30d"}, want: with(func(c *Config) { c.Retention = 30 * 24 * time.Hour })},
		{name: "retention flag as a duration", args: []string{"-retention", "36h"}, want: with(func(c *Config) { c.Retention = 36 * time.Hour })},
		{name: "retention off", env: map[string]string{"UKETSUKE_RETENTION": "0"}, want: with(func(c *Config) { c.Retention = 0 })},
		{name: "retention under a day", env: map[string]string{"UKETSUKE_RETENTION": "1h"}, wantSetting: "UKETSUKE_RETENTION"},
		{name: "bad retention", env: map[string]string{"UKETSUKE_RETENTION": "ninety"}, wantSetting: "UKETSUKE_RETENTION"},
		{name: "unknown flag", args: []string{"--nope"}, wantSetting: "flags"},
		{name: "stray argument", args: []string{"serve"}, wantSetting: "flags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.args, envOf(tt.env), io.Discard)
			if tt.wantSetting != "" {
				var ce *Error
				if !errors.As(err, &ce) || ce.Setting != tt.wantSetting {
					t.Fatalf("err = %v, want a configError naming %s", err, tt.wantSetting)
				}
				if !strings.Contains(err.Error(), tt.wantSetting) {
					t.Errorf("message %q does not name %s", err, tt.wantSetting)
				}
				if strings.Contains(err.Error(), "u:p@") {
					t.Errorf("message %q leaks the DSN", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Config{}), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
				cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseConfigHelp(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	_, err := Parse([]string{"-h"}, envOf(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), s.env) {
			t.Errorf("usage does not mention %s", s.env)
		}
	}
}

// TestParseConfigUsageHidesSecrets: usage, printed on -h and on a wrong
// flag, must not show the environment's values as defaults.
func TestParseConfigUsageHidesSecrets(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{
		"UKETSUKE_ADMIN_TOKEN": "admin-token-secret-0123456789",
		"UKETSUKE_SECRET_KEY":  "c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=",
		"UKETSUKE_DB":          "postgres://u:dsn-password@db/x",
	})
	for _, args := range [][]string{{"-h"}, {"-no-such-flag"}} {
		var out strings.Builder
		if _, err := Parse(args, env, &out); err == nil {
			t.Fatalf("%v: no error", args)
		}
		for _, secret := range []string{"admin-token-secret", "c2VjcmV0", "dsn-password"} {
			if strings.Contains(out.String(), secret) {
				t.Errorf("%v: usage shows %q:\n%s", args, secret, out.String())
			}
		}
	}
}

func TestBaseURLRedactsUserInfo(t *testing.T) {
	t.Parallel()
	_, err := baseURL("https://user:url-password@example.com/", false)
	if err == nil || strings.Contains(err.Error(), "url-password") {
		t.Errorf("baseURL error = %v, want an error without the password", err)
	}
}

func TestKeyFilePath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"uketsuke.db":                 "uketsuke.db.key",
		"/var/lib/uketsuke/u.db":      "/var/lib/uketsuke/u.db.key",
		"file:data/u.db?_pragma=x(1)": "data/u.db.key",
	} {
		if got := keyFilePath(in); got != want {
			t.Errorf("keyFilePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecretKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := &Config{DB: filepath.Join(dir, "data", "uketsuke.db"), Store: StoreSQLite}
	logs := &servertest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	ki, err := loadKey(cfg, log)
	if err != nil || ki.key != nil || ki.genFile != cfg.DB+".key" {
		t.Fatalf("loadKey without a key file = %+v, %v; want no key and the file to generate", ki, err)
	}
	first, err := generateKeyFile(ki.genFile, log)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(cfg.DB + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(logs.String(), "generated a secret key") {
		t.Errorf("no warning logged: %s", logs)
	}
	if _, err := generateKeyFile(ki.genFile, log); err == nil {
		t.Error("generateKeyFile replaced an existing key file")
	}
	again, err := loadKey(cfg, log)
	if err != nil || !bytes.Equal(first, again.key) || len(first) != 32 {
		t.Errorf("second start read a different key (%v)", err)
	}
	if err := os.WriteFile(cfg.DB+".key", []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	var ce *Error
	if _, err := loadKey(cfg, log); !errors.As(err, &ce) || ce.Setting != "UKETSUKE_SECRET_KEY" {
		t.Errorf("corrupt key file: err = %v, want a configError naming UKETSUKE_SECRET_KEY", err)
	}
}
