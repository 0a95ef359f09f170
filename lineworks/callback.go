package lineworks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
)

// Callback handling comes in three layers, each usable on its own:
// VerifySignature (bytes in, error out), ParseCallback (an *http.Request for
// one known bot) and NewCallbackHandler (an http.Handler for many bots).
// LINE WORKS never redelivers a callback, so the layers are strict about
// authenticity, lenient about the JSON shapes, and quick.

// CallbackSignatureHeader is the request header carrying the body's signature
// (https://developers.worksmobile.com/jp/docs/bot-callback).
const CallbackSignatureHeader = "X-WORKS-Signature"

// CallbackBotIDHeader is the request header carrying the ID of the bot the
// callback is for (https://developers.worksmobile.com/jp/docs/bot-callback).
// The Japanese pages spell it X-WORKS-botId; header names are
// case-insensitive and [http.Header.Get] matches either.
const CallbackBotIDHeader = "X-WORKS-BotId"

// DefaultMaxCallbackBodySize is the body size [ParseCallback] and
// [NewCallbackHandler] accept unless [WithMaxBodySize] says otherwise. One
// event is a few hundred bytes; 1 MiB leaves room for any text message while
// bounding what an unauthenticated sender can make the server buffer.
const DefaultMaxCallbackBodySize = 1 << 20

// ErrInvalidSignature is matched (with errors.Is) by every signature failure:
// [ErrSignatureMissing], [ErrSignatureMalformed] and [ErrSignatureMismatch]
// (https://developers.worksmobile.com/jp/docs/bot-callback). Test for it when
// the reason does not matter, e.g. to answer 401.
var ErrInvalidSignature = errors.New("lineworks: invalid callback signature")

// Each signature error is its own value so that logs say which check failed,
// and each matches ErrInvalidSignature so that callers need test only one.
var (
	// ErrSignatureMissing is returned when the X-WORKS-Signature value is
	// empty or only whitespace.
	ErrSignatureMissing error = &signatureError{"lineworks: callback signature missing (X-WORKS-Signature)"}
	// ErrSignatureMalformed is returned when the signature is not the
	// standard Base64 encoding of 32 bytes, the size of an HMAC-SHA256.
	ErrSignatureMalformed error = &signatureError{"lineworks: callback signature malformed: want standard Base64 of an HMAC-SHA256"}
	// ErrSignatureMismatch is returned when the signature is well formed but
	// is not the body's HMAC-SHA256 under the bot secret: the body was
	// altered, or the secret is not this bot's.
	ErrSignatureMismatch error = &signatureError{"lineworks: callback signature mismatch"}
)

type signatureError struct{ msg string }

func (e *signatureError) Error() string        { return e.msg }
func (e *signatureError) Is(target error) bool { return target == ErrInvalidSignature }

// ErrEmptySecret is returned by [VerifySignature] when the bot secret is
// empty. An HMAC under an empty key can be computed by anyone, so verification
// fails closed instead of accepting such signatures.
var ErrEmptySecret = errors.New("lineworks: empty bot secret: cannot verify callback signature")

// ErrBodyTooLarge is matched (with errors.Is) by the error returned when a
// callback body exceeds the configured maximum ([WithMaxBodySize]); the
// handler answers it with 413.
var ErrBodyTooLarge = errors.New("lineworks: callback body too large")

// ErrInvalidBotID is matched (with errors.Is) by the error returned when the
// X-WORKS-BotId header is missing or not a positive decimal integer
// (https://developers.worksmobile.com/jp/docs/bot-callback).
var ErrInvalidBotID = errors.New("lineworks: invalid X-WORKS-BotId header")

var (
	errBotIDMissing    = fmt.Errorf("%w: missing", ErrInvalidBotID)
	errBotIDNotInteger = fmt.Errorf("%w: not a positive decimal integer", ErrInvalidBotID)
)

// Canonical forms of the header names: http.Header.Get canonicalizes its
// argument on every call, which allocates unless it already is canonical.
var (
	signatureKey = http.CanonicalHeaderKey(CallbackSignatureHeader)
	botIDKey     = http.CanonicalHeaderKey(CallbackBotIDHeader)
)

// strictBase64 is built once: Strict returns a new *Encoding on every call.
var strictBase64 = base64.StdEncoding.Strict()

// VerifySignature checks a callback's X-WORKS-Signature value against its raw
// body (https://developers.worksmobile.com/jp/docs/bot-callback): the
// signature must be Base64 (standard alphabet, padded) of
// HMAC-SHA256(key = bot secret, message = body).
//
// Pass the body exactly as received: re-encoded JSON will not match. Surrounding
// whitespace in signature is ignored, since proxies and copy-paste add it. The
// comparison takes constant time so that response timing reveals nothing about
// the expected value. Errors match [ErrInvalidSignature] (or are
// [ErrEmptySecret]) and never contain the secret.
func VerifySignature(secret string, body []byte, signature string) error {
	if secret == "" {
		return ErrEmptySecret
	}
	sig := strings.TrimSpace(signature)
	if sig == "" {
		return ErrSignatureMissing
	}
	const encLen = (sha256.Size + 2) / 3 * 4 // 44
	if len(sig) != encLen {
		return ErrSignatureMalformed
	}
	// Fixed-size arrays keep the decoding off the heap.
	var src [encLen]byte
	copy(src[:], sig)
	var got [encLen / 4 * 3]byte
	n, err := strictBase64.Decode(got[:], src[:])
	if err != nil || n != sha256.Size {
		return ErrSignatureMalformed
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	var want [sha256.Size]byte
	if !hmac.Equal(mac.Sum(want[:0]), got[:n]) {
		return ErrSignatureMismatch
	}
	return nil
}

// Callback is one verified callback request
// (https://developers.worksmobile.com/jp/docs/bot-callback).
//
// Body is kept because the recommended way to handle a callback, given that
// LINE WORKS never redelivers, is to store the raw body durably, answer 200,
// and process it later with [ParseEvent].
type Callback struct {
	// BotID is the X-WORKS-BotId header as a number.
	BotID int64
	// BotIDHeader is the X-WORKS-BotId header as received, for logs.
	BotIDHeader string
	// Signature is the X-WORKS-Signature header as received.
	Signature string
	// Body is the raw request body, exactly as signed.
	Body []byte
	// Event is the decoded body; never nil.
	Event Event
}

// CallbackOption configures [ParseCallback] and [NewCallbackReceiver]. It has
// the package's one option shape (see the package documentation): a bad value
// is an error from the constructor, never silently ignored.
type CallbackOption func(*callbackConfig) error

type callbackConfig struct {
	maxBody int64
	logger  *slog.Logger
}

func newCallbackConfig(opts []CallbackOption) (callbackConfig, error) {
	cfg := callbackConfig{maxBody: DefaultMaxCallbackBodySize}
	return cfg, applyOptions(&cfg, opts)
}

// WithMaxBodySize sets the largest callback body accepted, in bytes (default
// [DefaultMaxCallbackBodySize]); a larger body fails with [ErrBodyTooLarge]
// before it is read in full. Zero keeps the default, so that a size left
// unset in configuration cannot make every callback fail; a negative size is
// an error.
func WithMaxBodySize(n int64) CallbackOption {
	return func(c *callbackConfig) error {
		if n < 0 {
			return fmt.Errorf("%w: WithMaxBodySize(%d): negative", ErrInvalidArgument, n)
		}
		if n > 0 {
			c.maxBody = n
		}
		return nil
	}
}

// WithCallbackLogger makes the callback handler log every request it does not
// answer with 200: at Warn level for rejections (4xx), at Error level for
// failures (5xx). Records carry the status, the bot ID when known and the
// error, never the bot secret or the body. By default, and with a nil l,
// nothing is logged, because rejections are mostly noise from scanners.
// [ParseCallback] ignores this option.
func WithCallbackLogger(l *slog.Logger) CallbackOption {
	return func(c *callbackConfig) error {
		c.logger = l
		return nil
	}
}

// ParseCallback reads, verifies and decodes a callback request for a bot whose
// secret is known (https://developers.worksmobile.com/jp/docs/bot-callback).
// For an endpoint that serves several bots, use [NewCallbackHandler].
//
// In order, it rejects: a body larger than the maximum ([ErrBodyTooLarge]), a
// missing or non-numeric X-WORKS-BotId ([ErrInvalidBotID]), a bad signature
// ([ErrInvalidSignature]), and only then, once the body is known to come from
// LINE WORKS, a body that is not an event ([ErrMalformedEvent]). It does not
// close r.Body; the http.Server does.
func ParseCallback(r *http.Request, secret string, opts ...CallbackOption) (*Callback, error) {
	cfg, err := newCallbackConfig(opts)
	if err != nil {
		return nil, err
	}
	botHeader := r.Header.Get(botIDKey)
	botID, err := parseBotID(botHeader)
	if err != nil {
		return nil, err
	}
	return parseCallback(r, botHeader, botID, secret, cfg.maxBody)
}

func parseCallback(r *http.Request, botHeader string, botID int64, secret string, maxBody int64) (*Callback, error) {
	body, err := readCallbackBody(r, maxBody)
	if err != nil {
		return nil, err
	}
	sig := r.Header.Get(signatureKey)
	if err := VerifySignature(secret, body, sig); err != nil {
		return nil, err
	}
	ev, err := ParseEvent(body)
	if err != nil {
		return nil, err
	}
	return &Callback{BotID: botID, BotIDHeader: botHeader, Signature: sig, Body: body, Event: ev}, nil
}

func parseBotID(h string) (int64, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, errBotIDMissing
	}
	id, err := strconv.ParseInt(h, 10, 64)
	if err != nil || id <= 0 {
		return 0, errBotIDNotInteger
	}
	return id, nil
}

// readCallbackBody reads at most max bytes. With a Content-Length (which LINE
// WORKS sends) it allocates exactly once.
func readCallbackBody(r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds the limit of %d bytes", ErrBodyTooLarge, r.ContentLength, max)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if n := r.ContentLength; n >= 0 {
		// One spare byte detects a body longer than announced.
		buf := make([]byte, n+1)
		got, err := io.ReadFull(r.Body, buf)
		switch {
		case int64(got) == n && (err == io.ErrUnexpectedEOF || err == io.EOF):
			return buf[:n:n], nil
		case err == nil: // longer than announced: fall back to counting
			rest, err := io.ReadAll(io.LimitReader(r.Body, max+1-int64(got)))
			buf = append(buf, rest...)
			if err != nil {
				return nil, fmt.Errorf("lineworks: reading callback body: %w", err)
			}
			if int64(len(buf)) > max {
				return nil, fmt.Errorf("%w: exceeds the limit of %d bytes", ErrBodyTooLarge, max)
			}
			return buf, nil
		default:
			return nil, fmt.Errorf("lineworks: reading callback body: %w", err)
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("lineworks: reading callback body: %w", err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%w: exceeds the limit of %d bytes", ErrBodyTooLarge, max)
	}
	return body, nil
}

// SecretLookup returns the bot secret of botID, for [NewCallbackReceiver] to
// verify callbacks with (https://developers.worksmobile.com/jp/docs/bot-callback).
// An error, or an empty secret, means the bot is unknown and the request is
// answered 401. It is called once per request with the request's context, so
// it should be fast (a map or a cached store read).
type SecretLookup func(ctx context.Context, botID int64) (secret string, err error)

// NewCallbackReceiver returns an http.Handler for the callback URL of one or
// more bots (https://developers.worksmobile.com/jp/docs/bot-callback): it finds
// the bot secret by the X-WORKS-BotId header, verifies and decodes the body
// like [ParseCallback], and calls fn with the result.
//
// LINE WORKS never redelivers a callback and expects a quick 200, so fn should
// store cb (cb.Body is the raw body) and return; process it afterwards with
// [ParseEvent]. The answers are:
//
//   - 200, empty body: fn returned nil
//   - 400: X-WORKS-BotId missing or invalid, body unreadable or not an event
//   - 401: signature missing, malformed or wrong; secretFor failed or returned ""
//   - 405 with "Allow: POST": any method but POST
//   - 413: body larger than the maximum ([WithMaxBodySize])
//   - 500: fn returned an error, or anything panicked (the panic is recovered)
//
// Error bodies are the bare status text: the sender is either LINE WORKS,
// which ignores them, or someone who should learn nothing. Use
// [WithCallbackLogger] to see why a request was rejected. The handler is safe
// for concurrent use.
//
// A nil secretFor or fn, or a bad option, is an error matching
// [ErrInvalidArgument], returned now rather than when the first event
// arrives.
func NewCallbackReceiver(secretFor SecretLookup, fn func(ctx context.Context, cb *Callback) error, opts ...CallbackOption) (http.Handler, error) {
	if secretFor == nil {
		return nil, fmt.Errorf("%w: NewCallbackReceiver: nil SecretLookup", ErrInvalidArgument)
	}
	if fn == nil {
		return nil, fmt.Errorf("%w: NewCallbackReceiver: nil callback func", ErrInvalidArgument)
	}
	cfg, err := newCallbackConfig(opts)
	if err != nil {
		return nil, err
	}
	return &callbackHandler{secretFor: secretFor, fn: fn, cfg: cfg}, nil
}

// NewCallbackHandler is [NewCallbackReceiver] for callers that cannot handle
// an error: it panics where NewCallbackReceiver returns one.
//
// Deprecated: Use [NewCallbackReceiver], which reports a nil argument or a
// bad option as an error like every other constructor in this package.
func NewCallbackHandler(secretFor SecretLookup, fn func(ctx context.Context, cb *Callback) error, opts ...CallbackOption) http.Handler {
	h, err := NewCallbackReceiver(secretFor, fn, opts...)
	if err != nil {
		panic(err)
	}
	return h
}

type callbackHandler struct {
	secretFor SecretLookup
	fn        func(context.Context, *Callback) error
	cfg       callbackConfig
}

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var botID int64
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log(r, http.StatusInternalServerError, botID, fmt.Errorf("lineworks: callback handler panic: %v\n%s", v, debug.Stack()))
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}
	}()
	status, err := h.serve(r, &botID)
	if err != nil {
		h.log(r, status, botID, err)
	}
	switch status {
	case http.StatusOK:
		w.WriteHeader(http.StatusOK)
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
		fallthrough
	default:
		http.Error(w, http.StatusText(status), status)
	}
}

func (h *callbackHandler) serve(r *http.Request, botID *int64) (int, error) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, fmt.Errorf("lineworks: callback: method %s not allowed", r.Method)
	}
	if r.ContentLength > h.cfg.maxBody {
		return http.StatusRequestEntityTooLarge, fmt.Errorf("%w: Content-Length %d exceeds the limit of %d bytes", ErrBodyTooLarge, r.ContentLength, h.cfg.maxBody)
	}
	botHeader := r.Header.Get(botIDKey)
	id, err := parseBotID(botHeader)
	if err != nil {
		return http.StatusBadRequest, err
	}
	*botID = id
	// Reject unsigned requests before spending a lookup on them.
	if strings.TrimSpace(r.Header.Get(signatureKey)) == "" {
		return http.StatusUnauthorized, ErrSignatureMissing
	}
	secret, err := h.secretFor(r.Context(), id)
	if err != nil {
		return http.StatusUnauthorized, fmt.Errorf("lineworks: callback for unknown bot: secret lookup: %w", err)
	}
	if secret == "" {
		return http.StatusUnauthorized, errors.New("lineworks: callback for unknown bot: secret lookup returned an empty secret")
	}
	cb, err := parseCallback(r, botHeader, id, secret, h.cfg.maxBody)
	if err != nil {
		return callbackErrorStatus(err), err
	}
	if err := h.fn(r.Context(), cb); err != nil {
		return http.StatusInternalServerError, fmt.Errorf("lineworks: callback func: %w", err)
	}
	return http.StatusOK, nil
}

func callbackErrorStatus(err error) int {
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrInvalidSignature), errors.Is(err, ErrEmptySecret):
		return http.StatusUnauthorized
	default: // ErrInvalidBotID, ErrMalformedEvent, a body read error
		return http.StatusBadRequest
	}
}

func (h *callbackHandler) log(r *http.Request, status int, botID int64, err error) {
	if h.cfg.logger == nil {
		return
	}
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.Int("status", status), slog.String("error", err.Error())}
	if botID != 0 {
		attrs = append(attrs, slog.Int64("botId", botID))
	}
	h.cfg.logger.LogAttrs(r.Context(), level, "lineworks: callback not accepted", attrs...)
}
