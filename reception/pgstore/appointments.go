package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/internal/sqlschema"
)

const (
	apptSelect = `SELECT ` + sqlschema.AppointmentCols + ` FROM appointments`
	// apptCodeLockSQL serializes the creates of one code in one
	// organization, across every process on the database, until the
	// transaction ends: the check that follows and the insert are then
	// one step. Keyed by schema, organization and code (a hash: a
	// collision only makes two creates wait for each other).
	apptCodeLockSQL = `SELECT pg_advisory_xact_lock(hashtext('uketsuke/pgstore/appointment-code'),
		hashtext(current_schema() || '/' || $1 || '/' || $2))`
	// $3 is the new appointment's CreatedAt: an appointment not cancelled
	// and valid after it holds the code (reception.Appointment.Live). $4
	// is its ID: the same appointment made again is a used ID, which the
	// insert reports, not a held code.
	apptCodeHeldSQL = `SELECT EXISTS (SELECT 1 FROM appointments
		WHERE org_id = $1 AND code = $2 AND valid_until > $3 AND status <> 'cancelled' AND id <> $4)`
	apptInsertSQL = `INSERT INTO appointments (` + sqlschema.AppointmentCols + `, reminder_due_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`
	// The update writes every column but the key, the code and the
	// creation, which reception keeps unchanged; its arguments are the
	// insert's minus code, created_by and created_at.
	apptUpdateSQL = `UPDATE appointments SET host_staff_ids = $3, visitors = $4, party_size = $5, title = $6,
		room = $7, starts_at = $8, valid_from = $9, valid_until = $10, period = $11, status = $12, arrivals = $13,
		arrived_at = $14, last_visit_id = $15, host_reminder_at = $16, visitor_reminder_at = $17,
		updated_at = $18, reminder_due_at = $19 WHERE org_id = $1 AND id = $2`
	apptLockSQL = apptSelect + ` WHERE org_id = $1 AND id = $2 FOR NO KEY UPDATE`
	// purgeAppointmentsSQL erases the personal data of appointments valid
	// until before $1, $2 of them: the title, and each visitor becomes {}
	// (see sqlschema.AppointmentCols).
	purgeAppointmentsSQL = `UPDATE appointments SET title = '',
		visitors = (SELECT coalesce(json_agg('{}'::json)::text, '[]') FROM json_array_elements(appointments.visitors::json))
		WHERE (org_id, id) IN (SELECT org_id, id FROM appointments
			WHERE valid_until < $1 AND (title <> '' OR strpos(visitors, '"') > 0) LIMIT $2 FOR UPDATE SKIP LOCKED)`
)

// apptValues are a's values in the order of sqlschema.AppointmentCols,
// then reminder_due_at.
func apptValues(a *reception.Appointment) ([]any, error) {
	hosts, visitors, err := sqlschema.EncodeAppointmentLists(a, "pgstore")
	if err != nil {
		return nil, err
	}
	return []any{a.OrgID, a.ID, a.Code, hosts, visitors, a.PartySize, a.Title, a.Room, a.StartsAt, a.ValidFrom,
		a.ValidUntil, a.Period, string(a.Status), a.Arrivals, nullTime(a.ArrivedAt), a.LastVisitID,
		nullTime(a.HostReminderAt), nullTime(a.VisitorReminderAt), a.CreatedBy, a.CreatedAt, nullTime(a.UpdatedAt),
		nullTime(a.ReminderDueAt())}, nil
}

func scanAppt(r rowScanner) (*reception.Appointment, error) {
	var (
		a                                 reception.Appointment
		hosts, visitors, status           string
		arrived, hostRem, visRem, updated pgtype.Timestamptz
	)
	if err := r.Scan(&a.OrgID, &a.ID, &a.Code, &hosts, &visitors, &a.PartySize, &a.Title, &a.Room, &a.StartsAt,
		&a.ValidFrom, &a.ValidUntil, &a.Period, &status, &a.Arrivals, &arrived, &a.LastVisitID, &hostRem, &visRem,
		&a.CreatedBy, &a.CreatedAt, &updated); err != nil {
		return nil, err
	}
	a.Status = reception.AppointmentStatus(status)
	a.StartsAt, a.ValidFrom, a.ValidUntil, a.CreatedAt = a.StartsAt.UTC(), a.ValidFrom.UTC(), a.ValidUntil.UTC(), a.CreatedAt.UTC()
	a.ArrivedAt, a.HostReminderAt, a.VisitorReminderAt, a.UpdatedAt = fromTS(arrived), fromTS(hostRem), fromTS(visRem), fromTS(updated)
	return &a, sqlschema.DecodeAppointmentLists(&a, hosts, visitors, "pgstore")
}

// CreateAppointment implements reception.AppointmentDriver: in one
// transaction, the code's advisory lock, the check that no live
// appointment holds the code, then the appointment and its entries.
func (s *db) CreateAppointment(ctx context.Context, a *reception.Appointment, entries []*reception.OutboxEntry) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	values, err := apptValues(a)
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrapErr(ctx, err, "create appointment %s", a.ID)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	// Two statements, not one: the check must see what the lock's last
	// holder committed, so it needs a snapshot taken after the lock.
	b := &pgx.Batch{}
	b.Queue(apptCodeLockSQL, a.OrgID, a.Code)
	var held bool
	b.Queue(apptCodeHeldSQL, a.OrgID, a.Code, a.CreatedAt, a.ID).QueryRow(func(r pgx.Row) error { return r.Scan(&held) })
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return wrapErr(ctx, err, "create appointment %s", a.ID)
	}
	if held {
		return fmt.Errorf("pgstore: appointment %q: %w", a.ID, reception.ErrCodeInUse)
	}
	w := &pgx.Batch{}
	w.Queue(apptInsertSQL, values...)
	queueOutbox(w, entries)
	if err := tx.SendBatch(ctx, w).Close(); err != nil {
		return wrapErr(ctx, err, "create appointment %s", a.ID)
	}
	return wrapErr(ctx, tx.Commit(ctx), "create appointment %s", a.ID)
}

func (s *db) GetAppointment(ctx context.Context, orgID, id string) (*reception.Appointment, error) {
	return one(ctx, s, "appointment", id, scanAppt, apptSelect+` WHERE org_id = $1 AND id = $2`, orgID, id)
}

func (s *db) ListAppointmentsByCode(ctx context.Context, orgID, code string) ([]*reception.Appointment, error) {
	return list(ctx, s, "find appointment by code", scanAppt, apptSelect+` WHERE org_id = $1 AND code = $2`, orgID, code)
}

func (s *db) ListAppointments(ctx context.Context, orgID string, f reception.AppointmentFilter) ([]*reception.Appointment, error) {
	q := where{sql: apptSelect + " WHERE org_id = $1", args: []any{orgID}}
	q.and(!f.StartsFrom.IsZero(), "starts_at >=", f.StartsFrom)
	q.and(!f.StartsBefore.IsZero(), "starts_at <", f.StartsBefore)
	q.and(f.Status != "", "status =", string(f.Status))
	return list(ctx, s, "list appointments", scanAppt, q.end(" ORDER BY starts_at, id", f.Limit), q.args...)
}

func (s *db) ListDueAppointments(ctx context.Context, now time.Time, limit int) ([]*reception.Appointment, error) {
	return list(ctx, s, "list due appointment reminders", scanAppt, apptSelect+`
		WHERE reminder_due_at IS NOT NULL AND reminder_due_at <= $1 ORDER BY reminder_due_at, org_id, id LIMIT $2`, now, limit)
}

// UpdateAppointment implements reception.AppointmentDriver: in a
// transaction, lock the appointment's row, apply change, write back the
// appointment and enqueue the entries. When change writes nothing, the
// deferred rollback ends the lock.
func (s *db) UpdateAppointment(ctx context.Context, orgID, id string, change func(*reception.Appointment) (*reception.AppointmentChange, error)) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrapErr(ctx, err, "appointment %s", id)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	a, err := scanAppt(tx.QueryRow(ctx, apptLockSQL, orgID, id))
	if err != nil {
		return wrapErr(ctx, err, "appointment %s", id)
	}
	c, err := change(a)
	if err != nil || c == nil {
		return err
	}
	values, err := apptValues(c.Appointment)
	if err != nil {
		return err
	}
	// Drop code (2), created_by (18) and created_at (19): they never change.
	values = append(append(values[:2:2], values[3:18]...), values[20:]...)
	w := &pgx.Batch{}
	w.Queue(apptUpdateSQL, values...)
	queueOutbox(w, c.Entries)
	if err := tx.SendBatch(ctx, w).Close(); err != nil {
		return wrapErr(ctx, err, "appointment %s", id)
	}
	return wrapErr(ctx, tx.Commit(ctx), "appointment %s", id)
}
