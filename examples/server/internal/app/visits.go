package app

import (
	"cmp"
	"context"

	"github.com/uketsuke/uketsuke/reception"
)

// Visit is a stored visit with the names people read: the button's label
// and the handler's name, and the appointment it was checked in with.
type Visit struct {
	*reception.Visit
	Button, Handler string
	// Appointment is the visit's appointment (Visit.AppointmentID), nil
	// for a visit without one or when it cannot be read.
	Appointment *reception.Appointment
	// Hosts are the names of the appointment's hosts.
	Hosts []string
}

// Visits lists the visits of an organization matching f, with names. The
// caller has read the organization (Org): it checks the filter, which it
// reads from its own input, after that.
func (a *App) Visits(ctx context.Context, orgID string, f reception.VisitFilter) ([]Visit, error) {
	visits, err := a.Store.ListVisits(ctx, orgID, f)
	if err != nil {
		return nil, err
	}
	// Names are a convenience: a visit list without them is still right.
	labels, names, staffNames := map[string]string{}, map[string]string{}, map[string]string{}
	if bs, err := a.Store.ListButtons(ctx, orgID); err == nil {
		for _, b := range bs {
			labels[b.ID] = b.Label
		}
	}
	if ss, err := a.Store.ListStaff(ctx, orgID); err == nil {
		for _, s := range ss {
			names[s.UserID], staffNames[s.ID] = s.Name, s.Name
		}
	}
	appts := map[string]*reception.Appointment{}
	out := make([]Visit, 0, len(visits))
	for _, v := range visits {
		vv := Visit{Visit: v, Button: labels[v.ButtonID], Handler: a.handlerName(ctx, orgID, v.HandlerUserID, names)}
		if id := v.AppointmentID; id != "" {
			ap, seen := appts[id]
			if !seen {
				ap, _ = a.Store.GetAppointment(ctx, orgID, id)
				appts[id] = ap
			}
			vv.Appointment = ap
			if ap != nil {
				for _, h := range ap.HostStaffIDs {
					vv.Hosts = append(vv.Hosts, cmp.Or(staffNames[h], h))
				}
			}
		}
		out = append(out, vv)
	}
	return out, nil
}

// handlerName is the name of the staff member who is the LINE WORKS user
// userID, from names (user ID → name) or, for staff registered by login
// e-mail, asked of Notify once per listing (the answer, even none, is kept
// in names); "" when none is known.
func (a *App) handlerName(ctx context.Context, orgID, userID string, names map[string]string) string {
	if userID == "" {
		return ""
	}
	if n, ok := names[userID]; ok || a.Notify == nil {
		return n
	}
	var n string
	if st, err := a.Notify.StaffForUser(ctx, orgID, userID); err == nil && st != nil {
		n = st.Name
	}
	names[userID] = n
	return n
}
