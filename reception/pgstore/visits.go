package pgstore

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/uketsuke/uketsuke/reception"
)

const visitCols = `v.org_id, v.id, v.visitor_name, v.company, v.party_size, v.note, v.button_id, v.staff_id,
	v.status, v.handler_user_id, v.handled_at, v.reminders, v.next_reminder_at, v.created_at, v.reference, v.appointment_id`

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
		&x.status, &v.HandlerUserID, &x.handled, &x.reminders, &x.nextRem, &x.created, &v.Reference, &v.AppointmentID}
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

// insertVisitSQL inserts a new visit and, in the same statement, its first
// event ($15 kind, $16 at, $17 actor, $18 note; $19 is the reference, $20
// the appointment): a check-in is one statement before its outbox entries.
const insertVisitSQL = `WITH v AS (
	INSERT INTO visits (org_id, id, visitor_name, company, party_size, note, button_id, staff_id,
		status, handler_user_id, handled_at, reminders, next_reminder_at, created_at, reference, appointment_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $19, $20)
	RETURNING org_id, id)
	INSERT INTO visit_events (org_id, visit_id, kind, at, actor_user_id, note) SELECT org_id, id, $15, $16, $17, $18 FROM v`

const insertEventSQL = `INSERT INTO visit_events (org_id, visit_id, kind, at, actor_user_id, note) VALUES ($1, $2, $3, $4, $5, $6)`

// queueEvents queues the inserts of events of the visit orgID/visitID, in
// order: the identity column seq numbers them so.
func queueEvents(b *pgx.Batch, orgID, visitID string, events []reception.VisitEvent) {
	for _, e := range events {
		b.Queue(insertEventSQL, orgID, visitID, string(e.Kind), e.At, e.ActorUserID, e.Note)
	}
}

const insertOutboxSQL = `INSERT INTO outbox (id, org_id, target_kind, target_id, content, dedupe_key, visit_id,
	next_attempt_at, created_at, attempts, lease_owner, lease_expires_at, last_error, state)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending')`

func outboxArgs(e *reception.OutboxEntry) []any {
	return []any{e.ID, e.OrgID, string(e.Target.Kind), e.Target.ID, []byte(e.Content), e.DedupeKey, e.VisitID,
		e.NextAttemptAt, e.CreatedAt, e.Attempts, e.LeaseOwner, nullTime(e.LeaseExpiresAt), e.LastError}
}

// queueOutbox queues the inserts of new outbox entries.
func queueOutbox(b *pgx.Batch, entries []*reception.OutboxEntry) {
	for _, e := range entries {
		b.Queue(insertOutboxSQL, outboxArgs(e)...)
	}
}

// CreateVisit implements reception.VisitDriver. The visit, its events and
// the entries go in one batch: one round trip, which PostgreSQL runs as one
// implicit transaction (everything up to the batch's single Sync message),
// so a conflict anywhere stores nothing. A missing organization fails the
// visit's foreign key (ErrNotFound); a used visit ID, entry ID or dedupe
// key fails a unique constraint (ErrConflict).
func (s *db) CreateVisit(ctx context.Context, v *reception.Visit, entries []*reception.OutboxEntry) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	return wrapErr(ctx, s.pool.SendBatch(ctx, createVisitBatch(v, entries)).Close(), "check in visit %s", v.ID)
}

// CreateVisitIn implements reception.TxDriver: CreateVisit's batch in the
// application's pgx.Tx, inside a savepoint (a nested pgx transaction) that
// a failure rolls back, so the application's transaction stays usable.
// The tx must be on the Store's database and see its schema (WithSchema:
// the same search_path).
func (s *db) CreateVisitIn(ctx context.Context, tx any, v *reception.Visit, entries []*reception.OutboxEntry) error {
	t, ok := tx.(pgx.Tx)
	if !ok || t == nil {
		return reception.WrongTx("pgstore", tx, "a pgx.Tx")
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	sp, err := t.Begin(ctx)
	if err != nil {
		return wrapErr(ctx, err, "check in visit %s", v.ID)
	}
	if err := sp.SendBatch(ctx, createVisitBatch(v, entries)).Close(); err != nil {
		_ = sp.Rollback(context.WithoutCancel(ctx))
		return wrapErr(ctx, err, "check in visit %s", v.ID)
	}
	return wrapErr(ctx, sp.Commit(ctx), "check in visit %s", v.ID)
}

// createVisitBatch is the batch of a check-in: the visit with its first
// event, its other events, its entries.
func createVisitBatch(v *reception.Visit, entries []*reception.OutboxEntry) *pgx.Batch {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(v.Events)+len(entries))}
	first := v.Events[0] // reception gives a new visit its checked_in event
	b.Queue(insertVisitSQL, v.OrgID, v.ID, v.VisitorName, v.Company, v.PartySize, v.Note, v.ButtonID, v.StaffID,
		string(v.Status), v.HandlerUserID, nullTime(v.HandledAt), v.Reminders, nullTime(v.NextReminderAt), v.CreatedAt,
		string(first.Kind), first.At, first.ActorUserID, first.Note, v.Reference, v.AppointmentID)
	queueEvents(b, v.OrgID, v.ID, v.Events[1:])
	queueOutbox(b, entries)
	return b
}

func (s *db) GetVisit(ctx context.Context, orgID, id string) (*reception.Visit, error) {
	return one(ctx, s, "visit", id, scanVisitWithEvents, visitWithEvents+" WHERE v.org_id = $1 AND v.id = $2", orgID, id)
}

func (s *db) ListVisits(ctx context.Context, orgID string, f reception.VisitFilter) ([]*reception.Visit, error) {
	// Only the conditions in use, so that each combination gets a plan of
	// its own on the (org_id, created_at) index.
	q := where{sql: visitWithEvents + " WHERE v.org_id = $1", args: []any{orgID}}
	q.and(!f.From.IsZero(), "v.created_at >=", f.From)
	q.and(!f.To.IsZero(), "v.created_at <", f.To)
	q.and(f.Status != "", "v.status =", string(f.Status))
	q.and(f.Reference != "", "v.reference =", f.Reference)
	q.and(f.AppointmentID != "", "v.appointment_id =", f.AppointmentID)
	return list(ctx, s, "list visits", scanVisitWithEvents, q.end(" ORDER BY v.created_at DESC, v.id DESC", f.Limit), q.args...)
}

// where builds a query with optional conditions.
type where struct {
	sql  string
	args []any
}

// and adds "AND cond $n" with v for $n, if use.
func (w *where) and(use bool, cond string, v any) {
	if use {
		w.args = append(w.args, v)
		w.sql += " AND " + cond + " $" + strconv.Itoa(len(w.args))
	}
}

// end returns the query with order and, for a positive limit, a LIMIT.
func (w *where) end(order string, limit int) string {
	if limit > 0 {
		w.args = append(w.args, limit)
		return w.sql + order + " LIMIT $" + strconv.Itoa(len(w.args))
	}
	return w.sql + order
}

func (s *db) ListDueReminders(ctx context.Context, now time.Time, limit int) ([]*reception.Visit, error) {
	return list(ctx, s, "list due reminders", scanVisitWithEvents, visitWithEvents+`
		WHERE v.status IN ('waiting', 'escalated') AND v.next_reminder_at IS NOT NULL AND v.next_reminder_at <= $1
		ORDER BY v.next_reminder_at, v.org_id, v.id LIMIT $2`, now, limit)
}

const lockVisitSQL = `SELECT ` + visitCols + ` FROM visits v WHERE v.org_id = $1 AND v.id = $2 FOR NO KEY UPDATE`

const visitEventsSQL = `SELECT kind, at, actor_user_id, note FROM visit_events
	WHERE org_id = $1 AND visit_id = $2 ORDER BY at, seq`

const updateVisitSQL = `UPDATE visits SET status = $3, handler_user_id = $4, handled_at = $5, reminders = $6,
	next_reminder_at = $7, visitor_name = $8, company = $9, note = $10 WHERE org_id = $1 AND id = $2`

// UpdateVisit implements reception.VisitDriver: in a transaction, lock the
// visit's row, read its timeline (in a statement of its own, after the lock
// is held, so it includes the events of the writer that held the lock
// before), apply change, and write back the visit's state, its new events
// and outbox entries. The lock and the read share a round trip with BEGIN;
// the writes share one. When change writes nothing, the deferred rollback
// ends the read and the lock.
func (s *db) UpdateVisit(ctx context.Context, orgID, visitID string, change func(*reception.Visit) (*reception.VisitChange, error)) error {
	if err := s.ready(ctx); err != nil {
		return err
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
		return wrapErr(ctx, err, "visit %s", visitID)
	}
	c, err := change(v)
	if err != nil || c == nil {
		return err
	}
	w := &pgx.Batch{}
	v = c.Visit
	w.Queue(updateVisitSQL, orgID, visitID, string(v.Status), v.HandlerUserID, nullTime(v.HandledAt), v.Reminders, nullTime(v.NextReminderAt),
		v.VisitorName, v.Company, v.Note)
	if c.DropEntries {
		w.Queue(dropVisitOutboxSQL, orgID, visitID)
	}
	queueEvents(w, orgID, visitID, c.Events)
	queueOutbox(w, c.Entries)
	if err := tx.SendBatch(ctx, w).Close(); err != nil {
		return wrapErr(ctx, err, "visit %s", visitID)
	}
	return wrapErr(ctx, tx.Commit(ctx), "visit %s", visitID)
}

// readLockedVisit reads the results of UpdateVisit's first batch: BEGIN,
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
	return v, err
}
