package app

import "testing"

// A bot's callbacks need https, except on this machine, where only a fake
// (uketsuke fake) is reached and takes http.
func TestCallbackURLUsable(t *testing.T) {
	t.Parallel()
	for u, want := range map[string]bool{
		"https://reception.example.com": true,
		"http://localhost:8080":         true,
		"http://127.0.0.1:8080":         true,
		"http://[::1]:8080":             true,
		"http://reception.example.com":  false,
		"http://192.168.1.10:8080":      false,
		"":                              false,
		"ftp://localhost":               false,
	} {
		if got := callbackURLUsable(u); got != want {
			t.Errorf("callbackURLUsable(%q) = %v, want %v", u, got, want)
		}
	}
}
