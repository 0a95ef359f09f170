package lineworks_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// vectorSecret is the bot secret of the signature vectors below.
const vectorSecret = "Zx9fK2mQ7vLr4TpW8sNb"

// signatureVectors were computed with OpenSSL 3.0, independently of this
// package, by running in /work/main/lineworks (file bodies are the exact bytes
// of the fixture files, no trailing newline):
//
//	openssl dgst -sha256 -hmac 'Zx9fK2mQ7vLr4TpW8sNb' -binary testdata/callbacks/message_text.json | base64
//	openssl dgst -sha256 -hmac 'Zx9fK2mQ7vLr4TpW8sNb' -binary testdata/callbacks/postback.json | base64
//	openssl dgst -sha256 -hmac 'Zx9fK2mQ7vLr4TpW8sNb' -binary testdata/callbacks/joined.json | base64
//	openssl dgst -sha256 -hmac 'Zx9fK2mQ7vLr4TpW8sNb' -binary testdata/callbacks/message_location.json | base64
//	printf '%s' '{"type":"join","source":{"channelId":"12345","domainId":40029600},"issuedTime":"2022-01-04T05:16:05Z"}' | openssl dgst -sha256 -hmac 'Zx9fK2mQ7vLr4TpW8sNb' -binary | base64
//	printf '' | openssl dgst -sha256 -hmac 'Zx9fK2mQ7vLr4TpW8sNb' -binary | base64
//	openssl dgst -sha256 -hmac '受付-ボット秘密' -binary testdata/callbacks/message_text.json | base64
var signatureVectors = []struct {
	name   string
	secret string
	file   string // under testdata/callbacks; empty means body
	body   string
	want   string
}{
	{name: "message_text", secret: vectorSecret, file: "message_text.json", want: "1VxZATNe/NxssFRLkfAqxhyM7OEbPTpDkJZz0kcgewA="},
	{name: "postback", secret: vectorSecret, file: "postback.json", want: "91RzkSCqDpgO5deYorgcfBp9oTJ1rk4lJqxCj5oP0VM="},
	{name: "joined", secret: vectorSecret, file: "joined.json", want: "wBiLeigYuSxNwgehvOZbkqJPZV4BlQhuTwopOMj6QNI="},
	{name: "location (non-ASCII body)", secret: vectorSecret, file: "message_location.json", want: "Zi2xkWzcwHybLLO3LbWoagGr/cu06Za+gh7vKISQ3/k="},
	{name: "inline join", secret: vectorSecret, body: `{"type":"join","source":{"channelId":"12345","domainId":40029600},"issuedTime":"2022-01-04T05:16:05Z"}`, want: "LQwo6AmHqW0YqT2nW63/mnXW8v+G8wxkp2AEwRlafdc="},
	{name: "empty body", secret: vectorSecret, body: "", want: "roh6F+z889ErNY9E3aQjxeL/V6XwjGNngueUIGuoPk4="},
	{name: "UTF-8 secret", secret: "受付-ボット秘密", file: "message_text.json", want: "XfgqHgXxoPqHw1VvkEo4B5W+yJEpkoUjEcdEdK/acZk="},
}

func vectorBody(t testing.TB, file, body string) []byte {
	t.Helper()
	if file == "" {
		return []byte(body)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "callbacks", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifySignatureVectors(t *testing.T) {
	t.Parallel()
	for _, v := range signatureVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			body := vectorBody(t, v.file, v.body)
			if err := lineworks.VerifySignature(v.secret, body, v.want); err != nil {
				t.Errorf("VerifySignature(openssl vector) = %v, want nil", err)
			}
			// lineworkstest signs independently of package lineworks.
			if got := lineworkstest.SignBody(v.secret, body); got != v.want {
				t.Errorf("lineworkstest.SignBody = %q, want %q", got, v.want)
			}
			// Surrounding whitespace, as a proxy or a copy-paste may add, is ignored.
			if err := lineworks.VerifySignature(v.secret, body, " \t"+v.want+"\r\n"); err != nil {
				t.Errorf("VerifySignature(padded with whitespace) = %v, want nil", err)
			}
			if err := lineworks.VerifySignature(v.secret+"x", body, v.want); !errors.Is(err, lineworks.ErrSignatureMismatch) {
				t.Errorf("VerifySignature(other secret) = %v, want ErrSignatureMismatch", err)
			}
			tampered := append(bytes.Clone(body), ' ')
			if err := lineworks.VerifySignature(v.secret, tampered, v.want); !errors.Is(err, lineworks.ErrSignatureMismatch) {
				t.Errorf("VerifySignature(tampered body) = %v, want ErrSignatureMismatch", err)
			}
		})
	}
}

func TestVerifySignatureErrors(t *testing.T) {
	t.Parallel()
	body := vectorBody(t, "message_text.json", "")
	good := "1VxZATNe/NxssFRLkfAqxhyM7OEbPTpDkJZz0kcgewA="
	tests := []struct {
		name      string
		secret    string
		signature string
		want      error
	}{
		{"empty", vectorSecret, "", lineworks.ErrSignatureMissing},
		{"whitespace only", vectorSecret, " \t\r\n", lineworks.ErrSignatureMissing},
		{"not base64", vectorSecret, strings.Repeat("!", 44), lineworks.ErrSignatureMalformed},
		{"URL-safe alphabet", vectorSecret, strings.NewReplacer("/", "_", "+", "-").Replace(good), lineworks.ErrSignatureMalformed},
		{"unpadded", vectorSecret, strings.TrimRight(good, "="), lineworks.ErrSignatureMalformed},
		{"too short", vectorSecret, good[:40], lineworks.ErrSignatureMalformed},
		{"too long", vectorSecret, good + "AAAA", lineworks.ErrSignatureMalformed},
		{"16 bytes (HMAC-MD5 size)", vectorSecret, "AAAAAAAAAAAAAAAAAAAAAA==", lineworks.ErrSignatureMalformed},
		{"non-canonical padding bits", vectorSecret, good[:42] + "B=", lineworks.ErrSignatureMalformed},
		{"hex instead of base64", vectorSecret, "d55c590133...", lineworks.ErrSignatureMalformed},
		{"wrong but well formed", vectorSecret, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", lineworks.ErrSignatureMismatch},
		{"wrong secret", "another-secret", good, lineworks.ErrSignatureMismatch},
		{"empty secret fails closed", "", good, lineworks.ErrEmptySecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := lineworks.VerifySignature(tt.secret, body, tt.signature)
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifySignature = %v, want %v", err, tt.want)
			}
			if tt.want != lineworks.ErrEmptySecret && !errors.Is(err, lineworks.ErrInvalidSignature) {
				t.Errorf("errors.Is(%v, ErrInvalidSignature) = false, want true", err)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
	// The three causes are distinct values.
	sentinels := []error{lineworks.ErrSignatureMissing, lineworks.ErrSignatureMalformed, lineworks.ErrSignatureMismatch}
	for i, a := range sentinels {
		for j, b := range sentinels {
			if i != j && errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = true, want false", a, b)
			}
		}
	}
}

// newCallbackRequest builds a server-side request as net/http would hand it
// to a handler.
func newCallbackRequest(body []byte, botID, signature string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/callback/lineworks", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if botID != "" {
		r.Header.Set("X-WORKS-BotId", botID)
	}
	if signature != "" {
		r.Header.Set("X-WORKS-Signature", signature)
	}
	return r
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	body := vectorBody(t, "message_text.json", "")
	sig := "1VxZATNe/NxssFRLkfAqxhyM7OEbPTpDkJZz0kcgewA="

	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		cb, err := lineworks.ParseCallback(newCallbackRequest(body, "2000001", sig), vectorSecret)
		if err != nil {
			t.Fatalf("ParseCallback: %v", err)
		}
		if cb.BotID != 2000001 || cb.BotIDHeader != "2000001" || cb.Signature != sig || !bytes.Equal(cb.Body, body) {
			t.Errorf("ParseCallback = {BotID:%d BotIDHeader:%q Signature:%q Body:%d bytes}, want 2000001, %q, %q, %d bytes",
				cb.BotID, cb.BotIDHeader, cb.Signature, len(cb.Body), "2000001", sig, len(body))
		}
		if _, ok := cb.Event.(lineworks.MessageEvent); !ok {
			t.Errorf("Event = %T, want MessageEvent", cb.Event)
		}
	})
	t.Run("JP header spelling X-WORKS-botId", func(t *testing.T) {
		t.Parallel()
		r := newCallbackRequest(body, "", sig)
		r.Header.Set("X-WORKS-botId", "123")
		cb, err := lineworks.ParseCallback(r, vectorSecret)
		if err != nil || cb.BotID != 123 {
			t.Fatalf("ParseCallback = %+v, %v; want BotID 123", cb, err)
		}
	})
	t.Run("unknown length (chunked)", func(t *testing.T) {
		t.Parallel()
		r := newCallbackRequest(nil, "1", sig)
		r.Body, r.ContentLength = io.NopCloser(iotest.HalfReader(bytes.NewReader(body))), -1
		if _, err := lineworks.ParseCallback(r, vectorSecret); err != nil {
			t.Fatalf("ParseCallback: %v", err)
		}
	})
	t.Run("body longer than its Content-Length", func(t *testing.T) {
		t.Parallel()
		r := newCallbackRequest(body, "1", sig)
		r.ContentLength = 10
		if _, err := lineworks.ParseCallback(r, vectorSecret); err != nil {
			t.Fatalf("ParseCallback: %v", err)
		}
	})

	errorCases := []struct {
		name string
		req  func() *http.Request
		opts []lineworks.CallbackOption
		want error
	}{
		{"Content-Length over the limit", func() *http.Request { return newCallbackRequest(body, "1", sig) },
			[]lineworks.CallbackOption{lineworks.WithMaxBodySize(int64(len(body) - 1))}, lineworks.ErrBodyTooLarge},
		{"chunked body over the limit", func() *http.Request {
			r := newCallbackRequest(nil, "1", sig)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), -1
			return r
		}, []lineworks.CallbackOption{lineworks.WithMaxBodySize(int64(len(body) - 1))}, lineworks.ErrBodyTooLarge},
		{"understated Content-Length over the limit", func() *http.Request {
			r := newCallbackRequest(body, "1", sig)
			r.ContentLength = 10
			return r
		}, []lineworks.CallbackOption{lineworks.WithMaxBodySize(100)}, lineworks.ErrBodyTooLarge},
		{"default limit is 1 MiB", func() *http.Request {
			return newCallbackRequest(make([]byte, 1<<20+1), "1", sig)
		}, nil, lineworks.ErrBodyTooLarge},
		{"missing bot ID", func() *http.Request { return newCallbackRequest(body, "", sig) }, nil, lineworks.ErrInvalidBotID},
		{"non-numeric bot ID", func() *http.Request { return newCallbackRequest(body, "bot1", sig) }, nil, lineworks.ErrInvalidBotID},
		{"negative bot ID", func() *http.Request { return newCallbackRequest(body, "-1", sig) }, nil, lineworks.ErrInvalidBotID},
		{"missing signature", func() *http.Request { return newCallbackRequest(body, "1", "") }, nil, lineworks.ErrSignatureMissing},
		{"bad signature", func() *http.Request { return newCallbackRequest(body, "1", "x") }, nil, lineworks.ErrSignatureMalformed},
		{"tampered body", func() *http.Request {
			return newCallbackRequest(bytes.Replace(body, []byte("hello"), []byte("HELLO"), 1), "1", sig)
		}, nil, lineworks.ErrSignatureMismatch},
		// Verification comes first: an unsigned body is never decoded.
		{"invalid JSON, bad signature", func() *http.Request { return newCallbackRequest([]byte("{"), "1", sig) }, nil, lineworks.ErrSignatureMismatch},
		{"invalid JSON, signed", func() *http.Request {
			return newCallbackRequest([]byte("{"), "1", lineworkstest.SignBody(vectorSecret, []byte("{")))
		}, nil, lineworks.ErrMalformedEvent},
		{"body read error", func() *http.Request {
			r := newCallbackRequest(body, "1", sig)
			r.Body = io.NopCloser(iotest.ErrReader(errors.New("connection reset")))
			return r
		}, nil, nil},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb, err := lineworks.ParseCallback(tt.req(), vectorSecret, tt.opts...)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("ParseCallback = %v, %v; want error %v", cb, err, tt.want)
			}
			if strings.Contains(err.Error(), vectorSecret) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

// bots are several bots served by one handler, each with its own secret.
var bots = map[int64]string{
	1001: "secret-of-bot-1001-aaaaaaaaaa",
	1002: "secret-of-bot-1002-bbbbbbbbbb",
	1003: "secret-of-bot-1003-cccccccccc",
}

func lookupBots(_ context.Context, botID int64) (string, error) {
	s, ok := bots[botID]
	if !ok {
		return "", errors.New("no such bot")
	}
	return s, nil
}

type recordedCallbacks struct {
	mu  sync.Mutex
	got []*lineworks.Callback
}

func (r *recordedCallbacks) store(_ context.Context, cb *lineworks.Callback) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, cb)
	return nil
}

func TestCallbackHandlerStatuses(t *testing.T) {
	t.Parallel()
	body := lineworkstest.MessageTapEvent("user-1", "room-1", "対応します", "uk1:accept:v1")
	signed := func(botID int64) *http.Request {
		return lineworkstest.CallbackSender{BotID: botID, Secret: bots[botID]}.NewRequest(body)
	}
	failing := func(context.Context, *lineworks.Callback) error { return errors.New("store down") }
	panicking := func(context.Context, *lineworks.Callback) error { panic("boom") }

	tests := []struct {
		name   string
		req    func() *http.Request
		fn     func(context.Context, *lineworks.Callback) error
		lookup lineworks.SecretLookup
		opts   []lineworks.CallbackOption
		want   int
	}{
		{name: "ok bot 1001", req: func() *http.Request { return signed(1001) }, want: http.StatusOK},
		{name: "ok bot 1002", req: func() *http.Request { return signed(1002) }, want: http.StatusOK},
		{name: "GET", req: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/callback/lineworks", nil) }, want: http.StatusMethodNotAllowed},
		{name: "PUT signed", req: func() *http.Request { r := signed(1001); r.Method = http.MethodPut; return r }, want: http.StatusMethodNotAllowed},
		{name: "too large by Content-Length", req: func() *http.Request { return signed(1001) },
			opts: []lineworks.CallbackOption{lineworks.WithMaxBodySize(int64(len(body) - 1))}, want: http.StatusRequestEntityTooLarge},
		{name: "too large, no Content-Length", req: func() *http.Request {
			r := signed(1001)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), -1
			return r
		}, opts: []lineworks.CallbackOption{lineworks.WithMaxBodySize(16)}, want: http.StatusRequestEntityTooLarge},
		{name: "missing bot ID", req: func() *http.Request { r := signed(1001); r.Header.Del("X-WORKS-BotId"); return r }, want: http.StatusBadRequest},
		{name: "invalid bot ID", req: func() *http.Request { r := signed(1001); r.Header.Set("X-WORKS-BotId", "1001x"); return r }, want: http.StatusBadRequest},
		{name: "missing signature", req: func() *http.Request { r := signed(1001); r.Header.Del("X-WORKS-Signature"); return r }, want: http.StatusUnauthorized},
		{name: "malformed signature", req: func() *http.Request { r := signed(1001); r.Header.Set("X-WORKS-Signature", "abc"); return r }, want: http.StatusUnauthorized},
		{name: "signed by another bot's secret", req: func() *http.Request {
			r := signed(1002)
			r.Header.Set("X-WORKS-BotId", "1001")
			return r
		}, want: http.StatusUnauthorized},
		{name: "unknown bot", req: func() *http.Request {
			return lineworkstest.CallbackSender{BotID: 9999, Secret: "whatever"}.NewRequest(body)
		}, want: http.StatusUnauthorized},
		{name: "lookup returns empty secret", req: func() *http.Request {
			return lineworkstest.CallbackSender{BotID: 1001, Secret: ""}.NewRequest(body)
		}, lookup: func(context.Context, int64) (string, error) { return "", nil }, want: http.StatusUnauthorized},
		{name: "signed invalid JSON", req: func() *http.Request {
			return lineworkstest.CallbackSender{BotID: 1001, Secret: bots[1001]}.NewRequest([]byte(`{"type":`))
		}, want: http.StatusBadRequest},
		{name: "signed non-object", req: func() *http.Request {
			return lineworkstest.CallbackSender{BotID: 1001, Secret: bots[1001]}.NewRequest([]byte(`[]`))
		}, want: http.StatusBadRequest},
		{name: "signed unknown event type is accepted", req: func() *http.Request {
			return lineworkstest.CallbackSender{BotID: 1001, Secret: bots[1001]}.NewRequest([]byte(`{"type":"future","source":{"domainId":1}}`))
		}, want: http.StatusOK},
		{name: "fn fails", req: func() *http.Request { return signed(1001) }, fn: failing, want: http.StatusInternalServerError},
		{name: "fn panics", req: func() *http.Request { return signed(1001) }, fn: panicking, want: http.StatusInternalServerError},
		{name: "lookup panics", req: func() *http.Request { return signed(1001) },
			lookup: func(context.Context, int64) (string, error) { panic("lookup boom") }, want: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec recordedCallbacks
			fn, lookup := tt.fn, tt.lookup
			if fn == nil {
				fn = rec.store
			}
			if lookup == nil {
				lookup = lookupBots
			}
			var logs bytes.Buffer
			opts := append([]lineworks.CallbackOption{lineworks.WithCallbackLogger(slog.New(slog.NewTextHandler(&logs, nil)))}, tt.opts...)
			h := newReceiver(t, lookup, fn, opts...)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req())
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d (logs: %s)", w.Code, tt.want, logs.String())
			}
			if tt.want == http.StatusMethodNotAllowed && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", w.Header().Get("Allow"))
			}
			if tt.want == http.StatusOK {
				if w.Body.Len() != 0 {
					t.Errorf("200 body = %q, want empty", w.Body)
				}
				if tt.fn == nil && len(rec.got) != 1 {
					t.Errorf("fn called %d times, want 1", len(rec.got))
				}
			} else {
				if tt.fn == nil && len(rec.got) != 0 {
					t.Errorf("fn called %d times on a rejected request, want 0", len(rec.got))
				}
				if logs.Len() == 0 {
					t.Errorf("status %d was not logged", w.Code)
				}
			}
			// Nothing the handler says or logs may reveal a secret or the body.
			for _, secret := range bots {
				if strings.Contains(logs.String(), secret) || strings.Contains(w.Body.String(), secret) {
					t.Errorf("secret leaked: logs %q, body %q", logs.String(), w.Body)
				}
			}
			if strings.Contains(logs.String(), "uk1:accept") || strings.Contains(logs.String(), "対応します") {
				t.Errorf("body leaked into logs: %q", logs.String())
			}
		})
	}
}

// TestCallbackHandlerSeveralBots serves several bots through a real HTTP
// server, each signing with its own secret.
func TestCallbackHandlerSeveralBots(t *testing.T) {
	t.Parallel()
	var rec recordedCallbacks
	srv := httptest.NewServer(newReceiver(t, lookupBots, rec.store))
	defer srv.Close()
	ctx := context.Background()
	for botID, secret := range bots {
		s := lineworkstest.CallbackSender{BotID: botID, Secret: secret, URL: srv.URL + "/callback/lineworks", Client: srv.Client()}
		status, err := s.Send(ctx, lineworkstest.JoinEvent("room-of-"+strconv.FormatInt(botID, 10)))
		if err != nil || status != http.StatusOK {
			t.Fatalf("bot %d: Send = %d, %v; want 200", botID, status, err)
		}
	}
	// A lower-case header name on the wire is matched too.
	body := lineworkstest.LeaveEvent("room-x")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, bytes.NewReader(body))
	req.Header["x-works-botid"] = []string{"1003"}
	req.Header["x-works-signature"] = []string{lineworkstest.SignBody(bots[1003], body)}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("lower-case headers: status %d, want 200", resp.StatusCode)
	}

	got := map[int64]string{}
	for _, cb := range rec.got {
		got[cb.BotID] = cb.Event.EventSource().ChannelID
	}
	want := map[int64]string{1001: "room-of-1001", 1002: "room-of-1002", 1003: "room-x"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("channel per bot (-want +got):\n%s", diff)
	}
}

// newReceiver is NewCallbackReceiver for arguments a test knows are valid.
func newReceiver(tb testing.TB, lookup lineworks.SecretLookup, fn func(context.Context, *lineworks.Callback) error, opts ...lineworks.CallbackOption) http.Handler {
	tb.Helper()
	h, err := lineworks.NewCallbackReceiver(lookup, fn, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// TestNewCallbackReceiverInvalid checks that a nil argument or a bad option
// is an error naming what is wrong, from the constructor and from
// ParseCallback alike.
func TestNewCallbackReceiverInvalid(t *testing.T) {
	t.Parallel()
	store := (&recordedCallbacks{}).store
	for name, tt := range map[string]struct {
		lookup lineworks.SecretLookup
		fn     func(context.Context, *lineworks.Callback) error
		opts   []lineworks.CallbackOption
		want   string
	}{
		"nil lookup":         {nil, store, nil, "nil SecretLookup"},
		"nil fn":             {lookupBots, nil, nil, "nil callback func"},
		"negative body size": {lookupBots, store, []lineworks.CallbackOption{lineworks.WithMaxBodySize(-1)}, "WithMaxBodySize(-1)"},
	} {
		h, err := lineworks.NewCallbackReceiver(tt.lookup, tt.fn, tt.opts...)
		if h != nil || !errors.Is(err, lineworks.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewCallbackReceiver = %v, %v; want ErrInvalidArgument saying %q", name, h, err, tt.want)
		}
	}
	body := lineworkstest.JoinEvent("room-1")
	r := newCallbackRequest(body, "2000001", lineworkstest.SignBody(vectorSecret, body))
	if _, err := lineworks.ParseCallback(r, vectorSecret, lineworks.WithMaxBodySize(-5)); !errors.Is(err, lineworks.ErrInvalidArgument) {
		t.Errorf("ParseCallback(WithMaxBodySize(-5)) = %v, want ErrInvalidArgument", err)
	}
	// Zero is documented as "the default", and nil options are skipped.
	if _, err := lineworks.NewCallbackReceiver(lookupBots, store, lineworks.WithMaxBodySize(0), nil); err != nil {
		t.Errorf("NewCallbackReceiver(WithMaxBodySize(0), nil) = %v", err)
	}
}

// TestNewCallbackHandlerPanics checks the deprecated wrapper: where
// NewCallbackReceiver returns an error, it panics.
func TestNewCallbackHandlerPanics(t *testing.T) {
	t.Parallel()
	store := (&recordedCallbacks{}).store
	newHandler := lineworks.NewCallbackHandler // the deprecated wrapper under test
	for name, f := range map[string]func(){
		"nil lookup":    func() { newHandler(nil, store) },
		"nil fn":        func() { newHandler(lookupBots, nil) },
		"bad body size": func() { newHandler(lookupBots, store, lineworks.WithMaxBodySize(-1)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewCallbackHandler did not panic", name)
				}
			}()
			f()
		}()
	}
}

// benchWriter is a reusable ResponseWriter, so that the benchmark counts
// the handler's allocations, not the recorder's.
type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkCallbackHandler measures one callback end to end: bot lookup,
// body read, signature verification, decoding and dispatch through Tap.
func BenchmarkCallbackHandler(b *testing.B) {
	const botID, secret = 1001, "secret-of-bot-1001-aaaaaaaaaa"
	lookup := func(context.Context, int64) (string, error) { return secret, nil }
	var taps int
	fn := func(_ context.Context, cb *lineworks.Callback) error {
		if _, ok := lineworks.Tap(cb.Event); ok {
			taps++
		}
		return nil
	}
	h := newReceiver(b, lookup, fn)
	location, err := os.ReadFile("testdata/callbacks/message_location.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		body []byte
	}{
		{"message_tap", lineworkstest.MessageTapEvent("c72af563-0f21-4736-11e4-045237113344", "753449a5-7716-39e4-3de9-770a97f1a5f5", "対応します", "uk1:accept:01J9ZQ4K8M")},
		{"postback", lineworkstest.PostbackEvent("c72af563-0f21-4736-11e4-045237113344", "753449a5-7716-39e4-3de9-770a97f1a5f5", "uk1:accept:01J9ZQ4K8M")},
		{"join", lineworkstest.JoinEvent("753449a5-7716-39e4-3de9-770a97f1a5f5")},
		{"location", location},
		{"unknown_type", []byte(`{"type":"future","source":{"domainId":40029600},"issuedTime":"2022-01-04T05:16:05.716Z","x":{"y":1}}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := lineworkstest.CallbackSender{BotID: botID, Secret: secret}.NewRequest(bc.body)
			rd := bytes.NewReader(bc.body)
			req.Body = io.NopCloser(rd)
			w := &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				rd.Reset(bc.body)
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}
