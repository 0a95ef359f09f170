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
//     appointment to the same host is being sent: that step may have
//     passed its check before the cancel. A step not yet leased, or leased
//     by this service but not yet checked, is not waited for: it will be
//     dropped. This service's own steps are waited for in-process
//     (startStep), so the notice follows the moment the step settles; a
//     step leased by another replica is waited for by handing the notice
//     back for a backoff, and the dispatcher wakes when that is over
//     (wakeAt), not at the next poll.

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
		if !s.awaitOwnSteps(ctx, e, id) {
			return s.now().Add(s.baseBackoff), false, "waits for the appointment's message being sent", nil
		}
		pending, err := s.store.ListOutbox(ctx, e.OrgID, reception.OutboxFilter{State: reception.OutboxPending})
		if err != nil {
			return until, false, "", err
		}
		now := s.now()
		for _, p := range pending {
			pid, pkind, ok := apptKey(p.DedupeKey)
			// This service's own leased steps that are not being sent
			// (awaitOwnSteps) have not been checked yet: they will be
			// dropped.
			if !ok || pid != id || !isCodeSequence(pkind) || p.Target != e.Target || p.ID == e.ID ||
				p.LeaseOwner == "" || p.LeaseOwner == s.owner || !p.LeaseExpiresAt.After(now) {
				continue
			}
			return now.Add(s.baseBackoff), false, "waits for the appointment's message being sent by another dispatcher", nil
		}
	}
	return until, false, "", nil
}

// stepKey names an appointment's messages to one target, for startStep.
func stepKey(apptID string, to reception.Target) string {
	return apptID + "\x00" + string(to.Kind) + "\x00" + to.ID
}

// startAppointmentStep registers e as being sent when it is a code
// sequence step to a user; the function returned (nil otherwise) settles
// it once its outcome is recorded.
func (s *Service) startAppointmentStep(e *reception.OutboxEntry) func() {
	id, kind, ok := apptKey(e.DedupeKey)
	if !ok || !isCodeSequence(kind) || e.Target.Kind != reception.TargetUser {
		return nil
	}
	return s.startStep(stepKey(id, e.Target), e.ID)
}

// awaitOwnSteps waits, for cancel notice e of appointment id, until no
// code sequence step of id to e's target is being sent by this service.
// Such a step is on the wire already (it holds its own delivery slot), so
// waiting cannot hold it up. It reports false when e's lease would not
// leave time to send after the wait; e is then handed back.
func (s *Service) awaitOwnSteps(ctx context.Context, e *reception.OutboxEntry, id string) bool {
	key := stepKey(id, e.Target)
	for {
		done := s.stepBeingSent(key, e.ID)
		if done == nil {
			return true
		}
		window, ok := s.sendWindow(e)
		if !ok {
			return false
		}
		s.log.Debug("appointment message waits for the step being sent", "org", e.OrgID, "entry", e.ID, "key", e.DedupeKey)
		t := time.NewTimer(window / 2)
		select {
		case <-done:
			t.Stop()
		case <-t.C:
			return false
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
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
			return true
		}
		s.wakeAt(until)
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
