package sqlitestore

// TEMPORARY (milestone 1): appointments are not stored by this driver yet.

import (
	"context"
	"errors"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

func (s *db) CreateAppointment(context.Context, *reception.Appointment, []*reception.OutboxEntry) error {
	return errors.ErrUnsupported
}

func (s *db) GetAppointment(context.Context, string, string) (*reception.Appointment, error) {
	return nil, errors.ErrUnsupported
}

func (s *db) ListAppointmentsByCode(context.Context, string, string) ([]*reception.Appointment, error) {
	return nil, errors.ErrUnsupported
}

func (s *db) ListAppointments(context.Context, string, reception.AppointmentFilter) ([]*reception.Appointment, error) {
	return nil, errors.ErrUnsupported
}

func (s *db) UpdateAppointment(context.Context, string, string, func(*reception.Appointment) (*reception.AppointmentChange, error)) error {
	return errors.ErrUnsupported
}

func (s *db) ListDueAppointments(context.Context, time.Time, int) ([]*reception.Appointment, error) {
	return nil, errors.ErrUnsupported
}
