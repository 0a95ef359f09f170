package app

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// IntegrationInput changes an organization's LINE WORKS integration. Nil
// fields keep their stored values; the secrets (ClientSecret, PrivateKey,
// BotSecret) also keep them when empty, so a form never has to show a
// secret again. Values are untrimmed: SaveIntegration trims them and says
// which it trimmed.
type IntegrationInput struct {
	ClientID, ClientSecret, ServiceAccount, PrivateKey *string
	// BotID and DomainID are the numbers as typed or sent ("" clears).
	BotID, DomainID                          *string
	BotSecret, AdminUserID, DefaultChannelID *string
	Scopes                                   *[]string
	RateLimit                                *int
}

// Warning tells the admin about a value that was saved changed, or a
// step that could not be done.
type Warning struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

const trimmedWarning = "空白・全角スペース・不可視文字を取り除きました (whitespace, full-width spaces or invisible characters were removed)"

// warnings collects the warnings of one use case.
type warnings []Warning

func (w *warnings) add(field, msg string) { *w = append(*w, Warning{Field: field, Message: msg}) }

// list is never nil: the API answers [] rather than null.
func (w warnings) list() []Warning {
	if w == nil {
		return []Warning{}
	}
	return w
}

// SaveIntegration validates and stores an integration change and returns
// the stored integration (redacted) with the warnings.
func (a *App) SaveIntegration(ctx context.Context, orgID string, in IntegrationInput) (*reception.Integration, []Warning, error) {
	org, err := a.Org(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	full, unreadable, err := a.secretsForUpdate(ctx, org)
	if err != nil {
		return nil, nil, err
	}
	var warn warnings
	sa, err := nextServiceAccount(&org.Integration, &full.Integration, in, &warn)
	if err != nil {
		return nil, nil, err
	}
	next, err := nextIntegration(org.Integration, sa, in, &warn)
	if err != nil {
		return nil, nil, err
	}
	// Secrets that no longer open (the key changed) cannot be kept: the
	// ones given replace them and the rest are dropped, so the admin can
	// recover by entering them again instead of meeting a 500 forever.
	next.Redacted = !unreadable
	if unreadable {
		warn.add("secretKey", "保存済みの秘密情報をこのサーバーの鍵で開けなかったため、入力された値で置き換えました。Bot Secret は再発行してください "+
			"(the stored secrets could not be opened with this server's key (UKETSUKE_SECRET_KEY); they were replaced by the values given — reissue the bot secret)")
	}
	saved, err := a.putIntegration(ctx, org, next)
	if err != nil {
		return nil, nil, err
	}
	fields := make([]string, 0, len(warn))
	for _, wn := range warn {
		fields = append(fields, wn.Field)
	}
	a.Log.Info("LINE WORKS integration saved", "org", org.ID, "trimmed", fields, "configured", saved.Configured())
	return saved, warn.list(), nil
}

// nextServiceAccount is the service account as it will be: given values
// over stored ones (cur redacted, stored with its secrets), sanitized and
// validated.
func nextServiceAccount(cur, stored *reception.Integration, in IntegrationInput, warn *warnings) (*lineworks.ServiceAccount, error) {
	sa := &lineworks.ServiceAccount{
		ClientID: cur.ClientID, ClientSecret: stored.ClientSecret,
		ServiceAccountID: cur.ServiceAccountID, PrivateKey: stored.PrivateKey, Scopes: cur.Scopes,
	}
	if in.ClientID != nil {
		sa.ClientID = *in.ClientID
	}
	if in.ServiceAccount != nil {
		sa.ServiceAccountID = *in.ServiceAccount
	}
	if newSecret(in.ClientSecret) {
		sa.ClientSecret = *in.ClientSecret
	}
	if newKey(in.PrivateKey) {
		sa.PrivateKey = []byte(*in.PrivateKey)
	}
	if in.Scopes != nil {
		sa.Scopes = *in.Scopes
	}
	for _, f := range sa.Sanitize() {
		warn.add(f, trimmedWarning)
	}
	if len(sa.Scopes) == 0 {
		sa.Scopes = []string{"bot"}
	}
	if err := sa.Validate(); err != nil {
		var ce *lineworks.CredentialError
		if errors.As(err, &ce) {
			return nil, invalid(ce.Field, strings.TrimPrefix(ce.Error(), "lineworks: "))
		}
		return nil, err
	}
	if !hasBotScope(sa.Scopes) {
		return nil, invalid(lineworks.FieldScopes, "scopes: must include bot (or bot.message) to send messages")
	}
	return sa, nil
}

func newSecret(v *string) bool { return v != nil && *v != "" }

func newKey(v *string) bool { return v != nil && strings.TrimSpace(*v) != "" }

// nextIntegration applies the input to cur (redacted: empty secrets keep
// their stored values) with the validated service account.
func nextIntegration(next reception.Integration, sa *lineworks.ServiceAccount, in IntegrationInput, warn *warnings) (reception.Integration, error) {
	next.ClientID, next.ServiceAccountID, next.Scopes = sa.ClientID, sa.ServiceAccountID, sa.Scopes
	next.ClientSecret, next.PrivateKey, next.BotSecret = "", nil, ""
	if newSecret(in.ClientSecret) {
		next.ClientSecret = sa.ClientSecret
	}
	if newKey(in.PrivateKey) {
		next.PrivateKey = sa.PrivateKey
	}
	trim := func(field string, v *string) string {
		c, changed := lineworks.TrimCredential(*v)
		if changed {
			warn.add(field, trimmedWarning)
		}
		return c
	}
	if newSecret(in.BotSecret) {
		next.BotSecret = trim("botSecret", in.BotSecret)
		if next.BotSecret == "" {
			return next, invalid("botSecret", "botSecret is blank")
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
		in   *string
		dst  *int64
	}{{"botId", in.BotID, &next.BotID}, {"domainId", in.DomainID, &next.DomainID}} {
		if f.in == nil {
			continue
		}
		v, trimmed, err := parseID(f.name, *f.in)
		if err != nil {
			return next, err
		}
		*f.dst = v
		if trimmed {
			warn.add(f.name, trimmedWarning)
		}
	}
	if in.RateLimit != nil {
		next.RateLimit = *in.RateLimit
	}
	return next, nil
}

// parseID reads an ID LINE WORKS shows as a number, as typed or pasted
// (with spaces, say); "" is 0. It reports whether white space was trimmed.
func parseID(field, s string) (v int64, trimmed bool, err error) {
	c, changed := lineworks.TrimCredential(s)
	if c == "" {
		return 0, changed, nil
	}
	v, err = strconv.ParseInt(c, 10, 64)
	if err != nil || v < 0 {
		return 0, false, invalid(field, field+": must be a non-negative integer")
	}
	return v, changed, nil
}

// putIntegration stores next as org's integration and reads it back.
func (a *App) putIntegration(ctx context.Context, org *reception.Organization, next reception.Integration) (*reception.Integration, error) {
	upd := *org
	upd.Integration = next
	upd.UpdatedAt = a.Now()
	if err := a.Store.PutOrganization(ctx, &upd); err != nil {
		if errors.Is(err, reception.ErrConflict) && len(reception.FieldErrors(err)) == 0 {
			return nil, &Error{Code: Conflict, Field: "botId", Msg: "botId: the bot is already used by another organization"}
		}
		return nil, err
	}
	saved, err := a.Store.GetOrganization(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	return &saved.Integration, nil
}

// secretsForUpdate reads the organization with its secrets for an update.
// When they cannot be opened with this server's key, it returns the
// redacted organization with unreadable set: the update then has to bring
// every secret it needs, and replaces the unreadable ones.
func (a *App) secretsForUpdate(ctx context.Context, org *reception.Organization) (full *reception.Organization, unreadable bool, err error) {
	full, err = a.Store.GetOrganizationWithSecrets(ctx, org.ID)
	if errors.Is(err, reception.ErrSecretOpen) {
		a.Log.Warn("stored LINE WORKS secrets cannot be opened with this server's key; an update will replace them", "org", org.ID)
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
func (a *App) serviceAccount(org *reception.Organization) *lineworks.ServiceAccount {
	in := org.Integration
	return &lineworks.ServiceAccount{
		ClientID: in.ClientID, ClientSecret: in.ClientSecret, ServiceAccountID: in.ServiceAccountID,
		PrivateKey: in.PrivateKey, Scopes: in.Scopes, TokenURL: a.EndpointsFor(org.ID).Token, HTTPClient: a.HTTPClient,
	}
}
