package pgstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/uketsuke/uketsuke/reception"
)

const visitCols = `v.org_id, v.id, v.visitor_name, v.company, v.party_size, v.note, v.button_id, v.staff_id,
	v.status, v.handler_user_id, v.handled_at, v.reminders, v.next_reminder_at, v.created_at`

// visitWithEvents selects visits (aliased v) with their timelines as
// parallel arrays, in one statement and so one snapshot.
const visitWithEvents = `SELECT ` + visitCols + `, ev.kinds, ev.ats, ev.actors, ev.notes
	FROM visits v
	CROSS JOIN LATERAL (
		SELECT array_agg(e.kind ORDER BY e.at, e.seq) AS kinds,
		       array_agg(e.at ORDER BY e.at, e.seq) AS ats,
		       array_agg(e.actor_user_id ORDER BY e.at, e.seq) AS actors,
		       array_agg(e.note ORDER BY e.at, e.seq) AS notes
		FROM visit_events e WHERE e.org_id = v.org_id AND e.visit_id = v.id
	) ev`

// visitScan holds a visit row being scanned: dest gives the destinations
// of visitCols, finish the visit.
type visitScan struct {
	v                         reception.Visit
	partySize, reminders      int32
	status                    string
	handled, nextRem, created pgtype.Timestamptz
	kinds, actors, notes      []string
	ats                       []time.Time
}

func (x *visitScan) dest() []any {
	v := &x.v
	return []any{&v.OrgID, &v.ID, &v.VisitorName, &v.Company, &x.partySize, &v.Note, &v.ButtonID, &v.StaffID,
		&x.status, &v.HandlerUserID, &x.handled, &x.reminders, &x.nextRem, &x.created}
}

func (x *visitScan) finish() *reception.Visit {
	v := x.v
	v.PartySize, v.Reminders, v.Status = int(x.partySize), int(x.reminders), reception.VisitStatus(x.status)
	v.HandledAt, v.NextReminderAt, v.CreatedAt = fromTS(x.handled), fromTS(x.nextRem), fromTS(x.created)
	if n := len(x.kinds); n > 0 && len(x.ats) == n && len(x.actors) == n && len(x.notes) == n {
		v.Events = make([]reception.VisitEvent, n)
		for i := range n {
			v.Events[i] = reception.VisitEvent{Kind: reception.EventKind(x.kinds[i]), At: x.ats[i].UTC(), ActorUserID: x.actors[i], Note: x.notes[i]}
		}
	}
	return &v
}

func scanVisitWithEvents(r rowScanner) (*reception.Visit, error) {
	var x visitScan
	if err := r.Scan(append(x.dest(), &x.kinds, &x.ats, &x.actors, &x.notes)...); err != nil {
		return nil, err
	}
	return x.finish(), nil
}

// insertVisitSQL inserts a new visit and its checked_in event.
const insertVisitSQL = `WITH v AS (
	INSERT INTO visits (org_id, id, visitor_name, company, party_size, note, button_id, staff_id,
		status, handler_user_id, handled_at, reminders, next_reminder_at, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
	RETURNING org_id, id, created_at)
	INSERT INTO visit_events (org_id, visit_id, kind, at) SELECT org_id, id, 'checked_in', created_at FROM v`

const insertEventSQL = `INSERT INTO visit_events (org_id, visit_id, kind, at, actor_user_id, note) VALUES ($1, $2, $3, $4, $5, $6)`

const insertOutboxSQL = `INSERT INTO outbox (id, org_id, target_kind, target_id, content, dedupe_key, visit_id,
	next_attempt_at, last_error, state, created_at, attempts, lease_owner, lease_expires_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`

// queueOutbox queues the insert of a new outbox entry (checked with
// ValidateNew); a zero NextAttemptAt means CreatedAt.
func queueOutbox(b *pgx.Batch, e *reception.OutboxEntry) {
	next := e.NextAttemptAt
	if next.IsZero() {
		next = e.CreatedAt
	}
	b.Queue(insertOutboxSQL, e.ID, e.OrgID, string(e.Target.Kind), e.Target.ID, []byte(e.Content), e.DedupeKey, e.VisitID,
		next, e.LastError, string(e.State), e.CreatedAt, e.Attempts, e.LeaseOwner, nullTime(e.LeaseExpiresAt))
}

// CheckIn implements reception.Store. The visit, its checked_in event and
// the entries go in one batch: one round trip, which PostgreSQL runs as one
// implicit transaction (everything up to the batch's single Sync message),
// so a conflict anywhere stores nothing. A missing organization fails the
// visit's foreign key (ErrNotFound); a used visit ID, entry ID or dedupe
// key fails a unique constraint (ErrConflict).
func (s *Store) CheckIn(ctx context.Context, v *reception.Visit, entries []*reception.OutboxEntry) error {
	if err := reception.ValidateCheckIn(v, entries); err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 2+len(entries))}
	b.Queue(insertVisitSQL, v.OrgID, v.ID, v.VisitorName, v.Company, v.PartySize, v.Note, v.ButtonID, v.StaffID,
		string(v.Status), v.HandlerUserID, nullTime(v.HandledAt), v.Reminders, nullTime(v.NextReminderAt), v.CreatedAt)
	for _, e := range entries {
		queueOutbox(b, e)
	}
	err := s.pool.SendBatch(ctx, b).Close()
	return wrapErr(ctx, err, "check in visit %s", v.ID)
}

// GetVisit implements reception.Store.
func (s *Store) GetVisit(ctx context.Context, orgID, id string) (*reception.Visit, error) {
	return one(ctx, s, "visit", id, scanVisitWithEvents, visitWithEvents+" WHERE v.org_id = $1 AND v.id = $2", orgID, id)
}

// ListVisits implements reception.Store.
func (s *Store) ListVisits(ctx context.Context, orgID string, f reception.VisitFilter) ([]*reception.Visit, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	// Only the conditions in use, so that each combination gets a plan of
	// its own on the (org_id, created_at) index.
	var q strings.Builder
	q.WriteString(visitWithEvents + " WHERE v.org_id = $1")
	args := []any{orgID}
	arg := func(cond string, v any) {
		args = append(args, v)
		q.WriteString(" AND " + cond + " $" + strconv.Itoa(len(args)))
	}
	if !f.From.IsZero() {
		arg("v.created_at >=", f.From)
	}
	if !f.To.IsZero() {
		arg("v.created_at <", f.To)
	}
	if f.Status != "" {
		arg("v.status =", string(f.Status))
	}
	q.WriteString(" ORDER BY v.created_at DESC, v.id DESC")
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q.WriteString(" LIMIT $" + strconv.Itoa(len(args)))
	}
	return list(ctx, s, "list visits", scanVisitWithEvents, q.String(), args...)
}

// ListDueReminders implements reception.Store.
func (s *Store) ListDueReminders(ctx context.Context, now time.Time, limit int) ([]*reception.Visit, error) {
	if limit <= 0 {
		return nil, &reception.FieldError{Field: "Limit", Msg: "must be positive"}
	}
	return list(ctx, s, "list due reminders", scanVisitWithEvents, visitWithEvents+`
		WHERE v.status IN ('waiting', 'escalated') AND v.next_reminder_at IS NOT NULL AND v.next_reminder_at <= $1
		ORDER BY v.next_reminder_at, v.org_id, v.id LIMIT $2`, now, limit)
}

// ClaimVisit implements reception.Store.
func (s *Store) ClaimVisit(ctx context.Context, orgID, visitID, userID string, at time.Time) (*reception.Visit, error) {
	return s.updateVisit(ctx, "claim visit", orgID, visitID, func(v *reception.Visit) (bool, []*reception.OutboxEntry, error) {
		changed, err := v.Claim(userID, at)
		return changed, nil, err
	})
}

// AppendVisitEvent implements reception.Store.
func (s *Store) AppendVisitEvent(ctx context.Context, orgID, visitID string, e reception.VisitEvent) (*reception.Visit, error) {
	return s.updateVisit(ctx, "append visit event", orgID, visitID, func(v *reception.Visit) (bool, []*reception.OutboxEntry, error) {
		return true, nil, v.Apply(e)
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
	return s.updateVisit(ctx, "record reminder", orgID, visitID, func(v *reception.Visit) (bool, []*reception.OutboxEntry, error) {
		return true, r.Entries, v.Remind(r)
	})
}

const lockVisitSQL = `SELECT ` + visitCols + ` FROM visits v WHERE v.org_id = $1 AND v.id = $2 FOR NO KEY UPDATE`

const visitEventsSQL = `SELECT kind, at, actor_user_id, note FROM visit_events
	WHERE org_id = $1 AND visit_id = $2 ORDER BY at, seq`

const updateVisitSQL = `UPDATE visits SET status = $3, handler_user_id = $4, handled_at = $5, reminders = $6,
	next_reminder_at = $7 WHERE org_id = $1 AND id = $2`

// updateVisit is the one way a visit changes after CheckIn: in a
// transaction, lock the visit's row, read its timeline (in a statement of
// its own, after the lock is held, so it includes the events of the writer
// that held the lock before), apply fn — one of the state machine's methods
// — and write back the visit's state, the events fn added and the outbox
// entries it returns. The lock and the read share a round trip with BEGIN;
// the writes share one. When fn changes nothing, nothing is written; when
// it fails, its error is returned as is.
func (s *Store) updateVisit(ctx context.Context, what, orgID, visitID string, fn func(v *reception.Visit) (changed bool, entries []*reception.OutboxEntry, err error)) (*reception.Visit, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(lockVisitSQL, orgID, visitID)
	b.Queue(visitEventsSQL, orgID, visitID)
	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op

	v, err := readLockedVisit(br)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, wrapErr(ctx, err, "%s %s", what, visitID)
	}

	old := v.Events
	v.Events = append([]reception.VisitEvent(nil), old...)
	changed, entries, err := fn(v)
	if err != nil {
		return nil, err
	}
	if !changed {
		return v, nil // the deferred rollback ends the read and the lock
	}
	normVisit(v)

	w := &pgx.Batch{}
	w.Queue(updateVisitSQL, orgID, visitID, string(v.Status), v.HandlerUserID, nullTime(v.HandledAt), v.Reminders, nullTime(v.NextReminderAt))
	for _, e := range added(old, v.Events) {
		w.Queue(insertEventSQL, orgID, visitID, string(e.Kind), e.At, e.ActorUserID, e.Note)
	}
	for _, e := range entries {
		queueOutbox(w, e)
	}
	if err := tx.SendBatch(ctx, w).Close(); err != nil {
		return nil, wrapErr(ctx, err, "%s %s", what, visitID)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, wrapErr(ctx, err, "%s %s", what, visitID)
	}
	return v, nil
}

// readLockedVisit reads the results of updateVisit's first batch: BEGIN,
// the locked visit row, its events.
func readLockedVisit(br pgx.BatchResults) (*reception.Visit, error) {
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	var x visitScan
	if err := br.QueryRow().Scan(x.dest()...); err != nil {
		return nil, err
	}
	v := x.finish()
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	v.Events, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (reception.VisitEvent, error) {
		var (
			e    reception.VisitEvent
			kind string
		)
		err := r.Scan(&kind, &e.At, &e.ActorUserID, &e.Note)
		e.Kind, e.At = reception.EventKind(kind), e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// added returns the events of now that are not in old. The state machine
// only inserts events (keeping the others in order), so one merge walk
// finds them.
func added(old, now []reception.VisitEvent) []reception.VisitEvent {
	var out []reception.VisitEvent
	i := 0
	for _, e := range now {
		if i < len(old) && sameEvent(old[i], e) {
			i++
			continue
		}
		out = append(out, e)
	}
	return out
}

func sameEvent(a, b reception.VisitEvent) bool {
	return a.Kind == b.Kind && a.At.Equal(b.At) && a.ActorUserID == b.ActorUserID && a.Note == b.Note
}

// normVisit makes the times of a visit about to be written what reading it
// back would give.
func normVisit(v *reception.Visit) {
	v.HandledAt, v.NextReminderAt, v.CreatedAt = norm(v.HandledAt), norm(v.NextReminderAt), norm(v.CreatedAt)
	for i := range v.Events {
		v.Events[i].At = norm(v.Events[i].At)
	}
}
