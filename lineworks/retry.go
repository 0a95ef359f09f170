package lineworks

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// RetryPolicy decides whether a failed attempt is repeated and after how
// long. It is consulted after every failed attempt (attempt counts from 1)
// with the response (nil on a transport error) or the error. Implementations
// must be safe for concurrent use.
//
// The Client never retries past the end of the request's context, and renews
// the token once on 401 UNAUTHORIZED on its own, outside the policy.
type RetryPolicy interface {
	Retry(attempt int, req *http.Request, resp *http.Response, err error) (wait time.Duration, retry bool)
}

// Backoff is the default RetryPolicy: at most MaxAttempts attempts in all,
// jittered exponential backoff from BaseDelay to MaxDelay, and the server's
// rateLimit-reset / Retry-After when it sent one.
//
// Which failures are retried follows Retryable: a message POST is not
// idempotent, so it is repeated only when LINE WORKS surely did not process
// it (429, 503, or a connection that was never established). A timeout or a
// connection reset after the request was written is ambiguous, and repeating
// it could post the message twice; it is returned to the caller instead, who
// (like uketsuke's outbox) can decide with more context.
type Backoff struct {
	MaxAttempts int           // default 4
	BaseDelay   time.Duration // default 500 ms
	MaxDelay    time.Duration // default 30 s; also caps a server-requested wait
}

// DefaultRetryPolicy is used when WithRetryPolicy is not given.
var DefaultRetryPolicy RetryPolicy = Backoff{}

// NoRetry is a policy that never retries.
var NoRetry RetryPolicy = Backoff{MaxAttempts: 1}

// Retry implements RetryPolicy.
func (b Backoff) Retry(attempt int, req *http.Request, resp *http.Response, err error) (time.Duration, bool) {
	maxAttempts := b.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 4
	}
	if attempt >= maxAttempts || !Retryable(req, resp, err) {
		return 0, false
	}
	base, maxDelay := b.BaseDelay, b.MaxDelay
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if maxDelay <= 0 {
		maxDelay = 30 * time.Second
	}
	if resp != nil {
		if ra := retryAfter(resp.Header, parseRateLimit(resp.Header)); ra > 0 {
			return min(ra, maxDelay), true
		}
	}
	// Full jitter (AWS architecture blog): spreads retries of many clients.
	d := base << min(attempt-1, 20)
	if d <= 0 || d > maxDelay {
		d = maxDelay
	}
	return time.Duration(rand.Int64N(int64(d)) + 1), true
}

// Retryable reports whether repeating req is both useful and safe after it
// failed with resp or err:
//   - 429 (the request was refused before processing) and 503: always;
//   - other 5xx: only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS);
//   - transport errors: a connection never established (refused, DNS, dial
//     timeout) always; any other only for idempotent methods.
func Retryable(req *http.Request, resp *http.Response, err error) bool {
	idempotent := req != nil && isIdempotent(req.Method)
	if resp != nil {
		switch {
		case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusServiceUnavailable:
			return true
		case resp.StatusCode >= 500:
			return idempotent
		}
		return false
	}
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return idempotent || neverSent(err)
}

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// neverSent reports transport errors that happen before a single byte of the
// request reached the server.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// DefaultRateLimit is the per-API request budget of a Standard or Advanced
// plan tenant (240 requests a minute); the Free plan allows 60.
// See https://developers.worksmobile.com/jp/docs/rate-limits.
const DefaultRateLimit = 240

// pacer spreads requests per API so that a burst waits on our side instead of
// drawing 429s. LINE WORKS counts per tenant and per API, and a Client serves
// one tenant, so one limiter per API key per Client is the right granularity.
type pacer struct {
	perMinute int
	overrides map[string]int
	mu        sync.Mutex
	limiters  map[string]*rate.Limiter
}

// apiChannelCreate has its own, much smaller budget (10 a minute).
const apiChannelCreate = "POST /bots/{botId}/channels"

func newPacer(perMinute int, overrides map[string]int) *pacer {
	return &pacer{perMinute: perMinute, overrides: overrides, limiters: map[string]*rate.Limiter{}}
}

func (p *pacer) wait(ctx context.Context, api string) error {
	if p == nil || p.perMinute <= 0 {
		return nil
	}
	p.mu.Lock()
	l, ok := p.limiters[api]
	if !ok {
		n := p.perMinute
		if o, ok := p.overrides[api]; ok {
			n = min(n, o)
		}
		l = rate.NewLimiter(rate.Limit(float64(n)/60), burstFor(n))
		p.limiters[api] = l
	}
	p.mu.Unlock()
	return l.Wait(ctx)
}

// burstFor allows one second's worth of requests at once (at least one):
// enough for small bursts to go out immediately, small enough that a sustained
// burst stays within the per-minute budget at the server.
func burstFor(perMinute int) int {
	return max(1, perMinute/60)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
