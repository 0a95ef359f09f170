package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/sqlitestore"
)

func testBox(t *testing.T, seed byte) *reception.SecretBox {
	t.Helper()
	key := make([]byte, reception.SecretKeySize)
	for i := range key {
		key[i] = seed
	}
	box, err := reception.NewSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// Secrets sealed with another key (another replica rotated it, say) cannot
// be opened: saving the integration again replaces them instead of failing,
// says so, and drops the ones not given — the bot secret must be reissued.
func TestSaveIntegrationReplacesUnreadableSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	sa := fake.NewServiceAccount("bot")
	path := filepath.Join(t.TempDir(), "u.db")

	old, err := sqlitestore.Open(ctx, path, testBox(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	org := &reception.Organization{ID: "acme", Name: "ACME", CreatedAt: now, UpdatedAt: now, Integration: reception.Integration{
		ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID, PrivateKey: sa.PrivateKey,
		BotID: 2000001, BotSecret: "old-bot-secret", Scopes: []string{"bot"},
	}}
	if err := old.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	old.Close()

	store, err := sqlitestore.Open(ctx, path, testBox(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.GetOrganizationWithSecrets(ctx, "acme"); !errors.Is(err, reception.ErrSecretOpen) {
		t.Fatalf("precondition: the secrets open with another key (%v)", err)
	}
	a := &App{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}

	// Without the secrets, the save is refused naming what is missing.
	scopes := []string{"bot"}
	if _, _, err := a.SaveIntegration(ctx, "acme", IntegrationInput{Scopes: &scopes}); err == nil {
		t.Fatal("a save without the secrets succeeded over unreadable ones")
	}
	secret, key := sa.ClientSecret, string(sa.PrivateKey)
	got, warns, err := a.SaveIntegration(ctx, "acme", IntegrationInput{ClientSecret: &secret, PrivateKey: &key})
	if err != nil {
		t.Fatalf("SaveIntegration over unreadable secrets: %v", err)
	}
	if len(warns) != 1 || warns[0].Field != "secretKey" || got.ClientID != sa.ClientID {
		t.Errorf("warnings = %+v, integration %+v", warns, got)
	}
	full, err := store.GetOrganizationWithSecrets(ctx, "acme")
	if err != nil {
		t.Fatalf("the secrets still do not open: %v", err)
	}
	if in := full.Integration; in.ClientSecret != sa.ClientSecret || string(in.PrivateKey) != string(sa.PrivateKey) || in.BotSecret != "" || in.BotID != 2000001 {
		t.Errorf("stored: secret ok %v, key ok %v, bot secret %q, bot %d", in.ClientSecret == sa.ClientSecret,
			string(in.PrivateKey) == string(sa.PrivateKey), in.BotSecret, in.BotID)
	}
}
