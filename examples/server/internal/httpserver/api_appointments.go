package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// Appointments in the JSON API: the admin makes, lists, changes and
// cancels them (app.AppointmentInput, app.AppointmentChange); the hosts
// are sent the code by notify.

// AppointmentJSON is an appointment in the JSON API.
type AppointmentJSON struct {
	ID string `json:"id"`
	// Code is the reception code the visitors type or show as a QR code.
	Code string `json:"code"`
	// Status is scheduled, arrived, cancelled or expired (now).
	Status string `json:"status"`
	// Hosts are the hosts' staff IDs; HostNames their names, in order.
	Hosts     []string                 `json:"hosts"`
	HostNames []string                 `json:"hostNames"`
	Visitors  []app.AppointmentVisitor `json:"visitors"`
	PartySize int                      `json:"partySize,omitempty"`
	Title     string                   `json:"title,omitempty"`
	Room      string                   `json:"room,omitempty"`
	StartsAt  time.Time                `json:"startsAt"`
	// ValidFrom and ValidUntil bound when the code works; Period codes
	// work for every arrival, until the day Until (server's time zone).
	ValidFrom   time.Time  `json:"validFrom"`
	ValidUntil  time.Time  `json:"validUntil"`
	Period      bool       `json:"period"`
	Until       string     `json:"until,omitempty"`
	Arrivals    int        `json:"arrivals"`
	ArrivedAt   *time.Time `json:"arrivedAt,omitempty"`
	LastVisitID string     `json:"lastVisitId,omitempty"`
	CreatedBy   string     `json:"createdBy"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
}

// appointmentOut is ap as the API shows it at now, its times in loc (the
// server's zone, with its offset); names are the staff names by staff ID.
func appointmentOut(ap *reception.Appointment, now time.Time, loc *time.Location, names map[string]string) AppointmentJSON {
	out := AppointmentJSON{ID: ap.ID, Code: ap.Code, Status: string(ap.StatusAt(now)), Hosts: ap.HostStaffIDs, HostNames: []string{},
		Visitors: []app.AppointmentVisitor{}, PartySize: ap.PartySize, Title: ap.Title, Room: ap.Room, StartsAt: inZone(ap.StartsAt, loc),
		ValidFrom: inZone(ap.ValidFrom, loc), ValidUntil: inZone(ap.ValidUntil, loc), Period: ap.Period, Arrivals: ap.Arrivals, LastVisitID: ap.LastVisitID,
		CreatedBy: ap.CreatedBy, CreatedAt: inZone(ap.CreatedAt, loc), UpdatedAt: inZone(ap.UpdatedAt, loc)}
	if out.Hosts == nil {
		out.Hosts = []string{}
	}
	for _, id := range ap.HostStaffIDs {
		n := names[id]
		if n == "" {
			n = id
		}
		out.HostNames = append(out.HostNames, n)
	}
	for _, v := range ap.Visitors {
		out.Visitors = append(out.Visitors, app.AppointmentVisitor{Company: v.Company, Name: v.Name, Email: v.Email})
	}
	if ap.Period {
		out.Until = ap.ValidUntil.Add(-time.Nanosecond).In(loc).Format(time.DateOnly)
	}
	if !ap.ArrivedAt.IsZero() {
		t := inZone(ap.ArrivedAt, loc)
		out.ArrivedAt = &t
	}
	return out
}

// staffNames maps an organization's staff IDs to names; empty when the
// directory cannot be read (names are a convenience).
func staffNames(ctx context.Context, a *app.App, orgID string) map[string]string {
	names := map[string]string{}
	if ss, err := a.Store.ListStaff(ctx, orgID); err == nil {
		for _, s := range ss {
			names[s.ID] = s.Name
		}
	}
	return names
}

// appointmentsOut is a list of appointments in the API's shape.
func appointmentsOut(ctx context.Context, a *app.App, orgID string, list []*reception.Appointment) []AppointmentJSON {
	names, now := staffNames(ctx, a, orgID), a.Now()
	out := make([]AppointmentJSON, 0, len(list))
	for _, ap := range list {
		out = append(out, appointmentOut(ap, now, a.Loc, names))
	}
	return out
}

func (a *api) registerAppointments(admin func(pattern string, h apiFunc)) {
	org := APIPrefix + "/orgs/{org}"
	admin("GET "+org+"/appointments", a.listAppointments)
	admin("POST "+org+"/appointments", a.createAppointment)
	admin("GET "+org+"/appointments/{id}", a.getAppointment)
	admin("PATCH "+org+"/appointments/{id}", a.patchAppointment)
	admin("POST "+org+"/appointments/{id}/cancel", a.cancelAppointment)
}

func (a *api) listAppointments(w http.ResponseWriter, r *http.Request) error {
	orgID := r.PathValue("org")
	list, err := a.app.Appointments(r.Context(), orgID, r.URL.Query().Get("when"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, appointmentsOut(r.Context(), a.app, orgID, list))
	return nil
}

// writeAppointment answers one appointment with status.
func (a *api) writeAppointment(w http.ResponseWriter, r *http.Request, status int, ap *reception.Appointment, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, status, appointmentsOut(r.Context(), a.app, ap.OrgID, []*reception.Appointment{ap})[0])
	return nil
}

// appointmentBody is POST …/appointments' body; startsAt is read apart,
// so that a time it cannot read is reported with every other error.
type appointmentBody struct {
	app.AppointmentInput
	StartsAt json.RawMessage `json:"startsAt"`
}

// changeBody is PATCH …/appointments/{id}'s body, startsAt read apart.
type changeBody struct {
	app.AppointmentChange
	StartsAt json.RawMessage `json:"startsAt,omitempty"`
}

// readStartsAt reads a body's startsAt: nil when it is absent or null,
// and ok false when it is no time.
func readStartsAt(raw json.RawMessage) (t *time.Time, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var v time.Time
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return &v, true
}

func (a *api) createAppointment(w http.ResponseWriter, r *http.Request) error {
	var body appointmentBody
	if err := decode(w, r, &body); err != nil {
		return startsAtError(err)
	}
	in := body.AppointmentInput
	t, ok := readStartsAt(body.StartsAt)
	if in.BadStartsAt = !ok; t != nil {
		in.StartsAt = *t
	}
	ap, err := a.app.CreateAppointment(r.Context(), r.PathValue("org"), in)
	if err == nil {
		w.Header().Set("Location", APIPrefix+"/orgs/"+ap.OrgID+"/appointments/"+ap.ID)
	}
	return a.writeAppointment(w, r, http.StatusCreated, ap, err)
}

func (a *api) getAppointment(w http.ResponseWriter, r *http.Request) error {
	ap, err := a.app.Appointment(r.Context(), r.PathValue("org"), r.PathValue("id"))
	return a.writeAppointment(w, r, http.StatusOK, ap, err)
}

func (a *api) patchAppointment(w http.ResponseWriter, r *http.Request) error {
	var body changeBody
	if err := decode(w, r, &body); err != nil {
		return startsAtError(err)
	}
	ch := body.AppointmentChange
	var ok bool
	ch.StartsAt, ok = readStartsAt(body.StartsAt)
	ch.BadStartsAt = !ok
	ap, err := a.app.UpdateAppointment(r.Context(), r.PathValue("org"), r.PathValue("id"), ch)
	return a.writeAppointment(w, r, http.StatusOK, ap, err)
}

func (a *api) cancelAppointment(w http.ResponseWriter, r *http.Request) error {
	ap, err := a.app.CancelAppointment(r.Context(), r.PathValue("org"), r.PathValue("id"))
	return a.writeAppointment(w, r, http.StatusOK, ap, err)
}

// startsAtError names startsAt when the body's time could not be read:
// it is the only time an appointment's body has, and encoding/json does
// not say which field a time.Time refused.
func startsAtError(err error) error {
	var pe *time.ParseError
	if msg := err.Error(); errors.As(err, &pe) || strings.Contains(msg, "parsing time") || strings.Contains(msg, "Time.UnmarshalJSON") {
		return &apiError{Status: http.StatusBadRequest, Field: "startsAt", Msg: "startsAt " + app.TimeExample,
			Fields: []fieldJSON{{Field: "startsAt", Error: app.TimeExample}}}
	}
	return err
}
