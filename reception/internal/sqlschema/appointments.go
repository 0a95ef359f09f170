package sqlschema

import (
	"encoding/json"
	"fmt"

	"github.com/uketsuke/uketsuke/reception"
)

// AppointmentCols are the columns of the appointments table that hold an
// Appointment, in the order both SQL drivers read and write them. The
// table's reminder_due_at column, which only indexes ListDueAppointments,
// is written beside them and never read.
const AppointmentCols = `org_id, id, code, host_staff_ids, visitors, party_size, title, room, starts_at,
	valid_from, valid_until, period, status, arrivals, arrived_at, last_visit_id, host_reminder_at,
	visitor_reminder_at, created_by, created_at, updated_at`

// visitorJSON is an AppointmentVisitor in the visitors column, a JSON
// array. Empty fields are left out, so an erased visitor is {} and a
// column without a '"' holds no personal data: the purge finds the rows
// to erase by that, and erases them in SQL by replacing each element with
// {}.
type visitorJSON struct {
	Company string `json:"company,omitempty"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
}

// EncodeAppointmentLists returns the JSON of the host_staff_ids and
// visitors columns of a. pkg starts the error's message.
func EncodeAppointmentLists(a *reception.Appointment, pkg string) (hosts, visitors string, err error) {
	vs := make([]visitorJSON, len(a.Visitors))
	for i, v := range a.Visitors {
		vs[i] = visitorJSON(v)
	}
	h, err := json.Marshal(a.HostStaffIDs)
	if err != nil {
		return "", "", fmt.Errorf("%s: encoding the hosts of appointment %q: %w", pkg, a.ID, err)
	}
	v, err := json.Marshal(vs)
	if err != nil {
		return "", "", fmt.Errorf("%s: encoding the visitors of appointment %q: %w", pkg, a.ID, err)
	}
	return string(h), string(v), nil
}

// DecodeAppointmentLists sets a.HostStaffIDs and a.Visitors from the JSON
// of their columns. pkg starts the error's message.
func DecodeAppointmentLists(a *reception.Appointment, hosts, visitors, pkg string) error {
	var vs []visitorJSON
	if err := json.Unmarshal([]byte(hosts), &a.HostStaffIDs); err != nil {
		return fmt.Errorf("%s: decoding the hosts of appointment %q: %w", pkg, a.ID, err)
	}
	if err := json.Unmarshal([]byte(visitors), &vs); err != nil {
		return fmt.Errorf("%s: decoding the visitors of appointment %q: %w", pkg, a.ID, err)
	}
	a.Visitors = make([]reception.AppointmentVisitor, len(vs))
	for i, v := range vs {
		a.Visitors[i] = reception.AppointmentVisitor(v)
	}
	return nil
}
