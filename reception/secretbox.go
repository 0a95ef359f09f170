package reception

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// SecretKeySize is the size of a SecretBox key: AES-256.
const SecretKeySize = 32

// sealVersion prefixes every ciphertext so the format (or the key, with a
// key ring) can change later without guessing what old rows hold.
const sealVersion byte = 1

// ErrSecretOpen is returned when a ciphertext cannot be opened: wrong key,
// corrupted or truncated data, or data sealed for another record.
var ErrSecretOpen = errors.New("reception: cannot open secret (wrong key or corrupted data)")

// SecretBox encrypts secrets at rest with AES-256-GCM. Stores hold one and
// seal the secret fields of an Integration when writing and open them when
// reading, so a database dump or backup alone does not reveal credentials.
// A SecretBox is safe for concurrent use.
type SecretBox struct {
	aead cipher.AEAD
}

// NewSecretBox returns a SecretBox using key, which must be SecretKeySize
// random bytes kept outside the database (a file or an environment
// variable). The key is not retained beyond the cipher's key schedule.
func NewSecretBox(key []byte) (*SecretBox, error) {
	if len(key) != SecretKeySize {
		return nil, fmt.Errorf("reception: secret key is %d bytes, want %d", len(key), SecretKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("reception: secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("reception: secret key: %w", err)
	}
	return &SecretBox{aead: aead}, nil
}

// Seal encrypts plaintext with a fresh random nonce. additionalData is
// authenticated but not stored: the same value must be given to Open. Stores
// pass something naming the record and field, so a ciphertext copied into
// another organization's row does not open there.
//
// The result is a version byte, the nonce and the ciphertext with its tag.
func (b *SecretBox) Seal(plaintext, additionalData []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+b.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("reception: sealing secret: %w", err)
	}
	return b.aead.Seal(out, out[1:1+ns], plaintext, additionalData), nil
}

// Open decrypts a value made by Seal with the same additionalData. Its
// errors wrap ErrSecretOpen and never contain any part of the data.
func (b *SecretBox) Open(sealed, additionalData []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrSecretOpen)
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrSecretOpen, sealed[0])
	}
	pt, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], additionalData)
	if err != nil {
		return nil, ErrSecretOpen
	}
	return pt, nil
}

// SealedSecrets are an Integration's secrets as a store keeps them at rest:
// SecretBox ciphertexts, nil where the secret is not set (so that "not set"
// needs no decryption and an empty secret is never sealed).
type SealedSecrets struct {
	// ClientSecret is the sealed Integration.ClientSecret.
	ClientSecret []byte
	// PrivateKey is the sealed Integration.PrivateKey.
	PrivateKey []byte
	// BotSecret is the sealed Integration.BotSecret.
	BotSecret []byte
}

// Present returns the secrets that are set.
func (s SealedSecrets) Present() SecretSet {
	var set SecretSet
	if len(s.ClientSecret) > 0 {
		set |= SecretClientSecret
	}
	if len(s.PrivateKey) > 0 {
		set |= SecretPrivateKey
	}
	if len(s.BotSecret) > 0 {
		set |= SecretBotSecret
	}
	return set
}

func secretAD(orgID, field string) []byte {
	return []byte("uketsuke/organization/" + orgID + "/" + field)
}

// SealSecrets seals the secrets of in for the organization orgID, as
// PutOrganization stores them. If in.Redacted is set, a secret whose field
// is empty keeps its value from old (what the store held before; the zero
// SealedSecrets for a new organization); otherwise an empty field clears
// the secret.
func (b *SecretBox) SealSecrets(orgID string, in *Integration, old SealedSecrets) (SealedSecrets, error) {
	var out SealedSecrets
	one := func(field string, plain []byte, keep []byte, dst *[]byte) error {
		if len(plain) == 0 {
			if in.Redacted {
				*dst = keep
			}
			return nil
		}
		s, err := b.Seal(plain, secretAD(orgID, field))
		if err != nil {
			return err
		}
		*dst = s
		return nil
	}
	if err := one("ClientSecret", []byte(in.ClientSecret), old.ClientSecret, &out.ClientSecret); err != nil {
		return SealedSecrets{}, err
	}
	if err := one("PrivateKey", in.PrivateKey, old.PrivateKey, &out.PrivateKey); err != nil {
		return SealedSecrets{}, err
	}
	if err := one("BotSecret", []byte(in.BotSecret), old.BotSecret, &out.BotSecret); err != nil {
		return SealedSecrets{}, err
	}
	return out, nil
}

// OpenSecrets opens s, sealed by SealSecrets for orgID, into the secret
// fields of in, and sets in.Stored; in.Redacted is cleared. The error names
// the field that failed and wraps ErrSecretOpen.
func (b *SecretBox) OpenSecrets(orgID string, s SealedSecrets, in *Integration) error {
	open := func(field string, sealed []byte) ([]byte, error) {
		if len(sealed) == 0 {
			return nil, nil
		}
		p, err := b.Open(sealed, secretAD(orgID, field))
		if err != nil {
			return nil, fmt.Errorf("reception: organization %s: %s: %w", orgID, field, err)
		}
		return p, nil
	}
	cs, err := open("ClientSecret", s.ClientSecret)
	if err != nil {
		return err
	}
	pk, err := open("PrivateKey", s.PrivateKey)
	if err != nil {
		return err
	}
	bs, err := open("BotSecret", s.BotSecret)
	if err != nil {
		return err
	}
	in.ClientSecret, in.PrivateKey, in.BotSecret = string(cs), pk, string(bs)
	in.Stored = s.Present()
	in.Redacted = false
	return nil
}
