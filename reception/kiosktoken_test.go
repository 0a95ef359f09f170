package reception_test

import (
	"testing"

	"github.com/uketsuke/uketsuke/reception"
)

func TestKioskTokenHash(t *testing.T) {
	t.Parallel()
	const tok = "kiosk-token-0123456789abcdef"
	h := reception.HashKioskToken(tok)
	if !reception.IsHashedKioskToken(h) || h == tok || reception.HashKioskToken(h) != h {
		t.Fatalf("HashKioskToken(%q) = %q: want a marked hash, stable when hashed again", tok, h)
	}
	for _, tc := range []struct {
		stored, presented string
		want              bool
	}{
		{h, tok, true},
		{h, tok + "x", false},
		{h, h, false},    // the hash itself is not a token
		{tok, tok, true}, // stored before tokens were hashed
		{tok, "other-token-0123456789", false},
		{"", "", false}, // no token: check-in disabled
		{h, "", false},
	} {
		if got := reception.KioskTokenMatches(tc.stored, tc.presented); got != tc.want {
			t.Errorf("KioskTokenMatches(%q, %q) = %v, want %v", tc.stored, tc.presented, got, tc.want)
		}
	}
}
