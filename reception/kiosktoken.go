package reception

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// kioskHashPrefix marks a stored kiosk token that is a hash, not the token.
const kioskHashPrefix = "sha256:"

// HashKioskToken returns what a store keeps for a kiosk token: its SHA-256,
// marked so that it is never mistaken for a token. A kiosk token is 24
// random bytes, so a plain hash (no salt, no stretching) is enough: there is
// nothing to guess from it, and a copy of the database no longer lets
// anyone check visitors in. A value that is already a hash is returned as
// it is.
func HashKioskToken(token string) string {
	if token == "" || IsHashedKioskToken(token) {
		return token
	}
	sum := sha256.Sum256([]byte(token))
	return kioskHashPrefix + hex.EncodeToString(sum[:])
}

// IsHashedKioskToken reports whether stored is a hash made by
// HashKioskToken rather than a token in clear (as stores held them before
// they were hashed).
func IsHashedKioskToken(stored string) bool { return strings.HasPrefix(stored, kioskHashPrefix) }

// KioskTokenMatches reports, in constant time, whether presented is the
// kiosk token of which stored is the hash (or, for a token stored before
// tokens were hashed, the token itself). An empty stored token matches
// nothing: check-in is disabled.
func KioskTokenMatches(stored, presented string) bool {
	if stored == "" || presented == "" {
		return false
	}
	if !IsHashedKioskToken(stored) {
		return subtle.ConstantTimeCompare([]byte(stored), []byte(presented)) == 1
	}
	// Hashed unconditionally: a presented value that looks like a hash is
	// hashed too, so knowing the stored hash is not knowing the token.
	sum := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare([]byte(stored), []byte(kioskHashPrefix+hex.EncodeToString(sum[:]))) == 1
}
