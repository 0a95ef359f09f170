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

// sealVersion prefixes every ciphertext so the format can change later
// without guessing what old rows hold. A key ring (see NewSecretBox) needs
// no new version: opening tries each key, and GCM's tag tells which fits.
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
	// previous open what older keys sealed, tried in order after aead.
	previous []cipher.AEAD
}

// NewSecretBox returns a SecretBox using key, which must be SecretKeySize
// random bytes kept outside the database (a file or an environment
// variable). The keys are not retained beyond the cipher's key schedule.
//
// previous are keys used before key, for a key rotation: Seal always uses
// key, Open tries key and then each previous key in order. A rotation
// re-seals every secret with a box made of the new key and the old one, so
// that a rotation interrupted midway leaves values sealed with either key,
// all of which that same box still opens; running it again completes it.
func NewSecretBox(key []byte, previous ...[]byte) (*SecretBox, error) {
	aead, err := newAEAD(key, "secret key")
	if err != nil {
		return nil, err
	}
	b := &SecretBox{aead: aead}
	for i, k := range previous {
		p, err := newAEAD(k, fmt.Sprintf("previous secret key %d", i+1))
		if err != nil {
			return nil, err
		}
		b.previous = append(b.previous, p)
	}
	return b, nil
}

// newAEAD makes the AES-256-GCM cipher of key; what names the key in the
// error, which never shows it.
func newAEAD(key []byte, what string) (cipher.AEAD, error) {
	if len(key) != SecretKeySize {
		return nil, fmt.Errorf("reception: %s is %d bytes, want %d", what, len(key), SecretKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("reception: %s: %w", what, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("reception: %s: %w", what, err)
	}
	return aead, nil
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

// Open decrypts a value made by Seal with the same additionalData, by this
// box's key or one of its previous keys. Its errors wrap ErrSecretOpen and
// never contain any part of the data.
func (b *SecretBox) Open(sealed, additionalData []byte) ([]byte, error) {
	// All keys are AES-256-GCM with the same nonce size and overhead.
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrSecretOpen)
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrSecretOpen, sealed[0])
	}
	nonce, ct := sealed[1:1+ns], sealed[1+ns:]
	if pt, err := b.aead.Open(nil, nonce, ct, additionalData); err == nil {
		return pt, nil
	}
	for _, p := range b.previous {
		if pt, err := p.Open(nil, nonce, ct, additionalData); err == nil {
			return pt, nil
		}
	}
	return nil, ErrSecretOpen
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
