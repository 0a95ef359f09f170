package memstore

import (
	"context"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// Purge implements reception.Driver. One process holds the data, and the
// lock makes a batch atomic, so no purge is ever busy.
func (d *driver) Purge(_ context.Context, before time.Time, limit int) (reception.PurgeResult, error) {
	return locked(d, func(st *state) (reception.PurgeResult, error) {
		var r reception.PurgeResult
		for k, v := range st.visits {
			if r.Visits == limit {
				break
			}
			if v.CreatedAt.Before(before) && v.HasPersonalData() {
				c := v.Clone()
				c.ErasePersonalData()
				st.visits[k] = c
				r.Visits++
			}
		}
		for k, a := range st.appts {
			if r.Appointments == limit {
				break
			}
			if a.ValidUntil.Before(before) && a.HasPersonalData() {
				c := a.Clone()
				c.ErasePersonalData()
				st.appts[k] = c
				r.Appointments++
			}
		}
		for id, e := range st.outbox {
			if r.Outbox == limit {
				break
			}
			if e.PurgeableBefore(before) {
				st.dropOutbox(id)
				r.Outbox++
			}
		}
		for id, e := range st.inbox {
			if r.Inbox == limit {
				break
			}
			if e.PurgeableBefore(before) {
				delete(st.inbox, id)
				delete(st.inboxBy, inboxKey{e.BotID, e.Hash})
				r.Inbox++
			}
		}
		return r, nil
	})
}

// dropOutbox deletes an outbox entry with its dedupe key.
func (st *state) dropOutbox(id string) {
	if e := st.outbox[id]; e != nil {
		delete(st.outbox, id)
		delete(st.dedupe, key{e.OrgID, e.DedupeKey})
	}
}

// dropVisitOutbox deletes every outbox entry of a visit.
func (st *state) dropVisitOutbox(orgID, visitID string) {
	for id, e := range st.outbox {
		if e.OrgID == orgID && e.VisitID == visitID {
			st.dropOutbox(id)
		}
	}
}
