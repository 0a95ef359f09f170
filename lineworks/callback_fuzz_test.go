package lineworks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// fuzzSecret is the fixed bot secret of FuzzParseCallback. The seed corpus
// in testdata/fuzz/FuzzParseCallback is signed with it.
const fuzzSecret = "fuzz-bot-secret-7Qk2Lp9Xw"

// fuzzBodies are the seed bodies: every fixture and every own case.
func fuzzBodies(f *testing.F) [][]byte {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "callbacks", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	var bodies [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	for _, c := range ownEventCases {
		bodies = append(bodies, []byte(c.body))
	}
	return append(bodies, []byte(`{"type":1}`), []byte(`[`), []byte(`null`), nil)
}

func fuzzRequest(body []byte, signature string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/callback/lineworks", bytes.NewReader(body))
	r.Header.Set("X-WORKS-BotId", "2000001")
	r.Header.Set("X-WORKS-Signature", signature)
	return r
}

// FuzzParseCallback feeds arbitrary bodies and signatures through
// ParseCallback with a fixed secret. It must never panic; an unverified body
// must never be decoded; a validly signed body must either decode or fail
// with ErrMalformedEvent; and no error may contain the secret.
func FuzzParseCallback(f *testing.F) {
	for _, b := range fuzzBodies(f) {
		f.Add(b, lineworkstest.SignBody(fuzzSecret, b))
		f.Add(b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	}
	f.Add([]byte(`{"type":"message"}`), "not base64!")
	f.Add([]byte(`{"type":"message"}`), " \t")
	f.Fuzz(func(t *testing.T, body []byte, signature string) {
		if len(body) > lineworks.DefaultMaxCallbackBodySize {
			t.Skip("larger than the body limit, which TestParseCallback covers")
		}
		cb, err := lineworks.ParseCallback(fuzzRequest(body, signature), fuzzSecret)
		verified := lineworks.VerifySignature(fuzzSecret, body, signature) == nil
		switch {
		case err == nil:
			if !verified {
				t.Fatalf("ParseCallback accepted a body whose signature does not verify")
			}
			checkCallback(t, cb, body)
		case !verified && !errors.Is(err, lineworks.ErrInvalidSignature):
			t.Fatalf("unverified body: ParseCallback = %v, want ErrInvalidSignature (verify before decoding)", err)
		}
		if err != nil && strings.Contains(err.Error(), fuzzSecret) {
			t.Fatalf("error contains the secret: %v", err)
		}

		// The same body, validly signed.
		cb, err = lineworks.ParseCallback(fuzzRequest(body, lineworkstest.SignBody(fuzzSecret, body)), fuzzSecret)
		if err != nil {
			if !errors.Is(err, lineworks.ErrMalformedEvent) {
				t.Fatalf("signed body: ParseCallback = %v, want nil or ErrMalformedEvent", err)
			}
			if i := bytes.IndexFunc(body, func(r rune) bool { return !strings.ContainsRune(" \t\r\n", r) }); i >= 0 && body[i] == '{' && json.Valid(body) {
				// A JSON object fails only for a broken envelope, and says which field.
				if !strings.Contains(err.Error(), "field") {
					t.Fatalf("valid JSON object rejected without naming a field: %v", err)
				}
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("invalid JSON accepted as %#v", cb.Event)
		}
		checkCallback(t, cb, body)
	})
}

func checkCallback(t *testing.T, cb *lineworks.Callback, body []byte) {
	t.Helper()
	if cb.Event == nil {
		t.Fatal("Callback.Event is nil")
	}
	if !bytes.Equal(cb.Body, body) {
		t.Fatal("Callback.Body differs from the body sent")
	}
	switch e := cb.Event.(type) {
	case lineworks.MessageEvent:
		if e.Content == nil {
			t.Fatal("MessageEvent.Content is nil")
		}
	case lineworks.UnknownEvent:
		if !bytes.Equal(e.Raw, body) {
			t.Fatal("UnknownEvent.Raw differs from the body")
		}
	}
	_, _ = lineworks.Tap(cb.Event)
	_, _ = cb.Event.EventSource().ReplyTarget()
	_ = cb.Event.IssuedTime()
}

// FuzzVerifySignature checks that VerifySignature never panics, returns only
// its documented errors (which hold no secret), accepts the body's real
// signature, and accepts nothing else.
func FuzzVerifySignature(f *testing.F) {
	for _, v := range signatureVectors {
		f.Add(v.secret, []byte(v.body), v.want)
	}
	f.Add(vectorSecret, []byte(`{}`), "")
	f.Add(vectorSecret, []byte(`{}`), "1VxZATNe/NxssFRLkfAqxhyM7OEbPTpDkJZz0kcgewA")
	f.Add(vectorSecret, []byte(`{}`), "1VxZATNe/NxssFRLkfAqxhyM7OEbPTpDkJZz0kcg\newA=")
	f.Add("", []byte(`{}`), "1VxZATNe/NxssFRLkfAqxhyM7OEbPTpDkJZz0kcgewA=")
	f.Fuzz(func(t *testing.T, secret string, body []byte, signature string) {
		err := lineworks.VerifySignature(secret, body, signature)
		switch err {
		case nil, lineworks.ErrSignatureMissing, lineworks.ErrSignatureMalformed, lineworks.ErrSignatureMismatch, lineworks.ErrEmptySecret:
			// These are fixed values, so no error can carry the secret.
		default:
			t.Fatalf("VerifySignature returned an undocumented error: %v", err)
		}
		if secret == "" {
			if err != lineworks.ErrEmptySecret {
				t.Fatalf("empty secret: VerifySignature = %v, want ErrEmptySecret", err)
			}
			return
		}
		want := lineworkstest.SignBody(secret, body)
		if err == nil && strings.TrimSpace(signature) != want {
			t.Fatalf("accepted signature %q, but the body's signature is %q", signature, want)
		}
		if err := lineworks.VerifySignature(secret, body, want); err != nil {
			t.Fatalf("VerifySignature(real signature) = %v", err)
		}
	})
}
