package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/examples/server/internal/config"
	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

func TestWantDemo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New(servertest.SecretBox(t))
	now := time.Now()
	auto := &config.Config{Demo: config.DemoAuto}
	check := func(cfg *config.Config, want bool) {
		t.Helper()
		got, err := wantDemo(ctx, cfg, store)
		if err != nil || got != want {
			t.Errorf("wantDemo(%v) = %v, %v; want %v", cfg.Demo, got, err, want)
		}
	}
	check(auto, true)
	check(&config.Config{Demo: config.DemoOff}, false)
	// The demo organization itself does not end demo mode.
	demoOrg := &reception.Organization{ID: app.DemoOrgID, Name: "demo", CreatedAt: now, UpdatedAt: now,
		Integration: reception.Integration{ClientID: "c", ClientSecret: "s", ServiceAccountID: "a@b", PrivateKey: []byte("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"), BotID: 1}}
	if err := store.PutOrganization(ctx, demoOrg); err != nil {
		t.Fatal(err)
	}
	check(auto, true)
	real := demoOrg.Clone()
	real.ID, real.Integration.BotID = "acme", 2
	if err := store.PutOrganization(ctx, real); err != nil {
		t.Fatal(err)
	}
	check(auto, false)
	check(&config.Config{Demo: config.DemoOn}, true)
}

// testAdminToken is the admin token of the servers these tests start.
const testAdminToken = "admin-token-for-tests-0123456789"

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// Secret keys, base64 as in the settings.
var (
	keyA = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa}, 32))
	keyB = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xb}, 32))
)
