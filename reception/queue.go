package reception

import (
	"cmp"
	"time"
)

// QueueEntry is what *OutboxEntry and *InboxEntry share as entries of a
// queue: the rules of QueueDriver as changes of one entry in memory. Drivers
// that keep entries as Go values (memstore, the minimal driver of this
// package's tests) apply them, so that the rules are written once; SQL
// drivers write the same changes in SQL.
type QueueEntry[E any] interface {
	// Clone returns a deep copy.
	Clone() E
	// LeasableAt reports whether Lease may take the entry at now: pending,
	// due, and not leased or its lease lapsed.
	LeasableAt(now time.Time) bool
	// LeaseOrder compares the entry with another in the order Lease takes
	// them: NextAttemptAt, then CreatedAt or ReceivedAt, then ID.
	LeaseOrder(other E) int
	// Lease leases the entry to owner until until, counting an attempt.
	Lease(owner string, until time.Time)
	// LeasedBy reports whether the entry is pending and leased by owner, a
	// non-empty owner (a lapsed lease nobody took is still owner's).
	LeasedBy(owner string) bool
	// Settle ends the lease as s says (s.Notified is the driver's).
	Settle(s Settlement)
	// Release ends the lease and gives its attempt back.
	Release()
	// PurgeableBefore reports whether the retention purge deletes the
	// entry: done or dead, and created (outbox) or received (inbox) before
	// before.
	PurgeableBefore(before time.Time) bool
}

var (
	_ QueueEntry[*OutboxEntry] = (*OutboxEntry)(nil)
	_ QueueEntry[*InboxEntry]  = (*InboxEntry)(nil)
)

// LeasableAt implements QueueEntry.
func (e *OutboxEntry) LeasableAt(now time.Time) bool {
	return e.State == OutboxPending && Leasable(e.NextAttemptAt, e.LeaseOwner, e.LeaseExpiresAt, now)
}

// PurgeableBefore implements QueueEntry.
func (e *OutboxEntry) PurgeableBefore(before time.Time) bool {
	return e.State != OutboxPending && e.CreatedAt.Before(before)
}

// PurgeableBefore implements QueueEntry.
func (e *InboxEntry) PurgeableBefore(before time.Time) bool {
	return e.State != InboxPending && e.ReceivedAt.Before(before)
}

// LeaseOrder implements QueueEntry.
func (e *OutboxEntry) LeaseOrder(o *OutboxEntry) int {
	return cmp.Or(e.NextAttemptAt.Compare(o.NextAttemptAt), e.CreatedAt.Compare(o.CreatedAt), cmp.Compare(e.ID, o.ID))
}

// Lease implements QueueEntry.
func (e *OutboxEntry) Lease(owner string, until time.Time) {
	e.Attempts, e.LeaseOwner, e.LeaseExpiresAt = e.Attempts+1, owner, until
}

// LeasedBy implements QueueEntry.
func (e *OutboxEntry) LeasedBy(owner string) bool {
	return e.State == OutboxPending && owner != "" && e.LeaseOwner == owner
}

// Settle implements QueueEntry: Done sets SentAt, Dead and Uncertain set
// DeadAt.
func (e *OutboxEntry) Settle(s Settlement) {
	var state string
	state, e.NextAttemptAt, e.Attempts, e.LastError = settled(s, e.NextAttemptAt, e.Attempts, e.LastError, "sent")
	e.State, e.LeaseOwner, e.LeaseExpiresAt = OutboxState(state), "", time.Time{}
	switch s.Outcome {
	case Done:
		e.SentAt = s.At
	case Dead:
		e.DeadAt = s.At
	case Uncertain:
		e.State, e.DeadAt = OutboxUncertain, s.At
	}
}

// Release implements QueueEntry.
func (e *OutboxEntry) Release() {
	e.Attempts, e.LeaseOwner, e.LeaseExpiresAt = max(e.Attempts-1, 0), "", time.Time{}
}

// LeasableAt implements QueueEntry.
func (e *InboxEntry) LeasableAt(now time.Time) bool {
	return e.State == InboxPending && Leasable(e.NextAttemptAt, e.LeaseOwner, e.LeaseExpiresAt, now)
}

// LeaseOrder implements QueueEntry.
func (e *InboxEntry) LeaseOrder(o *InboxEntry) int {
	return cmp.Or(e.NextAttemptAt.Compare(o.NextAttemptAt), e.ReceivedAt.Compare(o.ReceivedAt), cmp.Compare(e.ID, o.ID))
}

// Lease implements QueueEntry.
func (e *InboxEntry) Lease(owner string, until time.Time) {
	e.Attempts, e.LeaseOwner, e.LeaseExpiresAt = e.Attempts+1, owner, until
}

// LeasedBy implements QueueEntry.
func (e *InboxEntry) LeasedBy(owner string) bool {
	return e.State == InboxPending && owner != "" && e.LeaseOwner == owner
}

// Settle implements QueueEntry: Done and Dead set ProcessedAt.
func (e *InboxEntry) Settle(s Settlement) {
	var state string
	state, e.NextAttemptAt, e.Attempts, e.LastError = settled(s, e.NextAttemptAt, e.Attempts, e.LastError, "done")
	e.State, e.LeaseOwner, e.LeaseExpiresAt = InboxState(state), "", time.Time{}
	if s.Outcome == Done || s.Outcome == Dead {
		e.ProcessedAt = s.At
	}
}

// Release implements QueueEntry.
func (e *InboxEntry) Release() {
	e.Attempts, e.LeaseOwner, e.LeaseExpiresAt = max(e.Attempts-1, 0), "", time.Time{}
}

// settled returns the state, NextAttemptAt, Attempts and LastError of an
// entry after s, given them before; done is the queue's done state.
func settled(s Settlement, next time.Time, attempts int, lastErr, done string) (string, time.Time, int, string) {
	switch s.Outcome {
	case Done:
		return done, next, attempts, lastErr
	case Dead, Uncertain:
		return "dead", next, attempts, s.LastError
	case Postpone:
		return "pending", s.At, max(attempts-1, 0), s.LastError
	}
	return "pending", s.At, attempts, s.LastError
}
