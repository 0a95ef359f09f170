package app

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver sqlitestore uses

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/sqlitestore"
)

// A kiosk token stored in clear by an earlier version is hashed at start,
// and the kiosk holding it keeps working; the secrets are untouched.
func TestHashKioskTokensUpgradesClearTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "u.db")
	box := testBox(t, 3)
	store, err := sqlitestore.Open(ctx, path, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	now := time.Now()
	org := &reception.Organization{ID: "acme", Name: "ACME", KioskToken: "old-clear-kiosk-token-0123", CreatedAt: now, UpdatedAt: now,
		Integration: reception.Integration{ClientID: "cid", ClientSecret: "client-secret"}}
	if err := store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	// What an earlier version left: the token itself in the row.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `UPDATE organizations SET kiosk_token = ? WHERE id = 'acme'`, org.KioskToken)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := store.GetOrganization(ctx, "acme"); got.KioskToken != org.KioskToken {
		t.Fatalf("precondition: stored token %q, want it in clear", got.KioskToken)
	}

	if err := HashKioskTokens(ctx, store, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetOrganizationWithSecrets(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !reception.IsHashedKioskToken(got.KioskToken) || !reception.KioskTokenMatches(got.KioskToken, org.KioskToken) {
		t.Errorf("stored token after the upgrade = %q: want the hash of the kiosk's token", got.KioskToken)
	}
	if got.Integration.ClientSecret != "client-secret" {
		t.Error("the upgrade lost the client secret")
	}
}
