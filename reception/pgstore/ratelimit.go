package pgstore

import (
	"context"
	"sync/atomic"
	"time"
)

// A rate budget shared by every replica on the database: LINE WORKS counts
// requests per tenant and per API, so replicas that each paced a tenant at
// its full budget would send a multiple of it and collect 429s. TakeRate and
// HoldRate keep one budget per key in the rate_limits table with the generic
// cell rate algorithm (a token bucket kept as one timestamp per key, updated
// by one atomic upsert), measured with the database's clock, so replicas
// with skewed clocks still agree. package notify finds these methods on the
// Store and uses them instead of its in-process limiter.

// rateShape is the pacing of a budget of perMinute requests a minute: a
// burst of one second's worth (at least one) and then one request every
// interval, with the rate lowered by the burst so that no 60-second span,
// wherever it starts, holds more than perMinute requests. notify's
// in-process limiter uses the same shape.
func rateShape(perMinute int) (interval, tolerance time.Duration) {
	burst := max(1, perMinute/60)
	interval = time.Minute / time.Duration(max(perMinute-burst, 1))
	return interval, time.Duration(burst-1) * interval
}

// takeRate takes one request if the budget has room (tat ≤ now+tolerance):
// tat moves one interval on. Otherwise nothing changes and the answer is how
// long until there is room. The upsert locks the key's row, so concurrent
// replicas take turns on it; the outer SELECT reads the row as it was before
// the upsert, which is the tat that refused.
const takeRate = `WITH took AS (
	INSERT INTO rate_limits AS r (key, tat) VALUES ($1, now() + $2 * interval '1 microsecond')
	ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, now()) + $2 * interval '1 microsecond'
		WHERE r.tat <= now() + $3 * interval '1 microsecond'
	RETURNING 1)
SELECT CASE WHEN EXISTS (SELECT 1 FROM took) THEN 0::bigint
	ELSE coalesce((SELECT greatest(1, (extract(epoch FROM tat - now()) * 1000000)::bigint - $3)
		FROM rate_limits WHERE key = $1), 1) END`

// holdRate closes the budget for a while: the next request may go when it
// has passed, one request at a time after that.
const holdRate = `INSERT INTO rate_limits AS r (key, tat) VALUES ($1, now() + $2 * interval '1 microsecond')
	ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, excluded.tat)`

// sweepRates deletes keys whose budget is fully rested: they mean the same
// as no row.
const sweepRates = `DELETE FROM rate_limits WHERE tat < now() - interval '1 minute'`

// rateSweepEvery is how many TakeRate calls go by between sweeps.
const rateSweepEvery = 1024

var rateTakes atomic.Uint64

// TakeRate takes one request from key's budget of perMinute requests a
// minute, shared by every Store on the database, if it has room now, and
// returns 0. Otherwise it takes nothing and returns how long until the
// budget may have room; the caller tries again then (another replica may
// take the room first). A perMinute of 0 or less means no budget.
func (s *Store) TakeRate(ctx context.Context, key string, perMinute int) (time.Duration, error) {
	if perMinute <= 0 {
		return 0, nil
	}
	if err := s.d.ready(ctx); err != nil {
		return 0, err
	}
	interval, tolerance := rateShape(perMinute)
	var waitMicros int64
	if err := s.d.pool.QueryRow(ctx, takeRate, key, interval.Microseconds(), tolerance.Microseconds()).Scan(&waitMicros); err != nil {
		return 0, wrapErr(ctx, err, "take rate %s", key)
	}
	if rateTakes.Add(1)%rateSweepEvery == 0 {
		if _, err := s.d.pool.Exec(ctx, sweepRates); err != nil {
			return 0, wrapErr(ctx, err, "sweep rates")
		}
	}
	return time.Duration(waitMicros) * time.Microsecond, nil
}

// HoldRate closes key's budget of perMinute requests a minute for every
// Store on the database for d (LINE WORKS answered 429 and asked to wait
// d): no TakeRate succeeds before d has passed, and then one request at a
// time at the budget's pace.
func (s *Store) HoldRate(ctx context.Context, key string, perMinute int, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if err := s.d.ready(ctx); err != nil {
		return err
	}
	_, tolerance := rateShape(max(perMinute, 1))
	if _, err := s.d.pool.Exec(ctx, holdRate, key, (d + tolerance).Microseconds()); err != nil {
		return wrapErr(ctx, err, "hold rate %s", key)
	}
	return nil
}
