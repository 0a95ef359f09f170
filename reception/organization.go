package reception

import (
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Organization is a tenant: one company (or one site of it) with its own
// reception buttons, staff, rooms, visits and LINE WORKS app.
type Organization struct {
	// ID identifies the organization; see ValidID.
	ID string
	// Name is shown to admins and visitors. Required.
	Name string
	// Locale is the language of messages sent for this organization, a BCP 47
	// tag such as "ja" or "en". Empty means the application's default.
	Locale string
	// KioskToken is the bearer token a kiosk presents to check visitors in.
	// Stores keep only its hash (HashKioskToken): PutOrganization hashes a
	// token given in clear, and every read returns the hash, so the token
	// is seen once, by whoever issued it; compare with KioskTokenMatches.
	// Empty disables check-in.
	KioskToken string
	// KioskFallback is what the kiosk tells a visitor instead of 「担当者に
	// 通知しました」 while the organization cannot deliver notifications, e.g.
	// 「内線100番にお電話ください / Please call extension 100」. It is shown as
	// is in every kiosk language. Empty means DefaultKioskFallback; see
	// KioskFallbackText. At most MaxKioskFallback characters.
	KioskFallback string
	// OpenTaps lets anyone whose LINE WORKS callback carries a visit's
	// button accept or escalate it, from any room: the behaviour before tap
	// authorization. False (the default) takes a tap only from the visit's
	// audience: a room it was announced in, or a staff member it was sent
	// to 1:1.
	OpenTaps bool
	// Integration is the organization's LINE WORKS app and bot.
	Integration Integration
	// CreatedAt and UpdatedAt are set by the caller; stores keep them as given.
	CreatedAt, UpdatedAt time.Time
}

// MaxKioskFallback is the longest KioskFallback, in characters: a few
// sentences in two languages fit, a page of text does not fit a kiosk.
const MaxKioskFallback = 300

// DefaultKioskFallback is the kiosk's fallback text of an organization that
// set none. It cannot know the right extension, so it points the visitor at
// people and phones near the desk, in both kiosk languages.
const DefaultKioskFallback = "担当者に通知できませんでした。お手数ですが、受付の電話または近くの係員にお声がけください。 / " +
	"We could not notify the staff. Please use the reception phone or ask a member of staff nearby."

// KioskFallbackText returns KioskFallback, or DefaultKioskFallback when it
// is empty.
func (o *Organization) KioskFallbackText() string {
	if strings.TrimSpace(o.KioskFallback) == "" {
		return DefaultKioskFallback
	}
	return o.KioskFallback
}

// Integration is an organization's LINE WORKS app (the four credentials of a
// service account), the bot created with it, and what uketsuke learned about
// the tenant. The zero value is an integration not yet set up.
//
// ClientSecret, PrivateKey and BotSecret are secrets: stores encrypt them at
// rest with a [SecretBox] and return them in clear only from
// GetOrganizationWithSecrets.
type Integration struct {
	// ClientID is the app's Client ID.
	ClientID string
	// ClientSecret is the app's Client Secret. Secret.
	ClientSecret string
	// ServiceAccountID is e.g. "xxxxx.serviceaccount@example.com".
	ServiceAccountID string
	// PrivateKey is the service account's private key, PEM encoded. Secret.
	PrivateKey []byte
	// BotID is the bot uketsuke created; 0 until then. A bot ID belongs to
	// at most one organization, because callbacks are routed by it.
	BotID int64
	// BotSecret verifies the signature of the bot's callbacks. Secret.
	BotSecret string
	// DomainID is the LINE WORKS tenant (domain) ID; 0 if unknown.
	DomainID int64
	// AdminUserID is the LINE WORKS user made administrator of the bot.
	AdminUserID string
	// Scopes are the OAuth scopes granted to the app, e.g. "bot",
	// "user.read". They decide e.g. whether real names can be looked up.
	Scopes []string
	// RateLimit is the plan's API rate limit in requests per minute
	// (240 Standard/Advanced, 60 Free); 0 means unknown, and callers should
	// assume the lowest.
	RateLimit int
	// DefaultChannelID is the talk room used when a button names none.
	DefaultChannelID string

	// Redacted is set by a store when it blanked the secret fields above on
	// the way out. PutOrganization with Redacted set keeps each stored secret
	// whose field is empty, so an admin can edit an organization read from
	// GetOrganization without wiping (or ever seeing) its secrets.
	Redacted bool
	// Stored lists the secrets the store holds for this organization. Stores
	// set it on every read (redacted or not); PutOrganization ignores it.
	Stored SecretSet
}

// SecretSet is a set of an Integration's secret fields.
type SecretSet uint8

// The secrets of an Integration.
const (
	SecretClientSecret SecretSet = 1 << iota
	SecretPrivateKey
	SecretBotSecret
)

// Has reports whether s holds every secret in t.
func (s SecretSet) Has(t SecretSet) bool { return s&t == t }

// Present returns the secrets of in that are non-empty.
func (in *Integration) Present() SecretSet {
	var s SecretSet
	if in.ClientSecret != "" {
		s |= SecretClientSecret
	}
	if len(in.PrivateKey) > 0 {
		s |= SecretPrivateKey
	}
	if in.BotSecret != "" {
		s |= SecretBotSecret
	}
	return s
}

// Configured reports whether the integration has the four credentials of a
// service account (Client ID, Client Secret, Service Account ID, private key)
// and a bot ID, i.e. whether messages can be sent. On a redacted integration
// it reports what the store holds.
func (in *Integration) Configured() bool {
	have := in.Present()
	if in.Redacted {
		have |= in.Stored
	}
	return in.ClientID != "" && in.ServiceAccountID != "" && in.BotID != 0 &&
		have.Has(SecretClientSecret|SecretPrivateKey)
}

// HasScope reports whether scope was granted.
func (in *Integration) HasScope(scope string) bool { return slices.Contains(in.Scopes, scope) }

// Redact blanks the secret fields, records which were set in Stored, and sets
// Redacted. Stores call it before returning an organization from anything
// but GetOrganizationWithSecrets.
func (in *Integration) Redact() {
	in.Stored = in.Present()
	in.ClientSecret, in.PrivateKey, in.BotSecret = "", nil, ""
	in.Redacted = true
}

// Validate checks the organization; the error names each wrong field.
func (o *Organization) Validate() error {
	var f fieldErrs
	f.id("ID", o.ID)
	if strings.TrimSpace(o.Name) == "" {
		f.add("Name", "is required")
	}
	f.name("Name", o.Name)
	if len(o.Locale) > 35 || strings.ContainsAny(o.Locale, " \t\r\n") {
		f.add("Locale", "must be a BCP 47 language tag such as \"ja\"")
	}
	if o.KioskToken != "" && len(o.KioskToken) < 16 {
		// A short kiosk token can be guessed; it lets anyone send messages
		// into the organization's rooms.
		f.add("KioskToken", "must be at least 16 characters")
	}
	f.token("KioskToken", o.KioskToken, false)
	if msg := kioskFallbackProblem(o.KioskFallback); msg != "" {
		f.add("KioskFallback", msg)
	}
	f.nest("Integration", o.Integration.Validate())
	return f.err()
}

// kioskFallbackProblem describes what is wrong with a kiosk fallback text,
// or returns "". Line breaks are allowed (the kiosk keeps them); other
// control characters would show as garbage on the tablet.
func kioskFallbackProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(s) > MaxKioskFallback:
		return fmt.Sprintf("is longer than %d characters", MaxKioskFallback)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' }):
		return "must not contain control characters other than line breaks"
	}
	return ""
}

// Validate checks the integration; the error names each wrong field relative
// to the Integration (e.g. "ClientID"). Every field may be empty: an
// organization is created before its LINE WORKS app is set up.
func (in *Integration) Validate() error {
	var f fieldErrs
	f.token("ClientID", in.ClientID, false)
	f.token("ServiceAccountID", in.ServiceAccountID, false)
	if in.ServiceAccountID != "" && !strings.Contains(in.ServiceAccountID, "@") {
		f.add("ServiceAccountID", `must look like "xxxxx.serviceaccount@example.com"`)
	}
	f.token("ClientSecret", in.ClientSecret, false)
	f.token("BotSecret", in.BotSecret, false)
	if len(in.PrivateKey) > 0 {
		// Never quote the key in the message.
		if b, _ := pem.Decode(in.PrivateKey); b == nil || !strings.Contains(b.Type, "PRIVATE KEY") {
			f.add("PrivateKey", "is not a PEM-encoded private key")
		}
	}
	if in.BotID < 0 {
		f.add("BotID", "must not be negative")
	}
	if in.DomainID < 0 {
		f.add("DomainID", "must not be negative")
	}
	f.token("AdminUserID", in.AdminUserID, false)
	for i, s := range in.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n,") {
			f.addf("Scopes", "entry %d is not a single scope", i)
		}
	}
	if in.RateLimit < 0 {
		f.add("RateLimit", "must not be negative")
	}
	f.token("DefaultChannelID", in.DefaultChannelID, false)
	return f.err()
}

// Clone returns a deep copy of o.
func (o *Organization) Clone() *Organization {
	if o == nil {
		return nil
	}
	c := *o
	c.Integration.PrivateKey = slices.Clone(o.Integration.PrivateKey)
	c.Integration.Scopes = slices.Clone(o.Integration.Scopes)
	return &c
}
