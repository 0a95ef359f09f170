package cli

import (
	"strings"
	"testing"
)

func TestTokenURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://auth.worksmobile.com/oauth2/v2.0":           "https://auth.worksmobile.com/oauth2/v2.0/token",
		"https://auth.worksmobile.com/oauth2/v2.0/":          "https://auth.worksmobile.com/oauth2/v2.0/token",
		"https://auth.worksmobile.com/oauth2/v2.0/token":     "https://auth.worksmobile.com/oauth2/v2.0/token",
		"https://auth.worksmobile.com/oauth2/v2.0/authorize": "https://auth.worksmobile.com/oauth2/v2.0/token",
		"http://127.0.0.1:8089/oauth2/v2.0":                  "http://127.0.0.1:8089/oauth2/v2.0/token",
	} {
		if got, err := tokenURL(in); err != nil || got != want {
			t.Errorf("tokenURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "auth.worksmobile.com", "ftp://x/y"} {
		if _, err := tokenURL(bad); err == nil || !strings.Contains(err.Error(), EnvAuthURL) {
			t.Errorf("tokenURL(%q): %v", bad, err)
		}
	}
}
