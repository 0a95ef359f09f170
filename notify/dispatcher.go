package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// ErrNotConfigured is the delivery error of an organization whose LINE WORKS
// integration is incomplete. Entries wait (with backoff) for an admin to
// finish it instead of being dropped.
var ErrNotConfigured = errors.New("notify: the organization's LINE WORKS integration is not configured")

func (s *Service) runOutbox(ctx context.Context) {
	for {
		// Lease only while the fair queue has room for more: entries it
		// holds are leased, and leasing more than it can start soon would
		// only let leases lapse. Sends run in the queue; this loop does
		// not wait for them, so a tenant at its budget never keeps the
		// next lease (another tenant's entries) waiting.
		n := 0
		if room := s.dispatchRoom(); room > 0 {
			var err error
			n, err = s.dispatch(ctx, min(room, s.batch), nil)
			if err != nil && ctx.Err() == nil {
				s.log.Error("leasing outbox entries", "err", err)
			}
		}
		if ctx.Err() != nil {
			return
		}
		if n < s.batch {
			if !wait(ctx, s.outboxWait(), s.kickOutbox) {
				return
			}
		}
	}
}

// dispatchRoom is how many more entries the dispatcher may lease: the
// sends that are ready to go (on the wire, or queued for a free slot, not
// waiting for their tenant) are kept under four batches.
func (s *Service) dispatchRoom() int {
	return 4*s.batch - s.fq.ready()
}

// DispatchOnce leases one batch of due outbox entries, sends them and
// records each result. It returns how many entries it leased. Entries whose
// send had not started when ctx ended stay leased to this service's owner
// until Run (or ReleaseOutbox) returns them; so do entries whose tenant had
// no room in its rate budget until their lease would lapse: those are
// handed back to the store, postponed to when the budget has room.
func (s *Service) DispatchOnce(ctx context.Context) (int, error) {
	// Queued entries are dropped (still leased) when ctx ends.
	stop := context.AfterFunc(ctx, s.fq.stopped)
	defer stop()
	var wg sync.WaitGroup
	n, err := s.dispatch(ctx, s.batch, &wg)
	wg.Wait()
	return n, err
}

// dispatch leases up to n due entries and queues them for sending; with wg
// not nil, wg waits for them.
func (s *Service) dispatch(ctx context.Context, n int, wg *sync.WaitGroup) (int, error) {
	entries, err := s.store.LeaseOutbox(ctx, s.owner, n, s.leaseFor, s.now())
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	jobs := make([]*job, 0, len(entries))
	for _, e := range entries {
		s.jobs.Add(1)
		if wg != nil {
			wg.Add(1)
		}
		jobs = append(jobs, &job{
			// A send that started is finished even during shutdown: the
			// message may already be out, and recording that matters more
			// than stopping a few hundred milliseconds sooner.
			e: e, ctx: context.WithoutCancel(ctx), stop: ctx.Done(),
			done: func() {
				s.jobs.Done()
				if wg != nil {
					wg.Done()
				}
				kick(s.kickOutbox)
			},
		})
	}
	s.fq.submit(jobs...)
	return len(entries), nil
}

// attempt makes one attempt at a queued job: it takes the tenant's rate
// budget, and sends and records the entry only if the budget has room.
func (s *Service) attempt(j *job) result {
	e := j.e
	if _, ok := s.sendWindow(e); !ok {
		// Waited (for a hung tenant's slots, say) until the lease is
		// about to lapse: hand it back unattempted while it is still
		// ours, so that waiting uses up no attempt.
		s.log.Warn("lease about to lapse before the send started; handing the entry back", "org", e.OrgID, "entry", e.ID, "leaseExpires", e.LeaseExpiresAt)
		s.postponeJob(j, s.now(), "the lease lapsed before a delivery slot was free")
		return result{}
	}
	var r result
	org, err := s.orgWithSecrets(j.ctx, e.OrgID)
	if err == nil && org.Integration.Configured() && e.Target.Kind != reception.TargetEmail {
		n := budgetOf(org)
		r.interval, _ = rateShape(n)
		key := rateKey(org, apiOf(e.Target.Kind))
		ctx, cancel := context.WithTimeout(j.ctx, recordTimeout)
		wait, lerr := s.limiter.TakeRate(ctx, key, n)
		cancel()
		if lerr != nil {
			// Sending unpaced would risk the tenant's 429s; try again
			// shortly (the queue hands the entry back to the store
			// before its lease lapses).
			s.log.Error("taking from the rate budget", "org", e.OrgID, "err", lerr)
			wait = time.Second
		}
		if wait > 0 {
			r.requeue, r.park = true, wait
			return r
		}
		defer func() {
			if d, ok := rateLimited(err); ok {
				ctx, cancel := context.WithTimeout(j.ctx, recordTimeout)
				defer cancel()
				if herr := s.limiter.HoldRate(ctx, key, n, d); herr != nil {
					s.log.Error("holding the rate budget after a 429", "org", e.OrgID, "err", herr)
				}
			}
		}()
	}
	err = s.deliver(j.ctx, e, j.typed)
	switch {
	case err == nil, permanent(err), errors.Is(err, ErrNotConfigured):
	default:
		// 429, 5xx, a timeout, refused credentials: the lane's next
		// message would most likely meet the same failure. It waits the
		// first backoff, and the slot serves other tenants meanwhile.
		// (After a 429 the budget is held too: the lane's next TakeRate
		// then parks it for the rest of rateLimit-reset.)
		r.park = s.baseBackoff
	}
	return r
}

// rateLimited reports a 429 and how long LINE WORKS asked to wait (a
// second when it did not say).
func rateLimited(err error) (time.Duration, bool) {
	var ae *lineworks.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if ae.RetryAfter > 0 {
		return ae.RetryAfter, true
	}
	return time.Second, true
}

// apiOf is the LINE WORKS API a target is sent through.
func apiOf(k reception.TargetKind) string {
	if k == reception.TargetUser {
		return apiSendToUser
	}
	return apiSendToChannel
}

// postponeJob hands a leased entry back to the store unattempted, due at
// until (its tenant's budget cannot send it sooner, say). No attempt is
// used up.
func (s *Service) postponeJob(j *job, until time.Time, reason string) {
	ctx, cancel := context.WithTimeout(j.ctx, recordTimeout)
	defer cancel()
	if err := s.store.PostponeOutbox(ctx, j.e.ID, s.owner, until, reason); err != nil {
		s.log.Error("handing a message back to the outbox", "org", j.e.OrgID, "entry", j.e.ID, "err", err)
		return
	}
	s.wakeAt(until)
	s.log.Debug("message handed back to the outbox", "org", j.e.OrgID, "entry", j.e.ID, "until", until, "reason", reason)
}

// recordTimeout bounds the store write that records a delivery's outcome.
const recordTimeout = 10 * time.Second

// deliver sends one leased entry and records the outcome. ctx carries values
// only; deliver sets its own deadlines.
// typed, when not nil, is e's content as built in this process: sending it
// skips decoding the stored JSON again (the fast path knows it).
// It returns the send's error.
func (s *Service) deliver(ctx context.Context, e *reception.OutboxEntry, typed lineworks.Content) (sendErr error) {
	log := s.log.With("org", e.OrgID, "visit", e.VisitID, "entry", e.ID, "target", string(e.Target.Kind))
	if _, ok := s.windowLeft(e, log); !ok {
		return nil
	}
	if settle := s.startAppointmentStep(e); settle != nil {
		defer settle()
	}
	if s.gateAppointment(ctx, e) {
		return nil
	}
	// Measured again: the gate may have waited for an appointment's
	// message (awaitOwnSteps leaves time to send, so this rarely fails).
	window, ok := s.windowLeft(e, log)
	if !ok {
		return nil
	}
	sendCtx, cancelSend := context.WithTimeout(ctx, window)
	err := s.send(sendCtx, e, typed)
	cancelSend()
	sendErr = err
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
		then := s.outcomeEvent(e, EventDelivered, now, "")
		if next := s.nextInSequence(e); next != nil {
			then = append(then, next)
		}
		if cerr := s.store.CompleteOutbox(ctx, e.ID, s.owner, now, notified, then...); cerr != nil {
			log.Error("recording a sent message", "err", cerr)
			return
		}
		s.metrics.Inc(MetricSent, string(e.Target.Kind))
	case errors.Is(err, ErrNotConfigured) || errors.Is(err, ErrNoEventHandler) || errors.Is(err, ErrNoMailer):
		// Waiting for an admin is not a failed attempt: keep the entry,
		// check again at the longest backoff, never bury it for this.
		next := now.Add(s.maxBackoff)
		if rerr := s.store.PostponeOutbox(ctx, e.ID, s.owner, next, errorText(err)); rerr != nil {
			log.Error("postponing a message", "err", rerr)
			return
		}
		s.wakeAt(next)
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
		s.wakeAt(next)
		s.metrics.Inc(MetricRetried, string(e.Target.Kind))
		log.Warn("message will be retried", "attempts", e.Attempts, "next", next, "err", errorText(err))
	}
	return sendErr
}

// windowLeft is sendWindow, logging when the lease is too close to lapsing.
// The entry then waited (for a free sender, or in the appointment gate)
// until its lease nearly lapsed: another dispatcher may have leased it
// meanwhile, and sending it here too would deliver it twice, so it is left
// to the next lease.
func (s *Service) windowLeft(e *reception.OutboxEntry, log *slog.Logger) (time.Duration, bool) {
	window, ok := s.sendWindow(e)
	if !ok {
		log.Warn("lease lapsed before the send started; leaving the entry to the next lease", "leaseExpires", e.LeaseExpiresAt)
	}
	return window, ok
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
	if e.Target.Kind == reception.TargetEmail {
		return s.sendMail(ctx, e)
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
	content, err := sendContent(ctx, api, org, e, typed)
	if err != nil {
		return err
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
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500 // SMTP: 5xx is permanent, 4xx transient
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

// orgCacheSweepAt is the size past which expired organizations are
// dropped from the cache.
const orgCacheSweepAt = 256

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
	if len(s.orgs) >= orgCacheSweepAt {
		// Bounded by the organizations sending within orgCacheTTL, not
		// by every organization ever served.
		for k, c := range s.orgs {
			if !now.Before(c.expires) {
				delete(s.orgs, k)
			}
		}
	}
	s.orgs[id] = cachedOrg{org: org, expires: now.Add(orgCacheTTL)}
	s.orgsMu.Unlock()
	return org, nil
}
