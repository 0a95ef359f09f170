package lineworks

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Private-key errors. Each names one way an admin commonly gets the key
// wrong, so the message can tell them what to do instead.
var (
	ErrKeyEmpty        = errors.New("lineworks: private key: empty; paste the contents of the private_YYYYMMDDhhmmss.key file")
	ErrKeyNoPEM        = errors.New("lineworks: private key: no PEM block; the key file starts with -----BEGIN PRIVATE KEY-----")
	ErrKeyEncrypted    = errors.New("lineworks: private key: encrypted with a passphrase; use the unencrypted key file issued by the Developer Console")
	ErrKeyNotRSA       = errors.New("lineworks: private key: not an RSA key; LINE WORKS issues RSA keys")
	ErrKeyNotPrivate   = errors.New("lineworks: private key: a public key or certificate was given instead of the private key")
	ErrKeyUnparseable  = errors.New("lineworks: private key: the PEM block does not hold a valid PKCS#8 or PKCS#1 key")
	ErrInvalidArgument = errors.New("lineworks: invalid argument")
)

// ParsePrivateKey parses the service-account private key LINE WORKS issues
// (PEM, PKCS#8, "-----BEGIN PRIVATE KEY-----"); PKCS#1 ("RSA PRIVATE KEY") is
// accepted too. Keys are pasted from files and web forms, so a BOM, CRLF line
// ends, stray zero-width characters, surrounding blank space and literal "\n"
// escapes (from environment variables) are tolerated.
//
// The errors are distinct sentinels (ErrKeyEmpty, ErrKeyNoPEM,
// ErrKeyEncrypted, ErrKeyNotRSA, ErrKeyNotPrivate, ErrKeyUnparseable) and never
// contain key material.
//
// See https://developers.worksmobile.com/jp/docs/auth-jwt.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	s := normalizePEM(string(data))
	if s == "" {
		return nil, ErrKeyEmpty
	}
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		if strings.Contains(s, "BEGIN") {
			return nil, ErrKeyUnparseable
		}
		return nil, ErrKeyNoPEM
	}
	if _, ok := block.Headers["Proc-Type"]; ok && strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, ErrKeyEncrypted
	}
	switch block.Type {
	case "ENCRYPTED PRIVATE KEY":
		return nil, ErrKeyEncrypted
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
		return nil, ErrKeyNotPrivate
	case "EC PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, ErrKeyNotRSA
	case "PRIVATE KEY", "RSA PRIVATE KEY":
	default:
		return nil, fmt.Errorf("%w (PEM block type %q)", ErrKeyNoPEM, block.Type)
	}
	// Try both encodings whatever the label says: keys get re-labelled by
	// hand more often than one would think.
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, ErrKeyNotRSA
		}
		return rk, nil
	}
	if rk, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return rk, nil
	}
	if _, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return nil, ErrKeyNotRSA
	}
	return nil, ErrKeyUnparseable
}

// normalizePEM undoes what copy and paste does to a key file.
func normalizePEM(s string) string {
	s = stripInvisible(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if !strings.Contains(s, "\n") && strings.Contains(s, `\n`) {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	s = strings.ReplaceAll(s, "\u3000", "")
	// Indented PEM (from YAML or a form) confuses pem.Decode: trim every line.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// isInvisible reports characters that are never part of a credential but
// arrive with pasted text: BOM, zero-width spaces and joiners, word joiner,
// soft hyphen.
func isInvisible(r rune) bool {
	switch r {
	case '\uFEFF', '\u200B', '\u200C', '\u200D', '\u2060', '\u00AD', '\u180E':
		return true
	}
	return false
}

func stripInvisible(s string) string {
	if !strings.ContainsFunc(s, isInvisible) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isInvisible(r) {
			return -1
		}
		return r
	}, s)
}

// TrimCredential cleans one pasted single-line credential (client ID, client
// secret, service account ID, bot secret, user ID): it removes ASCII white
// space, the full-width space U+3000 and other Unicode spaces, zero-width
// characters and a BOM — anywhere in the value, because none of them can be
// part of a LINE WORKS credential. It reports whether anything was removed.
func TrimCredential(s string) (cleaned string, changed bool) {
	cleaned = strings.Map(func(r rune) rune {
		if isInvisible(r) || unicode.IsSpace(r) || r == '\u3000' {
			return -1
		}
		return r
	}, s)
	return cleaned, cleaned != s
}

// CredentialError reports a credential that is missing or malformed. Field
// uses the names of the LINE WORKS Developer Console form ("clientId",
// "clientSecret", "serviceAccount", "privateKey", …). The message never
// contains the value.
type CredentialError struct {
	Field  string
	Reason string
	Err    error
}

// Error implements error.
func (e *CredentialError) Error() string {
	return "lineworks: " + e.Field + ": " + e.Reason
}

// Unwrap returns the underlying cause, such as ErrKeyEncrypted.
func (e *CredentialError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return ErrInvalidArgument
}

// Credential field names used in CredentialError and in Sanitize's report.
const (
	FieldClientID       = "clientId"
	FieldClientSecret   = "clientSecret"
	FieldServiceAccount = "serviceAccount"
	FieldPrivateKey     = "privateKey"
	FieldScopes         = "scopes"
)

// Sanitize trims every credential of sa in place (see TrimCredential; the
// private key is normalised as ParsePrivateKey does; scopes given as one
// "bot user.read" or "bot,user.read" string are split) and returns the names
// of the fields from which it removed something that was not part of the
// value, so a form can warn "clientSecret had a trailing full-width space; it
// was removed". Formats that are fine as they are — a key file's CRLF line
// endings and final newline, scopes separated by spaces or commas — are
// normalised without being reported: a warning for them would teach admins
// to ignore warnings.
func (sa *ServiceAccount) Sanitize() (changed []string) {
	for _, f := range []struct {
		name string
		v    *string
	}{
		{FieldClientID, &sa.ClientID},
		{FieldClientSecret, &sa.ClientSecret},
		{FieldServiceAccount, &sa.ServiceAccountID},
	} {
		if c, ok := TrimCredential(*f.v); ok {
			*f.v = c
			changed = append(changed, f.name)
		}
	}
	if len(sa.PrivateKey) > 0 {
		raw := string(sa.PrivateKey)
		if n := normalizePEM(raw) + "\n"; n != raw {
			sa.PrivateKey = []byte(n)
			if strings.ContainsFunc(raw, isInvisible) || strings.ContainsRune(raw, '\u3000') {
				changed = append(changed, FieldPrivateKey)
			}
		}
	}
	if scopes, trimmed, split := sanitizeScopes(sa.Scopes); trimmed || split {
		sa.Scopes = scopes
		if trimmed {
			changed = append(changed, FieldScopes)
		}
	}
	return changed
}

// sanitizeScopes splits scopes pasted as one string and trims each. trimmed
// reports that something other than a separator was removed; split that the
// list changed shape.
func sanitizeScopes(in []string) (scopes []string, trimmed, split bool) {
	isSep := func(r rune) bool { return r == ',' || unicode.IsSpace(r) || r == '\u3000' }
	for _, s := range in {
		parts := strings.FieldsFunc(s, isSep)
		split = split || len(parts) != 1 || parts[0] != s
		for _, part := range parts {
			c, ok := TrimCredential(part)
			trimmed = trimmed || ok
			if c != "" {
				scopes = append(scopes, c)
			}
		}
		// A full-width space between scopes is a typing slip worth a word.
		trimmed = trimmed || strings.ContainsRune(s, '\u3000')
	}
	return scopes, trimmed, split
}

// Validate checks that every credential is present and well-formed, without
// contacting LINE WORKS. The error is a *CredentialError naming the first
// wrong field; it never echoes a secret.
func (sa *ServiceAccount) Validate() error {
	if sa.ClientID == "" {
		return &CredentialError{Field: FieldClientID, Reason: "required (Developer Console → app → Client ID)"}
	}
	if strings.ContainsFunc(sa.ClientID, func(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) }) {
		return &CredentialError{Field: FieldClientID, Reason: "contains white space; call Sanitize first"}
	}
	if sa.ClientSecret == "" {
		return &CredentialError{Field: FieldClientSecret, Reason: "required (Developer Console → app → Client Secret)"}
	}
	if strings.ContainsFunc(sa.ClientSecret, func(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) }) {
		return &CredentialError{Field: FieldClientSecret, Reason: "contains white space; call Sanitize first"}
	}
	if sa.ServiceAccountID == "" {
		return &CredentialError{Field: FieldServiceAccount, Reason: "required (looks like xxxxx.serviceaccount@example.com)"}
	}
	if !strings.Contains(sa.ServiceAccountID, "@") || strings.ContainsFunc(sa.ServiceAccountID, unicode.IsSpace) {
		return &CredentialError{Field: FieldServiceAccount, Reason: "expected an ID like xxxxx.serviceaccount@example.com"}
	}
	if _, err := ParsePrivateKey(sa.PrivateKey); err != nil {
		return &CredentialError{Field: FieldPrivateKey, Reason: strings.TrimPrefix(err.Error(), "lineworks: private key: "), Err: err}
	}
	for _, s := range sa.Scopes {
		if s == "" || strings.ContainsFunc(s, unicode.IsSpace) {
			return &CredentialError{Field: FieldScopes, Reason: "each scope must be one word such as bot or user.read"}
		}
	}
	return nil
}
