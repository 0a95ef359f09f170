package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// CreateAppointment implements reception.AppointmentDriver: the lock makes
// the code check and the insert one step.
func (d *driver) CreateAppointment(_ context.Context, a *reception.Appointment, entries []*reception.OutboxEntry) error {
	_, err := locked(d, func(st *state) (any, error) {
		if err := st.needOrg(a.OrgID); err != nil {
			return nil, err
		}
		if _, dup := st.appts[key{a.OrgID, a.ID}]; dup {
			return nil, conflict("appointment %q exists", a.ID)
		}
		for k, o := range st.appts {
			if k.org == a.OrgID && o.Code == a.Code && o.Live(a.CreatedAt) {
				return nil, fmt.Errorf("memstore: appointment %q: %w", a.ID, reception.ErrCodeInUse)
			}
		}
		if err := st.checkOutbox(entries); err != nil {
			return nil, err
		}
		st.appts[key{a.OrgID, a.ID}] = a
		st.addOutbox(entries)
		return nil, nil
	})
	return err
}

func (d *driver) GetAppointment(_ context.Context, orgID, id string) (*reception.Appointment, error) {
	return locked(d, func(st *state) (*reception.Appointment, error) {
		if a := st.appts[key{orgID, id}]; a != nil {
			return a.Clone(), nil
		}
		return nil, notFound("appointment", id)
	})
}

// pickAppointments returns copies of the appointments passing keep,
// ordered, at most limit of them (0: all).
func (d *driver) pickAppointments(keep func(*reception.Appointment) bool, order func(a, b *reception.Appointment) int, limit int) ([]*reception.Appointment, error) {
	return locked(d, func(st *state) ([]*reception.Appointment, error) {
		var out []*reception.Appointment
		for _, a := range st.appts {
			if keep(a) {
				out = append(out, a.Clone())
			}
		}
		slices.SortFunc(out, order)
		if limit > 0 && len(out) > limit {
			out = out[:limit]
		}
		return out, nil
	})
}

func (d *driver) ListAppointmentsByCode(_ context.Context, orgID, code string) ([]*reception.Appointment, error) {
	return d.pickAppointments(func(a *reception.Appointment) bool { return a.OrgID == orgID && a.Code == code },
		reception.EarliestAppointmentFirst, 0)
}

func (d *driver) ListAppointments(_ context.Context, orgID string, f reception.AppointmentFilter) ([]*reception.Appointment, error) {
	return d.pickAppointments(func(a *reception.Appointment) bool { return a.OrgID == orgID && f.Match(a) },
		reception.EarliestAppointmentFirst, f.Limit)
}

func (d *driver) ListDueAppointments(_ context.Context, now time.Time, limit int) ([]*reception.Appointment, error) {
	return d.pickAppointments(func(a *reception.Appointment) bool { return a.ReminderDue(now) },
		reception.EarliestAppointmentReminderFirst, limit)
}

// UpdateAppointment implements reception.AppointmentDriver: the lock is
// held from the read to the write.
func (d *driver) UpdateAppointment(_ context.Context, orgID, id string, change func(*reception.Appointment) (*reception.AppointmentChange, error)) error {
	_, err := locked(d, func(st *state) (any, error) {
		k := key{orgID, id}
		cur := st.appts[k]
		if cur == nil {
			return nil, notFound("appointment", id)
		}
		c, err := change(cur.Clone())
		if err != nil || c == nil {
			return nil, err
		}
		if err := st.checkOutbox(c.Entries); err != nil {
			return nil, err
		}
		st.appts[k] = c.Appointment
		st.addOutbox(c.Entries)
		return nil, nil
	})
	return err
}
