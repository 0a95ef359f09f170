package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// OrgInput is what an admin sets on an organization. The JSON API reads it
// from PUT /orgs/{org}; ID comes from the URL.
type OrgInput struct {
	ID     string `json:"-"`
	Name   string `json:"name"`
	Locale string `json:"locale"`
	// RotateKioskToken issues a new kiosk token.
	RotateKioskToken bool `json:"rotateKioskToken"`
	// KioskFallback replaces the kiosk's fallback text; nil keeps it, ""
	// restores the default.
	KioskFallback *string `json:"kioskFallback"`
	// OpenTaps sets reception.Organization.OpenTaps (accept and escalate
	// taps from anyone, anywhere); nil keeps it.
	OpenTaps *bool `json:"openTaps"`
}

// Orgs lists the organizations (secrets redacted).
func (a *App) Orgs(ctx context.Context) ([]*reception.Organization, error) {
	return a.Store.ListOrganizations(ctx)
}

// Org returns an organization (secrets redacted).
func (a *App) Org(ctx context.Context, id string) (*reception.Organization, error) {
	org, err := a.Store.GetOrganization(ctx, id)
	if errors.Is(err, reception.ErrNotFound) {
		return nil, &Error{Code: NotFound, Field: "org", Msg: "no organization " + id}
	}
	return org, err
}

// SaveOrg creates or updates an organization and reports whether it was
// created. A new organization gets a kiosk token.
func (a *App) SaveOrg(ctx context.Context, in OrgInput) (org *reception.Organization, created bool, err error) {
	if err := NeedID("org", in.ID); err != nil {
		return nil, false, err
	}
	now := a.Now()
	org, err = a.Store.GetOrganization(ctx, in.ID)
	created = errors.Is(err, reception.ErrNotFound)
	switch {
	case created:
		org = &reception.Organization{ID: in.ID, CreatedAt: now, KioskToken: NewToken(24)}
	case err != nil:
		return nil, false, err
	}
	org.Name, org.UpdatedAt = strings.TrimSpace(in.Name), now
	// A rename that leaves the locale out keeps it, as it keeps the
	// fallback text: staff messages must not switch language by accident.
	if l := strings.TrimSpace(in.Locale); l != "" || created {
		org.Locale = l
	}
	if in.KioskFallback != nil {
		org.KioskFallback = strings.TrimSpace(*in.KioskFallback)
	}
	if in.OpenTaps != nil {
		org.OpenTaps = *in.OpenTaps
	}
	if in.RotateKioskToken || org.KioskToken == "" {
		org.KioskToken = NewToken(24)
	}
	if err := a.Store.PutOrganization(ctx, org); err != nil {
		return nil, false, err
	}
	if created {
		a.Log.Info("organization created", "org", in.ID)
	}
	return org, created, nil
}

// DeleteOrg deletes an organization and everything it holds, and drops
// what the notification engine keeps of it in memory (its LINE WORKS
// client among others).
func (a *App) DeleteOrg(ctx context.Context, id string) error {
	if err := a.Store.DeleteOrganization(ctx, id); err != nil {
		return err
	}
	if a.Notify != nil {
		a.Notify.ForgetOrganization(id)
	}
	return nil
}

// FreeOrgID makes an unused organization ID from a name, so that nobody
// has to invent one: its ASCII letters and digits in lower case ("ACME
// Corp." → "acme-corp"), or "org-" and random hex for a name without any
// (a Japanese name, say).
func (a *App) FreeOrgID(ctx context.Context, name string) string {
	base := orgSlug(name)
	for i := 0; ; i++ {
		id := base
		switch {
		case base == "" || i >= 3:
			b := make([]byte, 3)
			_, _ = rand.Read(b)
			id = "org-" + hex.EncodeToString(b)
		case i > 0:
			id = fmt.Sprintf("%s-%d", base, i+1)
		}
		if _, err := a.Store.GetOrganization(ctx, id); errors.Is(err, reception.ErrNotFound) || i >= 6 {
			return id
		}
	}
}

func orgSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > 32 {
		s = strings.TrimRight(s[:32], "-")
	}
	return s
}

// Ready reports whether the store answers: a lookup of an organization
// that cannot exist is a cheap round trip.
func (a *App) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err := a.Store.GetOrganization(ctx, "readyz.probe")
	if err == nil || errors.Is(err, reception.ErrNotFound) {
		return nil
	}
	return err
}

// HashKioskTokens replaces the kiosk tokens stored in clear (before stores
// kept hashes) by their hashes, so that a copy of the database no longer
// lets anyone check visitors in. Kiosks keep working: they present the
// token, which matches its hash. It is cheap when there is nothing to do,
// and safe to run at every start and on several replicas at once.
func HashKioskTokens(ctx context.Context, store reception.Store, log *slog.Logger) error {
	orgs, err := store.ListOrganizations(ctx)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if o.KioskToken == "" || reception.IsHashedKioskToken(o.KioskToken) {
			continue
		}
		// Read redacted: the put keeps the stored secrets as they are.
		if err := store.PutOrganization(ctx, o); err != nil {
			return fmt.Errorf("organization %s: %w", o.ID, err)
		}
		log.Info("kiosk token now stored as a hash", "org", o.ID)
	}
	return nil
}
