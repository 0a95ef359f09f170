package sqlitestore

import (
	"context"
	"database/sql"
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
			&v.StaffID, &status, &v.HandlerUserID, &handled, &v.Reminders, &next, &created,
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

func (s *Store) queryVisits(ctx context.Context, st *sql.Stmt, op string, args ...any) ([]*reception.Visit, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	vs, err := scanVisits(rows)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return vs, nil
}

func (s *Store) insertEvent(ctx context.Context, tx *sql.Tx, v *reception.Visit, seq int, e reception.VisitEvent) error {
	_, err := s.stmt(ctx, tx, wInsertEvent).ExecContext(ctx, v.OrgID, v.ID, seq, string(e.Kind), micros(e.At), e.ActorUserID, e.Note)
	if err != nil {
		return s.fail(ctx, fmt.Sprintf("record %s event of visit %q", e.Kind, v.ID), err)
	}
	return nil
}

// insertOutbox inserts new entries, already validated. A used ID or dedupe
// key is ErrConflict, a missing organization ErrNotFound. Entries go in
// pairs, one statement per pair (a check-in usually has two).
func (s *Store) insertOutbox(ctx context.Context, tx *sql.Tx, entries []*reception.OutboxEntry) error {
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
	next := e.NextAttemptAt
	if next.IsZero() {
		next = e.CreatedAt
	}
	return []any{e.ID, e.OrgID, string(e.Target.Kind), e.Target.ID, []byte(e.Content), e.DedupeKey, e.VisitID,
		e.Attempts, micros(next), e.LeaseOwner, microsOrNull(e.LeaseExpiresAt), micros(e.CreatedAt)}
}

func (s *Store) outboxErr(ctx context.Context, e *reception.OutboxEntry, err error) error {
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

// CheckIn implements reception.Store: one transaction of prepared inserts —
// the visit, its checked_in event, the entries — and no reads. A missing
// organization shows as the visits foreign key failing.
func (s *Store) CheckIn(ctx context.Context, v *reception.Visit, entries []*reception.OutboxEntry) error {
	if err := reception.ValidateCheckIn(v, entries); err != nil {
		return err
	}
	return s.write(ctx, "check in", func(tx *sql.Tx) error {
		_, err := s.stmt(ctx, tx, wInsertVisit).ExecContext(ctx, v.OrgID, v.ID, v.VisitorName, v.Company, v.PartySize,
			v.Note, v.ButtonID, v.StaffID, string(v.Status), v.HandlerUserID, microsOrNull(v.HandledAt), v.Reminders,
			microsOrNull(v.NextReminderAt), micros(v.CreatedAt))
		switch {
		case isUnique(err):
			return conflict("visit %q exists", v.ID)
		case isForeignKey(err):
			return notFound("organization", v.OrgID)
		case err != nil:
			return s.fail(ctx, fmt.Sprintf("check in visit %q", v.ID), err)
		}
		if err := s.insertEvent(ctx, tx, v, 0, reception.VisitEvent{Kind: reception.EventCheckedIn, At: v.CreatedAt}); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, entries)
	})
}

// GetVisit implements reception.Store. The visit and its events come from
// one statement, so they are consistent.
func (s *Store) GetVisit(ctx context.Context, orgID, id string) (*reception.Visit, error) {
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

// ListVisits implements reception.Store.
func (s *Store) ListVisits(ctx context.Context, orgID string, f reception.VisitFilter) ([]*reception.Visit, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return s.queryVisits(ctx, s.rs[rListVisits], "list visits", orgID, microsOrNull(f.From), microsOrNull(f.To),
		string(f.Status), limitArg(f.Limit))
}

// ListDueReminders implements reception.Store.
func (s *Store) ListDueReminders(ctx context.Context, now time.Time, limit int) ([]*reception.Visit, error) {
	if limit <= 0 {
		return nil, &reception.FieldError{Field: "Limit", Msg: "must be positive"}
	}
	return s.queryVisits(ctx, s.rs[rDueReminders], "list due reminders", micros(now), limit)
}

// update loads a visit inside a write transaction — BEGIN IMMEDIATE holds
// the database's write lock, so no other Store changes the visit meanwhile —
// runs fn (which applies one of the reception.Visit state-machine methods
// and may enqueue entries), and writes back the visit's state and the events
// fn appended. A visit fn leaves unchanged is not written.
func (s *Store) update(ctx context.Context, orgID, visitID, op string, fn func(tx *sql.Tx, v *reception.Visit) error) (*reception.Visit, error) {
	var out *reception.Visit
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		vs, err := s.queryVisits(ctx, s.stmt(ctx, tx, wVisitForUpd), op, orgID, visitID)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			return notFound("visit", visitID)
		}
		v := vs[0]
		before := v.Clone()
		if err := fn(tx, v); err != nil {
			return err
		}
		normVisit(v)
		added := addedEvents(before.Events, v.Events)
		if len(added) > 0 || stateChanged(before, v) {
			if _, err := s.stmt(ctx, tx, wUpdateVisit).ExecContext(ctx, string(v.Status), v.HandlerUserID,
				microsOrNull(v.HandledAt), v.Reminders, microsOrNull(v.NextReminderAt), orgID, visitID); err != nil {
				return s.fail(ctx, op, err)
			}
			// Events are appended with the next sequence numbers: the
			// timeline is ordered by (at, seq), which is where
			// reception.Visit puts a new event too, after those of
			// equal time.
			for i, e := range added {
				if err := s.insertEvent(ctx, tx, v, len(before.Events)+i, e); err != nil {
					return err
				}
			}
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// stateChanged reports whether the columns update writes differ between a
// and b (a postponed reminder moves NextReminderAt and records no event).
func stateChanged(a, b *reception.Visit) bool {
	return a.Status != b.Status || a.HandlerUserID != b.HandlerUserID || !a.HandledAt.Equal(b.HandledAt) ||
		a.Reminders != b.Reminders || !a.NextReminderAt.Equal(b.NextReminderAt)
}

// normVisit makes v's times what the database returns for them.
func normVisit(v *reception.Visit) {
	v.HandledAt, v.NextReminderAt, v.CreatedAt = trunc(v.HandledAt), trunc(v.NextReminderAt), trunc(v.CreatedAt)
	for i := range v.Events {
		v.Events[i].At = trunc(v.Events[i].At)
	}
}

// addedEvents returns the events of after that are not in before, in
// order; after is before with events inserted.
func addedEvents(before, after []reception.VisitEvent) []reception.VisitEvent {
	var added []reception.VisitEvent
	j := 0
	for _, e := range after {
		if j < len(before) && sameEvent(before[j], e) {
			j++
			continue
		}
		added = append(added, e)
	}
	return added
}

func sameEvent(a, b reception.VisitEvent) bool {
	return a.Kind == b.Kind && a.At.Equal(b.At) && a.ActorUserID == b.ActorUserID && a.Note == b.Note
}

// ClaimVisit implements reception.Store.
func (s *Store) ClaimVisit(ctx context.Context, orgID, visitID, userID string, at time.Time) (*reception.Visit, error) {
	return s.update(ctx, orgID, visitID, fmt.Sprintf("claim visit %q", visitID), func(_ *sql.Tx, v *reception.Visit) error {
		_, err := v.Claim(userID, at)
		return err
	})
}

// AppendVisitEvent implements reception.Store.
func (s *Store) AppendVisitEvent(ctx context.Context, orgID, visitID string, e reception.VisitEvent) (*reception.Visit, error) {
	return s.update(ctx, orgID, visitID, fmt.Sprintf("record event of visit %q", visitID), func(_ *sql.Tx, v *reception.Visit) error {
		return v.Apply(e)
	})
}

// RecordReminder implements reception.Store.
func (s *Store) RecordReminder(ctx context.Context, orgID, visitID string, r *reception.Reminder) (*reception.Visit, error) {
	if r == nil {
		return nil, &reception.FieldError{Field: "Reminder", Msg: "is required"}
	}
	if err := r.Validate(orgID, visitID); err != nil {
		return nil, err
	}
	return s.update(ctx, orgID, visitID, fmt.Sprintf("record reminder of visit %q", visitID), func(tx *sql.Tx, v *reception.Visit) error {
		if err := v.Remind(r); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, r.Entries)
	})
}
