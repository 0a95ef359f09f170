package config

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/uketsuke/uketsuke/reception"
)

// Subcommands of the server binary that work on its database with the same
// settings as the server. Both are run with the server stopped: a running
// server would keep sealing with the old key.
const (
	cmdRotateKey    = "rotate-key"
	cmdResetSecrets = "reset-secrets"
)

// rotateSettings are rotate-key's settings beyond the server's.
var rotateSettings = []setting{
	{"new-secret-key", "UKETSUKE_NEW_SECRET_KEY", "", "rotate-key: the new secret key, base64 (SQLite's generated key file: a new key is generated when unset)"},
	{"new-secret-key-file", "UKETSUKE_NEW_SECRET_KEY_FILE", "", "rotate-key: file holding the new secret key, base64"},
}

// resetSettings are reset-secrets' settings beyond the server's.
var resetSettings = []setting{
	{"clear", "UKETSUKE_RESET_SECRETS", "", "reset-secrets: the organizations whose unopenable secrets to clear, comma separated, or all; without it the command only lists them"},
}

// runCommand runs a subcommand named by args[0] and reports whether args
// named one.
func RunCommand(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) (bool, error) {
	if len(args) == 0 {
		return false, nil
	}
	var err error
	switch args[0] {
	case cmdRotateKey:
		err = rotateKey(ctx, args[1:], env, stdout, stderr)
	case cmdResetSecrets:
		err = resetSecrets(ctx, args[1:], env, stdout, stderr)
	default:
		return false, nil
	}
	if errors.Is(err, flag.ErrHelp) {
		err = nil
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", args[0], err)
	}
	return true, err
}

// commandConfig parses a subcommand's settings; the memory store has no
// database to work on.
func commandConfig(name string, extra []setting, args []string, env func(string) string, stderr io.Writer) (*Config, map[string]string, *slog.Logger, error) {
	cfg, more, err := parseCommand(serverName+" "+name, extra, args, env, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	if cfg.Store == StoreMemory {
		return nil, nil, nil, &Error{"UKETSUKE_DB", name + " works on a database; the memory store keeps nothing"}
	}
	return cfg, more, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})), nil
}

// rotateKey re-seals every stored secret with a new key. It is safe to
// interrupt: the store is opened with the new key and the old one, so
// secrets sealed with either open, and running it again finishes the job.
// For SQLite's generated key file, the new key waits in <db>.key.new (which
// the server also opens with) and replaces <db>.key only once every secret
// opens with it alone.
func rotateKey(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cfg, more, log, err := commandConfig(cmdRotateKey, rotateSettings, args, env, stderr)
	if err != nil {
		return err
	}
	ki, err := loadKey(cfg, log)
	if err != nil {
		return err
	}
	if ki.key == nil {
		return fmt.Errorf("the key file %s does not exist and %s are unset: nothing to rotate", ki.genFile, keySettingsAnd)
	}
	newKey, err := rotationKey(ki, more, log)
	if err != nil {
		return err
	}
	var old [][]byte
	for _, k := range append([][]byte{ki.key}, ki.previous...) {
		if !bytes.Equal(k, newKey) {
			old = append(old, k)
		}
	}
	n, err := reseal(ctx, cfg, ki, newKey, old)
	if err != nil {
		return err
	}
	// Only the new key, alone, must open everything before the old key
	// is let go.
	st, _, err := openWithKey(ctx, cfg, newKey)
	if err != nil {
		return err
	}
	bad, err := unopenedSecrets(ctx, st)
	_ = st.Close()
	if err == nil && len(bad) > 0 {
		err = fmt.Errorf("after re-sealing, the new key alone does not open the secrets of organizations %s (was a server running and writing with the old key?); the old key still works: stop every server and run %s again", listIDs(bad), cmdRotateKey)
	}
	if err != nil {
		return err
	}
	if ki.genFile != "" {
		if err := replaceFile(pendingKeyPath(ki.genFile), ki.genFile); err != nil {
			return fmt.Errorf("every secret is re-sealed with the new key in %s, but renaming it over %s failed (rename it by hand): %w", pendingKeyPath(ki.genFile), ki.genFile, err)
		}
		fmt.Fprintf(stdout, "%s: re-sealed the secrets of %s; the new key is in %s (back it up with the database)\n", cmdRotateKey, organizations(n), ki.genFile)
		return nil
	}
	fmt.Fprintf(stdout, "%s: re-sealed the secrets of %s; start the server with the new key in %s now: the old key no longer opens them\n", cmdRotateKey, organizations(n), keySettings)
	return nil
}

// rotationKey decides the new key: UKETSUKE_NEW_SECRET_KEY(_FILE), or for
// SQLite's generated key file the new key of an interrupted rotation, or a
// random one. With the generated key file, the new key is written to
// <db>.key.new before any secret is sealed with it.
func rotationKey(ki *KeyInfo, more map[string]string, log *slog.Logger) ([]byte, error) {
	raw, file := more["UKETSUKE_NEW_SECRET_KEY"], more["UKETSUKE_NEW_SECRET_KEY_FILE"]
	var k []byte
	var err error
	switch {
	case raw != "" && file != "":
		return nil, &Error{"UKETSUKE_NEW_SECRET_KEY_FILE", "and UKETSUKE_NEW_SECRET_KEY are both set; give the new key one way only"}
	case raw != "":
		if k, err = decodeKey(raw); err != nil {
			return nil, &Error{"UKETSUKE_NEW_SECRET_KEY", err.Error()}
		}
	case file != "":
		if k, err = readKeyFile(file, "UKETSUKE_NEW_SECRET_KEY_FILE", log); err != nil {
			return nil, err
		}
	}
	switch {
	case ki.genFile != "" && len(ki.previous) > 0:
		pending := ki.previous[0]
		if k != nil && !bytes.Equal(k, pending) {
			return nil, fmt.Errorf("an interrupted rotation's new key is in %s: run %s without a new key to finish it first", pendingKeyPath(ki.genFile), cmdRotateKey)
		}
		k = pending
	case ki.genFile != "":
		if k == nil {
			k = randomBytes(reception.SecretKeySize)
		}
		if err := writeNewFile(pendingKeyPath(ki.genFile), encodeKey(k)); err != nil {
			return nil, fmt.Errorf("writing the new key: %w", err)
		}
	case k == nil:
		return nil, &Error{"UKETSUKE_NEW_SECRET_KEY_FILE", "or UKETSUKE_NEW_SECRET_KEY is required: the new key (the current one stays in " + keySettings + ")"}
	}
	if bytes.Equal(k, ki.key) {
		return nil, &Error{"UKETSUKE_NEW_SECRET_KEY", "is the current key"}
	}
	return k, nil
}

// reseal opens the store with newKey and the old keys and writes back every
// organization with stored secrets, which seals them with newKey. It
// changes nothing if some secret opens with none of the keys.
func reseal(ctx context.Context, cfg *Config, ki *KeyInfo, newKey []byte, old [][]byte) (n int, err error) {
	st, _, err := openWithKey(ctx, cfg, newKey, old...)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing the store: %w", cerr)
		}
	}()
	bad, err := unopenedSecrets(ctx, st)
	if err != nil {
		return 0, err
	}
	if len(bad) > 0 {
		return 0, fmt.Errorf("the current key (%s) does not open the stored secrets of organizations %s, nor does the new key; nothing was changed", ki.source, listIDs(bad))
	}
	ids, err := orgsWithSecrets(ctx, st)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		o, err := st.GetOrganizationWithSecrets(ctx, id)
		if errors.Is(err, reception.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("reading organization %s: %w", id, err)
		}
		if err := st.PutOrganization(ctx, o); err != nil {
			return n, fmt.Errorf("re-sealing organization %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

// resetSecrets clears the stored secrets that the key does not open, so
// that a server whose key is lost can start again and the admin can enter
// the credentials anew. Secrets that open are kept.
func resetSecrets(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) (err error) {
	cfg, more, log, err := commandConfig(cmdResetSecrets, resetSettings, args, env, stderr)
	if err != nil {
		return err
	}
	ki, err := loadKey(cfg, log)
	if err != nil {
		return err
	}
	key := ki.key
	if key == nil {
		// The key file is lost: no key opens anything. The server makes a
		// new key file on its next start, once no secrets are left.
		key = randomBytes(reception.SecretKeySize)
	}
	st, _, err := openWithKey(ctx, cfg, key, ki.previous...)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing the store: %w", cerr)
		}
	}()
	bad, err := unopenedSecrets(ctx, st)
	if err != nil {
		return err
	}
	if len(bad) == 0 {
		fmt.Fprintf(stdout, "%s: every stored secret opens with the key; nothing cleared\n", cmdResetSecrets)
		return nil
	}
	bad, err = confirmedForReset(bad, more["UKETSUKE_RESET_SECRETS"])
	if err != nil {
		return err
	}
	for _, id := range bad {
		o, err := st.GetOrganization(ctx, id)
		if err != nil {
			return fmt.Errorf("reading organization %s: %w", id, err)
		}
		// Not redacted, with the secret fields blank: the store clears
		// them without opening what it held.
		o.Integration.Redacted = false
		if err := st.PutOrganization(ctx, o); err != nil {
			return fmt.Errorf("clearing the secrets of organization %s: %w", id, err)
		}
	}
	fmt.Fprintf(stdout, "%s: cleared the stored LINE WORKS secrets (client secret, private key, bot secret) of organizations %s; start the server and enter them again at /admin\n", cmdResetSecrets, listIDs(bad))
	return nil
}

// replaceFile renames from over to and syncs the directory, so that after a
// crash either the old or the new file is there, whole.
func replaceFile(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(to))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// confirmedForReset keeps the organizations of bad that the admin named in
// clear ("all", or IDs): clearing secrets cannot be undone, so a bare
// reset-secrets only says what it would clear.
func confirmedForReset(bad []string, clear string) ([]string, error) {
	if strings.TrimSpace(clear) == "" {
		return nil, &Error{"UKETSUKE_RESET_SECRETS", fmt.Sprintf("the key does not open the stored secrets of organizations %s; to clear them (this cannot be undone), run again with -clear all (or -clear with some of those IDs)", listIDs(bad))}
	}
	if strings.TrimSpace(clear) == "all" {
		return bad, nil
	}
	var out []string
	for _, id := range strings.Split(clear, ",") {
		id = strings.TrimSpace(id)
		if !slices.Contains(bad, id) {
			return nil, &Error{"UKETSUKE_RESET_SECRETS", fmt.Sprintf("%q is not among the organizations whose secrets do not open (%s)", id, listIDs(bad))}
		}
		out = append(out, id)
	}
	return out, nil
}
