package pgstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/uketsuke/uketsuke/reception"
)

// ---- outbox

const outboxCols = `id, org_id, target_kind, target_id, content, dedupe_key, visit_id, attempts,
	next_attempt_at, lease_owner, lease_expires_at, last_error, state, created_at, sent_at`

func scanOutbox(r rowScanner) (*reception.OutboxEntry, error) {
	var (
		e                     reception.OutboxEntry
		kind, state           string
		content               []byte
		attempts              int32
		next, lease, cre, snt pgtype.Timestamptz
	)
	if err := r.Scan(&e.ID, &e.OrgID, &kind, &e.Target.ID, &content, &e.DedupeKey, &e.VisitID, &attempts,
		&next, &e.LeaseOwner, &lease, &e.LastError, &state, &cre, &snt); err != nil {
		return nil, err
	}
	e.Target.Kind, e.Content, e.Attempts, e.State = reception.TargetKind(kind), content, int(attempts), reception.OutboxState(state)
	e.NextAttemptAt, e.LeaseExpiresAt, e.CreatedAt, e.SentAt = fromTS(next), fromTS(lease), fromTS(cre), fromTS(snt)
	return &e, nil
}

// EnqueueOutbox implements reception.Store.
func (s *Store) EnqueueOutbox(ctx context.Context, e *reception.OutboxEntry) error {
	if e == nil {
		return &reception.FieldError{Field: "Entry", Msg: "is required"}
	}
	if err := e.ValidateNew(); err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	next := e.NextAttemptAt
	if next.IsZero() {
		next = e.CreatedAt
	}
	_, err := s.pool.Exec(ctx, insertOutboxSQL, e.ID, e.OrgID, string(e.Target.Kind), e.Target.ID, []byte(e.Content),
		e.DedupeKey, e.VisitID, next, e.LastError, string(e.State), e.CreatedAt, 0, "", nil)
	return wrapErr(ctx, err, "enqueue outbox entry %s", e.ID)
}

// leaseSQL leases up to $4 due entries of table to $1 until $2, at now $3:
// the inner SELECT picks them in order and locks them, skipping rows
// another transaction is leasing right now, so concurrent dispatchers split
// the work instead of queueing behind each other. A row whose lease
// another transaction just committed is re-checked by PostgreSQL after the
// lock and no longer matches. An entry whose lease expires exactly at now
// is free.
func leaseSQL(table, cols, order string) string {
	return `UPDATE ` + table + ` SET attempts = attempts + 1, lease_owner = $1, lease_expires_at = $2
		WHERE id IN (
			SELECT id FROM ` + table + `
			WHERE state = 'pending' AND next_attempt_at <= $3 AND (lease_owner = '' OR lease_expires_at <= $3)
			ORDER BY ` + order + `
			LIMIT $4
			FOR UPDATE SKIP LOCKED)
		RETURNING ` + cols
}

var leaseOutboxSQL = leaseSQL("outbox", outboxCols, "next_attempt_at, created_at, id")

// LeaseOutbox implements reception.Store.
func (s *Store) LeaseOutbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*reception.OutboxEntry, error) {
	if err := reception.ValidateLease(owner, n, leaseFor, now); err != nil {
		return nil, err
	}
	out, err := list(ctx, s, "lease outbox", scanOutbox, leaseOutboxSQL, owner, now.Add(leaseFor), now, n)
	if err != nil {
		return nil, err
	}
	// RETURNING has no order.
	slices.SortFunc(out, func(a, b *reception.OutboxEntry) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// finish runs an UPDATE of the entry id of table leased by owner ($1 id,
// $2 owner, then args), which also ends the lease. The owner of a lapsed
// lease that nobody took still matches. When nothing matched it finds out
// why: no entry (ErrNotFound), or not pending or not owner's (ErrConflict).
func (s *Store) finish(ctx context.Context, table, kind, id, owner, set string, args ...any) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE `+table+` SET `+set+`, lease_owner = '', lease_expires_at = NULL
		WHERE id = $1 AND state = 'pending' AND lease_owner = $2 AND lease_owner <> ''`,
		append([]any{id, owner}, args...)...)
	if err != nil {
		return wrapErr(ctx, err, "%s %s", kind, id)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return s.unfinished(ctx, table, kind, id, owner)
}

// unfinished explains why finishing the entry id of table leased by owner
// matched nothing: no entry (ErrNotFound), or not pending or not owner's
// (ErrConflict).
func (s *Store) unfinished(ctx context.Context, table, kind, id, owner string) error {
	var state, leaseOwner string
	err := s.pool.QueryRow(ctx, `SELECT state, lease_owner FROM `+table+` WHERE id = $1`, id).Scan(&state, &leaseOwner)
	if err != nil {
		return wrapErr(ctx, err, "%s %q", kind, id)
	}
	if state != "pending" {
		return conflict("%s %q is %s", kind, id, state)
	}
	return conflict("%s %q is not leased by %q", kind, id, owner)
}

// completeNotifiedSQL completes the outbox entry $1 leased by $2 at $3, as
// finish does, and appends the event ($4 kind, $5 at, $6 actor, $7 note)
// to the entry's visit if it has one that exists. One statement, so one
// transaction; it returns the number of entries completed.
const completeNotifiedSQL = `WITH done AS (
		UPDATE outbox SET state = 'sent', sent_at = $3, lease_owner = '', lease_expires_at = NULL
		WHERE id = $1 AND state = 'pending' AND lease_owner = $2 AND lease_owner <> ''
		RETURNING org_id, visit_id),
	ev AS (
		INSERT INTO visit_events (org_id, visit_id, kind, at, actor_user_id, note)
		SELECT d.org_id, d.visit_id, $4::text, $5::timestamptz, $6::text, $7::text FROM done d
		WHERE d.visit_id <> '' AND EXISTS (SELECT 1 FROM visits v WHERE v.org_id = d.org_id AND v.id = d.visit_id))
	SELECT count(*) FROM done`

// CompleteOutbox implements reception.Store. With an event to record, the
// entry's UPDATE and the event's INSERT are one statement.
func (s *Store) CompleteOutbox(ctx context.Context, id, owner string, sentAt time.Time, notified *reception.VisitEvent) error {
	if sentAt.IsZero() {
		return &reception.FieldError{Field: "SentAt", Msg: "is required"}
	}
	if notified != nil && notified.Kind != reception.EventNotified {
		return &reception.FieldError{Field: "Notified.Kind", Msg: fmt.Sprintf("must be %q, not %q", reception.EventNotified, notified.Kind)}
	}
	if notified == nil || !notifiedApplies(*notified) {
		return s.finish(ctx, "outbox", "outbox entry", id, owner, "state = 'sent', sent_at = $3", sentAt)
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	var n int64
	err := s.pool.QueryRow(ctx, completeNotifiedSQL, id, owner, sentAt, string(notified.Kind), notified.At,
		notified.ActorUserID, notified.Note).Scan(&n)
	if err != nil {
		return wrapErr(ctx, err, "outbox entry %s", id)
	}
	if n == 1 {
		return nil
	}
	return s.unfinished(ctx, "outbox", "outbox entry", id, owner)
}

// notifiedApplies reports whether Visit.Apply accepts e, a notified event.
// Apply refuses a notified event only for faults of the event itself (no
// At, a bad ActorUserID), never for the visit's state, so any visit tells.
func notifiedApplies(e reception.VisitEvent) bool {
	return (&reception.Visit{Status: reception.StatusWaiting}).Apply(e) == nil
}

// RetryOutbox implements reception.Store.
func (s *Store) RetryOutbox(ctx context.Context, id, owner string, nextAttempt time.Time, lastErr string) error {
	if nextAttempt.IsZero() {
		return &reception.FieldError{Field: "NextAttempt", Msg: "is required"}
	}
	return s.finish(ctx, "outbox", "outbox entry", id, owner, "next_attempt_at = $3, last_error = $4", nextAttempt, lastErr)
}

// PostponeOutbox implements reception.Store.
func (s *Store) PostponeOutbox(ctx context.Context, id, owner string, until time.Time, reason string) error {
	if until.IsZero() {
		return &reception.FieldError{Field: "Until", Msg: "is required"}
	}
	return s.finish(ctx, "outbox", "outbox entry", id, owner, "next_attempt_at = $3, last_error = $4, attempts = greatest(attempts - 1, 0)", until, reason)
}

// DeadOutbox implements reception.Store.
func (s *Store) DeadOutbox(ctx context.Context, id, owner, lastErr string) error {
	return s.finish(ctx, "outbox", "outbox entry", id, owner, "state = 'dead', last_error = $3", lastErr)
}

// release ends every lease of owner in table, taking back the attempt each
// lease counted.
func (s *Store) release(ctx context.Context, table, owner string) (int, error) {
	if owner == "" {
		return 0, &reception.FieldError{Field: "Owner", Msg: "is required"}
	}
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE `+table+` SET lease_owner = '', lease_expires_at = NULL, attempts = greatest(attempts - 1, 0)
		WHERE state = 'pending' AND lease_owner = $1`, owner)
	if err != nil {
		return 0, wrapErr(ctx, err, "release %s leases of %s", table, owner)
	}
	return int(tag.RowsAffected()), nil
}

// ReleaseOutbox implements reception.Store.
func (s *Store) ReleaseOutbox(ctx context.Context, owner string) (int, error) {
	return s.release(ctx, "outbox", owner)
}

// ListOutbox implements reception.Store.
func (s *Store) ListOutbox(ctx context.Context, orgID string, f reception.OutboxFilter) ([]*reception.OutboxEntry, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var q strings.Builder
	q.WriteString("SELECT " + outboxCols + " FROM outbox WHERE org_id = $1")
	args := []any{orgID}
	if f.State != "" {
		args = append(args, string(f.State))
		q.WriteString(" AND state = $" + strconv.Itoa(len(args)))
	}
	if f.VisitID != "" {
		args = append(args, f.VisitID)
		q.WriteString(" AND visit_id = $" + strconv.Itoa(len(args)))
	}
	q.WriteString(" ORDER BY created_at, id")
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q.WriteString(" LIMIT $" + strconv.Itoa(len(args)))
	}
	return list(ctx, s, "list outbox", scanOutbox, q.String(), args...)
}

// ---- inbox

const inboxCols = `id, org_id, bot_id, body, hash, received_at, attempts, next_attempt_at, lease_owner,
	lease_expires_at, last_error, state, processed_at`

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

// InsertInbox implements reception.Store. The (bot_id, hash) unique
// constraint is the arbiter of ON CONFLICT: a replay is skipped, while a
// used ID (another constraint) is still an error.
func (s *Store) InsertInbox(ctx context.Context, e *reception.InboxEntry) (bool, error) {
	if e == nil {
		return false, &reception.FieldError{Field: "Entry", Msg: "is required"}
	}
	if err := e.ValidateNew(); err != nil {
		return false, err
	}
	if err := s.ready(ctx); err != nil {
		return false, err
	}
	next := e.NextAttemptAt
	if next.IsZero() {
		next = e.ReceivedAt
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO inbox (id, org_id, bot_id, body, hash, received_at, next_attempt_at, last_error, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (bot_id, hash) DO NOTHING`,
		e.ID, e.OrgID, e.BotID, e.Body, e.Hash, e.ReceivedAt, next, e.LastError, string(e.State))
	if err != nil {
		return false, wrapErr(ctx, err, "insert inbox entry %s", e.ID)
	}
	return tag.RowsAffected() == 1, nil
}

// GetInbox implements reception.Store.
func (s *Store) GetInbox(ctx context.Context, id string) (*reception.InboxEntry, error) {
	return one(ctx, s, "inbox entry", id, scanInbox, "SELECT "+inboxCols+" FROM inbox WHERE id = $1", id)
}

var leaseInboxSQL = leaseSQL("inbox", inboxCols, "next_attempt_at, received_at, id")

// LeaseInbox implements reception.Store.
func (s *Store) LeaseInbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*reception.InboxEntry, error) {
	if err := reception.ValidateLease(owner, n, leaseFor, now); err != nil {
		return nil, err
	}
	out, err := list(ctx, s, "lease inbox", scanInbox, leaseInboxSQL, owner, now.Add(leaseFor), now, n)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *reception.InboxEntry) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// CompleteInbox implements reception.Store.
func (s *Store) CompleteInbox(ctx context.Context, id, owner string, at time.Time) error {
	if at.IsZero() {
		return &reception.FieldError{Field: "At", Msg: "is required"}
	}
	return s.finish(ctx, "inbox", "inbox entry", id, owner, "state = 'done', processed_at = $3", at)
}

// FailInbox implements reception.Store.
func (s *Store) FailInbox(ctx context.Context, id, owner string, nextAttempt time.Time, lastErr string) error {
	if nextAttempt.IsZero() {
		return &reception.FieldError{Field: "NextAttempt", Msg: "is required"}
	}
	return s.finish(ctx, "inbox", "inbox entry", id, owner, "next_attempt_at = $3, last_error = $4", nextAttempt, lastErr)
}

// DeadInbox implements reception.Store.
func (s *Store) DeadInbox(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	if at.IsZero() {
		return &reception.FieldError{Field: "At", Msg: "is required"}
	}
	return s.finish(ctx, "inbox", "inbox entry", id, owner, "state = 'dead', processed_at = $3, last_error = $4", at, lastErr)
}

// ReleaseInbox implements reception.Store.
func (s *Store) ReleaseInbox(ctx context.Context, owner string) (int, error) {
	return s.release(ctx, "inbox", owner)
}
