package httpserver

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// CheckInLimits bound the check-ins made with a kiosk token (the kiosk page
// and the API with a kiosk token; the admin token is not limited). A leaked
// kiosk token otherwise gives anyone unlimited visits, room messages and
// 1:1 messages to any staff member. A zero rate or cap is no limit.
type CheckInLimits struct {
	// KioskRate and KioskBurst are the token bucket of each organization's
	// kiosk token: KioskBurst check-ins at once, then KioskRate per second.
	KioskRate  rate.Limit
	KioskBurst int
	// AddressRate and AddressBurst are the token bucket of each client
	// address (an IPv6 address counts by its /64).
	AddressRate  rate.Limit
	AddressBurst int
	// OrgDaily caps each organization's kiosk check-ins per day (in the
	// server's time zone). Visits already stored that day count, read once
	// a day per process; replicas each keep their own count.
	OrgDaily int
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client. Without them every client behind a proxy shares its address.
	TrustedProxies []netip.Prefix
	// CodeRate and CodeBurst are the token bucket of wrong reception codes
	// per kiosk (a tablet, or an API client address with the kiosk token):
	// CodeBurst unknown codes, then CodeRate per second; while it is empty
	// that kiosk's codes are refused (429). All of an organization's
	// kiosks together have orgCodeFactor times as many.
	CodeRate  rate.Limit
	CodeBurst int
}

// maxBuckets bounds the per-key buckets kept: beyond it, full (idle)
// buckets are dropped, which forgets nothing (a full bucket is a new one).
const maxBuckets = 10000

// buckets is a token bucket per key.
type buckets struct {
	r  rate.Limit
	b  int
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func newBuckets(r rate.Limit, b int) *buckets {
	if r <= 0 {
		return nil
	}
	return &buckets{r: r, b: b, m: map[string]*rate.Limiter{}}
}

// reserve takes one token for key at now; nil without a limit.
func (k *buckets) reserve(key string, now time.Time) *rate.Reservation {
	if k == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.m[key]
	if l == nil {
		if len(k.m) >= maxBuckets {
			for key, old := range k.m {
				if old.TokensAt(now) >= float64(k.b) {
					delete(k.m, key)
				}
			}
		}
		l = rate.NewLimiter(k.r, k.b)
		k.m[key] = l
	}
	return l.ReserveN(now, 1)
}

// wait returns how long key must wait for a token at now, without taking
// it; 0 when one is there (or there is no limit).
func (k *buckets) wait(key string, now time.Time) time.Duration {
	if k == nil {
		return 0
	}
	k.mu.Lock()
	l := k.m[key]
	k.mu.Unlock()
	if l == nil {
		return 0
	}
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(k.r) * float64(time.Second))
}

// A kiosk's camera sends a few frames a second while it looks for a QR
// code; decoding one costs tens of milliseconds.
const (
	scanRate  = 5
	scanBurst = 10
)

// orgCodeFactor is how many kiosks' worth of wrong codes an organization
// takes before all its kiosks' codes are refused.
const orgCodeFactor = 10

// checkInLimiter applies CheckInLimits.
type checkInLimiter struct {
	lim    CheckInLimits
	now    func() time.Time
	loc    *time.Location
	store  reception.Store
	tokens *buckets
	addrs  *buckets
	codes  *buckets // wrong reception codes per kiosk (codeKey)
	// orgCodes bounds all the kiosks of an organization together, at
	// orgCodeFactor times codes: a kiosk identity is the client's to
	// choose (a cookie, an address), so alone it would not stop guessing.
	orgCodes *buckets
	scans    *buckets // camera frames per tablet (codeKey)
	orgScans *buckets // camera frames of all an organization's tablets, orgCodeFactor × scans

	mu   sync.Mutex
	days map[string]*dayCount // organization → today's kiosk check-ins
}

type dayCount struct {
	day string // YYYY-MM-DD in loc
	n   int
}

func newCheckInLimiter(lim CheckInLimits, store reception.Store, now func() time.Time, loc *time.Location) *checkInLimiter {
	if loc == nil {
		// The server passes UKETSUKE_TIME_ZONE; never the machine's zone.
		loc = time.UTC
	}
	return &checkInLimiter{lim: lim, now: now, loc: loc, store: store,
		tokens: newBuckets(lim.KioskRate, lim.KioskBurst), addrs: newBuckets(lim.AddressRate, lim.AddressBurst),
		codes: newBuckets(lim.CodeRate, lim.CodeBurst), orgCodes: newBuckets(lim.CodeRate*orgCodeFactor, lim.CodeBurst*orgCodeFactor),
		scans: newBuckets(scanRate, scanBurst), orgScans: newBuckets(scanRate*orgCodeFactor, scanBurst*orgCodeFactor),
		days: map[string]*dayCount{}}
}

// admit decides a kiosk check-in of org from addr before anything is
// stored. On refusal it returns how long to wait (Retry-After); on
// admission, done must be called with whether the check-in was stored, so
// that a refused one uses up neither the buckets nor the day's cap.
func (l *checkInLimiter) admit(ctx context.Context, org, addr string) (done func(stored bool), retry time.Duration, ok bool) {
	now := l.now()
	rt, ra := l.tokens.reserve(org, now), l.addrs.reserve(addr, now)
	cancel := func() {
		for _, r := range []*rate.Reservation{rt, ra} {
			if r != nil {
				r.CancelAt(now)
			}
		}
	}
	for _, r := range []*rate.Reservation{rt, ra} {
		if r == nil {
			continue
		}
		if !r.OK() {
			cancel()
			return nil, time.Hour, false
		}
		retry = max(retry, r.DelayFrom(now))
	}
	if retry > 0 {
		cancel()
		return nil, retry, false
	}
	daily := l.lim.OrgDaily > 0
	if daily {
		if wait, ok := l.takeDaily(ctx, org, now); !ok {
			cancel()
			return nil, wait, false
		}
	}
	// Only stored check-ins count: a refused one (a wrong, used or
	// cancelled code, a bad form) gives back what it took from the kiosk
	// token's and the address's buckets as well as the day's cap, or a few
	// wrong codes on some tablets would lock all of them out (the
	// wrong-code limit guards against guessing).
	return func(stored bool) {
		if stored {
			return
		}
		cancel()
		if daily {
			l.returnDaily(org, now)
		}
	}, 0, true
}

// takeDaily counts one check-in against org's cap for now's day, or
// returns the time until the day ends.
func (l *checkInLimiter) takeDaily(ctx context.Context, org string, now time.Time) (time.Duration, bool) {
	day := now.In(l.loc).Format(time.DateOnly)
	l.mu.Lock()
	c := l.days[org]
	l.mu.Unlock()
	if c == nil || c.day != day {
		// Once a day: the visits stored so far (a restart keeps its cap).
		y, m, d := now.In(l.loc).Date()
		start := time.Date(y, m, d, 0, 0, 0, 0, l.loc)
		n := 0
		if vs, err := l.store.ListVisits(ctx, org, reception.VisitFilter{From: start, Limit: l.lim.OrgDaily + 1}); err == nil {
			n = len(vs)
		}
		l.mu.Lock()
		if c = l.days[org]; c == nil || c.day != day {
			c = &dayCount{day: day, n: n}
			l.days[org] = c
		}
		l.mu.Unlock()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.n >= l.lim.OrgDaily {
		y, m, d := now.In(l.loc).Date()
		return time.Date(y, m, d+1, 0, 0, 0, 0, l.loc).Sub(now), false
	}
	c.n++
	return 0, true
}

func (l *checkInLimiter) returnDaily(org string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.days[org]; c != nil && c.day == now.In(l.loc).Format(time.DateOnly) && c.n > 0 {
		c.n--
	}
}

// retryAfter sets Retry-After to d in whole seconds, at least 1.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))))
}

// clientAddr is the address limits count r under: the peer's address or,
// when the peer is a trusted proxy, the right-most address in
// X-Forwarded-For that is not one (the left ones are the client's to
// write). IPv6 addresses count by their /64, which one client usually holds.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if isTrusted(ip, trusted) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			ip = hop.Unmap()
			if !isTrusted(ip, trusted) {
				break
			}
		}
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// guard holds what the API and the pages share to refuse abuse: the
// check-in limits, the token-guess back-off and the demo's state. A nil
// guard limits nothing and knows no demo.
type guard struct {
	limiter *checkInLimiter
	backoff *authBackoff
	trusted []netip.Prefix
	demo    *Demo
}

func (g *guard) addr(r *http.Request) string {
	if g == nil {
		return clientAddr(r, nil)
	}
	return clientAddr(r, g.trusted)
}

// kioskAllowed reports whether org's kiosk token may be used: the demo
// organization's only while demo mode is on (its token is shown on the
// open /demo page and printed in the start-up banner).
func (g *guard) kioskAllowed(ctx context.Context, org string) bool {
	if org != app.DemoOrgID {
		return true
	}
	return g != nil && g.demo.Live(ctx)
}

// waitTurn holds a token check until the address's back-off turn; false
// when it has answered (tooMany) or the client left.
func (g *guard) waitTurn(w http.ResponseWriter, r *http.Request, tooMany func(http.ResponseWriter, *http.Request, time.Duration)) bool {
	if g == nil || g.backoff == nil {
		return true
	}
	return g.backoff.wait(w, r, g.addr(r), tooMany)
}

// guessed records whether a token presented by r was right.
func (g *guard) guessed(r *http.Request, ok bool) {
	if g != nil && g.backoff != nil {
		g.backoff.result(g.addr(r), ok)
	}
}

// admitCheckIn applies the check-in limits to a kiosk check-in of org; see
// checkInLimiter.admit.
func (g *guard) admitCheckIn(r *http.Request, org string) (func(bool), time.Duration, bool) {
	if g == nil || g.limiter == nil {
		return func(bool) {}, 0, true
	}
	return g.limiter.admit(r.Context(), org, g.addr(r))
}

// codeKey is what the wrong-code limit counts a kiosk under: one tablet
// (its device cookie, kioskDevice) or, through the API, the kiosk token's
// organization and the client's address. One visitor mistyping on one
// tablet does not lock the organization's other tablets out.
func codeKey(org, kind, id string) string { return org + "\x00" + kind + "\x00" + id }

// codeAllowed reports whether the kiosk key of org may try a reception
// code now, or how long it must wait after too many wrong ones (from this
// kiosk, or from all of org's kiosks together).
func (g *guard) codeAllowed(org, key string) (time.Duration, bool) {
	if g == nil || g.limiter == nil {
		return 0, true
	}
	now := g.limiter.now()
	wait := max(g.limiter.codes.wait(key, now), g.limiter.orgCodes.wait(org, now))
	return wait, wait == 0
}

// wrongCode counts an unknown reception code tried by the kiosk key of org.
func (g *guard) wrongCode(org, key string) {
	if g != nil && g.limiter != nil {
		now := g.limiter.now()
		g.limiter.codes.reserve(key, now)
		g.limiter.orgCodes.reserve(org, now)
	}
}

// scanAllowed takes a turn for one camera frame of the kiosk key (a
// tablet, codeKey) of org: one tablet scanning never slows another's
// camera, and all of org's tablets together are bounded too (a device
// cookie is the client's to drop).
func (g *guard) scanAllowed(org, key string) (time.Duration, bool) {
	if g == nil || g.limiter == nil || g.limiter.scans == nil {
		return 0, true
	}
	now := g.limiter.now()
	res := g.limiter.scans.reserve(key, now)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	all := g.limiter.orgScans.reserve(org, now)
	if d := all.DelayFrom(now); d > 0 {
		all.CancelAt(now)
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}
