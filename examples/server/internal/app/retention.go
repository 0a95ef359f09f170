package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// DefaultPurgeEvery is how often the retention purge runs: personal data
// outlives its retention by at most this much.
const DefaultPurgeEvery = time.Hour

// Retention is the background job that applies the retention setting: every
// Every (DefaultPurgeEvery when zero), and once at start, it purges what is
// older than Keep (reception.Store.Purge). Every replica runs one; the
// store lets one purge at a time.
type Retention struct {
	Store reception.Store
	// Keep is the retention; 0 disables the job.
	Keep  time.Duration
	Every time.Duration
	Now   func() time.Time
	Log   *slog.Logger
}

// Run purges until ctx ends.
func (r *Retention) Run(ctx context.Context) {
	if r.Keep <= 0 {
		return
	}
	every := r.Every
	if every <= 0 {
		every = DefaultPurgeEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_, _ = r.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once runs one purge of what is older than Keep, logging what it did.
func (r *Retention) Once(ctx context.Context) (reception.PurgeResult, error) {
	before := r.Now().Add(-r.Keep)
	start := time.Now()
	res, err := r.Store.Purge(ctx, before)
	switch {
	case err != nil && ctx.Err() == nil:
		r.Log.Error("retention purge", "err", err, "erased_visits", res.Visits, "outbox", res.Outbox, "inbox", res.Inbox)
	case res.Total() > 0 || res.Busy:
		r.Log.Info("retention purge", "before", before, "erased_visits", res.Visits, "outbox", res.Outbox, "inbox", res.Inbox,
			"busy", res.Busy, "took", time.Since(start).Round(time.Millisecond))
	}
	return res, err
}

// EraseVisit erases one visitor's personal data now, for a data subject's
// request (reception.Store.EraseVisit), recording it in the visit's
// timeline with note.
func (a *App) EraseVisit(ctx context.Context, orgID, visitID, note string) (*reception.Visit, error) {
	return a.Store.EraseVisit(ctx, orgID, visitID, "", a.Now(), note)
}
