package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// EventKind is what happened to a visit, as the host application hears it.
type EventKind string

// The kinds of events. Each is reported once a store committed it.
const (
	// EventCheckedIn: the visit was stored with its notifications; with
	// AppointmentID set when the visitor checked in with a reception code.
	EventCheckedIn EventKind = "checked_in"
	// EventDelivered: one notification (Target) reached LINE WORKS.
	EventDelivered EventKind = "delivered"
	// EventGivenUp: one notification was given up on (rejected by LINE
	// WORKS, or out of attempts); Error says why.
	EventGivenUp EventKind = "given_up"
	// EventUncertain: with AtMostOnce, a notification failed ambiguously —
	// LINE WORKS may or may not have posted it — and is not sent again;
	// Error says why. Never reported with AtLeastOnce.
	EventUncertain EventKind = "uncertain"
	// EventAccepted: UserID tapped 「対応します」 and handles the visit.
	EventAccepted EventKind = "accepted"
	// EventEscalated: UserID asked for help (「他の人に対応を依頼」); with
	// HandedBack, UserID was the handler and handed the visit back.
	EventEscalated EventKind = "escalated"
	// EventReminded: nobody answered, and reminder number Reminder went
	// out.
	EventReminded EventKind = "reminded"
)

// Event is one thing that happened to a visit, for the host application.
type Event struct {
	// ID identifies the event; a repeated delivery of the same event has
	// the same ID, so a handler can tell repeats apart.
	ID string `json:"id"`
	// Kind is what happened.
	Kind EventKind `json:"kind"`
	// OrgID and VisitID name the visit.
	OrgID   string `json:"orgId"`
	VisitID string `json:"visitId"`
	// Reference is the visit's CheckInRequest.Reference, the
	// application's own reference; empty when none was given.
	Reference string `json:"reference,omitempty"`
	// At is when it happened (the service's clock).
	At time.Time `json:"at"`
	// UserID is the LINE WORKS user who accepted or escalated.
	UserID string `json:"userId,omitempty"`
	// HandedBack is set on an escalation by the visit's handler.
	HandedBack bool `json:"handedBack,omitempty"`
	// Target is the notification of a delivered, given-up or uncertain
	// event: "room <channel ID>" or "user <user ID>".
	Target string `json:"target,omitempty"`
	// Error is why a notification was given up on or is uncertain.
	Error string `json:"error,omitempty"`
	// Reminder is the number of a reminded event's reminder, from 1.
	Reminder int `json:"reminder,omitempty"`
	// AppointmentID is the appointment of a checked-in event whose
	// visitor checked in with a reception code (CheckInRequest.Code).
	AppointmentID string `json:"appointmentId,omitempty"`
}

// EventHandler receives the events of visits (see WithEventHandler). An
// error, or a call still running when the lease's time is up, makes it be
// called again with the same event, with the delivery backoff, until it
// returns nil; so it must be idempotent (Event.ID).
type EventHandler func(ctx context.Context, ev Event) error

// ErrNoEventHandler is the delivery error of an event leased by a Service
// without an event handler (one replica configured differently from the
// others): the event waits, like a message of an organization whose
// integration is incomplete, for a replica that has one.
var ErrNoEventHandler = errors.New("notify: an event for the host application, and no event handler")

// WithEventHandler makes the service report every visit event to h (the
// default is none, and then no events are queued). Events are queued in
// the outbox in the same transaction as what they report — a check-in, a
// claim's announcements, a reminder, a delivery's outcome — and the
// dispatcher calls h like it sends messages: at least once, after the
// store committed the change, retried with backoff until h returns nil,
// never given up on. Events are not ordered, not even those of one visit
// (a retried event comes after later ones): order them by Event.At. Every replica sharing
// the store must set the same handler.
func WithEventHandler(h EventHandler) Option {
	return func(s *settings) error {
		if h == nil {
			return invalid("WithEventHandler(nil)", "no handler")
		}
		s.onEvent = h
		return nil
	}
}

// eventTarget is where event entries go.
var eventTarget = reception.Target{Kind: reception.TargetApp, ID: "events"}

// eventEntry returns the outbox entry of ev, or nil when no handler is
// set. The event's ID is the entry's dedupe key, derived from its cause,
// so that a repeated cause queues it once.
func (s *Service) eventEntry(ev Event) *reception.OutboxEntry {
	if s.onEvent == nil {
		return nil
	}
	ev.ID = "visit/" + ev.VisitID + "/event/" + ev.ID
	raw, err := json.Marshal(ev)
	if err != nil {
		return nil // an Event always marshals
	}
	return s.entry(ev.OrgID, ev.VisitID, eventTarget, raw, ev.ID)
}

// enqueueEvent stores ev's entry on its own; a used key means an earlier
// attempt at the same cause queued it.
func (s *Service) enqueueEvent(ctx context.Context, ev Event) error {
	e := s.eventEntry(ev)
	if e == nil {
		return nil
	}
	err := s.store.EnqueueOutbox(ctx, e)
	if errors.Is(err, reception.ErrConflict) {
		return nil
	}
	if err == nil {
		kick(s.kickOutbox)
	}
	return err
}

// outcomeEvent returns, as the entries to enqueue with a message's
// outcome, the event reporting it: delivered, given up or uncertain. A
// message of no visit (a room's ID posted after a join), or an event
// itself, reports nothing.
func (s *Service) outcomeEvent(e *reception.OutboxEntry, kind EventKind, at time.Time, errText string) []*reception.OutboxEntry {
	if e.Target.Kind == reception.TargetApp || e.VisitID == "" {
		return nil
	}
	x := s.eventEntry(Event{ID: string(kind) + "/" + e.ID, Kind: kind, OrgID: e.OrgID, VisitID: e.VisitID, At: at,
		Target: string(e.Target.Kind) + " " + e.Target.ID, Error: errText})
	if x == nil {
		return nil
	}
	return []*reception.OutboxEntry{x}
}

// handleEvent calls the event handler with the event of an app entry, its
// Reference read from the visit as it stands (a visit deleted since has
// none).
func (s *Service) handleEvent(ctx context.Context, e *reception.OutboxEntry) error {
	if s.onEvent == nil {
		return ErrNoEventHandler
	}
	var ev Event
	if err := json.Unmarshal(e.Content, &ev); err != nil {
		return fmt.Errorf("notify: event entry %s: %w", e.ID, err)
	}
	if ev.VisitID != "" {
		v, err := s.store.GetVisit(ctx, e.OrgID, ev.VisitID)
		switch {
		case err == nil:
			ev.Reference = v.Reference
		case !errors.Is(err, reception.ErrNotFound):
			return err
		}
	}
	return s.onEvent(ctx, ev)
}

// handedBack reports whether the escalation recorded with note (or, when
// it is not recorded yet, one by userID now) came from the visit's handler.
func handedBack(v *reception.Visit, note, userID string) bool {
	handler := ""
	for _, ev := range v.Events {
		switch ev.Kind {
		case reception.EventAccepted:
			handler = ev.ActorUserID
		case reception.EventEscalated:
			if ev.Note == note {
				return handler == ev.ActorUserID
			}
			handler = ""
		}
	}
	return v.Status == reception.StatusAccepted && v.HandlerUserID == userID
}

// DeliveryMode is what the dispatcher does after an ambiguous failure: a
// send whose answer was lost, or a 500, 502 or 504, after which LINE WORKS
// may have posted the message.
type DeliveryMode int

const (
	// AtLeastOnce sends the message again (the default): a visitor's
	// notification is never lost to an ambiguous failure, and may be
	// posted twice. At a reception desk a lost notification is the worse
	// failure.
	AtLeastOnce DeliveryMode = iota
	// AtMostOnce never sends a message again after an ambiguous failure:
	// the entry is marked uncertain (reception.OutboxUncertain) and, with
	// an event handler, reported as EventUncertain, for the application to
	// check. Unambiguous failures (429, 503, 401, a connection never made)
	// are still retried. A lease that lapsed without a recorded outcome (a
	// crashed process, a send that never started in time) counts as
	// ambiguous too: its entry is marked uncertain, not sent.
	AtMostOnce
)

// WithDeliveryMode chooses between AtLeastOnce (the default) and
// AtMostOnce; see DeliveryMode. It applies to LINE WORKS messages; events
// for the host application are always delivered at least once.
func WithDeliveryMode(m DeliveryMode) Option {
	return func(s *settings) error {
		if m != AtLeastOnce && m != AtMostOnce {
			return invalid(fmt.Sprintf("WithDeliveryMode(%d)", m), "unknown mode")
		}
		s.mode = m
		return nil
	}
}

// errUnrecorded is the error of an entry leased again, with AtMostOnce,
// after a lease whose outcome was never recorded: it may have been sent.
var errUnrecorded = errors.New("notify: an earlier attempt's outcome was never recorded; it may have been sent")

// notSentError is a send that failed before the message was posted:
// reading the organization, connecting.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// ambiguous reports failures after which LINE WORKS may have posted the
// message: 500, 502, 504, an earlier attempt never recorded, and transport
// failures of the message's request other than a connection never made
// (see lineworks.Retryable). Failures before the request (the token, the
// organization) are not.
func ambiguous(err error) bool {
	if errors.Is(err, errUnrecorded) {
		return true
	}
	var ns *notSentError
	var te *lineworks.TokenError
	if errors.As(err, &ns) || errors.As(err, &te) {
		return false
	}
	var ae *lineworks.APIError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return !permanent(err) && !lineworks.Retryable(&http.Request{Method: http.MethodPost}, nil, err)
}
