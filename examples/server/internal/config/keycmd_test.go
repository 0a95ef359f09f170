package config

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/reception"
)

// testAdminToken is a valid UKETSUKE_ADMIN_TOKEN.
const testAdminToken = "admin-token-for-tests-0123456789"

// Keys of these tests, base64 as in the settings.
var (
	keyA = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa}, 32))
	keyB = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xb}, 32))
)

func testConfig(t *testing.T, env map[string]string) *Config {
	t.Helper()
	if env["UKETSUKE_DB"] == "" {
		env["UKETSUKE_DB"] = filepath.Join(t.TempDir(), "uketsuke.db")
	}
	cfg, err := Parse(nil, envOf(env), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// openTestStore opens cfg's store as the server does at start-up.
func openTestStore(t *testing.T, cfg *Config) (reception.Store, *servertest.Buffer, error) {
	t.Helper()
	logs := &servertest.Buffer{}
	st, _, _, err := OpenStore(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	return st, logs, err
}

// putOrgs stores organizations with all three secrets, which are their IDs
// with a suffix.
func putOrgs(t *testing.T, cfg *Config, ids ...string) {
	t.Helper()
	st, logs, err := openTestStore(t, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	defer st.Close()
	now := time.Now()
	for i, id := range ids {
		o := &reception.Organization{ID: id, Name: id, CreatedAt: now, UpdatedAt: now, Integration: reception.Integration{
			ClientID: "client-" + id, ClientSecret: id + "-client-secret", ServiceAccountID: "sa@" + id,
			PrivateKey: []byte("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"), BotID: int64(100 + i), BotSecret: id + "-bot-secret"}}
		if err := st.PutOrganization(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

// checkSecrets opens cfg's store and checks each organization's secrets.
func checkSecrets(t *testing.T, cfg *Config, ids ...string) {
	t.Helper()
	st, logs, err := openTestStore(t, cfg)
	if err != nil {
		t.Fatalf("start-up refused: %v\n%s", err, logs)
	}
	defer st.Close()
	for _, id := range ids {
		o, err := st.GetOrganizationWithSecrets(context.Background(), id)
		if err != nil || o.Integration.ClientSecret != id+"-client-secret" || o.Integration.BotSecret != id+"-bot-secret" {
			t.Errorf("organization %s: %v", id, err)
		}
	}
}

// runCmd runs a subcommand of the server in-process.
func runCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut servertest.Buffer
	_, err := RunCommand(context.Background(), args, envOf(env), &out, &errOut)
	return out.String() + errOut.String(), err
}

// wantRefusal checks a start-up refusal names what the admin must fix and
// shows no key.
func wantRefusal(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("the store opened; want a refusal")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("refusal %q does not mention %q", err, w)
		}
	}
	for _, k := range []string{keyA, keyB} {
		if strings.Contains(err.Error(), k) {
			t.Errorf("refusal shows a key: %q", err)
		}
	}
}

func TestStartRefusesAnotherKey(t *testing.T) {
	t.Parallel()
	env := map[string]string{"UKETSUKE_SECRET_KEY": keyA}
	cfg := testConfig(t, env)
	putOrgs(t, cfg, "acme", "beta")
	checkSecrets(t, cfg, "acme", "beta")

	env["UKETSUKE_SECRET_KEY"] = keyB
	_, _, err := openTestStore(t, testConfig(t, env))
	wantRefusal(t, err, "UKETSUKE_SECRET_KEY", "UKETSUKE_SECRET_KEY_FILE", "acme, beta", "reset-secrets")
}

// TestNoKeyForSealedDatabase: with the generated key file gone, the server
// does not make a new one (it would not open the secrets); reset-secrets
// clears them, and then a new key is made.
func TestNoKeyForSealedDatabase(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	cfg := testConfig(t, env)
	putOrgs(t, cfg, "acme")
	keyFile := cfg.DB + ".key"
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	_, _, err := openTestStore(t, cfg)
	wantRefusal(t, err, keyFile, "UKETSUKE_SECRET_KEY", "acme", "reset-secrets")
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("a key file was generated for a database holding secrets")
	}

	// Without -clear, it only says what it would clear, and clears nothing.
	if out, err := runCmd(t, env, cmdResetSecrets); err == nil || !strings.Contains(err.Error(), "acme") || !strings.Contains(err.Error(), "-clear all") {
		t.Fatalf("reset-secrets without -clear = %v\n%s; want a refusal naming acme and -clear", err, out)
	}
	if _, err := runCmd(t, env, cmdResetSecrets, "-clear", "beta"); err == nil {
		t.Fatal("reset-secrets -clear beta (not an affected organization) succeeded")
	}
	if _, _, err := openTestStore(t, cfg); err == nil {
		t.Fatal("the secrets were cleared without -clear")
	}
	out, err := runCmd(t, env, cmdResetSecrets, "-clear", "all")
	if err != nil || !strings.Contains(out, "acme") {
		t.Fatalf("reset-secrets -clear all = %v\n%s", err, out)
	}
	st, logs, err := openTestStore(t, cfg)
	if err != nil {
		t.Fatalf("after reset-secrets: %v\n%s", err, logs)
	}
	defer st.Close()
	o, err := st.GetOrganization(context.Background(), "acme")
	if err != nil || o.Integration.Stored != 0 || o.Integration.ClientID != "client-acme" {
		t.Errorf("after reset-secrets: %+v, %v; want the organization without secrets", o, err)
	}
	if _, err := os.Stat(keyFile); err != nil {
		t.Errorf("no key file generated once the secrets were cleared: %v", err)
	}
}

// TestRotateKey rotates from one given key to another: the new key opens
// everything, and the old key is refused.
func TestRotateKey(t *testing.T) {
	t.Parallel()
	env := map[string]string{"UKETSUKE_SECRET_KEY": keyA}
	cfg := testConfig(t, env)
	putOrgs(t, cfg, "acme", "beta")

	newFile := filepath.Join(t.TempDir(), "new.key")
	if err := os.WriteFile(newFile, []byte(keyB+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, env, cmdRotateKey); err == nil || !strings.Contains(err.Error(), "UKETSUKE_NEW_SECRET_KEY_FILE") {
		t.Errorf("rotate-key without a new key = %v, want an error naming UKETSUKE_NEW_SECRET_KEY_FILE\n%s", err, out)
	}
	out, err := runCmd(t, env, cmdRotateKey, "-new-secret-key-file", newFile)
	if err != nil || !strings.Contains(out, "2 organizations") {
		t.Fatalf("rotate-key = %v\n%s", err, out)
	}
	if strings.Contains(out, keyA) || strings.Contains(out, keyB) {
		t.Errorf("rotate-key printed a key:\n%s", out)
	}

	newEnv := map[string]string{"UKETSUKE_DB": cfg.DB, "UKETSUKE_SECRET_KEY_FILE": newFile}
	checkSecrets(t, testConfig(t, newEnv), "acme", "beta")
	_, _, err = openTestStore(t, cfg)
	wantRefusal(t, err, "UKETSUKE_SECRET_KEY", "acme, beta")
}

// TestRotateKeyInterrupted rotates SQLite's generated key file after a
// rotation that stopped midway: one organization re-sealed with the new key
// in <db>.key.new, the other not. The server still starts, and rotate-key
// finishes with the same new key.
func TestRotateKeyInterrupted(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	cfg := testConfig(t, env)
	putOrgs(t, cfg, "acme", "beta")
	keyFile := cfg.DB + ".key"
	oldKey, _ := os.ReadFile(keyFile)

	// The interrupted rotation: the new key written, acme re-sealed.
	pending := pendingKeyPath(keyFile)
	if err := os.WriteFile(pending, []byte(keyB+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old, _ := decodeKey(string(oldKey))
	nk, _ := decodeKey(keyB)
	st, _, err := openWithKey(context.Background(), cfg, nk, old)
	if err != nil {
		t.Fatal(err)
	}
	o, err := st.GetOrganizationWithSecrets(context.Background(), "acme")
	if err == nil {
		err = st.PutOrganization(context.Background(), o)
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	checkSecrets(t, cfg, "acme", "beta") // the server opens with both keys
	out, err := runCmd(t, env, cmdRotateKey)
	if err != nil {
		t.Fatalf("rotate-key = %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(keyFile); strings.TrimSpace(string(got)) != keyB {
		t.Errorf("the key file does not hold the interrupted rotation's new key")
	}
	if _, err := os.Stat(pending); err == nil {
		t.Errorf("%s is left behind", pending)
	}
	checkSecrets(t, cfg, "acme", "beta")
	oldEnv := map[string]string{"UKETSUKE_DB": cfg.DB, "UKETSUKE_SECRET_KEY": strings.TrimSpace(string(oldKey))}
	_, _, err = openTestStore(t, testConfig(t, oldEnv))
	wantRefusal(t, err, "acme, beta")

	// A plain rotation of the generated file makes a fresh key.
	out, err = runCmd(t, env, cmdRotateKey)
	if got, _ := os.ReadFile(keyFile); err != nil || strings.TrimSpace(string(got)) == keyB {
		t.Errorf("second rotate-key = %v, key changed: %v\n%s", err, strings.TrimSpace(string(got)) != keyB, out)
	}
	checkSecrets(t, cfg, "acme", "beta")
}

func TestSecretKeyFileSetting(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(file, []byte(keyA+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"UKETSUKE_SECRET_KEY_FILE": file}
	cfg := testConfig(t, env)
	putOrgs(t, cfg, "acme")
	st, logs, err := openTestStore(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if !strings.Contains(logs.String(), "can be read by other users") {
		t.Errorf("no warning about a 0644 key file:\n%s", logs)
	}
	if _, err := os.Stat(cfg.DB + ".key"); err == nil {
		t.Error("a key file was generated although UKETSUKE_SECRET_KEY_FILE is set")
	}
	// The same key given inline opens what the file's key sealed.
	checkSecrets(t, testConfig(t, map[string]string{"UKETSUKE_DB": cfg.DB, "UKETSUKE_SECRET_KEY": keyA}), "acme")

	_, _, err = openTestStore(t, testConfig(t, map[string]string{"UKETSUKE_SECRET_KEY_FILE": filepath.Join(t.TempDir(), "missing.key")}))
	wantRefusal(t, err, "UKETSUKE_SECRET_KEY_FILE", "missing.key")
}

// TestReadyzSecretCheck: /readyz's check sees secrets sealed with a key
// this process does not have (another replica rotated).
func TestReadyzSecretCheck(t *testing.T) {
	t.Parallel()
	env := map[string]string{"UKETSUKE_SECRET_KEY": keyA}
	cfg := testConfig(t, env)
	putOrgs(t, cfg, "acme")
	st, _, err := openTestStore(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logs := &servertest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	c := NewSecretCheck(st, "UKETSUKE_SECRET_KEY", true)
	c.at = time.Time{}
	if msg := c.Check(context.Background(), log); msg != "" {
		t.Fatalf("check with the right key = %q", msg)
	}

	out, err := runCmd(t, map[string]string{"UKETSUKE_DB": cfg.DB, "UKETSUKE_SECRET_KEY": keyA, "UKETSUKE_NEW_SECRET_KEY": keyB}, cmdRotateKey)
	if err != nil {
		t.Fatalf("rotate-key = %v\n%s", err, out)
	}
	if msg := c.Check(context.Background(), log); msg != "" {
		t.Errorf("check within %v of the last = %q, want the cached answer", secretCheckEvery, msg)
	}
	c.at = time.Time{}
	if msg := c.Check(context.Background(), log); !strings.Contains(msg, "UKETSUKE_SECRET_KEY") || strings.Contains(msg, "acme") {
		t.Errorf("check after another key sealed = %q, want one naming the key setting and not the organization", msg)
	}
	if !strings.Contains(logs.String(), "acme") {
		t.Errorf("the log does not name the organization:\n%s", logs)
	}
}

func TestAdminTokenKept(t *testing.T) {
	t.Parallel()
	cfg := &Config{DB: filepath.Join(t.TempDir(), "uketsuke.db"), Store: StoreSQLite}
	first, err := AdminToken(cfg)
	if err != nil || !first.show || first.file != cfg.DB+".admin-token" || len(first.token) < minAdminTokenLen {
		t.Fatalf("first start: %+v, %v", first, err)
	}
	if fi, err := os.Stat(first.file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v, %v; want mode 0600", fi, err)
	}
	again, err := AdminToken(cfg)
	if err != nil || again.token != first.token || again.show {
		t.Errorf("second start: %+v, %v; want the same token, not shown", again, err)
	}
	var b strings.Builder
	again.Banner(&b)
	if strings.Contains(b.String(), first.token) || !strings.Contains(b.String(), first.file) {
		t.Errorf("banner of a later start = %q, want the file and not the token", b.String())
	}
	given, _ := AdminToken(&Config{DB: cfg.DB, Store: StoreSQLite, AdminToken: testAdminToken})
	if given.token != testAdminToken || given.show {
		t.Errorf("UKETSUKE_ADMIN_TOKEN: %+v", given)
	}
	mem, _ := AdminToken(&Config{DB: memoryDB, Store: StoreMemory})
	b.Reset()
	mem.Banner(&b)
	if !mem.perRun || !strings.Contains(b.String(), mem.token) || !strings.Contains(b.String(), "for this run") {
		t.Errorf("memory store: %+v, banner %q", mem, b.String())
	}
	if err := os.WriteFile(cfg.DB+".admin-token", []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := AdminToken(cfg); err == nil || !strings.Contains(err.Error(), "UKETSUKE_ADMIN_TOKEN") {
		t.Errorf("short token file: %v", err)
	}
}

// TestPostgresKeyFile: with PostgreSQL, the key comes from a key file, a
// server given another key refuses to start, and rotate-key works.
func TestPostgresKeyFile(t *testing.T) {
	t.Parallel()
	dsn := freshPostgres(t)
	file := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(file, []byte(keyA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"UKETSUKE_DB": dsn, "UKETSUKE_SECRET_KEY_FILE": file, "UKETSUKE_ADMIN_TOKEN": testAdminToken}
	cfg := testConfig(t, env)
	putOrgs(t, cfg, "acme")
	checkSecrets(t, cfg, "acme")
	withB := map[string]string{"UKETSUKE_DB": dsn, "UKETSUKE_SECRET_KEY": keyB, "UKETSUKE_ADMIN_TOKEN": testAdminToken}
	_, _, err := openTestStore(t, testConfig(t, withB))
	wantRefusal(t, err, "UKETSUKE_SECRET_KEY", "acme")

	newFile := filepath.Join(t.TempDir(), "new.key")
	if err := os.WriteFile(newFile, []byte(keyB+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, env, cmdRotateKey, "-new-secret-key-file", newFile); err != nil {
		t.Fatalf("rotate-key = %v\n%s", err, out)
	}
	checkSecrets(t, testConfig(t, withB), "acme")
	_, _, err = openTestStore(t, cfg)
	wantRefusal(t, err, "UKETSUKE_SECRET_KEY_FILE", "acme")
}

func freshPostgres(t *testing.T) string {
	t.Helper()
	return servertest.FreshDatabase(t, "uketsuke_key_")
}
