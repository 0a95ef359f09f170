package httpserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// A sealer turns a small value into a cookie-safe string that any process
// holding the same key can open and nobody else can forge:
// base64url(JSON) "." base64url(HMAC-SHA256). The holder can read the value,
// so it carries IDs and times, never a secret. Sealed values are what let
// several replicas of the server share admin sessions and LINE WORKS
// sign-ins without a shared session table.
type sealer struct{ key []byte }

// maxSealed bounds what open reads: a cookie is at most 4 KiB anyway.
const maxSealed = 4096

// newSealer derives the key for one purpose from secret, so that a value
// sealed for one purpose (a session) is never accepted for another (a
// sign-in).
func newSealer(secret []byte, purpose string) sealer {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("uketsuke/" + purpose))
	return sealer{key: m.Sum(nil)}
}

func (s sealer) mac(data string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// seal returns v sealed. v must marshal to JSON.
func (s sealer) seal(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		// The values sealed here are structs of strings and integers.
		panic("sealing a value that does not marshal: " + err.Error())
	}
	payload := base64.RawURLEncoding.EncodeToString(data)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

// open reads a sealed value into v and reports whether it was sealed with
// this key (and is well formed).
func (s sealer) open(sealed string, v any) bool {
	if len(sealed) > maxSealed {
		return false
	}
	payload, sig, ok := strings.Cut(sealed, ".")
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return false
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	return err == nil && json.Unmarshal(data, v) == nil
}
