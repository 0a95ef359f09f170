package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// ErrNotConfigured is the delivery error of an organization whose LINE WORKS
// integration is incomplete. Entries wait (with backoff) for an admin to
// finish it instead of being dropped.
var ErrNotConfigured = errors.New("notify: the organization's LINE WORKS integration is not configured")

func (s *Service) runOutbox(ctx context.Context) {
	for {
		n, err := s.DispatchOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("leasing outbox entries", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if n < s.batch {
			if !wait(ctx, s.pollInterval, s.kickOutbox) {
				return
			}
		}
	}
}

// DispatchOnce leases one batch of due outbox entries, sends them and
// records each result. It returns how many entries it leased. Entries whose
// send had not started when ctx ended stay leased to this service's owner
// until Run (or ReleaseOutbox) returns them.
func (s *Service) DispatchOnce(ctx context.Context) (int, error) {
	entries, err := s.store.LeaseOutbox(ctx, s.owner, s.batch, s.leaseFor, s.now())
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	var g errgroup.Group
	g.SetLimit(s.concurrency)
	for _, e := range entries {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			// A send that started is finished even during shutdown: the
			// message may already be out, and recording that matters more
			// than stopping a few hundred milliseconds sooner.
			s.deliver(context.WithoutCancel(ctx), e, nil)
			return nil
		})
	}
	_ = g.Wait()
	return len(entries), nil
}

// recordTimeout bounds the store write that records a delivery's outcome.
const recordTimeout = 10 * time.Second

// deliver sends one leased entry and records the outcome. ctx carries values
// only; deliver sets its own deadlines.
// typed, when not nil, is e's content as built in this process: sending it
// skips decoding the stored JSON again (the fast path knows it).
func (s *Service) deliver(ctx context.Context, e *reception.OutboxEntry, typed lineworks.Content) {
	log := s.log.With("org", e.OrgID, "visit", e.VisitID, "entry", e.ID, "target", string(e.Target.Kind))
	window, ok := s.sendWindow(e)
	if !ok {
		// The entry waited for a free sender until its lease (nearly)
		// lapsed: another dispatcher may have leased it meanwhile, and
		// sending it here too would deliver it twice. Leave it to the
		// next lease.
		log.Warn("lease lapsed before the send started; leaving the entry to the next lease", "leaseExpires", e.LeaseExpiresAt)
		return
	}
	sendCtx, cancelSend := context.WithTimeout(ctx, window)
	err := s.send(sendCtx, e, typed)
	cancelSend()
	// The outcome is recorded under its own deadline: a send answered just
	// before its deadline must still be recorded, or the lapsed lease would
	// send it a second time.
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	now := s.now()
	switch {
	case err == nil:
		// A notification's notified event is recorded with the
		// completion, in the same transaction.
		var notified *reception.VisitEvent
		if e.VisitID != "" && strings.Contains(e.DedupeKey, "/notify/") {
			notified = &reception.VisitEvent{Kind: reception.EventNotified, At: now, Note: string(e.Target.Kind) + " " + e.Target.ID}
		}
		if cerr := s.store.CompleteOutbox(ctx, e.ID, s.owner, now, notified, s.outcomeEvent(e, EventDelivered, now, "")...); cerr != nil {
			log.Error("recording a sent message", "err", cerr)
			return
		}
		s.metrics.Inc(MetricSent, string(e.Target.Kind))
	case errors.Is(err, ErrNotConfigured) || errors.Is(err, ErrNoEventHandler):
		// Waiting for an admin is not a failed attempt: keep the entry,
		// check again at the longest backoff, never bury it for this.
		next := now.Add(s.maxBackoff)
		if rerr := s.store.PostponeOutbox(ctx, e.ID, s.owner, next, errorText(err)); rerr != nil {
			log.Error("postponing a message", "err", rerr)
			return
		}
		log.Warn("entry waits: the integration or the event handler is missing", "next", next, "reason", errorText(err))
	case s.mode == AtMostOnce && e.Target.Kind != reception.TargetApp && ambiguous(err):
		s.recordUncertain(ctx, log, e, now, err)
	case e.Target.Kind != reception.TargetApp && (permanent(err) || e.Attempts >= s.maxAttempts):
		// Events for the application are never given up on: a failing
		// handler is called again until it succeeds.
		msg := errorText(err)
		if derr := s.store.DeadOutbox(ctx, e.ID, s.owner, now, msg, s.outcomeEvent(e, EventGivenUp, now, msg)...); derr != nil {
			log.Error("dead-lettering a message", "err", derr)
			return
		}
		s.metrics.Inc(MetricDead, string(e.Target.Kind))
		log.Error("message given up", "attempts", e.Attempts, "err", msg)
	default:
		next := now.Add(s.backoff(e.Attempts, err))
		if rerr := s.store.RetryOutbox(ctx, e.ID, s.owner, next, errorText(err)); rerr != nil {
			log.Error("scheduling a retry", "err", rerr)
			return
		}
		s.metrics.Inc(MetricRetried, string(e.Target.Kind))
		log.Warn("message will be retried", "attempts", e.Attempts, "next", next, "err", errorText(err))
	}
}

// recordUncertain marks an entry whose send failed ambiguously uncertain,
// with AtMostOnce, and queues the event reporting it.
func (s *Service) recordUncertain(ctx context.Context, log *slog.Logger, e *reception.OutboxEntry, now time.Time, err error) {
	msg := errorText(err)
	if uerr := s.store.UncertainOutbox(ctx, e.ID, s.owner, now, msg, s.outcomeEvent(e, EventUncertain, now, msg)...); uerr != nil {
		log.Error("marking a message uncertain", "err", uerr)
		return
	}
	s.metrics.Inc(MetricDead, string(e.Target.Kind))
	log.Error("message may or may not have been posted; not sent again (at most once)", "attempts", e.Attempts, "err", msg)
}

// send sends one entry, or hands an event to the application. A message's
// outcome feeds the organization's Health.
func (s *Service) send(ctx context.Context, e *reception.OutboxEntry, typed lineworks.Content) (err error) {
	if e.Target.Kind == reception.TargetApp {
		return s.handleEvent(ctx, e)
	}
	if s.mode == AtMostOnce && e.Attempts > 1 && e.LastError == "" {
		return errUnrecorded
	}
	var updated time.Time
	defer func() { s.noteSend(e.OrgID, updated, err, s.now()) }()
	org, err := s.orgWithSecrets(ctx, e.OrgID)
	if err != nil {
		return &notSentError{err}
	}
	updated = org.UpdatedAt
	if !org.Integration.Configured() {
		return ErrNotConfigured
	}
	api, err := s.connector.Connect(ctx, org)
	if err != nil {
		return &notSentError{err}
	}
	var content lineworks.Content = lineworks.RawContent(e.Content)
	if typed != nil {
		content = typed
	}
	switch e.Target.Kind {
	case reception.TargetRoom:
		return api.SendToChannel(ctx, org.Integration.BotID, e.Target.ID, content)
	case reception.TargetUser:
		return api.SendToUser(ctx, org.Integration.BotID, e.Target.ID, content)
	}
	return fmt.Errorf("notify: unknown target kind %q", e.Target.Kind)
}

// sendWindow returns how long a send of e may take so that it ends while e's
// lease still holds, with a quarter of the lease left to record the outcome.
// ok is false when the lease is too close to lapsing to start a send. The
// lease is measured with the service's clock, like the store measures it.
func (s *Service) sendWindow(e *reception.OutboxEntry) (window time.Duration, ok bool) {
	window = s.leaseFor * 3 / 4
	if e.LeaseExpiresAt.IsZero() {
		return window, true
	}
	left := e.LeaseExpiresAt.Sub(s.now()) - s.leaseFor/4
	if left <= 0 {
		return 0, false
	}
	return min(window, left), true
}

// Outbox retries are at-least-once by design. Besides a lost answer (a
// timeout or dropped connection after LINE WORKS took the message), a 500,
// 502 or 504 is ambiguous too: LINE WORKS may have posted the message before
// failing. Retrying can then post it twice; burying it can lose a visitor's
// notification, which at a reception desk is the worse failure. So those
// are retried, and counted among the ambiguous cases in RELIABILITY.md.
//
// permanent reports errors that repeating cannot fix: LINE WORKS rejected
// the message itself (400, 403, 404), the content is invalid, or the
// organization is gone.
func permanent(err error) bool {
	var ae *lineworks.APIError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusGone, http.StatusRequestEntityTooLarge:
			return true
		}
		return false
	}
	var ve *lineworks.ValidationError
	return errors.As(err, &ve) || errors.Is(err, lineworks.ErrInvalidContent) || errors.Is(err, reception.ErrNotFound)
}

// backoff doubles from the base with the attempt count, and waits at least
// as long as the server asked.
func (s *Service) backoff(attempt int, err error) time.Duration {
	d := s.baseBackoff << min(max(attempt-1, 0), 20)
	if d <= 0 || d > s.maxBackoff {
		d = s.maxBackoff
	}
	var ae *lineworks.APIError
	if errors.As(err, &ae) && ae.RetryAfter > d {
		d = min(ae.RetryAfter, s.maxBackoff)
	}
	return d
}

// errorText is what is stored as an entry's last error. Errors from the
// lineworks package never carry secrets; cap the length anyway.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return lineworks.TruncateText(err.Error(), 500)
}

// orgWithSecrets reads an organization with its secrets, cached for
// orgCacheTTL (wall-clock time: this is a performance cache, not domain
// time, so it ignores WithClock).
func (s *Service) orgWithSecrets(ctx context.Context, id string) (*reception.Organization, error) {
	now := time.Now()
	s.orgsMu.Lock()
	c, ok := s.orgs[id]
	s.orgsMu.Unlock()
	if ok && now.Before(c.expires) {
		return c.org, nil
	}
	org, err := s.store.GetOrganizationWithSecrets(ctx, id)
	if err != nil {
		return nil, err
	}
	s.orgsMu.Lock()
	s.orgs[id] = cachedOrg{org: org, expires: now.Add(orgCacheTTL)}
	s.orgsMu.Unlock()
	return org, nil
}
