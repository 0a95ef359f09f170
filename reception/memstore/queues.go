package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// EnqueueOutbox implements reception.Store.
func (s *Store) EnqueueOutbox(ctx context.Context, e *reception.OutboxEntry) error {
	if e == nil {
		return &reception.FieldError{Field: "Entry", Msg: "is required"}
	}
	if err := e.ValidateNew(); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.st.mu.Unlock()
	if err := s.needOrg(e.OrgID); err != nil {
		return err
	}
	out, err := s.newOutbox([]*reception.OutboxEntry{e})
	if err != nil {
		return err
	}
	s.addOutbox(out)
	return nil
}

// LeaseOutbox implements reception.Store.
func (s *Store) LeaseOutbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*reception.OutboxEntry, error) {
	if err := reception.ValidateLease(owner, n, leaseFor, now); err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	return lease(s.st.outbox, outboxSlot, (*reception.OutboxEntry).Clone, owner, n, leaseFor, now), nil
}

func (s *Store) outboxOp(ctx context.Context, id, owner string, fn func(e *reception.OutboxEntry)) error {
	return leasedOp(ctx, s, s.st.outbox, outboxSlot, "outbox entry", id, owner, fn)
}

// CompleteOutbox implements reception.Store. The notified event is applied
// to a copy of the visit under the same lock, and the copy kept only if
// Apply accepts it.
func (s *Store) CompleteOutbox(ctx context.Context, id, owner string, sentAt time.Time, notified *reception.VisitEvent) error {
	if sentAt.IsZero() {
		return &reception.FieldError{Field: "SentAt", Msg: "is required"}
	}
	if notified != nil && notified.Kind != reception.EventNotified {
		return &reception.FieldError{Field: "Notified.Kind", Msg: fmt.Sprintf("must be %q, not %q", reception.EventNotified, notified.Kind)}
	}
	return s.outboxOp(ctx, id, owner, func(e *reception.OutboxEntry) {
		e.State, e.SentAt = reception.OutboxSent, utc(sentAt)
		if notified == nil || e.VisitID == "" {
			return
		}
		k := key{e.OrgID, e.VisitID}
		if cur := s.st.visits[k]; cur != nil {
			v := cur.Clone()
			if v.Apply(*notified) == nil {
				normVisit(v)
				s.st.visits[k] = v
			}
		}
	})
}

// RetryOutbox implements reception.Store.
func (s *Store) RetryOutbox(ctx context.Context, id, owner string, nextAttempt time.Time, lastErr string) error {
	if nextAttempt.IsZero() {
		return &reception.FieldError{Field: "NextAttempt", Msg: "is required"}
	}
	return s.outboxOp(ctx, id, owner, func(e *reception.OutboxEntry) {
		e.NextAttemptAt, e.LastError = utc(nextAttempt), lastErr
	})
}

// PostponeOutbox implements reception.Store.
func (s *Store) PostponeOutbox(ctx context.Context, id, owner string, until time.Time, reason string) error {
	if until.IsZero() {
		return &reception.FieldError{Field: "Until", Msg: "is required"}
	}
	return s.outboxOp(ctx, id, owner, func(e *reception.OutboxEntry) {
		e.NextAttemptAt, e.LastError, e.Attempts = utc(until), reason, max(e.Attempts-1, 0)
	})
}

// DeadOutbox implements reception.Store.
func (s *Store) DeadOutbox(ctx context.Context, id, owner, lastErr string) error {
	return s.outboxOp(ctx, id, owner, func(e *reception.OutboxEntry) {
		e.State, e.LastError = reception.OutboxDead, lastErr
	})
}

// ReleaseOutbox implements reception.Store.
func (s *Store) ReleaseOutbox(ctx context.Context, owner string) (int, error) {
	return release(ctx, s, s.st.outbox, outboxSlot, owner)
}

// ListOutbox implements reception.Store.
func (s *Store) ListOutbox(ctx context.Context, orgID string, f reception.OutboxFilter) ([]*reception.OutboxEntry, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	var out []*reception.OutboxEntry
	for _, e := range s.st.outbox {
		if e.OrgID == orgID && f.Match(e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *reception.OutboxEntry) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i, e := range out {
		out[i] = e.Clone()
	}
	return out, nil
}

// InsertInbox implements reception.Store.
func (s *Store) InsertInbox(ctx context.Context, e *reception.InboxEntry) (bool, error) {
	if e == nil {
		return false, &reception.FieldError{Field: "Entry", Msg: "is required"}
	}
	if err := e.ValidateNew(); err != nil {
		return false, err
	}
	if err := s.lock(ctx); err != nil {
		return false, err
	}
	defer s.st.mu.Unlock()
	k := inboxKey{e.BotID, e.Hash}
	if _, dup := s.st.inboxBy[k]; dup {
		return false, nil
	}
	if _, dup := s.st.inbox[e.ID]; dup {
		return false, conflict("inbox entry %q exists", e.ID)
	}
	c := e.Clone()
	if c.NextAttemptAt.IsZero() {
		c.NextAttemptAt = c.ReceivedAt
	}
	c.NextAttemptAt, c.ReceivedAt = utc(c.NextAttemptAt), utc(c.ReceivedAt)
	s.st.inbox[e.ID] = c
	s.st.inboxBy[k] = e.ID
	return true, nil
}

// GetInbox implements reception.Store.
func (s *Store) GetInbox(ctx context.Context, id string) (*reception.InboxEntry, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	e := s.st.inbox[id]
	if e == nil {
		return nil, notFound("inbox entry", id)
	}
	return e.Clone(), nil
}

// LeaseInbox implements reception.Store.
func (s *Store) LeaseInbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*reception.InboxEntry, error) {
	if err := reception.ValidateLease(owner, n, leaseFor, now); err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	return lease(s.st.inbox, inboxSlot, (*reception.InboxEntry).Clone, owner, n, leaseFor, now), nil
}

func (s *Store) inboxOp(ctx context.Context, id, owner string, fn func(e *reception.InboxEntry)) error {
	return leasedOp(ctx, s, s.st.inbox, inboxSlot, "inbox entry", id, owner, fn)
}

// CompleteInbox implements reception.Store.
func (s *Store) CompleteInbox(ctx context.Context, id, owner string, at time.Time) error {
	if at.IsZero() {
		return &reception.FieldError{Field: "At", Msg: "is required"}
	}
	return s.inboxOp(ctx, id, owner, func(e *reception.InboxEntry) {
		e.State, e.ProcessedAt = reception.InboxDone, utc(at)
	})
}

// FailInbox implements reception.Store.
func (s *Store) FailInbox(ctx context.Context, id, owner string, nextAttempt time.Time, lastErr string) error {
	if nextAttempt.IsZero() {
		return &reception.FieldError{Field: "NextAttempt", Msg: "is required"}
	}
	return s.inboxOp(ctx, id, owner, func(e *reception.InboxEntry) {
		e.NextAttemptAt, e.LastError = utc(nextAttempt), lastErr
	})
}

// DeadInbox implements reception.Store.
func (s *Store) DeadInbox(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	if at.IsZero() {
		return &reception.FieldError{Field: "At", Msg: "is required"}
	}
	return s.inboxOp(ctx, id, owner, func(e *reception.InboxEntry) {
		e.State, e.ProcessedAt, e.LastError = reception.InboxDead, utc(at), lastErr
	})
}

// ReleaseInbox implements reception.Store.
func (s *Store) ReleaseInbox(ctx context.Context, owner string) (int, error) {
	return release(ctx, s, s.st.inbox, inboxSlot, owner)
}

// Close implements reception.Store. The data stays with any other Store
// sharing it (see the tests), as a database outlives one connection pool.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}
