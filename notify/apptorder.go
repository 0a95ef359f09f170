package notify

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// An appointment's messages to a host are ordered: the code sequences
// (created, changed: the code, its QR image, the forward text) and then,
// if it is cancelled, the cancel notice. The dispatcher sends entries
// concurrently, so apptGate holds the order at send time:
//
//   - a step of a code sequence of a cancelled appointment is not sent
//     (never a code that no longer works): it is dropped, and the rest of
//     its sequence with it;
//   - a cancel notice waits while a code sequence step of the same
//     appointment to the same host is being sent (leased): that step may
//     have passed its check before the cancel. A step not yet leased is
//     not waited for: it will be dropped.

// apptKey splits an appointment message's dedupe key
// ("appointment/<id>/<kind>/…") into the appointment and the kind.
func apptKey(key string) (id, kind string, ok bool) {
	rest, ok := strings.CutPrefix(key, "appointment/")
	if !ok {
		return "", "", false
	}
	id, rest, ok = strings.Cut(rest, "/")
	if !ok {
		return "", "", false
	}
	kind, _, _ = strings.Cut(rest, "/")
	return id, kind, true
}

func isCodeSequence(kind string) bool { return kind == "created" || kind == "changed" }

// apptGate tells whether e is to wait, and until when (a cancel notice
// behind a code sequence step being sent), or to be dropped (a code
// sequence step of a cancelled appointment), with the reason.
func (s *Service) apptGate(ctx context.Context, e *reception.OutboxEntry) (until time.Time, drop bool, reason string, err error) {
	id, kind, ok := apptKey(e.DedupeKey)
	if !ok || e.Target.Kind != reception.TargetUser {
		return until, false, "", nil
	}
	switch {
	case isCodeSequence(kind):
		a, err := s.store.GetAppointment(ctx, e.OrgID, id)
		if errors.Is(err, reception.ErrNotFound) {
			return until, true, "not sent: the appointment is gone", nil
		}
		if err != nil {
			return until, false, "", err
		}
		if a.Status == reception.AppointmentCancelled {
			return until, true, "not sent: the appointment was cancelled", nil
		}
	case kind == "cancelled":
		pending, err := s.store.ListOutbox(ctx, e.OrgID, reception.OutboxFilter{State: reception.OutboxPending})
		if err != nil {
			return until, false, "", err
		}
		now := s.now()
		for _, p := range pending {
			pid, pkind, ok := apptKey(p.DedupeKey)
			if !ok || pid != id || !isCodeSequence(pkind) || p.Target != e.Target || p.ID == e.ID ||
				p.LeaseOwner == "" || !p.LeaseExpiresAt.After(now) {
				continue
			}
			// A send of this service ends before its next lease; another
			// dispatcher's is waited for a backoff.
			until = now
			if p.LeaseOwner != s.owner {
				until = now.Add(s.baseBackoff)
			}
			return until, false, "waits for the appointment's message being sent", nil
		}
	}
	return until, false, "", nil
}

// gateAppointment applies apptGate to a leased e; it reports whether e was
// handled (handed back or dropped) and must not be sent now.
func (s *Service) gateAppointment(ctx context.Context, e *reception.OutboxEntry) bool {
	until, drop, reason, err := s.apptGate(ctx, e)
	if err != nil {
		// Unsure: hand it back unattempted rather than send out of order.
		until, reason = s.now().Add(s.baseBackoff), "checking the appointment's order: "+errorText(err)
	}
	if until.IsZero() && !drop {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := s.now()
	log := s.log.With("org", e.OrgID, "entry", e.ID, "key", e.DedupeKey)
	if !until.IsZero() {
		if perr := s.store.PostponeOutbox(ctx, e.ID, s.owner, until, reason); perr != nil {
			log.Error("handing a message back to the outbox", "err", perr)
		}
		log.Debug("appointment message waits", "reason", reason)
		return true
	}
	if derr := s.store.DeadOutbox(ctx, e.ID, s.owner, now, reason); derr != nil {
		log.Error("dropping a message", "err", derr)
		return true
	}
	log.Info("appointment message dropped", "reason", reason)
	return true
}
