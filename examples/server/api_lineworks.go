package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// integrationIn is the body of PUT /orgs/{org}/lineworks. Absent fields keep
// their stored values; secret fields (clientSecret, privateKey, botSecret)
// also keep them when empty, so a form never has to show a secret again.
type integrationIn struct {
	ClientID         *string    `json:"clientId"`
	ClientSecret     *string    `json:"clientSecret"`
	ServiceAccount   *string    `json:"serviceAccount"`
	PrivateKey       *string    `json:"privateKey"`
	BotID            *flexInt   `json:"botId"`
	BotSecret        *string    `json:"botSecret"`
	DomainID         *flexInt   `json:"domainId"`
	AdminUserID      *string    `json:"adminUserId"`
	Scopes           *scopeList `json:"scopes"`
	DefaultChannelID *string    `json:"defaultChannelId"`
	RateLimit        *int       `json:"rateLimit"`
}

// flexInt is an ID LINE WORKS shows as a number, accepted as a JSON number
// or a string (forms send strings; pasted values carry spaces). It keeps the
// raw JSON; parse reports errors under the field's name.
type flexInt json.RawMessage

func (f *flexInt) UnmarshalJSON(b []byte) error {
	*f = append((*f)[:0], b...)
	return nil
}

// parse returns the value and whether white space was trimmed from it.
func (f *flexInt) parse(field string) (v int64, trimmed bool, err error) {
	bad := &apiError{Status: http.StatusBadRequest, Field: field, Msg: field + ": must be a non-negative integer"}
	var n json.Number
	if json.Unmarshal(*f, &n) == nil {
		v, err := n.Int64()
		if err != nil || v < 0 {
			return 0, false, bad
		}
		return v, false, nil
	}
	var s string
	if json.Unmarshal(*f, &s) != nil {
		return 0, false, bad
	}
	c, changed := lineworks.TrimCredential(s)
	if c == "" {
		return 0, changed, nil
	}
	v, err = strconv.ParseInt(c, 10, 64)
	if err != nil || v < 0 {
		return 0, false, bad
	}
	return v, changed, nil
}

// scopeList accepts ["bot","user.read"] or "bot,user.read" / "bot user.read".
type scopeList []string

func (s *scopeList) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*s = list
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return &fieldDecodeError{Field: "scopes", Msg: "must be an array of scopes or one string"}
	}
	*s = scopeList{one}
	return nil
}

type warningJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

const trimmedWarning = "空白・全角スペース・不可視文字を取り除きました (whitespace, full-width spaces or invisible characters were removed)"

type integrationOutJSON struct {
	Warnings    []warningJSON   `json:"warnings"`
	Integration integrationJSON `json:"integration"`
}

func (a *api) getIntegration(w http.ResponseWriter, r *http.Request) error {
	org, err := a.orgOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.integrationOut(&org.Integration))
	return nil
}

func (a *api) putIntegration(w http.ResponseWriter, r *http.Request) error {
	var in integrationIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	org, err := a.orgOf(r)
	if err != nil {
		return err
	}
	full, unreadable, err := a.secretsForUpdate(r.Context(), org)
	if err != nil {
		return err
	}
	cur := &org.Integration // redacted: empty secrets keep their stored values

	// The service account as it will be: given values over stored ones.
	sa := &lineworks.ServiceAccount{
		ClientID: cur.ClientID, ClientSecret: full.Integration.ClientSecret,
		ServiceAccountID: cur.ServiceAccountID, PrivateKey: full.Integration.PrivateKey, Scopes: cur.Scopes,
	}
	setStr := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setStr(&sa.ClientID, in.ClientID)
	setStr(&sa.ServiceAccountID, in.ServiceAccount)
	newSecret := in.ClientSecret != nil && *in.ClientSecret != ""
	if newSecret {
		sa.ClientSecret = *in.ClientSecret
	}
	newKey := in.PrivateKey != nil && strings.TrimSpace(*in.PrivateKey) != ""
	if newKey {
		sa.PrivateKey = []byte(*in.PrivateKey)
	}
	if in.Scopes != nil {
		sa.Scopes = []string(*in.Scopes)
	}
	var warnings []warningJSON
	for _, f := range sa.Sanitize() {
		warnings = append(warnings, warningJSON{Field: f, Message: trimmedWarning})
	}
	if len(sa.Scopes) == 0 {
		sa.Scopes = []string{"bot"}
	}
	if err := sa.Validate(); err != nil {
		var ce *lineworks.CredentialError
		if errors.As(err, &ce) {
			return &apiError{Status: http.StatusBadRequest, Field: ce.Field, Msg: strings.TrimPrefix(ce.Error(), "lineworks: ")}
		}
		return err
	}
	if !hasBotScope(sa.Scopes) {
		return &apiError{Status: http.StatusBadRequest, Field: lineworks.FieldScopes, Msg: "scopes: must include bot (or bot.message) to send messages"}
	}

	next := *cur
	next.ClientID, next.ServiceAccountID, next.Scopes = sa.ClientID, sa.ServiceAccountID, sa.Scopes
	next.ClientSecret, next.PrivateKey, next.BotSecret = "", nil, ""
	if newSecret {
		next.ClientSecret = sa.ClientSecret
	}
	if newKey {
		next.PrivateKey = sa.PrivateKey
	}
	trim := func(field string, v *string) string {
		c, changed := lineworks.TrimCredential(*v)
		if changed {
			warnings = append(warnings, warningJSON{Field: field, Message: trimmedWarning})
		}
		return c
	}
	if in.BotSecret != nil && *in.BotSecret != "" {
		next.BotSecret = trim("botSecret", in.BotSecret)
		if next.BotSecret == "" {
			return &apiError{Status: http.StatusBadRequest, Field: "botSecret", Msg: "botSecret is blank"}
		}
	}
	if in.AdminUserID != nil {
		next.AdminUserID = trim("adminUserId", in.AdminUserID)
	}
	if in.DefaultChannelID != nil {
		next.DefaultChannelID = trim("defaultChannelId", in.DefaultChannelID)
	}
	for _, f := range []struct {
		name string
		in   *flexInt
		dst  *int64
	}{{"botId", in.BotID, &next.BotID}, {"domainId", in.DomainID, &next.DomainID}} {
		if f.in == nil {
			continue
		}
		v, trimmed, err := f.in.parse(f.name)
		if err != nil {
			return err
		}
		*f.dst = v
		if trimmed {
			warnings = append(warnings, warningJSON{Field: f.name, Message: trimmedWarning})
		}
	}
	if in.RateLimit != nil {
		next.RateLimit = *in.RateLimit
	}
	// Secrets that no longer open (the key changed) cannot be kept: the
	// ones given replace them and the rest are dropped, so the admin can
	// recover by entering them again instead of meeting a 500 forever.
	next.Redacted = !unreadable
	if unreadable {
		warnings = append(warnings, warningJSON{Field: "secretKey", Message: "保存済みの秘密情報をこのサーバーの鍵で開けなかったため、入力された値で置き換えました。Bot Secret は再発行してください " +
			"(the stored secrets could not be opened with this server's key (UKETSUKE_SECRET_KEY); they were replaced by the values given — reissue the bot secret)"})
	}
	upd := *org
	upd.Integration = next
	upd.UpdatedAt = a.now()
	if err := a.store.PutOrganization(r.Context(), &upd); err != nil {
		if errors.Is(err, reception.ErrConflict) && len(reception.FieldErrors(err)) == 0 {
			return &apiError{Status: http.StatusConflict, Field: "botId", Msg: "botId: the bot is already used by another organization"}
		}
		return err
	}
	saved, err := a.store.GetOrganization(r.Context(), org.ID)
	if err != nil {
		return err
	}
	fields := make([]string, 0, len(warnings))
	for _, wn := range warnings {
		fields = append(fields, wn.Field)
	}
	a.log.Info("LINE WORKS integration saved", "org", org.ID, "trimmed", fields, "configured", saved.Integration.Configured())
	if warnings == nil {
		warnings = []warningJSON{}
	}
	writeJSON(w, http.StatusOK, integrationOutJSON{Warnings: warnings, Integration: a.integrationOut(&saved.Integration)})
	return nil
}

// secretsForUpdate reads the organization with its secrets for an update.
// When they cannot be opened with this server's key, it returns the
// redacted organization with unreadable set: the update then has to bring
// every secret it needs, and replaces the unreadable ones.
func (a *api) secretsForUpdate(ctx context.Context, org *reception.Organization) (full *reception.Organization, unreadable bool, err error) {
	full, err = a.store.GetOrganizationWithSecrets(ctx, org.ID)
	if errors.Is(err, reception.ErrSecretOpen) {
		a.log.Warn("stored LINE WORKS secrets cannot be opened with this server's key; an update will replace them", "org", org.ID)
		return org.Clone(), true, nil
	}
	return full, false, err
}

func hasBotScope(scopes []string) bool {
	for _, s := range scopes {
		if s == "bot" || s == "bot.message" {
			return true
		}
	}
	return false
}

// serviceAccount builds the token source input of an organization read
// with its secrets.
func (a *api) serviceAccount(org *reception.Organization) *lineworks.ServiceAccount {
	in := org.Integration
	return &lineworks.ServiceAccount{
		ClientID: in.ClientID, ClientSecret: in.ClientSecret, ServiceAccountID: in.ServiceAccountID,
		PrivateKey: in.PrivateKey, Scopes: in.Scopes, TokenURL: a.urlsFor(org.ID).Token, HTTPClient: a.hc,
	}
}

type verifyJSON struct {
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
	Warnings []warningJSON `json:"warnings,omitempty"`
}

// verifyIntegration makes a real token request with the stored credentials.
// A refused request is a successful check with ok=false: the answer says
// which credential is likely wrong.
func (a *api) verifyIntegration(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.orgOf(r); err != nil {
		return err
	}
	org, err := a.store.GetOrganizationWithSecrets(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	out := a.verify(r, org)
	a.log.Info("LINE WORKS credentials checked", "org", org.ID, "ok", out.OK, "field", out.Field, "cause", out.Cause)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *api) verify(r *http.Request, org *reception.Organization) verifyJSON {
	sa := a.serviceAccount(org)
	ts, err := sa.TokenSource(r.Context())
	if err != nil {
		var ce *lineworks.CredentialError
		if errors.As(err, &ce) {
			return verifyJSON{Error: strings.TrimPrefix(ce.Error(), "lineworks: "), Field: ce.Field}
		}
		return verifyJSON{Error: err.Error()}
	}
	tok, err := ts.Token()
	if err != nil {
		var te *lineworks.TokenError
		if errors.As(err, &te) {
			return verifyJSON{Error: te.Error(), Field: te.Field(), Fields: te.Fields(), Cause: string(te.Cause), Status: te.StatusCode}
		}
		return verifyJSON{Error: err.Error()}
	}
	out := verifyJSON{OK: true, Scopes: lineworks.GrantedScopes(tok)}
	if len(out.Scopes) == 0 {
		out.Scopes = org.Integration.Scopes
	}
	for _, want := range org.Integration.Scopes {
		found := false
		for _, got := range out.Scopes {
			found = found || got == want
		}
		if !found {
			out.Warnings = append(out.Warnings, warningJSON{Field: "scopes", Message: "scope " + want + " was not granted"})
		}
	}
	return out
}

// credentialAPIError answers LINE WORKS failures: wrong credentials name
// the field (400), anything else is a bad gateway.
func credentialAPIError(err error) error {
	var (
		ce *lineworks.CredentialError
		te *lineworks.TokenError
		ae *lineworks.APIError
	)
	switch {
	case errors.As(err, &ce):
		return &apiError{Status: http.StatusBadRequest, Field: ce.Field, Msg: strings.TrimPrefix(ce.Error(), "lineworks: ")}
	case errors.As(err, &te):
		return &apiError{Status: http.StatusBadRequest, Field: te.Field(), Msg: te.Error()}
	case errors.Is(err, lineworks.ErrInvalidArgument):
		return &apiError{Status: http.StatusBadRequest, Msg: err.Error()}
	case errors.As(err, &ae):
		return &apiError{Status: http.StatusBadGateway, Msg: "LINE WORKS answered: " + ae.Error()}
	}
	return &apiError{Status: http.StatusBadGateway, Msg: "LINE WORKS could not be reached: " + err.Error()}
}

func truncateRunes(s string, n int) string {
	r := []rune(strings.TrimFunc(s, unicode.IsSpace))
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
