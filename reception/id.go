package reception

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// MaxIDLen is the longest ID accepted. IDs travel inside postback values
// (≤1000 bytes) and URLs, so they are kept short and plain.
const MaxIDLen = 64

// NewID returns a new random ID: 24 lowercase hex characters, the first 12
// the current Unix time in milliseconds and the rest 48 random bits. The time
// prefix keeps IDs roughly sortable by creation, which keeps database indexes
// compact and listings stable.
func NewID() string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	// The top 6 bytes now hold the 48-bit timestamp; fill the rest randomly.
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go ≥1.24).
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s is acceptable as an ID of an organization,
// button, staff member, visit, outbox or inbox entry: 1 to MaxIDLen bytes of
// ASCII letters, digits, '-', '_' and '.'. The restriction lets IDs be put
// into postback values, URLs and log lines without escaping.
func ValidID(s string) bool {
	if s == "" || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

func (f *fieldErrs) id(field, v string) {
	switch {
	case v == "":
		f.add(field, "is required")
	case !ValidID(v):
		f.addf(field, "must be 1–%d characters of A–Z, a–z, 0–9, '-', '_' or '.'", MaxIDLen)
	}
}

// optID validates an ID that may be empty.
func (f *fieldErrs) optID(field, v string) {
	if v != "" {
		f.id(field, v)
	}
}

// token validates an external identifier (LINE WORKS user or channel ID):
// required, and without spaces or control characters, which in practice are
// always paste accidents.
func (f *fieldErrs) token(field, v string, required bool) {
	if v == "" {
		if required {
			f.add(field, "is required")
		}
		return
	}
	if len(v) > 256 {
		f.add(field, "is longer than 256 bytes")
		return
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f || r == '\u3000' || r == '\u200b' || r == '\ufeff' {
			f.add(field, "contains whitespace or control characters")
			return
		}
	}
}
