package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// AppointmentVisitor is one expected visitor as an admin enters them.
type AppointmentVisitor struct {
	Company string `json:"company,omitempty"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
}

// AppointmentInput is an appointment as an admin makes it; the JSON API
// reads POST …/appointments in this shape.
type AppointmentInput struct {
	// Hosts are the staff IDs of the hosts, told when the visitors arrive.
	Hosts    []string             `json:"hosts"`
	Visitors []AppointmentVisitor `json:"visitors"`
	// PartySize is the number of visitors when more than those named.
	PartySize int       `json:"partySize,omitempty"`
	Title     string    `json:"title,omitempty"`
	Room      string    `json:"room,omitempty"`
	StartsAt  time.Time `json:"startsAt"`
	// Until makes a period code (regular visitors): it works every day
	// from StartsAt's day to this day (YYYY-MM-DD, in the server's time
	// zone) included. Empty: the code works on StartsAt's day, once.
	Until string `json:"until,omitempty"`
	// BadStartsAt says the caller was given a start time it could not
	// read (StartsAt is then zero): it is reported with every other
	// field's error, in one pass.
	BadStartsAt bool `json:"-"`
}

// AppointmentChange is a change to an appointment (PATCH): the fields
// given replace the appointment's; the others stay.
type AppointmentChange struct {
	Hosts     *[]string             `json:"hosts,omitempty"`
	Visitors  *[]AppointmentVisitor `json:"visitors,omitempty"`
	PartySize *int                  `json:"partySize,omitempty"`
	Title     *string               `json:"title,omitempty"`
	Room      *string               `json:"room,omitempty"`
	StartsAt  *time.Time            `json:"startsAt,omitempty"`
	// Until: as in AppointmentInput; "" turns a period code back into a
	// day code.
	Until *string `json:"until,omitempty"`
	// BadStartsAt: as in AppointmentInput.
	BadStartsAt bool `json:"-"`
}

// Which appointments Appointments lists.
const (
	// WhenToday: those of today (in the server's time zone), including
	// period codes valid today.
	WhenToday = "today"
	// WhenUpcoming: those starting after today.
	WhenUpcoming = "upcoming"
)

// maxListedAppointments caps one list.
const maxListedAppointments = 1000

// periodLookBack is how far back a period appointment valid today may
// have started.
const periodLookBack = 370 * 24 * time.Hour

// Appointments lists an organization's appointments of when (WhenToday,
// WhenUpcoming, or "" for both), by start time.
func (a *App) Appointments(ctx context.Context, orgID, when string) ([]*reception.Appointment, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	now := a.Now()
	today, tomorrow := reception.DayValidity(now, a.Loc)
	f := reception.AppointmentFilter{Limit: maxListedAppointments}
	switch when {
	case WhenToday:
		f.StartsFrom, f.StartsBefore = today.Add(-periodLookBack), tomorrow
	case WhenUpcoming:
		f.StartsFrom = tomorrow
	case "":
		f.StartsFrom = today.Add(-periodLookBack)
	default:
		return nil, invalid("when", "when must be today or upcoming")
	}
	list, err := a.Store.ListAppointments(ctx, orgID, f)
	if err != nil {
		return nil, err
	}
	// Earlier days' appointments count only as period codes still valid.
	return slices.DeleteFunc(list, func(ap *reception.Appointment) bool {
		return ap.StartsAt.Before(today) && !(ap.Period && ap.ValidUntil.After(today))
	}), nil
}

// Appointment returns one appointment.
func (a *App) Appointment(ctx context.Context, orgID, id string) (*reception.Appointment, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	ap, err := a.Store.GetAppointment(ctx, orgID, id)
	if errors.Is(err, reception.ErrNotFound) {
		return nil, &Error{Code: NotFound, Field: "id", Msg: "no appointment " + id}
	}
	return ap, err
}

// CreateAppointment makes an appointment as the admin: the hosts are sent
// the code (notify).
func (a *App) CreateAppointment(ctx context.Context, orgID string, in AppointmentInput) (*reception.Appointment, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	now := a.Now()
	ap := &reception.Appointment{OrgID: orgID, Status: reception.AppointmentScheduled, CreatedBy: reception.CreatedByAdmin,
		CreatedAt: now, UpdatedAt: now}
	if err := a.applyInput(ctx, orgID, ap, in); err != nil {
		return nil, err
	}
	created, err := a.Notify.CreateAppointment(ctx, ap)
	return created, appointmentError(err)
}

// applyInput sets the fields an admin enters and checks them all at once,
// including what the appointment's own validation cannot: that the hosts
// exist. The error joins a *reception.FieldError per wrong field, named
// as in the JSON API.
func (a *App) applyInput(ctx context.Context, orgID string, ap *reception.Appointment, in AppointmentInput) error {
	ap.HostStaffIDs = trimAll(in.Hosts)
	ap.Visitors = ap.Visitors[:0]
	for _, v := range in.Visitors {
		ap.Visitors = append(ap.Visitors, reception.AppointmentVisitor{Company: strings.TrimSpace(v.Company), Name: strings.TrimSpace(v.Name), Email: strings.TrimSpace(v.Email)})
	}
	ap.PartySize, ap.Title, ap.Room = in.PartySize, strings.TrimSpace(in.Title), strings.TrimSpace(in.Room)
	ap.StartsAt = in.StartsAt
	errs := a.timeErrors(ap, in)
	errs = append(errs, enteredFieldErrors(ap)...)
	for i, id := range ap.HostStaffIDs {
		st, err := a.Store.GetStaff(ctx, orgID, id)
		field := fmt.Sprintf("hosts[%d]", i)
		switch {
		case errors.Is(err, reception.ErrNotFound) || errors.Is(err, reception.ErrInvalid):
			errs = append(errs, &reception.FieldError{Field: field, Msg: "is no staff member: " + id})
		case err != nil:
			return err
		case !st.Active:
			errs = append(errs, &reception.FieldError{Field: field, Msg: "is not active: " + st.Name})
		}
	}
	return errors.Join(errs...)
}

// pastMessage is the error of a start time whose code would already be
// over.
const pastMessage = "is already past: the appointment would be over; give a later time"

// timeErrors sets ap's validity from in and returns the errors of its
// start time and until: unreadable, missing or past (notify refuses a
// past one too, but only once everything else is right).
func (a *App) timeErrors(ap *reception.Appointment, in AppointmentInput) []error {
	switch {
	case in.BadStartsAt:
		return append([]error{&reception.FieldError{Field: "startsAt", Msg: TimeExample}}, untilFormatError(in.Until)...)
	case in.StartsAt.IsZero():
		return append([]error{&reception.FieldError{Field: "startsAt", Msg: "is required: " + TimeExample}}, untilFormatError(in.Until)...)
	}
	if err := a.setValidity(ap, in.Until); err != nil {
		return []error{err}
	}
	if !a.Now().Before(ap.ValidUntil) {
		return []error{&reception.FieldError{Field: "startsAt", Msg: pastMessage}}
	}
	return nil
}

// untilFormatError is until's error when it is no date, checked alone
// when there is no start time to compare it with.
func untilFormatError(until string) []error {
	if until = strings.TrimSpace(until); until == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, until); err != nil {
		return []error{&reception.FieldError{Field: "until", Msg: "must be a date like 2026-12-31"}}
	}
	return nil
}

// TimeExample says what a time in the API looks like.
const TimeExample = "must be a time like 2026-12-03T14:00:00+09:00"

// enteredFieldErrors are ap's validation errors in the fields an admin
// enters (the others are set here), with the API's names.
func enteredFieldErrors(ap *reception.Appointment) []error {
	probe := ap.Clone()
	probe.ID, probe.OrgID, probe.Code, probe.Status, probe.CreatedBy = "probe", "probe", "000000", reception.AppointmentScheduled, reception.CreatedByAdmin
	probe.CreatedAt = time.Unix(1, 0)
	var out []error
	for _, fe := range reception.FieldErrors(appointmentError(probe.Validate())) {
		head, _, _ := strings.Cut(fe.Field, "[")
		switch head {
		case "hosts", "visitors", "partySize", "title", "room":
			out = append(out, fe)
		}
	}
	return out
}

// maxPeriod is how long a period code may last: a year, leap day included.
const maxPeriod = 366

// setValidity sets a day code's validity (StartsAt's day) or a period
// code's (StartsAt's day to until's, included), in the server's time zone.
func (a *App) setValidity(ap *reception.Appointment, until string) error {
	from, end := reception.DayValidity(ap.StartsAt, a.Loc)
	ap.Period = false
	if until = strings.TrimSpace(until); until != "" {
		last, err := time.ParseInLocation(time.DateOnly, until, a.Loc)
		if err != nil {
			return &reception.FieldError{Field: "until", Msg: "must be a date like 2026-12-31"}
		}
		if last.Before(from) {
			return &reception.FieldError{Field: "until", Msg: "must not be before the day of startsAt"}
		}
		fy, fm, fd := from.Date()
		if last.After(time.Date(fy, fm, fd+maxPeriod, 0, 0, 0, 0, a.Loc)) {
			return &reception.FieldError{Field: "until", Msg: fmt.Sprintf("must be at most %d days after the day of startsAt", maxPeriod)}
		}
		_, end = reception.DayValidity(last, a.Loc)
		ap.Period = true
	}
	ap.ValidFrom, ap.ValidUntil = from, end
	return nil
}

// UpdateAppointment changes an appointment; the hosts are told (notify).
func (a *App) UpdateAppointment(ctx context.Context, orgID, id string, ch AppointmentChange) (*reception.Appointment, error) {
	cur, err := a.Appointment(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	in := inputOf(cur, a.Loc)
	if ch.Hosts != nil {
		in.Hosts = *ch.Hosts
	}
	if ch.Visitors != nil {
		in.Visitors = *ch.Visitors
	}
	if ch.PartySize != nil {
		in.PartySize = *ch.PartySize
	}
	if ch.Title != nil {
		in.Title = *ch.Title
	}
	if ch.Room != nil {
		in.Room = *ch.Room
	}
	if ch.StartsAt != nil {
		in.StartsAt = *ch.StartsAt
	}
	if ch.Until != nil {
		in.Until = *ch.Until
	}
	if ch.BadStartsAt {
		in.StartsAt, in.BadStartsAt = time.Time{}, true
	}
	next := cur.Clone()
	if err := a.applyInput(ctx, orgID, next, in); err != nil {
		return nil, err
	}
	updated, err := a.Notify.UpdateAppointment(ctx, orgID, id, func(ap *reception.Appointment) error {
		if !Changeable(ap, a.Now()) {
			return &Error{Code: Conflict, Field: "status", Msg: "only a scheduled appointment, or a period one still valid, can be changed; this one is " + string(ap.StatusAt(a.Now()))}
		}
		ap.HostStaffIDs, ap.Visitors, ap.PartySize, ap.Title, ap.Room = next.HostStaffIDs, next.Visitors, next.PartySize, next.Title, next.Room
		ap.StartsAt, ap.ValidFrom, ap.ValidUntil, ap.Period = next.StartsAt, next.ValidFrom, next.ValidUntil, next.Period
		ap.UpdatedAt = a.Now()
		return nil
	})
	return updated, appointmentError(err)
}

// Changeable reports whether ap can be changed at now: it is scheduled, or
// a period appointment still valid (its visitors keep coming).
func Changeable(ap *reception.Appointment, now time.Time) bool {
	st := ap.StatusAt(now)
	return st == reception.AppointmentScheduled || st == reception.AppointmentArrived && ap.Period
}

// CancelAppointment cancels an appointment: its code stops working and
// the hosts are told (notify).
func (a *App) CancelAppointment(ctx context.Context, orgID, id string) (*reception.Appointment, error) {
	if _, err := a.Appointment(ctx, orgID, id); err != nil {
		return nil, err
	}
	ap, err := a.Notify.CancelAppointment(ctx, orgID, id)
	return ap, appointmentError(err)
}

// inputOf is an appointment as AppointmentInput, the base of a change.
func inputOf(ap *reception.Appointment, loc *time.Location) AppointmentInput {
	in := AppointmentInput{Hosts: slices.Clone(ap.HostStaffIDs), PartySize: ap.PartySize, Title: ap.Title, Room: ap.Room, StartsAt: ap.StartsAt}
	for _, v := range ap.Visitors {
		in.Visitors = append(in.Visitors, AppointmentVisitor{Company: v.Company, Name: v.Name, Email: v.Email})
	}
	if ap.Period {
		in.Until = ap.ValidUntil.Add(-time.Nanosecond).In(loc).Format(time.DateOnly)
	}
	return in
}

// appointmentFields are the JSON names of reception.Appointment's fields.
var appointmentFields = map[string]string{
	"HostStaffIDs": "hosts", "Visitors": "visitors", "PartySize": "partySize", "Title": "title", "Room": "room",
	"StartsAt": "startsAt", "ValidFrom": "startsAt", "ValidUntil": "until", "Code": "code", "Status": "status",
}

// appointmentMessages make reception's and notify's messages read with
// the API's names.
var appointmentMessages = strings.NewReplacer("Company", "company", "Name", "name",
	"the appointment is already over", pastMessage)

// appointmentError renames the fields of reception's validation errors to
// the API's (Visitors[1].Email is visitors[1].email), and their messages'
// field names too.
func appointmentError(err error) error {
	fes := reception.FieldErrors(err)
	if len(fes) == 0 {
		return err
	}
	out := make([]error, 0, len(fes))
	for _, fe := range fes {
		head, rest, _ := strings.Cut(fe.Field, "[")
		name := appointmentFields[head]
		if name == "" {
			name = head
		}
		if rest != "" {
			idx, sub, _ := strings.Cut(rest, "]")
			name += "[" + idx + "]" + strings.ToLower(sub)
		}
		out = append(out, &reception.FieldError{Field: name, Msg: appointmentMessages.Replace(fe.Msg)})
	}
	return errors.Join(out...)
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
