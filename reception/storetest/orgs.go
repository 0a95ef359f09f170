package storetest

import (
	"errors"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

func testOrganizations(e *env) {
	a, b, c := newOrg("org-a", 1001), newOrg("org-b", 1002), newOrg("org-c", 0)
	for _, o := range []*reception.Organization{c, a, b} {
		e.putOrg(o)
	}
	e.step("reads redact the secrets and hash the kiosk token", func(e *env) { orgReads(e, a, b, c) })
	// want is org-a as GetOrganizationWithSecrets must return it; each
	// step below changes it as it changes the stored organization.
	var want *reception.Organization
	e.step("a redacted put keeps the secrets", func(e *env) { want = orgRedactedPut(e, a) })
	e.step("the kiosk fallback can be cleared", func(e *env) { orgClearFallback(e, want) })
	e.step("a redacted put setting one secret replaces that one only", func(e *env) { orgRotateSecret(e, want) })
	e.step("a put in clear writes exactly its secrets", func(e *env) { orgClearSecret(e, want) })
	e.step("a deleted organization is gone and frees its bot ID", orgDelete)
}

// orgReads checks every read of the organizations a, b and c, just put.
func orgReads(e *env, a, b, c *reception.Organization) {
	got, err := e.s.GetOrganization(e.ctx, "org-a")
	e.ok(err)
	e.diff("GetOrganization", redacted(a), got)
	// The kiosk token is kept as a hash only: a copy of the database does
	// not let anyone check visitors in, and the token still matches.
	if got.KioskToken == a.KioskToken || !reception.KioskTokenMatches(got.KioskToken, a.KioskToken) ||
		reception.KioskTokenMatches(got.KioskToken, a.KioskToken+"x") {
		e.t.Errorf("stored kiosk token %q: want the hash of the token, matching it and nothing else", got.KioskToken)
	}
	if !got.Integration.Configured() {
		e.t.Error("Configured() on the redacted organization = false, want true: the store holds every credential")
	}
	got, err = e.s.GetOrganizationWithSecrets(e.ctx, "org-a")
	e.ok(err)
	e.diff("GetOrganizationWithSecrets", withSecrets(a), got)
	got, err = e.s.GetOrganizationByBotID(e.ctx, 1002)
	e.ok(err)
	e.diff("GetOrganizationByBotID", redacted(b), got)
	list, err := e.s.ListOrganizations(e.ctx)
	e.ok(err)
	e.diff("ListOrganizations", []*reception.Organization{redacted(a), redacted(b), redacted(c)}, list)
}

// orgRedactedPut renames a through what GetOrganization returned and
// returns a as the store must now hold it.
func orgRedactedPut(e *env, a *reception.Organization) *reception.Organization {
	// An admin edits what GetOrganization returned: the secrets survive.
	edit := redacted(a)
	edit.Name = "Renamed"
	edit.UpdatedAt = at(time.Hour)
	e.putOrg(edit)
	want := withSecrets(a)
	want.Name, want.UpdatedAt = "Renamed", at(time.Hour)
	got, err := e.s.GetOrganizationWithSecrets(e.ctx, "org-a")
	e.ok(err)
	e.diff("secrets after a redacted put", want, got)
	return want
}

func orgClearFallback(e *env, want *reception.Organization) {
	// The kiosk fallback text is kept as given and can be cleared again
	// (empty means the built-in default).
	edit := redacted(want)
	edit.KioskFallback = ""
	e.putOrg(edit)
	got, err := e.s.GetOrganization(e.ctx, "org-a")
	e.ok(err)
	if got.KioskFallback != "" || got.KioskFallbackText() != reception.DefaultKioskFallback {
		e.t.Errorf("KioskFallback = %q after clearing it, want empty (text %q)", got.KioskFallback, got.KioskFallbackText())
	}
	want.KioskFallback = ""
}

func orgRotateSecret(e *env, want *reception.Organization) {
	// A redacted put that sets one secret replaces that one only.
	edit := redacted(want)
	edit.Integration.ClientSecret = "rotated-client-secret"
	e.putOrg(edit)
	want.Integration.ClientSecret = "rotated-client-secret"
	got, err := e.s.GetOrganizationWithSecrets(e.ctx, "org-a")
	e.ok(err)
	e.diff("secrets after rotating one", want, got)
}

func orgClearSecret(e *env, want *reception.Organization) {
	// A put with secrets in clear (not redacted) writes exactly them: an
	// empty field clears the secret.
	clear := want.Clone()
	clear.Integration.BotSecret = ""
	e.putOrg(clear)
	got, err := e.s.GetOrganizationWithSecrets(e.ctx, "org-a")
	e.ok(err)
	e.diff("secrets after clearing the bot secret", withSecrets(clear), got)
	got, err = e.s.GetOrganization(e.ctx, "org-a")
	e.ok(err)
	if got.Integration.Stored.Has(reception.SecretBotSecret) || !got.Integration.Stored.Has(reception.SecretClientSecret|reception.SecretPrivateKey) {
		e.t.Errorf("Stored = %b after clearing the bot secret, want client secret and private key only", got.Integration.Stored)
	}
}

func orgDelete(e *env) {
	e.ok(e.s.DeleteOrganization(e.ctx, "org-b"))
	_, err := e.s.GetOrganization(e.ctx, "org-b")
	e.is("GetOrganization after delete", err, reception.ErrNotFound)
	_, err = e.s.GetOrganizationByBotID(e.ctx, 1002)
	e.is("GetOrganizationByBotID after delete", err, reception.ErrNotFound)
	e.is("DeleteOrganization twice", e.s.DeleteOrganization(e.ctx, "org-b"), reception.ErrNotFound)
	// The deleted organization's bot ID is free again.
	e.putOrg(newOrg("org-d", 1002))
}

func testBotIDs(e *env) {
	e.putOrg(newOrg("org-a", 1001))
	e.putOrg(newOrg("org-a", 1001)) // re-putting keeps its own bot: no conflict
	e.is("a second organization with the same bot", e.s.PutOrganization(e.ctx, newOrg("org-b", 1001)), reception.ErrConflict)
	if _, err := e.s.GetOrganization(e.ctx, "org-b"); !errors.Is(err, reception.ErrNotFound) {
		e.t.Errorf("the conflicting organization was stored (GetOrganization error %v)", err)
	}
	// Organizations without a bot do not collide on bot ID 0.
	e.putOrg(newOrg("org-c", 0))
	e.putOrg(newOrg("org-d", 0))
	_, err := e.s.GetOrganizationByBotID(e.ctx, 0)
	e.is("GetOrganizationByBotID(0)", err, reception.ErrNotFound)
	_, err = e.s.GetOrganizationByBotID(e.ctx, 999)
	e.is("GetOrganizationByBotID(unknown)", err, reception.ErrNotFound)
}

func testOrganizationValidation(e *env) {
	for _, tc := range []struct {
		field string
		edit  func(o *reception.Organization)
	}{
		{"ID", func(o *reception.Organization) { o.ID = "" }},
		{"ID", func(o *reception.Organization) { o.ID = "has space" }},
		{"Name", func(o *reception.Organization) { o.Name = "  " }},
		{"KioskToken", func(o *reception.Organization) { o.KioskToken = "short" }},
		{"Integration.PrivateKey", func(o *reception.Organization) { o.Integration.PrivateKey = []byte("not a pem") }},
		{"Integration.ServiceAccountID", func(o *reception.Organization) { o.Integration.ServiceAccountID = "no-at-sign" }},
		{"Integration.ClientID", func(o *reception.Organization) { o.Integration.ClientID = "client id" }},
		{"Integration.BotID", func(o *reception.Organization) { o.Integration.BotID = -1 }},
		{"Integration.RateLimit", func(o *reception.Organization) { o.Integration.RateLimit = -1 }},
		{"KioskFallback", func(o *reception.Organization) { o.KioskFallback = strings.Repeat("内", reception.MaxKioskFallback+1) }},
		{"KioskFallback", func(o *reception.Organization) { o.KioskFallback = "call\x00100" }},
	} {
		o := newOrg("org-bad", 7)
		tc.edit(o)
		err := e.s.PutOrganization(e.ctx, o)
		e.field("PutOrganization with bad "+tc.field, err, tc.field)
		if err != nil && o.Integration.ClientSecret != "" && strings.Contains(err.Error(), o.Integration.ClientSecret) {
			e.t.Errorf("error %q contains the client secret", err)
		}
	}
	list, err := e.s.ListOrganizations(e.ctx)
	e.ok(err)
	if len(list) != 0 {
		e.t.Errorf("invalid organizations were stored: %q", ids(list, func(o *reception.Organization) string { return o.ID }))
	}
}

func testSecretsAtRest(e *env) {
	o := newOrg("org-secret", 1001)
	o.Name = "Secretive Name 7f2c"
	e.putOrg(o)
	// Exercise the reads too: none may write a secret back in clear.
	_, err := e.s.GetOrganizationWithSecrets(e.ctx, o.ID)
	e.ok(err)
	edit, err := e.s.GetOrganization(e.ctx, o.ID)
	e.ok(err)
	e.putOrg(edit)

	if e.db.RawContains == nil {
		e.t.Fatal("Database.RawContains is nil")
	}
	if !e.db.RawContains(e.t, []byte(o.Name)) {
		e.t.Fatalf("RawContains cannot find the organization's name %q: it does not search the stored data", o.Name)
	}
	for name, secret := range map[string][]byte{
		"client secret": []byte(o.Integration.ClientSecret),
		"private key":   o.Integration.PrivateKey,
		"bot secret":    []byte(o.Integration.BotSecret),
	} {
		if e.db.RawContains(e.t, secret) {
			e.t.Errorf("the %s is stored in clear", name)
		}
	}
	got, err := e.s.GetOrganizationWithSecrets(e.ctx, o.ID)
	e.ok(err)
	e.diff("secrets after the round trip", withSecrets(o), got)
}
