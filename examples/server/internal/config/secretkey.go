package config

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// keyInfo is the secret key configuration resolved: the key and where it
// came from. Messages name the source, never the key.
type KeyInfo struct {
	// key seals and opens; nil when a SQLite database has no key file yet.
	key []byte
	// previous open only: the new key of a rotation that was interrupted
	// before it finished (<db>.key.new), so rows it re-sealed still open.
	previous [][]byte
	// source says where key came from, for messages.
	source string
	// genFile is <db>.key when the key lives there (SQLite, no key
	// setting); "" otherwise.
	genFile string
}

// Source says where the key came from (a setting or a file), for messages
// that must never show the key itself.
func (ki *KeyInfo) Source() string { return ki.source }

// forget clears the key bytes once a SecretBox holds their key schedule.
func (ki *KeyInfo) forget() {
	clear(ki.key)
	for _, p := range ki.previous {
		clear(p)
	}
	ki.key, ki.previous = nil, nil
}

// keySettings names the settings that give the key, for messages.
const (
	keySettings    = "UKETSUKE_SECRET_KEY or UKETSUKE_SECRET_KEY_FILE"
	keySettingsAnd = "UKETSUKE_SECRET_KEY and UKETSUKE_SECRET_KEY_FILE"
)

// resetHint is the way out of a lost key, for messages.
const resetHint = "run the reset-secrets subcommand with the same settings (go run ./examples/server reset-secrets -clear all) to clear those secrets, then enter them again at /admin"

// loadKey resolves the secret key: UKETSUKE_SECRET_KEY, the file of
// UKETSUKE_SECRET_KEY_FILE, for SQLite <db>.key (key nil when it does not
// exist yet), or for the memory store a random key.
func loadKey(cfg *Config, log *slog.Logger) (*KeyInfo, error) {
	switch {
	case cfg.SecretKey != nil:
		return &KeyInfo{key: append([]byte(nil), cfg.SecretKey...), source: "UKETSUKE_SECRET_KEY"}, nil
	case cfg.SecretKeyFile != "":
		k, err := readKeyFile(cfg.SecretKeyFile, "UKETSUKE_SECRET_KEY_FILE", log)
		if err != nil {
			return nil, err
		}
		return &KeyInfo{key: k, source: "UKETSUKE_SECRET_KEY_FILE (" + cfg.SecretKeyFile + ")"}, nil
	case cfg.Store == StoreMemory:
		return &KeyInfo{key: randomBytes(reception.SecretKeySize), source: "a random key for this run (memory store)"}, nil
	case cfg.Store == StorePostgres:
		// parseConfig refuses this; kept so a change there cannot make
		// PostgreSQL replicas generate keys of their own.
		return nil, &Error{"UKETSUKE_SECRET_KEY", "or UKETSUKE_SECRET_KEY_FILE is required with PostgreSQL"}
	}
	ki := &KeyInfo{genFile: keyFilePath(cfg.DB)}
	ki.source = "the key file " + ki.genFile + " (" + keySettings + " unset)"
	pendingPath := pendingKeyPath(ki.genFile)
	if !exists(ki.genFile) {
		if exists(pendingPath) {
			return nil, &Error{"UKETSUKE_SECRET_KEY", fmt.Sprintf("key file %s is missing but %s (a key rotation's new key) exists: restore %s from a backup", ki.genFile, pendingPath, ki.genFile)}
		}
		return ki, nil
	}
	var err error
	if ki.key, err = readKeyFile(ki.genFile, "UKETSUKE_SECRET_KEY", log); err != nil {
		return nil, err
	}
	if exists(pendingPath) {
		pending, err := readKeyFile(pendingPath, "UKETSUKE_SECRET_KEY", log)
		if err != nil {
			return nil, err
		}
		log.Warn("a key rotation did not finish: opening secrets with both keys; run rotate-key again to finish it", "file", ki.genFile, "new", pendingPath)
		ki.previous = [][]byte{pending}
	}
	return ki, nil
}

// exists reports whether path exists; an unreadable path counts as
// existing, so that reading it reports why.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// readKeyFile reads a base64 key from path; setting is what the error
// names. A key file
// others can read is used, with a warning: refusing would break key files
// that container platforms mount group- or world-readable.
func readKeyFile(path, setting string, log *slog.Logger) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{setting, fmt.Sprintf("key file %s does not exist (make one once: umask 077; openssl rand -base64 32 > %s)", path, path)}
		}
		return nil, &Error{setting, fmt.Sprintf("reading key file: %v", err)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{setting, fmt.Sprintf("reading key file: %v", err)}
	}
	k, err := decodeKey(string(data))
	clear(data)
	if err != nil {
		return nil, &Error{setting, fmt.Sprintf("key file %s %v", path, err)}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		log.Warn("the secret key file can be read by other users; make it mode 0600", "file", path, "mode", fmt.Sprintf("%04o", perm))
	}
	return k, nil
}

// generateKeyFile makes a random key and writes it to path, mode 0600,
// refusing to replace an existing file.
func generateKeyFile(path string, log *slog.Logger) ([]byte, error) {
	k := randomBytes(reception.SecretKeySize)
	if err := writeNewFile(path, encodeKey(k)); err != nil {
		return nil, &Error{"UKETSUKE_SECRET_KEY", fmt.Sprintf("creating key file: %v", err)}
	}
	log.Warn("generated a secret key for stored LINE WORKS secrets; back it up with the database, or set "+keySettings, "file", path)
	return k, nil
}

// encodeKey is a key file's content.
func encodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) + "\n" }

// writeNewFile creates path (and its directory) with data, mode 0600, and
// syncs it; it fails if path exists.
func writeNewFile(path, data string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
	}
	return werr
}

// keyFilePath is where the generated key of a SQLite database lives.
func keyFilePath(db string) string { return sideFile(db, ".key") }

// pendingKeyPath holds a rotation's new key until every secret is re-sealed
// with it; then it is renamed over the key file.
func pendingKeyPath(keyFile string) string { return keyFile + ".new" }

// sideFile is a file beside a SQLite database: its path plus suffix.
func sideFile(db, suffix string) string {
	db = strings.TrimPrefix(db, "file:")
	if i := strings.IndexByte(db, '?'); i >= 0 {
		db = db[:i]
	}
	return db + suffix
}

// refuseIfSealed is called before a key is generated for a SQLite database:
// if the database already holds sealed secrets, their key was lost (or is
// somewhere the settings do not say), and a new key would not open them.
func refuseIfSealed(ctx context.Context, cfg *Config, ki *KeyInfo) error {
	// The throwaway key never seals anything: only the listing, which
	// needs no key, is used.
	st, _, err := openWithKey(ctx, cfg, randomBytes(reception.SecretKeySize))
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := orgsWithSecrets(ctx, st)
	if err != nil {
		return fmt.Errorf("reading organizations: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	return fmt.Errorf("the database %s holds encrypted LINE WORKS secrets (organizations %s) but its key file %s is missing, and %s are unset; "+
		"a new key would not open them, so none is generated. Fix: restore %s (or give the key that was used in %s); "+
		"if the key is lost, %s",
		cfg.DB, listIDs(ids), ki.genFile, keySettingsAnd, ki.genFile, keySettings, resetHint)
}

// orgsWithSecrets lists the organizations that have sealed secrets stored.
func orgsWithSecrets(ctx context.Context, st reception.Store) ([]string, error) {
	orgs, err := st.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, o := range orgs {
		if o.Integration.Stored != 0 {
			ids = append(ids, o.ID)
		}
	}
	return ids, nil
}

// unopenedSecrets returns the organizations whose stored secrets do not
// open with the store's key. Other errors (the store failing) are returned
// as errors: they say nothing about the key.
func unopenedSecrets(ctx context.Context, st reception.Store) ([]string, error) {
	ids, err := orgsWithSecrets(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("reading organizations: %w", err)
	}
	var bad []string
	for _, id := range ids {
		_, err := st.GetOrganizationWithSecrets(ctx, id)
		switch {
		case errors.Is(err, reception.ErrSecretOpen):
			bad = append(bad, id)
		case errors.Is(err, reception.ErrNotFound):
			// Deleted since the listing.
		case err != nil:
			return nil, fmt.Errorf("reading organization %s: %w", id, err)
		}
	}
	return bad, nil
}

// keyMismatchError is the start-up refusal when the key does not open the
// stored secrets of the organizations bad.
func keyMismatchError(cfg *Config, ki *KeyInfo, bad []string) error {
	where := keySettings
	if ki.genFile != "" {
		where = ki.genFile + ", or " + keySettings
	}
	return fmt.Errorf("the secret key from %s does not open the stored LINE WORKS secrets of organizations %s: "+
		"they were sealed with another key (an inline `openssl rand` makes a new key on every start). "+
		"Fix: start with the key that sealed them (%s); if a rotate-key was interrupted, run it again with the same keys; "+
		"if that key is lost, %s",
		ki.source, listIDs(bad), where, resetHint)
}

// listIDs joins organization IDs for a message, at most ten of them.
func listIDs(ids []string) string {
	const max = 10
	if len(ids) <= max {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:max], ", "), len(ids)-max)
}

// organizations is "1 organization" or "n organizations".
func organizations(n int) string {
	if n == 1 {
		return "1 organization"
	}
	return fmt.Sprintf("%d organizations", n)
}

// secretCheckEvery is how often /readyz re-checks that the key opens the
// stored secrets: another replica, or a rotate-key run while this server
// runs, can seal them with a key this process does not have.
const secretCheckEvery = 30 * time.Second

// secretCheck is /readyz's view of the key check, cached between probes
// (each check reads every organization with secrets).
type SecretCheck struct {
	store   reception.Store
	source  string
	enabled bool

	mu     sync.Mutex
	at     time.Time
	result string
}

func NewSecretCheck(store reception.Store, source string, persistent bool) *SecretCheck {
	// Start-up has just checked; the first probe need not again.
	return &SecretCheck{store: store, source: source, enabled: persistent, at: time.Now()}
}

// check returns "" when the key opens every stored secret, else what
// /readyz answers. The organizations are logged, not answered: /readyz
// needs no token.
func (c *SecretCheck) Check(ctx context.Context, log *slog.Logger) string {
	if !c.enabled {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < secretCheckEvery {
		return c.result
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	bad, err := unopenedSecrets(ctx, c.store)
	if err != nil {
		// The store's own trouble is ready's to report; keep the last
		// answer and try again at the next probe.
		return c.result
	}
	c.at, c.result = time.Now(), ""
	if len(bad) > 0 {
		c.result = fmt.Sprintf("the secret key (%s) does not open the stored LINE WORKS secrets of %s; see the log", keySettings, organizations(len(bad)))
		log.Error("the secret key does not open stored LINE WORKS secrets: deliveries for these organizations fail; restart with the key that sealed them",
			"key", c.source, "organizations", listIDs(bad))
	}
	return c.result
}
