package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// Each queue operation is one statement on the write connection. A writing
// statement takes SQLite's write lock before it reads anything, so a lease's
// choice of rows and its update are atomic across every Store on the file.
//
// Some commit without syncing the disk (see db.relaxed): those whose
// loss in a power cut repeats work instead of losing it — a lease (leased
// again), a release (the lease lapses instead), and for the outbox a
// completion (sent again when its lease lapses), a retry's or
// postponement's schedule. Burying an entry and recording a callback's
// outcome stay durable.

// queueTable describes the table of one queue to queueSQL.
type queueTable struct {
	name, cols string
	key        string // what the lease's subquery selects rows by
	born       string // the order after next_attempt_at
	done       string // the done state
	doneAt     string // the column of Settlement.At for Done
	deadAt     string // the column of Settlement.At for Dead
}

// queueSQL returns the statements of a queue: lease (?1 owner, ?2 until,
// ?3 now, ?4 n), settle by outcome (?1 id, ?2 owner, ?3 at, ?4 last error),
// release (?1 owner) and get (?1 id).
func queueSQL(t queueTable) (lease string, settle [reception.Uncertain + 1]string, release, get string) {
	lease = `UPDATE ` + t.name + ` SET attempts = attempts + 1, lease_owner = ?1, lease_expires_at = ?2 WHERE ` + t.key +
		` IN (SELECT ` + t.key + ` FROM ` + t.name + ` WHERE state = 'pending' AND next_attempt_at <= ?3` +
		` AND (lease_owner = '' OR lease_expires_at <= ?3) ORDER BY next_attempt_at, ` + t.born + `, id LIMIT ?4) RETURNING ` + t.cols
	sets := [...]string{
		reception.Done:     `state = '` + t.done + `', ` + t.doneAt + ` = ?3`,
		reception.Retry:    `next_attempt_at = ?3, last_error = ?4`,
		reception.Postpone: `next_attempt_at = ?3, last_error = ?4, attempts = max(attempts - 1, 0)`,
		reception.Dead:     `state = 'dead', ` + t.deadAt + ` = ?3, last_error = ?4`,
		// Only the outbox is ever settled so; the inbox's statement is
		// prepared all the same.
		reception.Uncertain: `state = 'uncertain', ` + t.deadAt + ` = ?3, last_error = ?4`,
	}
	for o, set := range sets {
		if set != "" {
			settle[o] = `UPDATE ` + t.name + ` SET ` + set + `, lease_owner = '', lease_expires_at = NULL WHERE id = ?1 AND state = 'pending' AND lease_owner = ?2`
		}
	}
	release = `UPDATE ` + t.name + ` SET lease_owner = '', lease_expires_at = NULL, attempts = max(attempts - 1, 0) WHERE state = 'pending' AND lease_owner = ?1`
	return lease, settle, release, `SELECT ` + t.cols + ` FROM ` + t.name + ` WHERE id = ?1`
}

// queue is reception.QueueDriver on one table.
type queue[E any] struct {
	s       *db
	kind    string
	scan    func(scanner) (E, error)
	lease   *sql.Stmt
	settle  [reception.Uncertain + 1]*sql.Stmt
	release *sql.Stmt
	get     *sql.Stmt // on the read pool
	// relaxed reports which outcomes commit without syncing.
	relaxed func(reception.Outcome) bool
}

// newQueue prepares the statements of table t.
func newQueue[E any](ctx context.Context, s *db, t queueTable, kind string, scan func(scanner) (E, error), relaxed func(reception.Outcome) bool) (*queue[E], error) {
	lease, settle, release, get := queueSQL(t)
	q := &queue[E]{s: s, kind: kind, scan: scan, relaxed: relaxed}
	w, err := prepare(ctx, s.w, append([]string{lease, release}, settle[1:]...))
	if err != nil {
		return nil, err
	}
	q.lease, q.release = w[0], w[1]
	copy(q.settle[1:], w[2:])
	r, err := prepare(ctx, s.r, []string{get})
	if err != nil {
		return nil, err
	}
	q.get = r[0]
	return q, nil
}

// run runs fn with st: on its own, or in a relaxed transaction.
func (q *queue[E]) run(ctx context.Context, relaxed bool, op string, st *sql.Stmt, fn func(*sql.Stmt) error) error {
	if !relaxed {
		return fn(st)
	}
	return q.s.relaxed(ctx, op, func(tx *sql.Tx) error { return fn(tx.StmtContext(ctx, st)) })
}

// exec runs st (see run) and returns the number of rows it changed.
func (q *queue[E]) exec(ctx context.Context, relaxed bool, op string, st *sql.Stmt, args ...any) (int64, error) {
	var n int64
	err := q.run(ctx, relaxed, op, st, func(st *sql.Stmt) error {
		res, err := st.ExecContext(ctx, args...)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return q.s.fail(ctx, op, err)
	})
	return n, err
}

func (q *queue[E]) Get(ctx context.Context, id string) (E, error) {
	return one(ctx, q.s, q.get, q.kind, id, q.scan, id)
}

func (q *queue[E]) Lease(ctx context.Context, owner string, n int, until, now time.Time) ([]E, error) {
	var out []E
	op := "lease " + q.kind
	err := q.run(ctx, true, op, q.lease, func(st *sql.Stmt) error {
		rows, err := st.QueryContext(ctx, owner, micros(until), micros(now), n)
		if err == nil {
			out, err = collect(rows, q.scan)
		}
		return q.s.fail(ctx, op, err)
	})
	return out, err
}

func (q *queue[E]) Settle(ctx context.Context, id, owner string, s reception.Settlement) (bool, error) {
	args := []any{id, owner, micros(s.At)}
	if s.Outcome != reception.Done {
		args = append(args, s.LastError)
	}
	n, err := q.exec(ctx, q.relaxed(s.Outcome), fmt.Sprintf("settle %s %q", q.kind, id), q.settle[s.Outcome], args...)
	return n == 1, err
}

func (q *queue[E]) Release(ctx context.Context, owner string) (int, error) {
	n, err := q.exec(ctx, true, "release "+q.kind+"s", q.release, owner)
	return int(n), err
}

// ---- outbox

// outbox adds to the queue what only the outbox has.
type outbox struct{ *queue[*reception.OutboxEntry] }

func (s *db) Outbox() reception.OutboxDriver { return s.out }

func scanOutbox(sc scanner) (*reception.OutboxEntry, error) {
	var (
		e                        reception.OutboxEntry
		kind, state              string
		content                  []byte
		next, created            int64
		leaseExpires, sent, dead sql.NullInt64
	)
	if err := sc.Scan(&e.ID, &e.OrgID, &kind, &e.Target.ID, &content, &e.DedupeKey, &e.VisitID, &e.Attempts,
		&next, &e.LeaseOwner, &leaseExpires, &e.LastError, &state, &created, &sent, &dead); err != nil {
		return nil, err
	}
	e.Target.Kind, e.State, e.Content = reception.TargetKind(kind), reception.OutboxState(state), content
	e.NextAttemptAt, e.CreatedAt = fromMicros(next), fromMicros(created)
	e.LeaseExpiresAt, e.SentAt, e.DeadAt = fromNullMicros(leaseExpires), fromNullMicros(sent), fromNullMicros(dead)
	return &e, nil
}

func (o outbox) Enqueue(ctx context.Context, e *reception.OutboxEntry) error {
	return o.s.insertOutbox(ctx, nil, []*reception.OutboxEntry{e})
}

func (o outbox) List(ctx context.Context, orgID string, f reception.OutboxFilter) ([]*reception.OutboxEntry, error) {
	return list(ctx, o.s, rListOutbox, "list outbox", scanOutbox, orgID, string(f.State), f.VisitID, limitArg(f.Limit))
}

// Settle implements reception.QueueDriver. With an event to record or
// entries to enqueue, the entry's UPDATE and the INSERTs share one
// transaction (relaxed unless the outcome buries the entry), so one
// commit: a lost event is recorded again with the repeated send.
func (o outbox) Settle(ctx context.Context, id, owner string, s reception.Settlement) (bool, error) {
	if s.Notified == nil && len(s.Then) == 0 {
		return o.queue.Settle(ctx, id, owner, s)
	}
	op := fmt.Sprintf("settle outbox entry %q", id)
	fn := func(tx *sql.Tx) error {
		if err := o.settleIn(ctx, tx, op, id, owner, s); err != nil {
			return err
		}
		for _, e := range s.Then {
			if _, err := o.s.stmt(ctx, tx, wInsertOutboxNew).ExecContext(ctx, outboxArgs(e)...); err != nil {
				return o.s.fail(ctx, fmt.Sprintf("enqueue outbox entry %q", e.ID), err)
			}
		}
		return nil
	}
	var err error
	if o.relaxed(s.Outcome) {
		err = o.s.relaxed(ctx, op, fn)
	} else {
		err = o.s.inTx(ctx, o.s.w, op, fn)
	}
	if errors.Is(err, errNoLease) {
		return false, nil
	}
	return err == nil, err
}

// settleIn settles the lease in tx, appending s.Notified (with Done) to
// the entry's visit; errNoLease when owner holds no lease of id.
func (o outbox) settleIn(ctx context.Context, tx *sql.Tx, op, id, owner string, s reception.Settlement) error {
	if s.Notified == nil {
		args := []any{id, owner, micros(s.At)}
		if s.Outcome != reception.Done {
			args = append(args, s.LastError)
		}
		res, err := tx.StmtContext(ctx, o.queue.settle[s.Outcome]).ExecContext(ctx, args...)
		var n int64
		if err == nil {
			n, err = res.RowsAffected()
		}
		if err == nil && n != 1 {
			return errNoLease
		}
		return o.s.fail(ctx, op, err)
	}
	var orgID, visitID string
	err := o.s.stmt(ctx, tx, wCompleteOutboxRet).QueryRowContext(ctx, id, owner, micros(s.At)).Scan(&orgID, &visitID)
	switch {
	case errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil:
		return errNoLease
	case err != nil || visitID == "":
		return o.s.fail(ctx, op, err)
	}
	// The write lock is held, so the visit cannot go between the
	// INSERT's check that it exists and the INSERT.
	ev := s.Notified
	_, err = o.s.stmt(ctx, tx, wInsertNotified).ExecContext(ctx, orgID, visitID, string(ev.Kind), micros(ev.At), ev.ActorUserID, ev.Note)
	return o.s.fail(ctx, fmt.Sprintf("record %s event of visit %q", ev.Kind, visitID), err)
}

// errNoLease rolls back a transaction whose lease operation matched no row.
var errNoLease = errors.New("sqlitestore: no leased entry matched")

// ---- inbox

// inbox adds to the queue what only the inbox has.
type inbox struct{ *queue[*reception.InboxEntry] }

func (s *db) Inbox() reception.InboxDriver { return s.in }

func scanInbox(sc scanner) (*reception.InboxEntry, error) {
	var (
		e                       reception.InboxEntry
		state                   string
		received, next          int64
		leaseExpires, processed sql.NullInt64
	)
	if err := sc.Scan(&e.ID, &e.OrgID, &e.BotID, &e.Body, &e.Hash, &received, &e.Attempts, &next, &e.LeaseOwner,
		&leaseExpires, &e.LastError, &state, &processed); err != nil {
		return nil, err
	}
	e.State = reception.InboxState(state)
	e.ReceivedAt, e.NextAttemptAt = fromMicros(received), fromMicros(next)
	e.LeaseExpiresAt, e.ProcessedAt = fromNullMicros(leaseExpires), fromNullMicros(processed)
	return &e, nil
}

// Insert implements reception.InboxDriver: ON CONFLICT (bot_id, hash) DO
// NOTHING, so a replay inserts no row. SQLite checks the upsert's target
// first, so a replay with a used ID is a replay too.
func (in inbox) Insert(ctx context.Context, e *reception.InboxEntry) (bool, error) {
	op := fmt.Sprintf("insert inbox entry %q", e.ID)
	res, err := in.s.ws[wInsertInbox].ExecContext(ctx, e.ID, e.OrgID, e.BotID, e.Body, e.Hash, micros(e.ReceivedAt), micros(e.NextAttemptAt))
	switch {
	case isUnique(err):
		return false, conflict("inbox entry %q exists", e.ID)
	case err != nil:
		return false, in.s.fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	return n == 1, in.s.fail(ctx, op, err)
}

// openQueues prepares the statements of both queues.
func (s *db) openQueues(ctx context.Context) error {
	out, err := newQueue(ctx, s, queueTable{"outbox", outboxCols, "id", "created_at", "sent", "sent_at", "dead_at"},
		"outbox entry", scanOutbox, func(o reception.Outcome) bool { return o != reception.Dead && o != reception.Uncertain })
	if err != nil {
		return err
	}
	in, err := newQueue(ctx, s, queueTable{"inbox", inboxCols, "rowid", "received_at", "done", "processed_at", "processed_at"},
		"inbox entry", scanInbox, func(reception.Outcome) bool { return false })
	s.out, s.in = outbox{out}, inbox{in}
	return err
}
