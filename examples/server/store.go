package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
	"github.com/uketsuke/uketsuke/reception/pgstore"
	"github.com/uketsuke/uketsuke/reception/sqlitestore"
)

// openSQLite and openPostgres are variables so tests can substitute a
// failing store.
var (
	openSQLite = func(ctx context.Context, path string, box *reception.SecretBox) (reception.Store, error) {
		return sqlitestore.Open(ctx, path, box)
	}
	openPostgres = func(ctx context.Context, dsn string, box *reception.SecretBox) (reception.Store, error) {
		return pgstore.Open(ctx, dsn, box)
	}
)

// openStore opens the configured store with its secret box. persistent is
// false when the data lives in memory only.
func openStore(ctx context.Context, cfg *config, log *slog.Logger, stderr func(string)) (st reception.Store, persistent bool, err error) {
	key, err := secretKey(cfg, log)
	if err != nil {
		return nil, false, err
	}
	box, err := reception.NewSecretBox(key)
	clear(key)
	if err != nil {
		return nil, false, &configError{"UKETSUKE_SECRET_KEY", err.Error()}
	}
	switch cfg.Store {
	case storeMemory:
		return memstore.New(box), false, nil
	case storePostgres:
		st, err := openPostgres(ctx, cfg.DB, box)
		if err != nil {
			// pgx errors may quote the DSN's host but not its password;
			// still, keep the message to the kind of failure.
			return nil, false, fmt.Errorf("opening PostgreSQL (UKETSUKE_DB): %w", err)
		}
		return st, true, nil
	default:
		st, err := openSQLite(ctx, cfg.DB, box)
		if err != nil {
			return nil, false, fmt.Errorf("opening SQLite database %s (UKETSUKE_DB): %w", cfg.DB, err)
		}
		return st, true, nil
	}
}

// secretKey returns the key of the SecretBox: UKETSUKE_SECRET_KEY, or for
// SQLite the key file beside the database (generated on first start), or
// for the memory store a random key.
func secretKey(cfg *config, log *slog.Logger) ([]byte, error) {
	if cfg.SecretKey != nil {
		return append([]byte(nil), cfg.SecretKey...), nil
	}
	switch cfg.Store {
	case storeMemory:
		return randomBytes(reception.SecretKeySize), nil
	case storePostgres:
		return nil, &configError{"UKETSUKE_SECRET_KEY", "is required with PostgreSQL"}
	}
	path := keyFilePath(cfg.DB)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, derr := decodeKey(string(data))
		if derr != nil {
			return nil, &configError{"UKETSUKE_SECRET_KEY", fmt.Sprintf("key file %s %v", path, derr)}
		}
		return k, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, &configError{"UKETSUKE_SECRET_KEY", fmt.Sprintf("reading key file: %v", err)}
	}
	k := randomBytes(reception.SecretKeySize)
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, &configError{"UKETSUKE_SECRET_KEY", fmt.Sprintf("creating %s: %v", dir, err)}
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, &configError{"UKETSUKE_SECRET_KEY", fmt.Sprintf("creating key file: %v", err)}
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, &configError{"UKETSUKE_SECRET_KEY", fmt.Sprintf("writing key file: %v", werr)}
	}
	log.Warn("generated a secret key for stored LINE WORKS secrets; back it up with the database, or set UKETSUKE_SECRET_KEY", "file", path)
	return k, nil
}

// keyFilePath is where the generated key of a SQLite database lives.
func keyFilePath(db string) string {
	db = strings.TrimPrefix(db, "file:")
	if i := strings.IndexByte(db, '?'); i >= 0 {
		db = db[:i]
	}
	return db + ".key"
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return b
}

// randomToken returns a URL-safe random token of n random bytes.
func randomToken(n int) string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(n))
}
