package reception

import (
	"context"
	"fmt"
	"time"
)

// normVisit normalizes the times of a visit about to be stored (see
// normTime).
func normVisit(v *Visit) {
	v.HandledAt, v.NextReminderAt, v.CreatedAt = normTime(v.HandledAt), normTime(v.NextReminderAt), normTime(v.CreatedAt)
	for i := range v.Events {
		v.Events[i].At = normTime(v.Events[i].At)
	}
}

// newEntries returns copies of new outbox entries, normalized, due at
// CreatedAt where no NextAttemptAt was given.
func newEntries(entries []*OutboxEntry) []*OutboxEntry {
	out := make([]*OutboxEntry, len(entries))
	for i, e := range entries {
		c := e.Clone()
		if c.NextAttemptAt.IsZero() {
			c.NextAttemptAt = c.CreatedAt
		}
		c.NextAttemptAt, c.CreatedAt, c.LeaseExpiresAt = normTime(c.NextAttemptAt), normTime(c.CreatedAt), normTime(c.LeaseExpiresAt)
		out[i] = c
	}
	return out
}

// CheckIn implements Store: the checked_in event is made here.
func (s *store) CheckIn(ctx context.Context, v *Visit, entries []*OutboxEntry) error {
	if err := ValidateCheckIn(v, entries); err != nil {
		return err
	}
	if err := s.live(ctx); err != nil {
		return err
	}
	c := v.Clone()
	normVisit(c)
	c.Events = []VisitEvent{{Kind: EventCheckedIn, At: c.CreatedAt}}
	return s.createVisit(ctx, c, newEntries(entries))
}

// GetVisit implements Store.
func (s *store) GetVisit(ctx context.Context, orgID, id string) (*Visit, error) {
	return get(ctx, s, func() (*Visit, error) { return s.d.GetVisit(ctx, orgID, id) })
}

// ListVisits implements Store.
func (s *store) ListVisits(ctx context.Context, orgID string, f VisitFilter) ([]*Visit, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	f.From, f.To = normTime(f.From), normTime(f.To)
	return get(ctx, s, func() ([]*Visit, error) { return s.d.ListVisits(ctx, orgID, f) })
}

// ListDueReminders implements Store.
func (s *store) ListDueReminders(ctx context.Context, now time.Time, limit int) ([]*Visit, error) {
	if limit <= 0 {
		return nil, &FieldError{Field: "Limit", Msg: "must be positive"}
	}
	return get(ctx, s, func() ([]*Visit, error) { return s.d.ListDueReminders(ctx, normTime(now), limit) })
}

// ClaimVisit implements Store.
func (s *store) ClaimVisit(ctx context.Context, orgID, visitID, userID string, at time.Time) (*Visit, error) {
	return s.update(ctx, "claim", orgID, visitID, nil, func(v *Visit) error {
		_, err := v.Claim(userID, at)
		return err
	})
}

// AppendVisitEvent implements Store.
func (s *store) AppendVisitEvent(ctx context.Context, orgID, visitID string, e VisitEvent) (*Visit, error) {
	return s.update(ctx, "record event of", orgID, visitID, nil, func(v *Visit) error { return v.Apply(e) })
}

// RecordReminder implements Store.
func (s *store) RecordReminder(ctx context.Context, orgID, visitID string, r *Reminder) (*Visit, error) {
	if r == nil {
		return nil, required("Reminder")
	}
	if err := r.Validate(orgID, visitID); err != nil {
		return nil, err
	}
	return s.update(ctx, "record reminder of", orgID, visitID, newEntries(r.Entries), func(v *Visit) error { return v.Remind(r) })
}

// EraseVisit implements Store.
func (s *store) EraseVisit(ctx context.Context, orgID, visitID, actorUserID string, at time.Time, note string) (*Visit, error) {
	return s.update(ctx, "erase", orgID, visitID, nil, func(v *Visit) error {
		_, err := v.Erase(actorUserID, at, note)
		return err
	})
}

// PurgeBatch is the most rows of each kind one batch of Store.Purge
// changes: small enough that a batch holds SQLite's one writer, or
// PostgreSQL's row locks, for milliseconds, not seconds.
const PurgeBatch = 500

// Purge implements Store: batches until one leaves less than a full batch
// of every kind, or another process is purging.
func (s *store) Purge(ctx context.Context, before time.Time) (PurgeResult, error) {
	var total PurgeResult
	if before.IsZero() {
		return total, required("Before")
	}
	before = normTime(before)
	for {
		if err := s.live(ctx); err != nil {
			return total, err
		}
		r, err := s.d.Purge(ctx, before, PurgeBatch)
		if err != nil {
			return total, fmt.Errorf("%s: purge: %w", s.name, err)
		}
		total.add(r)
		if r.Busy || max(r.Visits, r.Appointments, r.Outbox, r.Inbox) < PurgeBatch {
			return total, nil
		}
	}
}

// update runs one state-machine method (apply) on the stored visit under
// the driver's lock, and hands the driver what changed: the visit's state,
// the events apply inserted (found by a diff, since apply may insert an
// event before others of a later time), and entries to enqueue with it. A
// visit apply left as it was is not written. The errors of apply (a
// *ClaimConflictError, say) come back as they are; the driver's are
// wrapped with what was being done (op, e.g. "claim").
func (s *store) update(ctx context.Context, op, orgID, visitID string, entries []*OutboxEntry, apply func(v *Visit) error) (*Visit, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	var out *Visit
	var refused error
	err := s.d.UpdateVisit(ctx, orgID, visitID, func(v *Visit) (*VisitChange, error) {
		before := v.Clone()
		if refused = apply(v); refused != nil {
			return nil, refused
		}
		normVisit(v)
		out = v.Clone()
		added := addedEvents(before.Events, v.Events)
		if len(added) == 0 && len(entries) == 0 && !stateChanged(before, v) {
			return nil, nil
		}
		// Erasing personal data also drops the messages that carry it.
		drop := before.HasPersonalData() && !v.HasPersonalData()
		return &VisitChange{Visit: v, Events: added, Entries: entries, DropEntries: drop}, nil
	})
	switch {
	case err != nil && err == refused:
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%s: %s visit %s: %w", s.name, op, visitID, err)
	}
	return out, nil
}

// stateChanged reports whether the fields VisitChange stores differ between
// a and b (a postponed reminder moves NextReminderAt and records no event).
func stateChanged(a, b *Visit) bool {
	return a.Status != b.Status || a.HandlerUserID != b.HandlerUserID || !a.HandledAt.Equal(b.HandledAt) ||
		a.Reminders != b.Reminders || !a.NextReminderAt.Equal(b.NextReminderAt) ||
		a.VisitorName != b.VisitorName || a.Company != b.Company || a.Note != b.Note
}

// addedEvents returns the events of after that are not in before, in
// order; after is before with events inserted, as the state machine leaves
// it, so one merge walk finds them.
func addedEvents(before, after []VisitEvent) []VisitEvent {
	var added []VisitEvent
	j := 0
	for _, e := range after {
		if j < len(before) && sameEvent(before[j], e) {
			j++
			continue
		}
		added = append(added, e)
	}
	return added
}

func sameEvent(a, b VisitEvent) bool {
	return a.Kind == b.Kind && a.At.Equal(b.At) && a.ActorUserID == b.ActorUserID && a.Note == b.Note
}
