package reception

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// codeDraws is how many codes CreateAppointment draws before giving up.
// With a million codes and an organization holding a few hundred live ones
// at most, a second draw is already rare; ten that all collide mean the
// organization's codes are nearly used up, which a retry will not fix.
const codeDraws = 10

// normAppointment normalizes the times of an appointment about to be
// stored (see normTime).
func normAppointment(a *Appointment) {
	for _, t := range []*time.Time{&a.StartsAt, &a.ValidFrom, &a.ValidUntil, &a.ArrivedAt,
		&a.HostReminderAt, &a.VisitorReminderAt, &a.CreatedAt, &a.UpdatedAt} {
		*t = normTime(*t)
	}
}

// validateAppointmentEntries checks the new outbox entries stored with an
// appointment: new, and of its organization. They may name a visit (an
// arrival's messages) or none.
func validateAppointmentEntries(orgID string, entries []*OutboxEntry) error {
	var f fieldErrs
	for i, e := range entries {
		field := "Entries[" + itoa(i) + "]"
		if e == nil {
			f.add(field, "is nil")
			continue
		}
		f.nest(field, e.ValidateNew())
		if e.OrgID != orgID {
			f.add(field+".OrgID", "must be the appointment's organization")
		}
	}
	return f.err()
}

// CreateAppointment implements Store. A drawn code that is held is drawn
// again; a code the caller chose is its to change, since its entries may
// carry it.
func (s *store) CreateAppointment(ctx context.Context, a *Appointment, entries ...*OutboxEntry) error {
	if a == nil {
		return required("Appointment")
	}
	c := a.Clone()
	draw := c.Code == ""
	if draw {
		c.Code = NewReceptionCode()
	}
	if err := errors.Join(c.Validate(), validateAppointmentEntries(c.OrgID, entries)); err != nil {
		return err
	}
	normAppointment(c)
	for i := 0; ; i++ {
		if err := s.live(ctx); err != nil {
			return err
		}
		// The driver keeps what it is given: each attempt gets its own
		// copies.
		err := s.d.CreateAppointment(ctx, c.Clone(), newEntries(entries))
		switch {
		case err == nil:
			a.Code = c.Code
			return nil
		case !draw || !errors.Is(err, ErrCodeInUse) || i == codeDraws-1:
			return err
		}
		c.Code = NewReceptionCode()
	}
}

// GetAppointment implements Store.
func (s *store) GetAppointment(ctx context.Context, orgID, id string) (*Appointment, error) {
	return get(ctx, s, func() (*Appointment, error) { return s.d.GetAppointment(ctx, orgID, id) })
}

// FindAppointmentByCode implements Store: the driver returns every
// appointment that had the code, and the live one (there is at most one,
// but for clocks that disagree) answers, else the one that held it last.
func (s *store) FindAppointmentByCode(ctx context.Context, orgID, code string, now time.Time) (*Appointment, error) {
	if !ValidCode(code) {
		return nil, &FieldError{Field: "Code", Msg: fmt.Sprintf("must be %d digits 0–9", CodeLen)}
	}
	if now.IsZero() {
		return nil, required("Now")
	}
	all, err := get(ctx, s, func() ([]*Appointment, error) { return s.d.ListAppointmentsByCode(ctx, orgID, code) })
	if err != nil {
		return nil, err
	}
	if a := pickByCode(all, now); a != nil {
		return a, nil
	}
	return nil, fmt.Errorf("%s: appointment with that code: %w", s.name, ErrNotFound)
}

// pickByCode picks what FindAppointmentByCode returns of all: the live
// appointment valid earliest (the one whose turn it is), else the one with
// the latest ValidUntil, newest first on a tie; nil for none.
func pickByCode(all []*Appointment, now time.Time) *Appointment {
	var best *Appointment
	for _, a := range all {
		switch {
		case best == nil:
			best = a
		case a.Live(now) != best.Live(now):
			if a.Live(now) {
				best = a
			}
		case a.Live(now):
			if a.ValidFrom.Before(best.ValidFrom) || a.ValidFrom.Equal(best.ValidFrom) && a.ID < best.ID {
				best = a
			}
		case a.ValidUntil.After(best.ValidUntil) ||
			a.ValidUntil.Equal(best.ValidUntil) && (a.CreatedAt.After(best.CreatedAt) || a.CreatedAt.Equal(best.CreatedAt) && a.ID > best.ID):
			best = a
		}
	}
	return best
}

// ListAppointments implements Store.
func (s *store) ListAppointments(ctx context.Context, orgID string, f AppointmentFilter) ([]*Appointment, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	f.StartsFrom, f.StartsBefore = normTime(f.StartsFrom), normTime(f.StartsBefore)
	return get(ctx, s, func() ([]*Appointment, error) { return s.d.ListAppointments(ctx, orgID, f) })
}

// ListDueAppointmentReminders implements Store.
func (s *store) ListDueAppointmentReminders(ctx context.Context, now time.Time, limit int) ([]*Appointment, error) {
	if limit <= 0 {
		return nil, &FieldError{Field: "Limit", Msg: "must be positive"}
	}
	if now.IsZero() {
		return nil, required("Now")
	}
	return get(ctx, s, func() ([]*Appointment, error) { return s.d.ListDueAppointments(ctx, normTime(now), limit) })
}

// UpdateAppointment implements Store: change runs under the driver's lock,
// and what it made is checked here before the driver writes it.
func (s *store) UpdateAppointment(ctx context.Context, orgID, id string, change func(a *Appointment) ([]*OutboxEntry, error)) (*Appointment, error) {
	if change == nil {
		return nil, required("Change")
	}
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	var out *Appointment
	var refused error
	err := s.d.UpdateAppointment(ctx, orgID, id, func(a *Appointment) (*AppointmentChange, error) {
		before := a.Clone()
		entries, err := change(a)
		if err != nil {
			refused = err
			return nil, err
		}
		if refused = checkAppointmentChange(before, a, entries); refused != nil {
			return nil, refused
		}
		normAppointment(a)
		out = a.Clone()
		return &AppointmentChange{Appointment: a, Entries: newEntries(entries)}, nil
	})
	switch {
	case err != nil && err == refused:
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%s: update appointment %s: %w", s.name, id, err)
	}
	return out, nil
}

// checkAppointmentChange checks what an UpdateAppointment change made of
// before: a valid appointment with the same identity, not brought back to
// life, and valid new entries.
func checkAppointmentChange(before, after *Appointment, entries []*OutboxEntry) error {
	var f fieldErrs
	f.errs = append(f.errs, after.Validate())
	same := func(field string, ok bool) {
		if !ok {
			f.add(field, "may not change")
		}
	}
	same("ID", after.ID == before.ID)
	same("OrgID", after.OrgID == before.OrgID)
	same("Code", after.Code == before.Code)
	same("CreatedBy", after.CreatedBy == before.CreatedBy)
	same("CreatedAt", after.CreatedAt.Equal(before.CreatedAt))
	f.errs = append(f.errs, validateAppointmentEntries(before.OrgID, entries))
	if err := f.err(); err != nil {
		return err
	}
	// Once an appointment stops holding its code, another may take it:
	// bringing it back would make two live appointments with one code.
	now := after.UpdatedAt
	if now.IsZero() {
		// The one clock reading of the Store: a caller that keeps no
		// UpdatedAt still must not revive an appointment.
		now = time.Now()
	}
	if !before.Live(now) && after.Live(now) {
		return conflictf("appointment %s is %s and cannot be made valid again", before.ID, before.StatusAt(now))
	}
	return nil
}
