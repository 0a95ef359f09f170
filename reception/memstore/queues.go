package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// slot is the queue bookkeeping of one entry, seen through pointers into
// it, so that the queue is written once for outbox and inbox entries.
type slot struct {
	pending        bool
	born           time.Time // CreatedAt or ReceivedAt: the order after due
	id             string
	due            *time.Time
	owner, lastErr *string
	expires        *time.Time
	attempts       *int
	finish         func(dead bool, at time.Time)
}

func outboxSlot(e *reception.OutboxEntry) slot {
	return slot{e.State == reception.OutboxPending, e.CreatedAt, e.ID, &e.NextAttemptAt, &e.LeaseOwner, &e.LastError,
		&e.LeaseExpiresAt, &e.Attempts, func(dead bool, at time.Time) {
			if dead {
				e.State, e.DeadAt = reception.OutboxDead, at
			} else {
				e.State, e.SentAt = reception.OutboxSent, at
			}
		}}
}

func inboxSlot(e *reception.InboxEntry) slot {
	return slot{e.State == reception.InboxPending, e.ReceivedAt, e.ID, &e.NextAttemptAt, &e.LeaseOwner, &e.LastError,
		&e.LeaseExpiresAt, &e.Attempts, func(dead bool, at time.Time) {
			e.State, e.ProcessedAt = reception.InboxDone, at
			if dead {
				e.State = reception.InboxDead
			}
		}}
}

// queue is reception.QueueDriver over one map of entries.
type queue[E any] struct {
	d     *driver
	kind  string
	items func(*state) map[string]E
	slot  func(E) slot
	clone func(E) E
	// done is called with a completed entry's notified event, if any.
	done func(st *state, e E, ev *reception.VisitEvent)
}

func (q *queue[E]) Get(_ context.Context, id string) (E, error) {
	return locked(q.d, func(st *state) (E, error) {
		e, ok := q.items(st)[id]
		if !ok {
			return e, notFound(q.kind, id)
		}
		return q.clone(e), nil
	})
}

func (q *queue[E]) Lease(_ context.Context, owner string, n int, until, now time.Time) ([]E, error) {
	return locked(q.d, func(st *state) ([]E, error) {
		var due []E
		for _, e := range q.items(st) {
			if s := q.slot(e); s.pending && reception.Leasable(*s.due, *s.owner, *s.expires, now) {
				due = append(due, e)
			}
		}
		slices.SortFunc(due, func(a, b E) int {
			p, r := q.slot(a), q.slot(b)
			return cmp.Or(p.due.Compare(*r.due), p.born.Compare(r.born), cmp.Compare(p.id, r.id))
		})
		due = due[:min(n, len(due))]
		for i, e := range due {
			s := q.slot(e)
			*s.attempts++
			*s.owner, *s.expires = owner, until
			due[i] = q.clone(e)
		}
		return due, nil
	})
}

func (q *queue[E]) Settle(_ context.Context, id, owner string, st reception.Settlement) (bool, error) {
	return locked(q.d, func(data *state) (bool, error) {
		e, ok := q.items(data)[id]
		if !ok {
			return false, nil
		}
		s := q.slot(e)
		if !s.pending || *s.owner != owner {
			return false, nil
		}
		switch st.Outcome {
		case reception.Done, reception.Dead:
			s.finish(st.Outcome == reception.Dead, st.At)
		case reception.Postpone:
			*s.attempts = max(*s.attempts-1, 0)
		}
		if st.Outcome != reception.Done {
			*s.lastErr = st.LastError
		}
		if st.Outcome == reception.Retry || st.Outcome == reception.Postpone {
			*s.due = st.At
		}
		*s.owner, *s.expires = "", time.Time{}
		if st.Notified != nil && q.done != nil {
			q.done(data, e, st.Notified)
		}
		return true, nil
	})
}

func (q *queue[E]) Release(_ context.Context, owner string) (int, error) {
	return locked(q.d, func(st *state) (int, error) {
		n := 0
		for _, e := range q.items(st) {
			if s := q.slot(e); s.pending && *s.owner == owner {
				*s.owner, *s.expires = "", time.Time{}
				*s.attempts = max(*s.attempts-1, 0)
				n++
			}
		}
		return n, nil
	})
}

// outbox is the outbox queue.
type outbox struct{ queue[*reception.OutboxEntry] }

func (d *driver) Outbox() reception.OutboxDriver {
	return &outbox{queue[*reception.OutboxEntry]{d, "outbox entry", func(st *state) map[string]*reception.OutboxEntry { return st.outbox },
		outboxSlot, (*reception.OutboxEntry).Clone, notified}}
}

// notified appends a completed entry's event to its visit, if it exists.
func notified(st *state, e *reception.OutboxEntry, ev *reception.VisitEvent) {
	k := key{e.OrgID, e.VisitID}
	if v := st.visits[k]; v != nil && e.VisitID != "" {
		c := v.Clone()
		if c.Apply(*ev) == nil {
			st.visits[k] = c
		}
	}
}

func (o *outbox) Enqueue(_ context.Context, e *reception.OutboxEntry) error {
	_, err := locked(o.d, func(st *state) (any, error) {
		if err := st.needOrg(e.OrgID); err != nil {
			return nil, err
		}
		if err := st.checkOutbox([]*reception.OutboxEntry{e}); err != nil {
			return nil, err
		}
		st.addOutbox([]*reception.OutboxEntry{e})
		return nil, nil
	})
	return err
}

func (o *outbox) List(_ context.Context, orgID string, f reception.OutboxFilter) ([]*reception.OutboxEntry, error) {
	return locked(o.d, func(st *state) ([]*reception.OutboxEntry, error) {
		var out []*reception.OutboxEntry
		for _, e := range st.outbox {
			if e.OrgID == orgID && f.Match(e) {
				out = append(out, e)
			}
		}
		slices.SortFunc(out, func(a, b *reception.OutboxEntry) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
		if f.Limit > 0 {
			out = out[:min(f.Limit, len(out))]
		}
		for i, e := range out {
			out[i] = e.Clone()
		}
		return out, nil
	})
}

// inbox is the inbox queue.
type inbox struct{ queue[*reception.InboxEntry] }

func (d *driver) Inbox() reception.InboxDriver {
	return &inbox{queue[*reception.InboxEntry]{d, "inbox entry", func(st *state) map[string]*reception.InboxEntry { return st.inbox },
		inboxSlot, (*reception.InboxEntry).Clone, nil}}
}

func (in *inbox) Insert(_ context.Context, e *reception.InboxEntry) (bool, error) {
	return locked(in.d, func(st *state) (bool, error) {
		k := inboxKey{e.BotID, e.Hash}
		if _, dup := st.inboxBy[k]; dup {
			return false, nil
		}
		if _, dup := st.inbox[e.ID]; dup {
			return false, conflict("inbox entry %q exists", e.ID)
		}
		st.inbox[e.ID], st.inboxBy[k] = e, e.ID
		return true, nil
	})
}
