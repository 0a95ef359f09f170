package config

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"

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

// openStore opens the configured store with its secret box, and refuses a
// key that does not open the secrets the store already holds: a server
// started with the wrong key would look healthy and fail every delivery.
// persistent is false when the data lives in memory only.
func OpenStore(ctx context.Context, cfg *Config, log *slog.Logger) (st reception.Store, ki *KeyInfo, persistent bool, err error) {
	ki, err = loadKey(cfg, log)
	if err != nil {
		return nil, nil, false, err
	}
	if ki.key == nil {
		// SQLite without a key file: a new key is made only for a database
		// that holds no secrets, since it could not open them.
		if err := refuseIfSealed(ctx, cfg, ki); err != nil {
			return nil, nil, false, err
		}
		if ki.key, err = generateKeyFile(ki.genFile, log); err != nil {
			return nil, nil, false, err
		}
	}
	st, persistent, err = openWithKey(ctx, cfg, ki.key, ki.previous...)
	ki.forget()
	if err != nil || !persistent {
		return st, ki, persistent, err
	}
	bad, err := unopenedSecrets(ctx, st)
	if err == nil && len(bad) > 0 {
		err = keyMismatchError(cfg, ki, bad)
	}
	if err != nil {
		_ = st.Close()
		return nil, nil, false, err
	}
	return st, ki, persistent, nil
}

// openWithKey opens the configured store with a SecretBox of key (sealing)
// and previous (opening only).
func openWithKey(ctx context.Context, cfg *Config, key []byte, previous ...[]byte) (reception.Store, bool, error) {
	box, err := reception.NewSecretBox(key, previous...)
	if err != nil {
		return nil, false, &Error{"UKETSUKE_SECRET_KEY", err.Error()}
	}
	switch cfg.Store {
	case StoreMemory:
		return memstore.New(box), false, nil
	case StorePostgres:
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

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return b
}

// randomToken returns a URL-safe random token of n random bytes.
func randomToken(n int) string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(n))
}
