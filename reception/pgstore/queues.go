package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/uketsuke/uketsuke/reception"
)

// queue is reception.QueueDriver on one table: the outbox and the inbox
// differ only in what queueTable says.
type queue[E any] struct {
	s    *db
	kind string
	scan func(rowScanner) (E, error)
	// lease, settle (by outcome), release and get are the statements.
	lease   string
	settle  [reception.Uncertain + 1]string
	release string
	get     string
}

// queueTable describes a queue's table: its columns, the order after
// next_attempt_at, the done state and the columns of a settlement's time.
type queueTable struct{ name, cols, born, done, doneAt, deadAt string }

func newQueue[E any](s *db, t queueTable, kind string, scan func(rowScanner) (E, error)) *queue[E] {
	q := &queue[E]{s: s, kind: kind, scan: scan}
	// The inner SELECT picks the due entries in order and locks them,
	// skipping rows another transaction is leasing right now, so
	// concurrent dispatchers split the work instead of queueing behind
	// each other. A row whose lease another transaction just committed is
	// re-checked by PostgreSQL after the lock and no longer matches. An
	// entry whose lease expires exactly at now is free.
	q.lease = `UPDATE ` + t.name + ` SET attempts = attempts + 1, lease_owner = $1, lease_expires_at = $2
		WHERE id IN (SELECT id FROM ` + t.name + `
			WHERE state = 'pending' AND next_attempt_at <= $3 AND (lease_owner = '' OR lease_expires_at <= $3)
			ORDER BY next_attempt_at, ` + t.born + `, id LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING ` + t.cols
	for o, set := range map[reception.Outcome]string{
		reception.Done:     `state = '` + t.done + `', ` + t.doneAt + ` = $3`,
		reception.Retry:    `next_attempt_at = $3, last_error = $4`,
		reception.Postpone: `next_attempt_at = $3, last_error = $4, attempts = greatest(attempts - 1, 0)`,
		reception.Dead:     `state = 'dead', ` + t.deadAt + ` = $3, last_error = $4`,
		// Only the outbox is ever settled so.
		reception.Uncertain: `state = 'uncertain', ` + t.deadAt + ` = $3, last_error = $4`,
	} {
		q.settle[o] = `UPDATE ` + t.name + ` SET ` + set + `, lease_owner = '', lease_expires_at = NULL
			WHERE id = $1 AND state = 'pending' AND lease_owner = $2`
	}
	q.release = `UPDATE ` + t.name + ` SET lease_owner = '', lease_expires_at = NULL, attempts = greatest(attempts - 1, 0)
		WHERE state = 'pending' AND lease_owner = $1`
	q.get = `SELECT ` + t.cols + ` FROM ` + t.name + ` WHERE id = $1`
	return q
}

func (q *queue[E]) Get(ctx context.Context, id string) (E, error) {
	return one(ctx, q.s, q.kind, id, q.scan, q.get, id)
}

func (q *queue[E]) Lease(ctx context.Context, owner string, n int, until, now time.Time) ([]E, error) {
	return list(ctx, q.s, "lease "+q.kind+"s", q.scan, q.lease, owner, until, now, n)
}

func (q *queue[E]) Settle(ctx context.Context, id, owner string, s reception.Settlement) (bool, error) {
	args := []any{id, owner, s.At}
	if s.Outcome != reception.Done {
		args = append(args, s.LastError)
	}
	n, err := q.s.count(ctx, q.kind+" "+id, q.settle[s.Outcome], args...)
	return n == 1, err
}

func (q *queue[E]) Release(ctx context.Context, owner string) (int, error) {
	n, err := q.s.count(ctx, "release "+q.kind+"s of "+owner, q.release, owner)
	return int(n), err
}

// count runs a write and returns the number of rows it changed.
func (s *db) count(ctx context.Context, what, sql string, args ...any) (int64, error) {
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, sql, args...)
	return tag.RowsAffected(), wrapErr(ctx, err, "%s", what)
}

// ---- outbox

const outboxCols = `id, org_id, target_kind, target_id, content, dedupe_key, visit_id, attempts,
	next_attempt_at, lease_owner, lease_expires_at, last_error, state, created_at, sent_at, dead_at`

// outbox adds to the queue what only the outbox has.
type outbox struct{ *queue[*reception.OutboxEntry] }

func (s *db) Outbox() reception.OutboxDriver {
	return outbox{newQueue(s, queueTable{"outbox", outboxCols, "created_at", "sent", "sent_at", "dead_at"}, "outbox entry", scanOutbox)}
}

func scanOutbox(r rowScanner) (*reception.OutboxEntry, error) {
	var (
		e                           reception.OutboxEntry
		kind, state                 string
		content                     []byte
		attempts                    int32
		next, lease, cre, snt, dead pgtype.Timestamptz
	)
	if err := r.Scan(&e.ID, &e.OrgID, &kind, &e.Target.ID, &content, &e.DedupeKey, &e.VisitID, &attempts,
		&next, &e.LeaseOwner, &lease, &e.LastError, &state, &cre, &snt, &dead); err != nil {
		return nil, err
	}
	e.Target.Kind, e.Content, e.Attempts, e.State = reception.TargetKind(kind), content, int(attempts), reception.OutboxState(state)
	e.NextAttemptAt, e.LeaseExpiresAt, e.CreatedAt, e.SentAt, e.DeadAt = fromTS(next), fromTS(lease), fromTS(cre), fromTS(snt), fromTS(dead)
	return &e, nil
}

func (o outbox) Enqueue(ctx context.Context, e *reception.OutboxEntry) error {
	return o.s.exec(ctx, "enqueue outbox entry "+e.ID, insertOutboxSQL, outboxArgs(e)...)
}

func (o outbox) List(ctx context.Context, orgID string, f reception.OutboxFilter) ([]*reception.OutboxEntry, error) {
	q := where{sql: "SELECT " + outboxCols + " FROM outbox WHERE org_id = $1", args: []any{orgID}}
	q.and(f.State != "", "state =", string(f.State))
	q.and(f.VisitID != "", "visit_id =", f.VisitID)
	return list(ctx, o.s, "list outbox", scanOutbox, q.end(" ORDER BY created_at, id", f.Limit), q.args...)
}

// completeNotifiedSQL completes the outbox entry $1 leased by $2 at $3 and
// appends the event ($4 kind, $5 at, $6 actor, $7 note) to the entry's
// visit if it has one that exists. One statement, so one transaction; it
// returns the number of entries completed.
const completeNotifiedSQL = `WITH done AS (
		UPDATE outbox SET state = 'sent', sent_at = $3, lease_owner = '', lease_expires_at = NULL
		WHERE id = $1 AND state = 'pending' AND lease_owner = $2
		RETURNING org_id, visit_id),
	ev AS (
		INSERT INTO visit_events (org_id, visit_id, kind, at, actor_user_id, note)
		SELECT d.org_id, d.visit_id, $4::text, $5::timestamptz, $6::text, $7::text FROM done d
		WHERE d.visit_id <> '' AND EXISTS (SELECT 1 FROM visits v WHERE v.org_id = d.org_id AND v.id = d.visit_id))
	SELECT count(*) FROM done`

// Settle implements reception.QueueDriver. With an event to record, the
// entry's UPDATE and the event's INSERT are one statement; with entries to
// enqueue (Then), that statement and their INSERTs are one transaction,
// rolled back when no lease was settled.
func (o outbox) Settle(ctx context.Context, id, owner string, s reception.Settlement) (bool, error) {
	ev := s.Notified
	if ev == nil && len(s.Then) == 0 {
		return o.queue.Settle(ctx, id, owner, s)
	}
	if err := o.s.ready(ctx); err != nil {
		return false, err
	}
	b := &pgx.Batch{}
	if ev != nil {
		b.Queue(completeNotifiedSQL, id, owner, s.At, string(ev.Kind), ev.At, ev.ActorUserID, ev.Note)
	} else {
		args := []any{id, owner, s.At}
		if s.Outcome != reception.Done {
			args = append(args, s.LastError)
		}
		b.Queue(`WITH done AS (`+o.settle[s.Outcome]+` RETURNING 1) SELECT count(*) FROM done`, args...)
	}
	for _, e := range s.Then {
		b.Queue(insertOutboxSQL+` ON CONFLICT DO NOTHING`, outboxArgs(e)...)
	}
	var n int64
	err := pgx.BeginFunc(ctx, o.s.pool, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, b)
		err := br.QueryRow().Scan(&n)
		for i := 1; err == nil && i < b.Len(); i++ {
			_, err = br.Exec()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err == nil && n != 1 {
			err = errNoLease
		}
		return err
	})
	if errors.Is(err, errNoLease) {
		return false, nil
	}
	return n == 1, wrapErr(ctx, err, "outbox entry %s", id)
}

// errNoLease rolls back a settlement that found no lease to settle.
var errNoLease = errors.New("pgstore: no leased entry matched")

// ---- inbox

const inboxCols = `id, org_id, bot_id, body, hash, received_at, attempts, next_attempt_at, lease_owner,
	lease_expires_at, last_error, state, processed_at`

// inbox adds to the queue what only the inbox has.
type inbox struct{ *queue[*reception.InboxEntry] }

func (s *db) Inbox() reception.InboxDriver {
	return inbox{newQueue(s, queueTable{"inbox", inboxCols, "received_at", "done", "processed_at", "processed_at"}, "inbox entry", scanInbox)}
}

func scanInbox(r rowScanner) (*reception.InboxEntry, error) {
	var (
		e                         reception.InboxEntry
		state                     string
		attempts                  int32
		recv, next, lease, procAt pgtype.Timestamptz
	)
	if err := r.Scan(&e.ID, &e.OrgID, &e.BotID, &e.Body, &e.Hash, &recv, &attempts, &next, &e.LeaseOwner,
		&lease, &e.LastError, &state, &procAt); err != nil {
		return nil, err
	}
	e.Attempts, e.State = int(attempts), reception.InboxState(state)
	e.ReceivedAt, e.NextAttemptAt, e.LeaseExpiresAt, e.ProcessedAt = fromTS(recv), fromTS(next), fromTS(lease), fromTS(procAt)
	return &e, nil
}

// Insert implements reception.InboxDriver. The (bot_id, hash) unique
// constraint is the arbiter of ON CONFLICT: a replay is skipped, while a
// used ID (another constraint) is still an error.
func (in inbox) Insert(ctx context.Context, e *reception.InboxEntry) (bool, error) {
	n, err := in.s.count(ctx, "insert inbox entry "+e.ID, `INSERT INTO inbox (id, org_id, bot_id, body, hash, received_at, next_attempt_at, last_error, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (bot_id, hash) DO NOTHING`,
		e.ID, e.OrgID, e.BotID, e.Body, e.Hash, e.ReceivedAt, e.NextAttemptAt, e.LastError, string(e.State))
	return n == 1, err
}
