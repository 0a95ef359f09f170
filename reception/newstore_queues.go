package reception

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// stateOf returns an entry's State, for explaining a lease that was not
// the caller's.
func stateOf(e any) string {
	switch x := e.(type) {
	case *OutboxEntry:
		return string(x.State)
	case *InboxEntry:
		return string(x.State)
	}
	return ""
}

// lease validates a lease, asks the driver for it, and orders what it got
// (a driver may return leased entries in any order, as SQL's RETURNING
// does): oldest due first, then oldest, then by ID.
func lease[E QueueEntry[E]](ctx context.Context, s *store, q QueueDriver[E], owner string, n int, leaseFor time.Duration, now time.Time) ([]E, error) {
	if err := ValidateLease(owner, n, leaseFor, now); err != nil {
		return nil, err
	}
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	out, err := q.Lease(ctx, owner, n, normTime(now.Add(leaseFor)), normTime(now))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b E) int { return a.LeaseOrder(b) })
	return out, nil
}

// settle ends owner's lease of entry id as st says, st.At being the
// argument named field, and when the driver finds no such lease, explains
// why from the entry as it stands: none (ErrNotFound), not pending, or
// another owner's (ErrConflict). An empty owner never holds a lease: it is
// what an unleased entry has.
func settle[E any](ctx context.Context, s *store, q QueueDriver[E], kind, id, owner, field string, st Settlement) error {
	if st.At.IsZero() {
		return required(field)
	}
	st.At = normTime(st.At)
	if err := s.live(ctx); err != nil {
		return err
	}
	if owner != "" {
		if ok, err := q.Settle(ctx, id, owner, st); err != nil || ok {
			return err
		}
	}
	e, err := q.Get(ctx, id)
	if err != nil {
		return err
	}
	if state := stateOf(e); state != "pending" {
		return s.conflict("%s %q is %s", kind, id, state)
	}
	return s.conflict("%s %q is not leased by %q", kind, id, owner)
}

func release[E any](ctx context.Context, s *store, q QueueDriver[E], owner string) (int, error) {
	if owner == "" {
		return 0, required("Owner")
	}
	if err := s.live(ctx); err != nil {
		return 0, err
	}
	return q.Release(ctx, owner)
}

// ---- outbox

// EnqueueOutbox implements Store.
func (s *store) EnqueueOutbox(ctx context.Context, e *OutboxEntry) error {
	if e == nil {
		return required("Entry")
	}
	if err := e.ValidateNew(); err != nil {
		return err
	}
	if err := s.live(ctx); err != nil {
		return err
	}
	return s.out.Enqueue(ctx, newEntries([]*OutboxEntry{e})[0])
}

// LeaseOutbox implements Store.
func (s *store) LeaseOutbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*OutboxEntry, error) {
	return lease(ctx, s, s.out, owner, n, leaseFor, now)
}

// CompleteOutbox implements Store. The notified event goes to the driver
// only if Visit.Apply accepts it: Apply refuses a notified event only for
// faults of the event itself (no At, a bad ActorUserID), never for the
// visit's state, so any visit tells, and the driver need not load one.
func (s *store) CompleteOutbox(ctx context.Context, id, owner string, sentAt time.Time, notified *VisitEvent, then ...*OutboxEntry) error {
	st := Settlement{Outcome: Done, At: sentAt}
	var err error
	if st.Then, err = thenEntries(then); err != nil {
		return err
	}
	if notified != nil {
		if notified.Kind != EventNotified {
			return &FieldError{Field: "Notified.Kind", Msg: fmt.Sprintf("must be %q, not %q", EventNotified, notified.Kind)}
		}
		if (&Visit{Status: StatusWaiting}).Apply(*notified) == nil {
			ev := *notified
			ev.At = normTime(ev.At)
			st.Notified = &ev
		}
	}
	return settle(ctx, s, s.out, "outbox entry", id, owner, "SentAt", st)
}

// RetryOutbox implements Store.
func (s *store) RetryOutbox(ctx context.Context, id, owner string, nextAttempt time.Time, lastErr string) error {
	return settle(ctx, s, s.out, "outbox entry", id, owner, "NextAttempt", Settlement{Outcome: Retry, At: nextAttempt, LastError: lastErr})
}

// PostponeOutbox implements Store.
func (s *store) PostponeOutbox(ctx context.Context, id, owner string, until time.Time, reason string) error {
	return settle(ctx, s, s.out, "outbox entry", id, owner, "Until", Settlement{Outcome: Postpone, At: until, LastError: reason})
}

// DeadOutbox implements Store.
func (s *store) DeadOutbox(ctx context.Context, id, owner string, at time.Time, lastErr string, then ...*OutboxEntry) error {
	return s.bury(ctx, Dead, id, owner, at, lastErr, then)
}

// UncertainOutbox implements Store.
func (s *store) UncertainOutbox(ctx context.Context, id, owner string, at time.Time, lastErr string, then ...*OutboxEntry) error {
	return s.bury(ctx, Uncertain, id, owner, at, lastErr, then)
}

// bury settles an outbox entry as dead or uncertain.
func (s *store) bury(ctx context.Context, o Outcome, id, owner string, at time.Time, lastErr string, then []*OutboxEntry) error {
	entries, err := thenEntries(then)
	if err != nil {
		return err
	}
	return settle(ctx, s, s.out, "outbox entry", id, owner, "At", Settlement{Outcome: o, At: at, LastError: lastErr, Then: entries})
}

// thenEntries validates the entries a settlement enqueues and returns
// copies as a driver takes them; the error names them "Then[i].Field".
func thenEntries(then []*OutboxEntry) ([]*OutboxEntry, error) {
	var f fieldErrs
	for i, e := range then {
		if e == nil {
			f.add("Then["+itoa(i)+"]", "is nil")
			continue
		}
		f.nest("Then["+itoa(i)+"]", e.ValidateNew())
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if len(then) == 0 {
		return nil, nil
	}
	return newEntries(then), nil
}

// ReleaseOutbox implements Store.
func (s *store) ReleaseOutbox(ctx context.Context, owner string) (int, error) {
	return release(ctx, s, s.out, owner)
}

// ListOutbox implements Store.
func (s *store) ListOutbox(ctx context.Context, orgID string, f OutboxFilter) ([]*OutboxEntry, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return get(ctx, s, func() ([]*OutboxEntry, error) { return s.out.List(ctx, orgID, f) })
}

// ---- inbox

// InsertInbox implements Store.
func (s *store) InsertInbox(ctx context.Context, e *InboxEntry) (bool, error) {
	if e == nil {
		return false, required("Entry")
	}
	if err := e.ValidateNew(); err != nil {
		return false, err
	}
	if err := s.live(ctx); err != nil {
		return false, err
	}
	c := e.Clone()
	if c.NextAttemptAt.IsZero() {
		c.NextAttemptAt = c.ReceivedAt
	}
	c.NextAttemptAt, c.ReceivedAt = normTime(c.NextAttemptAt), normTime(c.ReceivedAt)
	return s.in.Insert(ctx, c)
}

// GetInbox implements Store.
func (s *store) GetInbox(ctx context.Context, id string) (*InboxEntry, error) {
	return get(ctx, s, func() (*InboxEntry, error) { return s.in.Get(ctx, id) })
}

// LeaseInbox implements Store.
func (s *store) LeaseInbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*InboxEntry, error) {
	return lease(ctx, s, s.in, owner, n, leaseFor, now)
}

// CompleteInbox implements Store.
func (s *store) CompleteInbox(ctx context.Context, id, owner string, at time.Time) error {
	return settle(ctx, s, s.in, "inbox entry", id, owner, "At", Settlement{Outcome: Done, At: at})
}

// RetryInbox implements Store.
func (s *store) RetryInbox(ctx context.Context, id, owner string, nextAttempt time.Time, lastErr string) error {
	return settle(ctx, s, s.in, "inbox entry", id, owner, "NextAttempt", Settlement{Outcome: Retry, At: nextAttempt, LastError: lastErr})
}

// DeadInbox implements Store.
func (s *store) DeadInbox(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	return settle(ctx, s, s.in, "inbox entry", id, owner, "At", Settlement{Outcome: Dead, At: at, LastError: lastErr})
}

// ReleaseInbox implements Store.
func (s *store) ReleaseInbox(ctx context.Context, owner string) (int, error) {
	return release(ctx, s, s.in, owner)
}
