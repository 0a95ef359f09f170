package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/internal/sqlschema"
)

// The appointment statements. They are not prepared at Open like the
// check-in's: appointments are made and changed by people, a few times a
// day, off the kiosk's path, so parsing them each time costs nothing that
// matters.
const (
	apptSelect = `SELECT ` + sqlschema.AppointmentCols + ` FROM appointments`
	// ?3 is the new appointment's CreatedAt: an appointment not cancelled
	// and valid after it holds the code (reception.Appointment.Live). ?4
	// is its ID: the same appointment made again is a used ID, which the
	// insert reports, not a held code.
	apptCodeHeldSQL = `SELECT EXISTS (SELECT 1 FROM appointments
		WHERE org_id = ?1 AND code = ?2 AND valid_until > ?3 AND status <> 'cancelled' AND id <> ?4)`
	apptInsertSQL = `INSERT INTO appointments (` + sqlschema.AppointmentCols + `, reminder_due_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// The update writes every column but the key, the code and the
	// creation, which reception keeps unchanged: ?1 to ?21 as the insert's.
	apptUpdateSQL = `UPDATE appointments SET host_staff_ids = ?4, visitors = ?5, party_size = ?6, title = ?7,
		room = ?8, starts_at = ?9, valid_from = ?10, valid_until = ?11, period = ?12, status = ?13,
		arrivals = ?14, arrived_at = ?15, last_visit_id = ?16, host_reminder_at = ?17,
		visitor_reminder_at = ?18, updated_at = ?21, reminder_due_at = ?22 WHERE org_id = ?1 AND id = ?2`
	// From, To, Status and Limit are optional: NULL, NULL, '' and -1
	// select everything.
	apptListSQL = apptSelect + ` WHERE org_id = ?1 AND (?2 IS NULL OR starts_at >= ?2)
		AND (?3 IS NULL OR starts_at < ?3) AND (?4 = '' OR status = ?4) ORDER BY starts_at, id LIMIT ?5`
	apptDueSQL = apptSelect + ` WHERE reminder_due_at IS NOT NULL AND reminder_due_at <= ?1
		ORDER BY reminder_due_at, org_id, id LIMIT ?2`
	// purgeAppointmentsSQL erases the personal data of appointments valid
	// until before ?1, ?2 of them: the title, and each visitor becomes {}
	// (see sqlschema.AppointmentCols).
	purgeAppointmentsSQL = `UPDATE appointments SET title = '',
		visitors = (SELECT json_group_array(json('{}')) FROM json_each(appointments.visitors))
		WHERE (org_id, id) IN (SELECT org_id, id FROM appointments
			WHERE valid_until < ?1 AND (title <> '' OR instr(visitors, '"') > 0) LIMIT ?2)`
)

// apptArgs are the arguments of apptInsertSQL and apptUpdateSQL.
func apptArgs(a *reception.Appointment) ([]any, error) {
	hosts, visitors, err := sqlschema.EncodeAppointmentLists(a, "sqlitestore")
	if err != nil {
		return nil, err
	}
	return []any{a.OrgID, a.ID, a.Code, hosts, visitors, a.PartySize, a.Title, a.Room, micros(a.StartsAt),
		micros(a.ValidFrom), micros(a.ValidUntil), a.Period, string(a.Status), a.Arrivals, microsOrNull(a.ArrivedAt),
		a.LastVisitID, microsOrNull(a.HostReminderAt), microsOrNull(a.VisitorReminderAt), a.CreatedBy,
		micros(a.CreatedAt), microsOrNull(a.UpdatedAt), microsOrNull(a.ReminderDueAt())}, nil
}

func scanAppt(sc scanner) (*reception.Appointment, error) {
	var (
		a                                 reception.Appointment
		hosts, visitors, status           string
		starts, from, until, created      int64
		arrived, hostRem, visRem, updated sql.NullInt64
	)
	if err := sc.Scan(&a.OrgID, &a.ID, &a.Code, &hosts, &visitors, &a.PartySize, &a.Title, &a.Room, &starts,
		&from, &until, &a.Period, &status, &a.Arrivals, &arrived, &a.LastVisitID, &hostRem, &visRem,
		&a.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	a.Status = reception.AppointmentStatus(status)
	a.StartsAt, a.ValidFrom, a.ValidUntil, a.CreatedAt = fromMicros(starts), fromMicros(from), fromMicros(until), fromMicros(created)
	a.ArrivedAt, a.HostReminderAt, a.VisitorReminderAt = fromNullMicros(arrived), fromNullMicros(hostRem), fromNullMicros(visRem)
	a.UpdatedAt = fromNullMicros(updated)
	return &a, sqlschema.DecodeAppointmentLists(&a, hosts, visitors, "sqlitestore")
}

// queryAppts runs a query of appointments on q, the read pool or a write
// transaction.
func (s *db) queryAppts(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, op, query string, args ...any) ([]*reception.Appointment, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	var out []*reception.Appointment
	for rows.Next() {
		a, err := scanAppt(rows)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		out = append(out, a)
	}
	return out, s.fail(ctx, op, rows.Err())
}

// CreateAppointment implements reception.AppointmentDriver: the code
// check and the inserts run in one write transaction, which holds
// SQLite's one write lock, so no other Store inserts the code between
// them.
func (s *db) CreateAppointment(ctx context.Context, a *reception.Appointment, entries []*reception.OutboxEntry) error {
	args, err := apptArgs(a)
	if err != nil {
		return err
	}
	op := fmt.Sprintf("create appointment %q", a.ID)
	return s.inTx(ctx, s.w, op, func(tx *sql.Tx) error {
		var held bool
		if err := tx.QueryRowContext(ctx, apptCodeHeldSQL, a.OrgID, a.Code, micros(a.CreatedAt), a.ID).Scan(&held); err != nil {
			return s.fail(ctx, op, err)
		}
		if held {
			return fmt.Errorf("sqlitestore: appointment %q: %w", a.ID, reception.ErrCodeInUse)
		}
		_, err := tx.ExecContext(ctx, apptInsertSQL, args...)
		switch {
		case isUnique(err):
			return conflict("appointment %q exists", a.ID)
		case isForeignKey(err):
			return notFound("organization", a.OrgID)
		case err != nil:
			return s.fail(ctx, op, err)
		}
		return s.insertOutbox(ctx, tx, entries)
	})
}

func (s *db) GetAppointment(ctx context.Context, orgID, id string) (*reception.Appointment, error) {
	as, err := s.queryAppts(ctx, s.r, fmt.Sprintf("get appointment %q", id), apptSelect+` WHERE org_id = ? AND id = ?`, orgID, id)
	if err == nil && len(as) == 0 {
		err = notFound("appointment", id)
	}
	if err != nil {
		return nil, err
	}
	return as[0], nil
}

func (s *db) ListAppointmentsByCode(ctx context.Context, orgID, code string) ([]*reception.Appointment, error) {
	return s.queryAppts(ctx, s.r, "find appointment by code", apptSelect+` WHERE org_id = ? AND code = ?`, orgID, code)
}

func (s *db) ListAppointments(ctx context.Context, orgID string, f reception.AppointmentFilter) ([]*reception.Appointment, error) {
	return s.queryAppts(ctx, s.r, "list appointments", apptListSQL, orgID, microsOrNull(f.StartsFrom),
		microsOrNull(f.StartsBefore), string(f.Status), limitArg(f.Limit))
}

func (s *db) ListDueAppointments(ctx context.Context, now time.Time, limit int) ([]*reception.Appointment, error) {
	return s.queryAppts(ctx, s.r, "list due appointment reminders", apptDueSQL, micros(now), limit)
}

// UpdateAppointment implements reception.AppointmentDriver: the
// appointment is read inside a write transaction, which holds SQLite's
// write lock until the change is written.
func (s *db) UpdateAppointment(ctx context.Context, orgID, id string, change func(*reception.Appointment) (*reception.AppointmentChange, error)) error {
	op := fmt.Sprintf("update appointment %q", id)
	return s.inTx(ctx, s.w, op, func(tx *sql.Tx) error {
		as, err := s.queryAppts(ctx, tx, op, apptSelect+` WHERE org_id = ? AND id = ?`, orgID, id)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			return notFound("appointment", id)
		}
		c, err := change(as[0])
		if err != nil || c == nil {
			return err
		}
		args, err := apptArgs(c.Appointment)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, apptUpdateSQL, args...); err != nil {
			return s.fail(ctx, op, err)
		}
		return s.insertOutbox(ctx, tx, c.Entries)
	})
}
