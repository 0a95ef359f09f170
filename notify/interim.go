package notify

import (
	"context"
	"errors"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// Interim until helper A's reception changes land (milestone 1): the
// appointment store methods and reception.TargetEmail.

const targetEmail = reception.TargetKind("email")

type appointmentStore interface {
	CreateAppointment(ctx context.Context, a *reception.Appointment, entries ...*reception.OutboxEntry) error
	GetAppointment(ctx context.Context, orgID, id string) (*reception.Appointment, error)
	FindAppointmentByCode(ctx context.Context, orgID, code string, now time.Time) (*reception.Appointment, error)
	ListAppointments(ctx context.Context, orgID string, f reception.AppointmentFilter) ([]*reception.Appointment, error)
	UpdateAppointment(ctx context.Context, orgID, id string, change func(a *reception.Appointment) ([]*reception.OutboxEntry, error)) (*reception.Appointment, error)
	ListDueAppointmentReminders(ctx context.Context, now time.Time, limit int) ([]*reception.Appointment, error)
}

var errNoAppointments = errors.New("notify: the store has no appointments yet")

type noAppointments struct{}

func (noAppointments) CreateAppointment(context.Context, *reception.Appointment, ...*reception.OutboxEntry) error {
	return errNoAppointments
}
func (noAppointments) GetAppointment(context.Context, string, string) (*reception.Appointment, error) {
	return nil, errNoAppointments
}
func (noAppointments) FindAppointmentByCode(context.Context, string, string, time.Time) (*reception.Appointment, error) {
	return nil, errNoAppointments
}
func (noAppointments) ListAppointments(context.Context, string, reception.AppointmentFilter) ([]*reception.Appointment, error) {
	return nil, errNoAppointments
}
func (noAppointments) UpdateAppointment(context.Context, string, string, func(a *reception.Appointment) ([]*reception.OutboxEntry, error)) (*reception.Appointment, error) {
	return nil, errNoAppointments
}
func (noAppointments) ListDueAppointmentReminders(context.Context, time.Time, int) ([]*reception.Appointment, error) {
	return nil, errNoAppointments
}

func (s *Service) appts() appointmentStore {
	if a, ok := s.store.(appointmentStore); ok {
		return a
	}
	return noAppointments{}
}

// setAppointmentID links a visit to its appointment (Visit.AppointmentID).
func setAppointmentID(v *reception.Visit, id string) {}
