package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// checkOutbox checks new entries' IDs and dedupe keys against the store
// and each other, before anything is written, so that a conflict leaves
// nothing behind.
func (st *state) checkOutbox(entries []*reception.OutboxEntry) error {
	ids, keys := map[string]bool{}, map[key]bool{}
	for _, e := range entries {
		k := key{e.OrgID, e.DedupeKey}
		if _, dup := st.outbox[e.ID]; dup || ids[e.ID] {
			return conflict("outbox entry %q exists", e.ID)
		}
		if _, dup := st.dedupe[k]; dup || keys[k] {
			return conflict("dedupe key %q is used", e.DedupeKey)
		}
		ids[e.ID], keys[k] = true, true
	}
	return nil
}

// addNew adds the entries whose ID and dedupe key are free, skipping the
// others (Settlement.Then).
func (st *state) addNew(entries []*reception.OutboxEntry) {
	for _, e := range entries {
		if st.checkOutbox([]*reception.OutboxEntry{e}) == nil {
			st.addOutbox([]*reception.OutboxEntry{e})
		}
	}
}

func (st *state) addOutbox(entries []*reception.OutboxEntry) {
	for _, e := range entries {
		st.outbox[e.ID] = e
		st.dedupe[key{e.OrgID, e.DedupeKey}] = e.ID
	}
}

func (d *driver) CreateVisit(_ context.Context, v *reception.Visit, entries []*reception.OutboxEntry) error {
	_, err := locked(d, func(st *state) (any, error) {
		if err := st.checkVisit(v, entries, nil); err != nil {
			return nil, err
		}
		st.visits[key{v.OrgID, v.ID}] = v
		st.addOutbox(entries)
		return nil, nil
	})
	return err
}

func (d *driver) GetVisit(_ context.Context, orgID, id string) (*reception.Visit, error) {
	return locked(d, func(st *state) (*reception.Visit, error) {
		if v := st.visits[key{orgID, id}]; v != nil {
			return v.Clone(), nil
		}
		return nil, notFound("visit", id)
	})
}

// pick returns copies of the visits passing keep, ordered, at most limit
// of them (0: all).
func (d *driver) pick(keep func(*reception.Visit) bool, order func(a, b *reception.Visit) int, limit int) ([]*reception.Visit, error) {
	return locked(d, func(st *state) ([]*reception.Visit, error) {
		var out []*reception.Visit
		for _, v := range st.visits {
			if keep(v) {
				out = append(out, v)
			}
		}
		slices.SortFunc(out, order)
		if limit > 0 && len(out) > limit {
			out = out[:limit]
		}
		for i, v := range out {
			out[i] = v.Clone()
		}
		return out, nil
	})
}

func (d *driver) ListVisits(_ context.Context, orgID string, f reception.VisitFilter) ([]*reception.Visit, error) {
	return d.pick(func(v *reception.Visit) bool { return v.OrgID == orgID && f.Match(v) },
		func(a, b *reception.Visit) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
		}, f.Limit)
}

func (d *driver) ListDueReminders(_ context.Context, now time.Time, limit int) ([]*reception.Visit, error) {
	return d.pick(func(v *reception.Visit) bool { return v.ReminderDue(now) }, reception.EarliestReminderFirst, limit)
}

// UpdateVisit implements reception.VisitDriver: the lock is held from the
// read to the write, and the change replaces the stored visit only if it
// can all be written.
func (d *driver) UpdateVisit(_ context.Context, orgID, id string, change func(*reception.Visit) (*reception.VisitChange, error)) error {
	_, err := locked(d, func(st *state) (any, error) {
		k := key{orgID, id}
		cur := st.visits[k]
		if cur == nil {
			return nil, notFound("visit", id)
		}
		c, err := change(cur.Clone())
		if err != nil || c == nil {
			return nil, err
		}
		if err := st.checkOutbox(c.Entries); err != nil {
			return nil, err
		}
		if c.DropEntries {
			st.dropVisitOutbox(orgID, id)
		}
		st.visits[k] = c.Visit
		st.addOutbox(c.Entries)
		return nil, nil
	})
	return err
}
