package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// queue is reception.QueueDriver over one map of entries; the changes to an
// entry are reception's (reception.QueueEntry).
type queue[E reception.QueueEntry[E]] struct {
	d     *driver
	kind  string
	items func(*state) map[string]E
	// done is called with a completed entry's notified event, if any.
	done func(st *state, e E, ev *reception.VisitEvent)
}

func (q *queue[E]) Get(_ context.Context, id string) (E, error) {
	return locked(q.d, func(st *state) (E, error) {
		e, ok := q.items(st)[id]
		if !ok {
			return e, notFound(q.kind, id)
		}
		return e.Clone(), nil
	})
}

func (q *queue[E]) Lease(_ context.Context, owner string, n int, until, now time.Time) ([]E, error) {
	return locked(q.d, func(st *state) ([]E, error) {
		var due []E
		for _, e := range q.items(st) {
			if e.LeasableAt(now) {
				due = append(due, e)
			}
		}
		slices.SortFunc(due, func(a, b E) int { return a.LeaseOrder(b) })
		due = due[:min(n, len(due))]
		for i, e := range due {
			e.Lease(owner, until)
			due[i] = e.Clone()
		}
		return due, nil
	})
}

func (q *queue[E]) Settle(_ context.Context, id, owner string, s reception.Settlement) (bool, error) {
	return locked(q.d, func(st *state) (bool, error) {
		e, ok := q.items(st)[id]
		if !ok || !e.LeasedBy(owner) {
			return false, nil
		}
		e.Settle(s)
		if s.Notified != nil && q.done != nil {
			q.done(st, e, s.Notified)
		}
		st.addNew(s.Then)
		return true, nil
	})
}

func (q *queue[E]) Release(_ context.Context, owner string) (int, error) {
	return locked(q.d, func(st *state) (int, error) {
		n := 0
		for _, e := range q.items(st) {
			if e.LeasedBy(owner) {
				e.Release()
				n++
			}
		}
		return n, nil
	})
}

// outbox is the outbox queue.
type outbox struct{ queue[*reception.OutboxEntry] }

func (d *driver) Outbox() reception.OutboxDriver {
	return &outbox{queue[*reception.OutboxEntry]{d, "outbox entry", func(st *state) map[string]*reception.OutboxEntry { return st.outbox }, notified}}
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
		slices.SortFunc(out, reception.OldestEntryFirst)
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
	return &inbox{queue[*reception.InboxEntry]{d, "inbox entry", func(st *state) map[string]*reception.InboxEntry { return st.inbox }, nil}}
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
