package lineworkstest

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Fault is a failure the fake produces instead of (or after) answering.
type Fault struct {
	// Status, with Code and Description, answers with a LINE WORKS error body.
	Status      int
	Code        string
	Description string
	// Header is added to the answer, e.g. rateLimit-reset or Retry-After.
	Header http.Header
	// Delay waits before answering (or before dropping), e.g. past the
	// client's timeout.
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// AfterHandling lets the real handler run first (a message is recorded),
	// then applies the fault to the answer: the ambiguous case where the
	// client cannot know the request took effect. Counted by Ambiguous.
	AfterHandling bool
}

// RateLimitFault is the 429 LINE WORKS answers when a budget is exceeded,
// asking the client to wait reset.
func RateLimitFault(limit int, reset time.Duration) Fault {
	h := http.Header{}
	h.Set("rateLimit-limit", strconv.Itoa(limit))
	h.Set("rateLimit-remaining", "0")
	h.Set("rateLimit-reset", strconv.FormatFloat(reset.Seconds(), 'f', -1, 64))
	return Fault{Status: http.StatusTooManyRequests, Code: "TOO_MANY_REQUESTS", Description: "API rate limit exceeded", Header: h}
}

type faultSlot struct {
	fault     Fault
	remaining int
}

// AnyRoute matches every API route in InjectFault.
const AnyRoute = "*"

// TokenRoute names the token endpoint in InjectFault.
const TokenRoute = "POST " + TokenPath

// InjectFault makes the next n requests to route fail with f. route is the
// method and the path template as the LINE WORKS reference writes it,
// e.g. "POST /bots/{botId}/channels/{channelId}/messages", or TokenRoute, or
// AnyRoute. Faults queue per route in the order injected.
func (s *Server) InjectFault(route string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], &faultSlot{fault: f, remaining: n})
}

// ClearFaults removes every pending fault and stops chaos.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
	s.chaos = nil
}

type chaosConfig struct {
	rate   float64
	faults []Fault
	rng    *rand.Rand
}

// SetChaos makes each API request fail with probability p, with a fault
// chosen uniformly from faults, deterministically for a given seed.
func (s *Server) SetChaos(p float64, seed uint64, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p <= 0 || len(faults) == 0 {
		s.chaos = nil
		return
	}
	s.chaos = &chaosConfig{rate: p, faults: faults, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// FaultStats counts what injected faults did.
type FaultStats struct {
	// Injected counts requests answered with a fault.
	Injected int64
	// Ambiguous counts requests that took effect but whose answer was
	// replaced by a fault (AfterHandling): a client may repeat them.
	Ambiguous int64
	// RateLimited counts 429s from the rate limiter (not injected ones).
	RateLimited int64
}

// FaultStats returns the fault counters.
func (s *Server) FaultStats() FaultStats {
	return FaultStats{Injected: s.injected.Load(), Ambiguous: s.ambiguous.Load(), RateLimited: s.limited429.Load()}
}

func (s *Server) nextFault(route string, api bool) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{route, AnyRoute} {
		if key == AnyRoute && !api {
			continue
		}
		q := s.faults[key]
		for len(q) > 0 && q[0].remaining <= 0 {
			q = q[1:]
		}
		s.faults[key] = q
		if len(q) > 0 {
			q[0].remaining--
			f := q[0].fault
			return &f
		}
	}
	if api && s.chaos != nil && s.chaos.rng.Float64() < s.chaos.rate {
		f := s.chaos.faults[s.chaos.rng.IntN(len(s.chaos.faults))]
		return &f
	}
	return nil
}

// SetRateLimit gives every tenant a budget of perMinute requests per API, as
// LINE WORKS does (240 on Standard, 60 on Free); beyond it the fake answers
// 429 TOO_MANY_REQUESTS with rateLimit-* headers. Zero removes the limit.
// The bucket refills continuously and allows a burst of two seconds' worth,
// a little more slack than a well-behaved client's pacer uses.
func (s *Server) SetRateLimit(perMinute int) {
	s.rlMu.Lock()
	defer s.rlMu.Unlock()
	s.rlPerMinute = perMinute
	s.rlBuckets = map[string]*rate.Limiter{}
}

// SetTenantRateLimit gives one tenant (domain) its own budget of perMinute
// requests per API, overriding SetRateLimit's for it (a Free-plan tenant
// among Standard ones, say); zero removes the override.
func (s *Server) SetTenantRateLimit(domainID int64, perMinute int) {
	s.rlMu.Lock()
	defer s.rlMu.Unlock()
	if s.rlTenants == nil {
		s.rlTenants = map[int64]int{}
	}
	if perMinute <= 0 {
		delete(s.rlTenants, domainID)
	} else {
		s.rlTenants[domainID] = perMinute
	}
	if s.rlBuckets == nil {
		s.rlBuckets = map[string]*rate.Limiter{}
	}
	prefix := strconv.FormatInt(domainID, 10) + " "
	for k := range s.rlBuckets {
		if strings.HasPrefix(k, prefix) {
			delete(s.rlBuckets, k)
		}
	}
}

// allow takes one request from tenant's bucket for route. budget, when
// positive, is the API's own smaller per-minute limit; the smaller of it and
// the SetRateLimit budget applies.
func (s *Server) allow(tenant int64, route string, budget int) (ok bool, limit int, reset time.Duration) {
	s.rlMu.Lock()
	defer s.rlMu.Unlock()
	n := s.rlPerMinute
	if t, ok := s.rlTenants[tenant]; ok {
		n = t
	}
	if n <= 0 {
		return true, 0, 0
	}
	if budget > 0 {
		n = min(n, budget)
	}
	key := strconv.FormatInt(tenant, 10) + " " + route
	l := s.rlBuckets[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(float64(n)/60), max(1, 2*n/60))
		s.rlBuckets[key] = l
	}
	now := s.now()
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, n, d
	}
	return true, n, 0
}

type rlState struct {
	rlMu        sync.Mutex
	rlPerMinute int
	rlTenants   map[int64]int
	rlBuckets   map[string]*rate.Limiter
}

// handle registers h for pattern ("METHOD /path") with fault injection.
// API routes are registered by their reference template (without /v1.0),
// which is also the name used by InjectFault.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	api := strings.HasPrefix(path, "/bots") || strings.HasPrefix(path, "/users") || strings.HasPrefix(path, "/attachments")
	muxPattern := pattern
	if api {
		muxPattern = method + " " + APIPrefix + path
	}
	s.mux.HandleFunc(muxPattern, func(w http.ResponseWriter, r *http.Request) {
		if api {
			s.apiRequests.Add(1)
		}
		f := s.nextFault(pattern, api)
		if f == nil {
			h(w, r)
			return
		}
		s.injected.Add(1)
		if f.AfterHandling {
			rec := httptest.NewRecorder()
			h(rec, r)
			if rec.Code < 300 {
				s.ambiguous.Add(1)
			}
		}
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		for k, vs := range f.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		status := f.Status
		if status == 0 {
			// A pure delay: answer normally afterwards.
			if !f.AfterHandling {
				h(w, r)
			} else {
				writeJSON(w, http.StatusCreated, nil)
			}
			return
		}
		code := f.Code
		if code == "" {
			code = strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_"))
		}
		writeError(w, status, code, f.Description)
	})
}

// rateLimited wraps an API handler with the per-tenant budget. route is the
// reference template.
func (s *Server) rateLimited(route string, t *issuedToken, w http.ResponseWriter) bool {
	return s.limitedBudget(route, t, w, 0)
}

// limitedBudget is rateLimited for APIs with their own, smaller budget
// (channel create: 10 a minute). It applies only while SetRateLimit is in
// force, with the smaller of the two budgets.
func (s *Server) limitedBudget(route string, t *issuedToken, w http.ResponseWriter, perMinute int) bool {
	ok, limit, reset := s.allow(t.app.DomainID, route, perMinute)
	if ok {
		return false
	}
	s.limited429.Add(1)
	w.Header().Set("rateLimit-limit", strconv.Itoa(limit))
	w.Header().Set("rateLimit-remaining", "0")
	w.Header().Set("rateLimit-reset", strconv.FormatFloat(max(reset.Seconds(), 0.001), 'f', 3, 64))
	writeError(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "API rate limit exceeded")
	return true
}
