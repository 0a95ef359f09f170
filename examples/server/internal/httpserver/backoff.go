package httpserver

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Token guesses (the admin sign-in form, the API's bearer token, a kiosk
// URL's token) are slowed down per client address. The first
// freeFailures wrong tokens are answered at once; after that each request
// from the address waits its turn before its token is even compared, one
// turn per backoffDelay (doubling with every further failure, up to
// backoffMax). Waiting before comparing is what limits the guessing rate:
// a delay after the answer is known would only teach a guesser to stop
// waiting. A wrong token is still answered 401 and the right one still
// works, also from that address (it ends the address's back-off); only a
// request whose turn is more than backoffQueue away is answered 429 with
// Retry-After, unchecked.
const (
	freeFailures = 5
	backoffBase  = time.Second
	backoffMax   = time.Minute
	backoffQueue = 30 * time.Second
	// backoffForget: an address quiet this long starts over.
	backoffForget = time.Hour
	maxGuessers   = 100000
)

type authBackoff struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]*guesser
}

type guesser struct {
	failures int
	next     time.Time // the next turn
	seen     time.Time
}

func newAuthBackoff(now func() time.Time) *authBackoff {
	return &authBackoff{now: now, m: map[string]*guesser{}}
}

func backoffDelay(failures int) time.Duration {
	d := backoffBase
	for i := freeFailures; i < failures && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

// turn reserves addr's next turn: how long to wait for it, or false when
// it is further away than backoffQueue.
func (b *authBackoff) turn(addr string) (time.Duration, bool) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	g := b.m[addr]
	if g == nil || g.failures < freeFailures || now.Sub(g.seen) > backoffForget {
		return 0, true
	}
	at := laterOf(now, g.next)
	if wait := at.Sub(now); wait > backoffQueue {
		return wait, false
	}
	g.next = at.Add(backoffDelay(g.failures))
	return at.Sub(now), true
}

// result records whether addr's token was right.
func (b *authBackoff) result(addr string, ok bool) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		delete(b.m, addr)
		return
	}
	g := b.m[addr]
	if g == nil || now.Sub(g.seen) > backoffForget {
		if len(b.m) >= maxGuessers {
			b.prune(now)
			if len(b.m) >= maxGuessers {
				return // full of recent guessers: this one goes unslowed
			}
		}
		g = &guesser{}
		b.m[addr] = g
	}
	g.failures++
	g.seen = now
	if g.failures >= freeFailures {
		g.next = laterOf(g.next, now.Add(backoffDelay(g.failures)))
	}
}

func (b *authBackoff) prune(now time.Time) {
	for a, g := range b.m {
		if now.Sub(g.seen) > backoffForget {
			delete(b.m, a)
		}
	}
}

// wait holds a token check from addr until its turn. False means the
// request has been answered (429, or the client went away).
func (b *authBackoff) wait(w http.ResponseWriter, r *http.Request, addr string, tooMany func(w http.ResponseWriter, r *http.Request, d time.Duration)) bool {
	d, ok := b.turn(addr)
	if !ok {
		retryAfter(w, d)
		tooMany(w, r, d)
		return false
	}
	if d <= 0 {
		return true
	}
	return sleepCtx(r.Context(), d)
}

// sleepCtx sleeps d unless ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
