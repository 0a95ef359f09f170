package reception

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestSecretBoxKeyRing checks the rotation contract of NewSecretBox's
// previous keys: a ring seals with its first key only, opens with any, and
// a box without the old key refuses what only the old key sealed.
func TestSecretBoxKeyRing(t *testing.T) {
	oldKey, newKey, otherKey := bytes.Repeat([]byte{1}, SecretKeySize), bytes.Repeat([]byte{2}, SecretKeySize), bytes.Repeat([]byte{3}, SecretKeySize)
	oldBox, err := NewSecretBox(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewSecretBox(newKey, otherKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	newBox, err := NewSecretBox(newKey)
	if err != nil {
		t.Fatal(err)
	}
	ad := []byte("org-a/ClientSecret")
	byOld, err := oldBox.Seal([]byte("sealed-with-old"), ad)
	if err != nil {
		t.Fatal(err)
	}
	// The ring opens the old key's value (its third key) ...
	if got, err := ring.Open(byOld, ad); err != nil || string(got) != "sealed-with-old" {
		t.Fatalf("ring.Open(old value) = %q, %v", got, err)
	}
	// ... and the additional data still binds it to its record.
	if _, err := ring.Open(byOld, []byte("org-b/ClientSecret")); !errors.Is(err, ErrSecretOpen) {
		t.Errorf("ring opened a value under another record: %v", err)
	}
	// What the ring seals, the new key alone opens and the old key does
	// not: a finished rotation needs no old key, and the old key is refused.
	byRing, err := ring.Seal([]byte("sealed-by-ring"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := newBox.Open(byRing, ad); err != nil || string(got) != "sealed-by-ring" {
		t.Errorf("new key alone: Open = %q, %v", got, err)
	}
	if _, err := oldBox.Open(byRing, ad); !errors.Is(err, ErrSecretOpen) {
		t.Errorf("old key opened what the ring sealed: %v", err)
	}
	if _, err := newBox.Open(byOld, ad); !errors.Is(err, ErrSecretOpen) {
		t.Errorf("new key alone opened the old key's value: %v", err)
	}
	// A short previous key is refused by position, never shown.
	_, err = NewSecretBox(newKey, oldKey, []byte("short-key"))
	if err == nil || !strings.Contains(err.Error(), "previous secret key 2") || strings.Contains(err.Error(), "short-key") {
		t.Errorf("short previous key: err = %v, want one naming previous secret key 2 without the key", err)
	}
}

// TestOpenSecretsMixedKeys is the state an interrupted rotation leaves: one
// organization's secrets re-sealed with the new key, another's still with
// the old. The rotating ring opens both.
func TestOpenSecretsMixedKeys(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, SecretKeySize), bytes.Repeat([]byte{2}, SecretKeySize)
	oldBox, _ := NewSecretBox(oldKey)
	ring, err := NewSecretBox(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	in := Integration{ClientSecret: "cs", PrivateKey: []byte("pk"), BotSecret: "bs"}
	a, err := oldBox.SealSecrets("org-a", &in, SealedSecrets{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ring.SealSecrets("org-b", &in, SealedSecrets{})
	if err != nil {
		t.Fatal(err)
	}
	for id, s := range map[string]SealedSecrets{"org-a": a, "org-b": b} {
		var out Integration
		if err := ring.OpenSecrets(id, s, &out); err != nil || out.BotSecret != "bs" || string(out.PrivateKey) != "pk" {
			t.Errorf("%s: OpenSecrets = %+v, %v", id, out, err)
		}
	}
	var out Integration
	if err := oldBox.OpenSecrets("org-b", b, &out); !errors.Is(err, ErrSecretOpen) {
		t.Errorf("old key opened the re-sealed organization: %v", err)
	}
}
