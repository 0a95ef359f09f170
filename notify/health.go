package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// DeliveryStatus says whether an organization's notifications reach anyone.
type DeliveryStatus string

// The delivery statuses.
const (
	// DeliveryOK: nothing known stops delivery.
	DeliveryOK DeliveryStatus = "ok"
	// DeliveryDegraded: notifications go out, but LINE WORKS callbacks
	// (room joins, staff taps) are refused.
	DeliveryDegraded DeliveryStatus = "degraded"
	// DeliveryUnavailable: notifications cannot be delivered now. Check-ins
	// are still stored and their messages queued; the visitor must be told
	// to use the organization's fallback instead.
	DeliveryUnavailable DeliveryStatus = "unavailable"
)

// DeliveryCause is why an organization is not DeliveryOK. The set is small
// and fixed (see DeliveryCauses), so it can label a metric.
type DeliveryCause string

// The causes of a DeliveryHealth that is not OK.
const (
	// CauseNoIntegration: the LINE WORKS credentials or the bot are
	// missing (Integration.Configured is false, or the connector has no
	// LINE WORKS for the organization).
	CauseNoIntegration DeliveryCause = "no_integration"
	// CauseCredentials: LINE WORKS refused the credentials (the token
	// request failed, or an API call answered 401).
	CauseCredentials DeliveryCause = "credentials"
	// CauseFailing: sends keep failing for another reason (network,
	// LINE WORKS errors, rooms the bot is not in).
	CauseFailing DeliveryCause = "failing"
	// CauseSecretKey: the stored secrets cannot be opened with this
	// process's secret key (reception.ErrSecretOpen): the key setting is
	// wrong or was replaced.
	CauseSecretKey DeliveryCause = "secret_key"
	// CauseNoBotSecret: the bot has no secret, so callbacks are refused
	// (DeliveryDegraded).
	CauseNoBotSecret DeliveryCause = "no_bot_secret"
)

// DeliveryCauses lists every DeliveryCause.
var DeliveryCauses = []DeliveryCause{CauseNoIntegration, CauseCredentials, CauseSecretKey, CauseFailing, CauseNoBotSecret}

// DeliveryHealth is an organization's delivery health, as Service.Health
// reports it.
type DeliveryHealth struct {
	OrgID  string
	Status DeliveryStatus
	// Cause is empty when Status is DeliveryOK.
	Cause DeliveryCause
	// Detail explains the cause for the admin: the missing settings or the
	// last error (errors of the lineworks package never carry secrets).
	Detail string
	// Since is when the failure was first seen; zero when unknown (a
	// missing setting has no start time).
	Since time.Time
}

// CanDeliver reports whether notifications are expected to reach staff, i.e.
// whether a kiosk may tell the visitor that staff were notified.
func (h DeliveryHealth) CanDeliver() bool { return h.Status != DeliveryUnavailable }

// failingAfter is how many sends in a row must fail, for reasons other than
// credentials, before an organization counts as failing: one timeout is
// noise, three with no success between is an outage a visitor should hear
// about.
const failingAfter = 3

// sendHealth remembers, per organization, the results of this process's
// sends. It is in-process memory: another replica learns the same from its
// own sends, and from the outbox (see Service.Health).
type sendHealth struct {
	mu   sync.Mutex
	orgs map[string]*sendRecord
	// reported is the last status logged per organization, so that a
	// transition is logged once, not at every check-in.
	reported map[string]DeliveryHealth
	// stuck is the verdict of the last outbox scan per organization.
	stuck map[string]DeliveryHealth
}

// forget drops what is known about an organization (it was deleted).
func (h *sendHealth) forget(orgID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.orgs, orgID)
	delete(h.reported, orgID)
	delete(h.stuck, orgID)
}

type sendRecord struct {
	// orgUpdated is the organization's UpdatedAt when the failure was
	// seen: an admin's change since (new credentials) makes it stale. Zero
	// when the organization could not be read: the failure then holds
	// for every version.
	orgUpdated   time.Time
	cause        DeliveryCause
	failures     int
	failingSince time.Time
	lastErr      string
	lastSuccess  time.Time
}

// noteSend records the outcome of one send for organization orgID, as it
// stood at updated. Errors that concern one message only (its content), or
// an organization deleted meanwhile, say nothing about its health.
func (s *Service) noteSend(orgID string, updated time.Time, err error, now time.Time) {
	if err != nil && (messageFault(err) || errors.Is(err, reception.ErrNotFound)) {
		return
	}
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.orgs == nil {
		h.orgs = map[string]*sendRecord{}
	}
	r := h.orgs[orgID]
	if r == nil {
		r = &sendRecord{}
		h.orgs[orgID] = r
	}
	if err == nil {
		*r = sendRecord{lastSuccess: now}
		return
	}
	if r.failures == 0 || !r.orgUpdated.Equal(updated) {
		r.failingSince, r.failures = now, 0
	}
	r.orgUpdated = updated
	r.failures++
	r.cause = orgFault(err)
	r.lastErr = errorText(err)
}

// NoteCredentialCheck records a token request made outside the delivery
// path — an admin's "save and verify" — for org as it stood then.
// Credentials LINE WORKS refused make the organization unavailable at once,
// as a refused send would, rather than only after the next check-in fails;
// the admin page, /readyz and kiosks then agree with what the admin was
// just told. Any other outcome (success, a network failure) says nothing
// about delivery and is not recorded.
func (s *Service) NoteCredentialCheck(org *reception.Organization, err error) {
	if err == nil || orgFault(err) != CauseCredentials {
		return
	}
	s.noteSend(org.ID, org.UpdatedAt, err, s.now())
}

// messageFault reports errors caused by one message rather than by the
// organization's ability to deliver: invalid content, or a request LINE
// WORKS rejected as malformed.
func messageFault(err error) bool {
	var ve *lineworks.ValidationError
	var ae *lineworks.APIError
	return errors.As(err, &ve) || errors.Is(err, lineworks.ErrInvalidContent) ||
		(errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest)
}

// orgFault classifies a failed send: a cause that no retry can fix makes
// the organization unavailable at once; anything else is CauseFailing,
// which counts only after failingAfter failures in a row.
func orgFault(err error) DeliveryCause {
	switch {
	case errors.Is(err, ErrNotConfigured):
		return CauseNoIntegration
	case errors.Is(err, reception.ErrSecretOpen):
		return CauseSecretKey
	case errors.Is(err, lineworks.ErrUnauthorized):
		return CauseCredentials
	}
	var te *lineworks.TokenError
	if errors.As(err, &te) && te.Cause != lineworks.CauseNetwork && te.Cause != lineworks.CauseServer {
		return CauseCredentials
	}
	var ce *lineworks.CredentialError
	if errors.As(err, &ce) {
		return CauseCredentials // a key that does not parse, say: no retry fixes it
	}
	return CauseFailing
}

// remembered returns what this process's sends say about org: unavailable
// with a cause, or ok (zero Status) when they say nothing against it. A
// failure seen before the organization was last changed is stale.
func (s *Service) remembered(org *reception.Organization) (DeliveryHealth, time.Time) {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.orgs[org.ID]
	if r == nil {
		return DeliveryHealth{}, time.Time{}
	}
	if r.failures == 0 || (!r.orgUpdated.IsZero() && !r.orgUpdated.Equal(org.UpdatedAt)) {
		return DeliveryHealth{}, r.lastSuccess
	}
	if r.cause == CauseFailing && r.failures < failingAfter {
		return DeliveryHealth{}, r.lastSuccess
	}
	detail := r.lastErr
	if r.cause == CauseFailing {
		detail = fmt.Sprintf("%d sends in a row failed; last error: %s", r.failures, r.lastErr)
	}
	return DeliveryHealth{Status: DeliveryUnavailable, Cause: r.cause, Detail: detail, Since: r.failingSince}, r.lastSuccess
}

// Health reports whether orgID's notifications can be delivered now. It
// combines, in this order:
//
//   - the stored integration: without the credentials and a bot
//     (Integration.Configured) nothing can be sent: unavailable,
//     CauseNoIntegration, naming what is missing;
//   - this process's sends for the organization since it last changed: a
//     refused credential (token error, 401), secrets that cannot be opened
//     with the secret key, or ErrNotConfigured make it unavailable at once; other failures after failingAfter sends in a row
//     fail (CauseFailing). One success clears either;
//   - the outbox, which all replicas share: the oldest pending message has
//     failed failingAfter attempts or more and this process has sent
//     nothing for the organization since it was queued (CauseFailing,
//     Since its creation) — so a replica that made no send itself still
//     sees an outage the others meet. Health uses the verdict of the last
//     outbox scan, which Run makes every HealthInterval and
//     UndeliverableOrganizations at each call;
//   - a bot without a secret: degraded (messages go out, callbacks are
//     refused), CauseNoBotSecret.
//
// The first check-in after credentials break is stored and sent before
// the failure is known; Health reports it once that send has failed. An
// organization that does not exist is reception.ErrNotFound.
func (s *Service) Health(ctx context.Context, orgID string) (DeliveryHealth, error) {
	org, err := s.store.GetOrganization(ctx, orgID)
	if err != nil {
		return DeliveryHealth{OrgID: orgID}, err
	}
	h, err := s.healthOf(ctx, org, false)
	h.OrgID = orgID
	if err == nil {
		s.reportTransition(h)
	}
	return h, err
}

// healthOf computes org's health. With scan it reads the head of the
// organization's outbox and remembers the verdict; without, it uses the
// verdict of the last scan, so that a check-in never pays for a scan.
func (s *Service) healthOf(ctx context.Context, org *reception.Organization, scan bool) (DeliveryHealth, error) {
	if missing := missingSettings(&org.Integration); len(missing) > 0 {
		return DeliveryHealth{Status: DeliveryUnavailable, Cause: CauseNoIntegration,
			Detail: "no LINE WORKS integration: missing " + strings.Join(missing, ", ")}, nil
	}
	h, lastSuccess := s.remembered(org)
	if h.Status != "" {
		return h, nil
	}
	stuck, err := s.stuckOutbox(ctx, org.ID, scan)
	if err != nil {
		return DeliveryHealth{}, err
	}
	if stuck.Status != "" && !lastSuccess.After(stuck.Since) {
		return stuck, nil
	}
	if !org.Integration.Stored.Has(reception.SecretBotSecret) && org.Integration.BotSecret == "" {
		return DeliveryHealth{Status: DeliveryDegraded, Cause: CauseNoBotSecret,
			Detail: "the bot has no secret: LINE WORKS callbacks (room joins, staff taps) are refused"}, nil
	}
	return DeliveryHealth{Status: DeliveryOK}, nil
}

// stuckOutbox returns CauseFailing when the oldest pending message of the
// organization has failed failingAfter attempts or more, and a zero
// DeliveryHealth otherwise. The query walks the organization's outbox, so
// only scans (the health loop, /readyz, metric scrapes) run it; other
// callers get the last scan's verdict.
func (s *Service) stuckOutbox(ctx context.Context, orgID string, scan bool) (DeliveryHealth, error) {
	hs := &s.health
	if !scan {
		hs.mu.Lock()
		defer hs.mu.Unlock()
		return hs.stuck[orgID], nil
	}
	oldest, err := s.store.ListOutbox(ctx, orgID, reception.OutboxFilter{State: reception.OutboxPending, Limit: 1})
	if err != nil {
		return DeliveryHealth{}, err
	}
	var h DeliveryHealth
	if len(oldest) == 1 && oldest[0].LastError != "" && oldest[0].Attempts >= failingAfter {
		e := oldest[0]
		h = DeliveryHealth{Status: DeliveryUnavailable, Cause: CauseFailing, Since: e.CreatedAt,
			Detail: fmt.Sprintf("a message queued at %s is still undelivered after %d attempts; last error: %s",
				e.CreatedAt.In(s.location()).Format("2006-01-02 15:04"), e.Attempts, e.LastError)}
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.stuck == nil {
		hs.stuck = map[string]DeliveryHealth{}
	}
	hs.stuck[orgID] = h
	return h, nil
}

// missingSettings names what an integration lacks to send messages, in
// the words of the admin page.
func missingSettings(in *reception.Integration) []string {
	have := in.Present()
	if in.Redacted {
		have |= in.Stored
	}
	var out []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"Client ID", in.ClientID != ""},
		{"Client Secret", have.Has(reception.SecretClientSecret)},
		{"Service Account", in.ServiceAccountID != ""},
		{"Private Key", have.Has(reception.SecretPrivateKey)},
		{"bot (Bot ID)", in.BotID != 0},
	} {
		if !f.ok {
			out = append(out, f.name)
		}
	}
	return out
}

// UndeliverableOrganizations returns the health of every organization that
// is not DeliveryOK (unavailable or degraded), ordered by ID, and logs
// each organization whose health changed. It reads every organization and
// scans its outbox: meant for /readyz, metric scrapes and Run's health loop,
// not for every request.
func (s *Service) UndeliverableOrganizations(ctx context.Context) ([]DeliveryHealth, error) {
	orgs, err := s.store.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	var out []DeliveryHealth
	for _, o := range orgs {
		h, err := s.healthOf(ctx, o, true)
		if err != nil {
			return nil, err
		}
		h.OrgID = o.ID
		s.reportTransition(h)
		if h.Status != DeliveryOK {
			out = append(out, h)
		}
	}
	return out, nil
}

// reportTransition logs an organization's health when its status or cause
// changed since the last report of this process: once per transition, not
// per check-in, with the organization and the cause named.
func (s *Service) reportTransition(h DeliveryHealth) {
	hs := &s.health
	hs.mu.Lock()
	if hs.reported == nil {
		hs.reported = map[string]DeliveryHealth{}
	}
	prev, seen := hs.reported[h.OrgID]
	hs.reported[h.OrgID] = h
	hs.mu.Unlock()
	if seen && prev.Status == h.Status && prev.Cause == h.Cause {
		return
	}
	switch {
	case h.Status == DeliveryUnavailable && h.Cause == CauseNoIntegration:
		// An organization being set up: expected, but still named.
		s.log.Warn("organization cannot deliver notifications yet; kiosks show its fallback text", "org", h.OrgID, "cause", string(h.Cause), "detail", h.Detail)
	case h.Status == DeliveryUnavailable:
		s.log.Error("organization cannot deliver notifications; kiosks show its fallback text", "org", h.OrgID, "cause", string(h.Cause), "detail", h.Detail)
	case h.Status == DeliveryDegraded:
		s.log.Warn("organization's LINE WORKS callbacks are refused", "org", h.OrgID, "cause", string(h.Cause), "detail", h.Detail)
	case seen:
		s.log.Info("organization delivers notifications again", "org", h.OrgID, "was", string(prev.Cause))
	}
}

// HealthInterval is how often Run checks every organization's health
// (UndeliverableOrganizations): it refreshes the outbox verdict Health
// uses and logs an organization that became undeliverable even when no
// check-in or scrape asks.
const HealthInterval = 30 * time.Second

func (s *Service) runHealth(ctx context.Context) {
	for {
		if _, err := s.UndeliverableOrganizations(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("checking the organizations' delivery health", "err", err)
		}
		if !wait(ctx, HealthInterval, nil) {
			return
		}
	}
}
