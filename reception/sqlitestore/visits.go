package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// scanVisits reads rows of visitCols: one row per event of each visit (one
// row with NULL event columns for a visit without events), the rows of a
// visit together and its events in timeline order.
func scanVisits(rows *sql.Rows) ([]*reception.Visit, error) {
	var (
		out []*reception.Visit
		cur *reception.Visit
	)
	for rows.Next() {
		var (
			v                 reception.Visit
			status            string
			handled, next     sql.NullInt64
			created           int64
			kind, actor, note sql.NullString
			at                sql.NullInt64
		)
		if err := rows.Scan(&v.OrgID, &v.ID, &v.VisitorName, &v.Company, &v.PartySize, &v.Note, &v.ButtonID,
			&v.StaffID, &status, &v.HandlerUserID, &handled, &v.Reminders, &next, &created, &v.Reference, &v.AppointmentID,
			&kind, &at, &actor, &note); err != nil {
			return nil, err
		}
		if cur == nil || cur.OrgID != v.OrgID || cur.ID != v.ID {
			v.Status = reception.VisitStatus(status)
			v.HandledAt, v.NextReminderAt, v.CreatedAt = fromNullMicros(handled), fromNullMicros(next), fromMicros(created)
			cur = &v
			out = append(out, cur)
		}
		if kind.Valid {
			cur.Events = append(cur.Events, reception.VisitEvent{
				Kind: reception.EventKind(kind.String), At: fromNullMicros(at), ActorUserID: actor.String, Note: note.String,
			})
		}
	}
	return out, rows.Err()
}

func (s *db) queryVisits(ctx context.Context, st *sql.Stmt, op string, args ...any) ([]*reception.Visit, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	vs, err := scanVisits(rows)
	return vs, s.fail(ctx, op, err)
}

// insertEvents records events of v numbered from seq on.
func (s *db) insertEvents(ctx context.Context, tx *sql.Tx, v *reception.Visit, seq int, events []reception.VisitEvent) error {
	for i, e := range events {
		_, err := s.stmt(ctx, tx, wInsertEvent).ExecContext(ctx, v.OrgID, v.ID, seq+i, string(e.Kind), micros(e.At), e.ActorUserID, e.Note)
		if err != nil {
			return s.fail(ctx, fmt.Sprintf("record %s event of visit %q", e.Kind, v.ID), err)
		}
	}
	return nil
}

// insertOutbox inserts new entries, already validated. A used ID or dedupe
// key is ErrConflict, a missing organization ErrNotFound. Entries go in
// pairs, one statement per pair (a check-in usually has two).
func (s *db) insertOutbox(ctx context.Context, tx *sql.Tx, entries []*reception.OutboxEntry) error {
	for len(entries) >= 2 {
		args := append(outboxArgs(entries[0]), outboxArgs(entries[1])...)
		if _, err := s.stmt(ctx, tx, wInsertOutbox2).ExecContext(ctx, args...); err != nil {
			if tx == nil || !(isUnique(err) || isForeignKey(err)) {
				return s.outboxErr(ctx, entries[0], err)
			}
			// The failed statement changed nothing; insert the two
			// one by one for an error naming the culprit.
			if err := s.insertOutbox(ctx, tx, entries[:1]); err != nil {
				return err
			}
			return s.insertOutbox(ctx, tx, entries[1:2])
		}
		entries = entries[2:]
	}
	if len(entries) == 1 {
		if _, err := s.stmt(ctx, tx, wInsertOutbox).ExecContext(ctx, outboxArgs(entries[0])...); err != nil {
			return s.outboxErr(ctx, entries[0], err)
		}
	}
	return nil
}

func outboxArgs(e *reception.OutboxEntry) []any {
	return []any{e.ID, e.OrgID, string(e.Target.Kind), e.Target.ID, []byte(e.Content), e.DedupeKey, e.VisitID,
		e.Attempts, micros(e.NextAttemptAt), e.LeaseOwner, microsOrNull(e.LeaseExpiresAt), micros(e.CreatedAt)}
}

func (s *db) outboxErr(ctx context.Context, e *reception.OutboxEntry, err error) error {
	switch {
	case isUnique(err) && strings.Contains(err.Error(), "dedupe_key"):
		return conflict("outbox: organization %q: dedupe key %q is used", e.OrgID, e.DedupeKey)
	case isUnique(err):
		return conflict("outbox entry %q exists", e.ID)
	case isForeignKey(err):
		return notFound("organization", e.OrgID)
	}
	return s.fail(ctx, fmt.Sprintf("enqueue outbox entry %q", e.ID), err)
}

// CreateVisit implements reception.VisitDriver: one transaction of
// prepared inserts — the visit, its events, the entries — and no reads. A
// missing organization shows as the visits foreign key failing.
func (s *db) CreateVisit(ctx context.Context, v *reception.Visit, entries []*reception.OutboxEntry) error {
	return s.inTx(ctx, s.w, "check in", func(tx *sql.Tx) error { return s.createVisit(ctx, tx, v, entries) })
}

// CreateVisitIn implements reception.TxDriver: the inserts of CreateVisit
// in the application's transaction, a *sql.Tx begun on Store.DB, inside a
// savepoint that a failure rolls back, leaving the transaction usable.
func (s *db) CreateVisitIn(ctx context.Context, tx any, v *reception.Visit, entries []*reception.OutboxEntry) error {
	t, ok := tx.(*sql.Tx)
	if !ok || t == nil {
		return reception.WrongTx("sqlitestore", tx, "a *sql.Tx begun on Store.DB")
	}
	if _, err := t.ExecContext(ctx, "SAVEPOINT uketsuke_check_in"); err != nil {
		return s.fail(ctx, "check in", err)
	}
	if err := s.createVisit(ctx, t, v, entries); err != nil {
		_, rerr := t.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO uketsuke_check_in; RELEASE uketsuke_check_in")
		return errors.Join(err, s.fail(ctx, "check in", rerr))
	}
	_, err := t.ExecContext(ctx, "RELEASE uketsuke_check_in")
	return s.fail(ctx, "check in", err)
}

// createVisit inserts a visit, its events and its entries in tx.
func (s *db) createVisit(ctx context.Context, tx *sql.Tx, v *reception.Visit, entries []*reception.OutboxEntry) error {
	_, err := s.stmt(ctx, tx, wInsertVisit).ExecContext(ctx, v.OrgID, v.ID, v.VisitorName, v.Company, v.PartySize,
		v.Note, v.ButtonID, v.StaffID, string(v.Status), v.HandlerUserID, microsOrNull(v.HandledAt), v.Reminders,
		microsOrNull(v.NextReminderAt), micros(v.CreatedAt), v.Reference, v.AppointmentID)
	switch {
	case isUnique(err):
		return conflict("visit %q exists", v.ID)
	case isForeignKey(err):
		return notFound("organization", v.OrgID)
	case err != nil:
		return s.fail(ctx, fmt.Sprintf("check in visit %q", v.ID), err)
	}
	if err := s.insertEvents(ctx, tx, v, 0, v.Events); err != nil {
		return err
	}
	return s.insertOutbox(ctx, tx, entries)
}

// GetVisit implements reception.VisitDriver. The visit and its events come
// from one statement, so they are consistent.
func (s *db) GetVisit(ctx context.Context, orgID, id string) (*reception.Visit, error) {
	vs, err := s.queryVisits(ctx, s.rs[rGetVisit], fmt.Sprintf("get visit %q", id), orgID, id)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, notFound("visit", id)
	}
	return vs[0], nil
}

// limitArg is SQLite's "no limit" for 0.
func limitArg(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

func (s *db) ListVisits(ctx context.Context, orgID string, f reception.VisitFilter) ([]*reception.Visit, error) {
	return s.queryVisits(ctx, s.rs[rListVisits], "list visits", orgID, microsOrNull(f.From), microsOrNull(f.To),
		string(f.Status), limitArg(f.Limit), f.Reference, f.AppointmentID)
}

func (s *db) ListDueReminders(ctx context.Context, now time.Time, limit int) ([]*reception.Visit, error) {
	return s.queryVisits(ctx, s.rs[rDueReminders], "list due reminders", micros(now), limit)
}

// UpdateVisit implements reception.VisitDriver: the visit is read inside a
// write transaction — BEGIN IMMEDIATE holds the database's write lock, so
// no other Store changes it meanwhile. New events take the next sequence
// numbers: the timeline is ordered by (at, seq), which is where
// reception.Visit puts a new event too, after those of equal time.
func (s *db) UpdateVisit(ctx context.Context, orgID, id string, change func(*reception.Visit) (*reception.VisitChange, error)) error {
	op := fmt.Sprintf("update visit %q", id)
	return s.inTx(ctx, s.w, op, func(tx *sql.Tx) error {
		vs, err := s.queryVisits(ctx, s.stmt(ctx, tx, wVisitForUpd), op, orgID, id)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			return notFound("visit", id)
		}
		seq := len(vs[0].Events)
		c, err := change(vs[0])
		if err != nil || c == nil {
			return err
		}
		v := c.Visit
		if _, err := s.stmt(ctx, tx, wUpdateVisit).ExecContext(ctx, string(v.Status), v.HandlerUserID,
			microsOrNull(v.HandledAt), v.Reminders, microsOrNull(v.NextReminderAt), v.VisitorName, v.Company, v.Note,
			orgID, id); err != nil {
			return s.fail(ctx, op, err)
		}
		if c.DropEntries {
			if _, err := tx.ExecContext(ctx, dropVisitOutbox, orgID, id); err != nil {
				return s.fail(ctx, op, err)
			}
		}
		if err := s.insertEvents(ctx, tx, v, seq, c.Events); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, c.Entries)
	})
}
