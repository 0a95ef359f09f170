package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// slot is the queue bookkeeping that outbox and inbox entries share, seen
// through one entry, so that leasing, lease checks and release are written
// once for both queues.
type slot struct {
	state    string    // the entry's State
	due      time.Time // NextAttemptAt
	born     time.Time // CreatedAt or ReceivedAt: the order after due
	id       string
	owner    *string
	expires  *time.Time
	attempts *int
}

func (q slot) pending() bool { return q.state == "pending" }

func outboxSlot(e *reception.OutboxEntry) slot {
	return slot{string(e.State), e.NextAttemptAt, e.CreatedAt, e.ID, &e.LeaseOwner, &e.LeaseExpiresAt, &e.Attempts}
}

func inboxSlot(e *reception.InboxEntry) slot {
	return slot{string(e.State), e.NextAttemptAt, e.ReceivedAt, e.ID, &e.LeaseOwner, &e.LeaseExpiresAt, &e.Attempts}
}

// lease leases to owner up to n pending items that are due at now and not
// leased (or whose lease lapsed), oldest due first, then oldest born, then
// by ID, and returns copies of them. Caller holds the lock.
func lease[E any](items map[string]*E, slotOf func(*E) slot, clone func(*E) *E, owner string, n int, leaseFor time.Duration, now time.Time) []*E {
	var due []*E
	for _, e := range items {
		if q := slotOf(e); q.pending() && reception.Leasable(q.due, *q.owner, *q.expires, now) {
			due = append(due, e)
		}
	}
	slices.SortFunc(due, func(a, b *E) int {
		p, q := slotOf(a), slotOf(b)
		return cmp.Or(p.due.Compare(q.due), p.born.Compare(q.born), cmp.Compare(p.id, q.id))
	})
	if len(due) > n {
		due = due[:n]
	}
	expires := utc(now.Add(leaseFor))
	for i, e := range due {
		q := slotOf(e)
		*q.attempts++
		*q.owner, *q.expires = owner, expires
		due[i] = clone(e)
	}
	return due
}

// leasedOp runs fn on the pending item id leased by owner and ends the
// lease, under the lock.
func leasedOp[E any](ctx context.Context, s *Store, items map[string]*E, slotOf func(*E) slot, kind, id, owner string, fn func(*E)) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.st.mu.Unlock()
	e := items[id]
	if e == nil {
		return notFound(kind, id)
	}
	switch q := slotOf(e); {
	case !q.pending():
		return conflict("%s %q is %s", kind, id, q.state)
	case owner == "" || *q.owner != owner:
		return conflict("%s %q is not leased by %q", kind, id, owner)
	}
	fn(e)
	q := slotOf(e)
	*q.owner, *q.expires = "", time.Time{}
	return nil
}

// release ends every lease held by owner, taking back the attempt each
// lease counted, and returns the number released.
func release[E any](ctx context.Context, s *Store, items map[string]*E, slotOf func(*E) slot, owner string) (int, error) {
	if owner == "" {
		return 0, &reception.FieldError{Field: "Owner", Msg: "is required"}
	}
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.st.mu.Unlock()
	n := 0
	for _, e := range items {
		if q := slotOf(e); q.pending() && *q.owner == owner {
			*q.owner, *q.expires = "", time.Time{}
			*q.attempts = max(*q.attempts-1, 0)
			n++
		}
	}
	return n, nil
}
