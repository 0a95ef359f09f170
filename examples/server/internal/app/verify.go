package app

import (
	"context"
	"errors"
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// Verification is the answer of a credential check. A refused token
// request is a successful check with OK false: the answer says which
// credential is likely wrong.
type Verification struct {
	OK     bool     `json:"ok"`
	Scopes []string `json:"scopes,omitempty"`
	Error  string   `json:"error,omitempty"`
	Field  string   `json:"field,omitempty"`
	// Fields are every credential that may be wrong: LINE WORKS answers a
	// wrong Client ID and a wrong Client Secret alike.
	Fields []string `json:"fields,omitempty"`
	Cause  string   `json:"cause,omitempty"`
	Status int      `json:"status,omitempty"`
	// Warnings name scopes that were asked for but not granted.
	Warnings []Warning `json:"warnings,omitempty"`
}

// VerifyIntegration makes a real token request with the stored credentials.
func (a *App) VerifyIntegration(ctx context.Context, orgID string) (*Verification, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	org, err := a.Store.GetOrganizationWithSecrets(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out, err := a.verify(ctx, org)
	if a.Notify != nil {
		a.Notify.NoteCredentialCheck(org, err)
	}
	a.Log.Info("LINE WORKS credentials checked", "org", org.ID, "ok", out.OK, "field", out.Field, "cause", out.Cause)
	return out, nil
}

// verify makes the token request; err is the failure itself, for the
// delivery health (nil when the token came).
func (a *App) verify(ctx context.Context, org *reception.Organization) (*Verification, error) {
	ts, err := a.serviceAccount(org).TokenSource(ctx)
	if err != nil {
		var ce *lineworks.CredentialError
		if errors.As(err, &ce) {
			return &Verification{Error: strings.TrimPrefix(ce.Error(), "lineworks: "), Field: ce.Field}, err
		}
		return &Verification{Error: err.Error()}, err
	}
	tok, err := ts.Token()
	if err != nil {
		var te *lineworks.TokenError
		if errors.As(err, &te) {
			return &Verification{Error: te.Error(), Field: te.Field(), Fields: te.Fields(), Cause: string(te.Cause), Status: te.StatusCode}, err
		}
		return &Verification{Error: err.Error()}, err
	}
	out := &Verification{OK: true, Scopes: lineworks.GrantedScopes(tok)}
	if len(out.Scopes) == 0 {
		out.Scopes = org.Integration.Scopes
	}
	for _, want := range org.Integration.Scopes {
		found := false
		for _, got := range out.Scopes {
			found = found || got == want
		}
		if !found {
			out.Warnings = append(out.Warnings, Warning{Field: "scopes", Message: "scope " + want + " was not granted"})
		}
	}
	return out, nil
}
