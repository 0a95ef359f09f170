package notify

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// RateLimiter keeps each LINE WORKS tenant's request budget per API. LINE
// WORKS counts requests per tenant (domain) and per API — 240 a minute on
// Standard and Advanced plans, 60 on Free — and answers 429 beyond that,
// with rateLimit-reset saying how long to wait.
//
// The service never waits inside a RateLimiter: a send whose tenant has no
// room is put back and the delivery slot goes to another tenant (see
// "Fairness" in the package documentation). So TakeRate only asks.
//
// A store that also implements RateLimiter (pgstore's Store does, with the
// budget kept in the database) is used by default, so that every replica
// on the database shares each tenant's budget; otherwise the service keeps
// the budgets in memory, which is right for a store that serves one process
// (memstore, sqlitestore). WithRateLimiter sets one explicitly.
type RateLimiter interface {
	// TakeRate takes one request from key's budget of perMinute requests a
	// minute if it has room now, and returns 0; otherwise it takes nothing
	// and returns how long until it may have room. perMinute ≤ 0 means no
	// budget.
	TakeRate(ctx context.Context, key string, perMinute int) (time.Duration, error)
	// HoldRate closes key's budget for d, after LINE WORKS answered 429:
	// no TakeRate succeeds before d has passed.
	HoldRate(ctx context.Context, key string, perMinute int, d time.Duration) error
}

// defaultLimiter is the store when it shares budgets, else memory on the
// service's clock.
func defaultLimiter(store reception.Store, now func() time.Time) RateLimiter {
	if l, ok := store.(RateLimiter); ok {
		return l
	}
	return NewMemoryRateLimiter(now)
}

// rateKey names the budget a send draws from: LINE WORKS counts per tenant
// (the domain, which several organizations could share) and per API.
func rateKey(org *reception.Organization, api string) string {
	if d := org.Integration.DomainID; d != 0 {
		return "domain/" + strconv.FormatInt(d, 10) + " " + api
	}
	return "org/" + org.ID + " " + api
}

// API names of the sends, as the LINE WORKS reference writes them.
const (
	apiSendToChannel = "POST /bots/{botId}/channels/{channelId}/messages"
	apiSendToUser    = "POST /bots/{botId}/users/{userId}/messages"
	apiGetUser       = "GET /users/{userId}"
)

// budgetOf is an organization's budget per API in requests a minute: its
// plan's rate limit, or the Free plan's 60 when unknown.
func budgetOf(org *reception.Organization) int {
	if r := org.Integration.RateLimit; r > 0 {
		return r
	}
	return 60
}

// rateShape is the pacing of a budget of perMinute requests a minute: a
// burst of one second's worth (at least one), then one request every
// interval, the rate lowered by the burst so that no 60-second span,
// wherever it starts, holds more than perMinute requests. pgstore's shared
// limiter uses the same shape.
func rateShape(perMinute int) (interval, tolerance time.Duration) {
	burst := max(1, perMinute/60)
	interval = time.Minute / time.Duration(max(perMinute-burst, 1))
	return interval, time.Duration(burst-1) * interval
}

// MemoryRateLimiter is a RateLimiter for one process: the generic cell rate
// algorithm (a token bucket kept as one time per key). Keys whose budget is
// fully rested are forgotten, so memory follows the tenants active in the
// last minute. It is safe for concurrent use.
type MemoryRateLimiter struct {
	now func() time.Time
	mu  sync.Mutex
	tat map[string]time.Time
}

// NewMemoryRateLimiter returns an empty in-process limiter that measures
// time with now (nil: time.Now). The service's default one uses the
// service's clock (WithClock).
func NewMemoryRateLimiter(now func() time.Time) *MemoryRateLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryRateLimiter{now: now, tat: map[string]time.Time{}}
}

// memorySweepAt is the number of keys past which rested ones are dropped.
const memorySweepAt = 1024

// TakeRate implements RateLimiter.
func (m *MemoryRateLimiter) TakeRate(_ context.Context, key string, perMinute int) (time.Duration, error) {
	if perMinute <= 0 {
		return 0, nil
	}
	interval, tolerance := rateShape(perMinute)
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	tat := m.tat[key]
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - tolerance; wait > 0 {
		return wait, nil
	}
	if len(m.tat) >= memorySweepAt {
		m.sweep(now)
	}
	m.tat[key] = tat.Add(interval)
	return 0, nil
}

// HoldRate implements RateLimiter.
func (m *MemoryRateLimiter) HoldRate(_ context.Context, key string, perMinute int, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	_, tolerance := rateShape(max(perMinute, 1))
	until := m.now().Add(d + tolerance)
	m.mu.Lock()
	defer m.mu.Unlock()
	if until.After(m.tat[key]) {
		m.tat[key] = until
	}
	return nil
}

// Len returns how many budgets are remembered.
func (m *MemoryRateLimiter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

func (m *MemoryRateLimiter) sweep(now time.Time) {
	for k, t := range m.tat {
		if t.Before(now) {
			delete(m.tat, k)
		}
	}
}
