package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// Each queue operation is one statement on the write connection. A writing
// statement takes SQLite's write lock before it reads anything, so a lease's
// choice of rows and its update are atomic across every Store on the file.
// The statements in relaxedStmts commit without syncing the disk (see
// Store.relaxed); the others run in autocommit mode with the configured
// synchronous setting.

// relaxedStmts are the queue statements whose loss in a power cut repeats
// work instead of losing it: a lease (leased again), a completion (sent
// again when its lease lapses), a retry's or postponement's schedule and a
// release (the lease lapses instead). Burying an entry and recording a
// callback's outcome stay durable.
var relaxedStmts = [nWstmt]bool{
	wLeaseOutbox: true, wCompleteOutbox: true, wRetryOutbox: true, wPostponeOutbox: true, wReleaseOutbox: true,
	wLeaseInbox: true, wReleaseInbox: true,
}

// queueStmt runs fn with the write statement k: on its own for a durable
// statement, in a relaxed transaction for one of relaxedStmts.
func (s *Store) queueStmt(ctx context.Context, k wstmt, op string, fn func(st *sql.Stmt) error) error {
	if !relaxedStmts[k] {
		return fn(s.ws[k])
	}
	return s.relaxed(ctx, op, func(tx *sql.Tx) error { return fn(s.stmt(ctx, tx, k)) })
}

// queueExec runs the write statement k with args (see queueStmt) and
// returns the number of rows it changed.
func (s *Store) queueExec(ctx context.Context, k wstmt, op string, args ...any) (int64, error) {
	var n int64
	err := s.queueStmt(ctx, k, op, func(st *sql.Stmt) error {
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return s.fail(ctx, op, err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	})
	return n, err
}

func scanOutbox(sc scanner) (*reception.OutboxEntry, error) {
	var (
		e                  reception.OutboxEntry
		kind, state        string
		content            []byte
		next, created      int64
		leaseExpires, sent sql.NullInt64
	)
	if err := sc.Scan(&e.ID, &e.OrgID, &kind, &e.Target.ID, &content, &e.DedupeKey, &e.VisitID, &e.Attempts,
		&next, &e.LeaseOwner, &leaseExpires, &e.LastError, &state, &created, &sent); err != nil {
		return nil, err
	}
	e.Target.Kind, e.State, e.Content = reception.TargetKind(kind), reception.OutboxState(state), content
	e.NextAttemptAt, e.CreatedAt = fromMicros(next), fromMicros(created)
	e.LeaseExpiresAt, e.SentAt = fromNullMicros(leaseExpires), fromNullMicros(sent)
	return &e, nil
}

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

// lease runs a lease statement (?1 owner, ?2 expiry, ?3 now, ?4 n), which
// returns the rows it leased in no particular order.
func lease[T any](ctx context.Context, s *Store, k wstmt, op string, scan func(scanner) (T, error), owner string, n int, leaseFor time.Duration, now time.Time) ([]T, error) {
	if err := reception.ValidateLease(owner, n, leaseFor, now); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	var out []T
	err := s.queueStmt(ctx, k, op, func(st *sql.Stmt) error {
		rows, err := st.QueryContext(ctx, owner, micros(now.Add(leaseFor)), micros(now), n)
		if err != nil {
			return s.fail(ctx, op, err)
		}
		if out, err = scanAll(rows, scan); err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// leaseOp runs a statement (?1 id, ?2 owner, …) that changes the pending
// entry id only if owner leases it, and explains a miss with a read.
func (s *Store) leaseOp(ctx context.Context, k wstmt, check rstmt, kind, op, id, owner string, args ...any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	if owner != "" { // '' is the owner of unleased entries
		n, err := s.queueExec(ctx, k, op, append([]any{id, owner}, args...)...)
		if err != nil {
			return err
		}
		if n == 1 {
			return nil
		}
	}
	return s.leaseMiss(ctx, check, kind, op, id, owner)
}

// leaseMiss explains why an operation on the entry id leased by owner
// matched nothing: no entry, an entry not pending, or another owner's.
func (s *Store) leaseMiss(ctx context.Context, check rstmt, kind, op, id, owner string) error {
	var state, holder string
	err := s.rs[check].QueryRowContext(ctx, id).Scan(&state, &holder)
	switch {
	case errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil:
		return notFound(kind, id)
	case err != nil:
		return s.fail(ctx, op, err)
	case state != "pending":
		return conflict("%s %q is %s", kind, id, state)
	}
	return conflict("%s %q is not leased by %q", kind, id, owner)
}

func (s *Store) release(ctx context.Context, k wstmt, op, owner string) (int, error) {
	if owner == "" {
		return 0, &reception.FieldError{Field: "Owner", Msg: "is required"}
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	n, err := s.queueExec(ctx, k, op, owner)
	return int(n), err
}

// ---- outbox

// EnqueueOutbox implements reception.Store.
func (s *Store) EnqueueOutbox(ctx context.Context, e *reception.OutboxEntry) error {
	if e == nil {
		return &reception.FieldError{Field: "Entry", Msg: "is required"}
	}
	if err := e.ValidateNew(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlitestore: enqueue outbox entry: %w", err)
	}
	return s.insertOutbox(ctx, nil, []*reception.OutboxEntry{e})
}

// LeaseOutbox implements reception.Store.
func (s *Store) LeaseOutbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*reception.OutboxEntry, error) {
	out, err := lease(ctx, s, wLeaseOutbox, "lease outbox", scanOutbox, owner, n, leaseFor, now)
	slices.SortFunc(out, func(a, b *reception.OutboxEntry) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, err
}

// CompleteOutbox implements reception.Store. A lapsed lease that nobody
// took over still matches its owner. Without an event to record it is one
// autocommit statement; with one, the entry's UPDATE and the event's INSERT
// share one write transaction, so one commit.
func (s *Store) CompleteOutbox(ctx context.Context, id, owner string, sentAt time.Time, notified *reception.VisitEvent) error {
	if sentAt.IsZero() {
		return &reception.FieldError{Field: "SentAt", Msg: "is required"}
	}
	if notified != nil && notified.Kind != reception.EventNotified {
		return &reception.FieldError{Field: "Notified.Kind", Msg: fmt.Sprintf("must be %q, not %q", reception.EventNotified, notified.Kind)}
	}
	const kind, op = "outbox entry", "complete outbox entry"
	if notified == nil || owner == "" || !notifiedApplies(*notified) {
		return s.leaseOp(ctx, wCompleteOutbox, rOutboxLease, kind, op, id, owner, micros(sentAt))
	}
	// Relaxed like the completion alone (see relaxedStmts): a lost event
	// is recorded again with the repeated send.
	err := s.relaxed(ctx, op, func(tx *sql.Tx) error {
		var orgID, visitID string
		err := s.stmt(ctx, tx, wCompleteOutboxRet).QueryRowContext(ctx, id, owner, micros(sentAt)).Scan(&orgID, &visitID)
		switch {
		case errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil:
			return errNoLease
		case err != nil:
			return s.fail(ctx, op, err)
		case visitID == "":
			return nil
		}
		// The write lock is held, so the visit cannot go between the
		// INSERT's check that it exists and the INSERT.
		if _, err := s.stmt(ctx, tx, wInsertNotified).ExecContext(ctx, orgID, visitID, string(notified.Kind),
			micros(notified.At), notified.ActorUserID, notified.Note); err != nil {
			return s.fail(ctx, fmt.Sprintf("record %s event of visit %q", notified.Kind, visitID), err)
		}
		return nil
	})
	if errors.Is(err, errNoLease) {
		return s.leaseMiss(ctx, rOutboxLease, kind, op, id, owner)
	}
	return err
}

// errNoLease rolls back a transaction whose lease operation matched no row.
var errNoLease = errors.New("sqlitestore: no leased entry matched")

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
	return s.leaseOp(ctx, wRetryOutbox, rOutboxLease, "outbox entry", "retry outbox entry", id, owner, micros(nextAttempt), lastErr)
}

// PostponeOutbox implements reception.Store.
func (s *Store) PostponeOutbox(ctx context.Context, id, owner string, until time.Time, reason string) error {
	if until.IsZero() {
		return &reception.FieldError{Field: "Until", Msg: "is required"}
	}
	return s.leaseOp(ctx, wPostponeOutbox, rOutboxLease, "outbox entry", "postpone outbox entry", id, owner, micros(until), reason)
}

// DeadOutbox implements reception.Store.
func (s *Store) DeadOutbox(ctx context.Context, id, owner, lastErr string) error {
	return s.leaseOp(ctx, wDeadOutbox, rOutboxLease, "outbox entry", "bury outbox entry", id, owner, lastErr)
}

// ReleaseOutbox implements reception.Store.
func (s *Store) ReleaseOutbox(ctx context.Context, owner string) (int, error) {
	return s.release(ctx, wReleaseOutbox, "release outbox", owner)
}

// ListOutbox implements reception.Store.
func (s *Store) ListOutbox(ctx context.Context, orgID string, f reception.OutboxFilter) ([]*reception.OutboxEntry, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return list(ctx, s, rListOutbox, "list outbox", scanOutbox, orgID, string(f.State), f.VisitID, limitArg(f.Limit))
}

// ---- inbox

// InsertInbox implements reception.Store.
func (s *Store) InsertInbox(ctx context.Context, e *reception.InboxEntry) (bool, error) {
	if e == nil {
		return false, &reception.FieldError{Field: "Entry", Msg: "is required"}
	}
	if err := e.ValidateNew(); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("sqlitestore: insert inbox entry: %w", err)
	}
	next := e.NextAttemptAt
	if next.IsZero() {
		next = e.ReceivedAt
	}
	op := fmt.Sprintf("insert inbox entry %q", e.ID)
	// ON CONFLICT (bot_id, hash) DO NOTHING: a replay inserts no row. SQLite
	// checks the upsert's target first, so a replay with a used ID is a
	// replay too, as in memstore.
	res, err := s.ws[wInsertInbox].ExecContext(ctx, e.ID, e.OrgID, e.BotID, e.Body, e.Hash, micros(e.ReceivedAt), micros(next))
	switch {
	case isUnique(err):
		return false, conflict("inbox entry %q exists", e.ID)
	case err != nil:
		return false, s.fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.fail(ctx, op, err)
	}
	return n == 1, nil
}

// GetInbox implements reception.Store.
func (s *Store) GetInbox(ctx context.Context, id string) (*reception.InboxEntry, error) {
	e, err := scanInbox(s.rs[rGetInbox].QueryRowContext(ctx, id))
	if err != nil {
		return nil, s.getErr(ctx, err, "inbox entry", id)
	}
	return e, nil
}

// LeaseInbox implements reception.Store.
func (s *Store) LeaseInbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*reception.InboxEntry, error) {
	out, err := lease(ctx, s, wLeaseInbox, "lease inbox", scanInbox, owner, n, leaseFor, now)
	slices.SortFunc(out, func(a, b *reception.InboxEntry) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, err
}

// CompleteInbox implements reception.Store.
func (s *Store) CompleteInbox(ctx context.Context, id, owner string, at time.Time) error {
	if at.IsZero() {
		return &reception.FieldError{Field: "At", Msg: "is required"}
	}
	return s.leaseOp(ctx, wCompleteInbox, rInboxLease, "inbox entry", "complete inbox entry", id, owner, micros(at))
}

// FailInbox implements reception.Store.
func (s *Store) FailInbox(ctx context.Context, id, owner string, nextAttempt time.Time, lastErr string) error {
	if nextAttempt.IsZero() {
		return &reception.FieldError{Field: "NextAttempt", Msg: "is required"}
	}
	return s.leaseOp(ctx, wFailInbox, rInboxLease, "inbox entry", "fail inbox entry", id, owner, micros(nextAttempt), lastErr)
}

// DeadInbox implements reception.Store.
func (s *Store) DeadInbox(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	if at.IsZero() {
		return &reception.FieldError{Field: "At", Msg: "is required"}
	}
	return s.leaseOp(ctx, wDeadInbox, rInboxLease, "inbox entry", "bury inbox entry", id, owner, micros(at), lastErr)
}

// ReleaseInbox implements reception.Store.
func (s *Store) ReleaseInbox(ctx context.Context, owner string) (int, error) {
	return s.release(ctx, wReleaseInbox, "release inbox", owner)
}
