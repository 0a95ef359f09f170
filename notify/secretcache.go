package notify

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
)

// Bot secrets are cached so that a flood of forged callbacks for a known
// bot costs no store read and no decryption each. A cached secret is used
// for secretTTL. A callback whose signature does not match it is either
// forged or signed with a secret changed since (a reissue, here or on
// another replica); then the secret is read again, at most once per bot per
// secretRecheck, so that a genuine callback is not refused for long after a
// change (LINE WORKS never redelivers) while forgeries still cost one read
// per bot per secretRecheck at most.
const (
	secretTTL     = time.Minute
	secretRecheck = 5 * time.Second
)

type secretCache struct {
	mu sync.Mutex
	m  map[int64]*cachedSecret
}

type cachedSecret struct {
	secret string
	loaded time.Time
	// checked is the last re-read after a mismatch; it outlives reloads,
	// so that the first mismatch after a load re-reads (a secret changed
	// moments ago) and later ones wait for secretRecheck.
	checked time.Time
}

// get returns botID's cached secret unless it expired, or it does not sign
// this callback (matches) and a re-read is due.
func (c *secretCache) get(botID int64, now time.Time, matches func(string) bool) (string, bool) {
	c.mu.Lock()
	e := c.m[botID]
	c.mu.Unlock()
	if e == nil || now.Sub(e.loaded) >= secretTTL {
		return "", false
	}
	if matches(e.secret) {
		return e.secret, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(e.checked) < secretRecheck {
		return e.secret, true // the request is refused without a read
	}
	e.checked = now
	return "", false
}

func (c *secretCache) put(botID int64, secret string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]*cachedSecret{}
	}
	e := &cachedSecret{secret: secret, loaded: now}
	if old := c.m[botID]; old != nil {
		e.checked = old.checked
	}
	c.m[botID] = e
}

// peekKey carries the request's peekBody to the secret lookup.
type peekKey struct{}

// peekBody lets the secret lookup read the body (to check the cached
// secret's signature) before the callback handler reads it again.
type peekBody struct {
	rc        io.ReadCloser
	signature string
	buf       *bytes.Reader
	body      []byte
	peeked    bool
	fits      bool
}

// peek reads the body if it is at most lineworks' default limit (beyond
// it the handler refuses the request anyway).
func (p *peekBody) peek() ([]byte, bool) {
	if !p.peeked {
		p.peeked = true
		data, err := io.ReadAll(io.LimitReader(p.rc, lineworks.DefaultMaxCallbackBodySize+1))
		p.buf = bytes.NewReader(data)
		p.body, p.fits = data, err == nil && len(data) <= lineworks.DefaultMaxCallbackBodySize
	}
	return p.body, p.fits
}

func (p *peekBody) Read(b []byte) (int, error) {
	if p.buf != nil && p.buf.Len() > 0 {
		return p.buf.Read(b)
	}
	return p.rc.Read(b)
}

func (p *peekBody) Close() error { return p.rc.Close() }

// withPeek wraps r's body so that the secret lookup can peek at it.
func withPeek(r *http.Request) *http.Request {
	pb := &peekBody{rc: r.Body, signature: r.Header.Get(lineworks.CallbackSignatureHeader)}
	r = r.WithContext(context.WithValue(r.Context(), peekKey{}, pb))
	r.Body = pb
	return r
}

// signedWith reports whether the callback in ctx carries secret's
// signature; true when it cannot tell (the handler then decides).
func signedWith(ctx context.Context, secret string) bool {
	pb, ok := ctx.Value(peekKey{}).(*peekBody)
	if !ok {
		return true
	}
	body, fits := pb.peek()
	return !fits || lineworks.VerifySignature(secret, body, pb.signature) == nil
}
