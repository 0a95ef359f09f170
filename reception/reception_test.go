package reception

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testBox(t *testing.T, fill byte) *SecretBox {
	t.Helper()
	b, err := NewSecretBox(bytes.Repeat([]byte{fill}, SecretKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSecretBox(t *testing.T) {
	box := testBox(t, 1)
	secret := []byte("very-secret-value")
	sealed, err := box.Seal(secret, []byte("org-a/ClientSecret"))
	if err != nil {
		t.Fatal(err)
	}
	if sealed[0] != sealVersion || bytes.Contains(sealed, secret) {
		t.Fatalf("sealed = %x: want version prefix and no plaintext", sealed)
	}
	again, _ := box.Seal(secret, []byte("org-a/ClientSecret"))
	if bytes.Equal(sealed, again) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, err := box.Open(sealed, []byte("org-a/ClientSecret"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, tc := range map[string]struct {
		box    *SecretBox
		sealed []byte
		ad     string
	}{
		"wrong key":        {testBox(t, 2), sealed, "org-a/ClientSecret"},
		"other record":     {box, sealed, "org-b/ClientSecret"},
		"tampered":         {box, tampered, "org-a/ClientSecret"},
		"truncated":        {box, sealed[:10], "org-a/ClientSecret"},
		"unknown version":  {box, append([]byte{9}, sealed[1:]...), "org-a/ClientSecret"},
		"plaintext stored": {box, secret, "org-a/ClientSecret"},
	} {
		_, err := tc.box.Open(tc.sealed, []byte(tc.ad))
		if !errors.Is(err, ErrSecretOpen) || strings.Contains(err.Error(), string(secret)) {
			t.Errorf("%s: Open error %v, want ErrSecretOpen without the secret", name, err)
		}
	}
	if _, err := NewSecretBox(make([]byte, 16)); err == nil {
		t.Error("NewSecretBox accepted a 16-byte key")
	}
}

func TestSealSecrets(t *testing.T) {
	box := testBox(t, 1)
	in := Integration{ClientSecret: "cs", PrivateKey: []byte("pk"), BotSecret: "bs"}
	sealed, err := box.SealSecrets("org-a", &in, SealedSecrets{})
	if err != nil {
		t.Fatal(err)
	}
	var out Integration
	if err := box.OpenSecrets("org-a", sealed, &out); err != nil {
		t.Fatal(err)
	}
	want := in
	want.Stored = SecretClientSecret | SecretPrivateKey | SecretBotSecret
	if d := cmp.Diff(want, out); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if err := box.OpenSecrets("org-b", sealed, &out); !errors.Is(err, ErrSecretOpen) || !strings.Contains(err.Error(), "ClientSecret") {
		t.Errorf("opening another organization's secrets: %v, want ErrSecretOpen naming the field", err)
	}
	// A redacted integration keeps what is blank and replaces what is set.
	red := Integration{BotSecret: "new", Redacted: true}
	merged, err := box.SealSecrets("org-a", &red, sealed)
	if err != nil {
		t.Fatal(err)
	}
	out = Integration{}
	if err := box.OpenSecrets("org-a", merged, &out); err != nil {
		t.Fatal(err)
	}
	if out.ClientSecret != "cs" || string(out.PrivateKey) != "pk" || out.BotSecret != "new" {
		t.Errorf("merged secrets = %q %q %q", out.ClientSecret, out.PrivateKey, out.BotSecret)
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := NewID()
		if len(id) != 24 || !ValidID(id) || seen[id] {
			t.Fatalf("NewID() = %q: bad or repeated", id)
		}
		if id[:12] < prev {
			t.Fatalf("NewID() = %q after %q: time prefix not increasing", id, prev)
		}
		prev, seen[id] = id[:12], true
	}
	for _, bad := range []string{"", "a b", "a/b", strings.Repeat("a", MaxIDLen+1), "日本"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestReminderPolicyNext(t *testing.T) {
	t0 := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		p    ReminderPolicy
		sent int
		want time.Time
		ok   bool
	}{
		{ReminderPolicy{}, 0, time.Time{}, false},
		{ReminderPolicy{After: 5 * time.Minute}, 0, t0.Add(5 * time.Minute), true},
		{ReminderPolicy{After: 5 * time.Minute}, 1, time.Time{}, false},
		{ReminderPolicy{After: 5 * time.Minute, Max: 3}, 2, t0.Add(15 * time.Minute), true},
		{ReminderPolicy{After: 5 * time.Minute, Max: 3}, 3, time.Time{}, false},
	} {
		got, ok := tc.p.Next(t0, tc.sent)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%+v.Next(t0, %d) = %v, %v; want %v, %v", tc.p, tc.sent, got, ok, tc.want, tc.ok)
		}
	}
}

func TestErrors(t *testing.T) {
	var err error = &ClaimConflictError{Handler: "u1", At: time.Unix(0, 0), Status: StatusAccepted}
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		t.Errorf("ClaimConflictError: Is(ErrConflict) must hold, Is(ErrNotFound) must not")
	}
	o := &Organization{ID: "bad id", Integration: Integration{BotID: -1, ClientSecret: "has space secret"}}
	err = o.Validate()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate = %v, want ErrInvalid", err)
	}
	var fields []string
	for _, fe := range FieldErrors(err) {
		fields = append(fields, fe.Field)
	}
	want := []string{"ID", "Name", "Integration.ClientSecret", "Integration.BotID"}
	if d := cmp.Diff(want, fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	if strings.Contains(err.Error(), "has space secret") {
		t.Errorf("error %q quotes a secret", err)
	}
}

func TestConfigured(t *testing.T) {
	in := Integration{ClientID: "c", ClientSecret: "s", ServiceAccountID: "sa@x", PrivateKey: []byte("k"), BotID: 1}
	if !in.Configured() {
		t.Error("Configured() = false with every credential")
	}
	in.Redact()
	if !in.Configured() {
		t.Error("Configured() = false after Redact")
	}
	in.BotID = 0
	if in.Configured() {
		t.Error("Configured() = true without a bot")
	}
}
