package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/uketsuke/uketsuke/reception"
)

// The statements of one purge batch: $1 is the cut-off, $2 the batch size.
// SKIP LOCKED leaves rows another transaction is writing (a claim, a
// delivery) for the next batch instead of waiting for it.
const (
	// The transaction-level advisory lock that makes one replica purge a
	// store at a time. Keyed by the schema, as the migration lock is:
	// stores in other schemas of the database are other stores, and must
	// not find themselves busy because of each other.
	purgeLockSQL   = `SELECT pg_try_advisory_xact_lock(hashtext('uketsuke/pgstore/purge'), hashtext(current_schema()))`
	purgeVisitsSQL = `UPDATE visits SET visitor_name = '', company = '', note = ''
		WHERE (org_id, id) IN (SELECT org_id, id FROM visits
			WHERE created_at < $1 AND (visitor_name <> '' OR company <> '' OR note <> '') LIMIT $2 FOR UPDATE SKIP LOCKED)`
	purgeOutboxSQL = `DELETE FROM outbox WHERE id IN
		(SELECT id FROM outbox WHERE state <> 'pending' AND created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
	purgeInboxSQL = `DELETE FROM inbox WHERE id IN
		(SELECT id FROM inbox WHERE state <> 'pending' AND received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
	dropVisitOutboxSQL = `DELETE FROM outbox WHERE org_id = $1 AND visit_id = $2`
)

// Purge implements reception.Driver: one transaction, which first takes
// the purge's advisory lock without waiting; a replica that finds it held
// is busy. The lock ends with the transaction, also when its connection
// dies.
func (s *db) Purge(ctx context.Context, before time.Time, limit int) (reception.PurgeResult, error) {
	var r reception.PurgeResult
	if err := s.ready(ctx); err != nil {
		return r, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return r, wrapErr(ctx, err, "purge")
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	var locked bool
	if err := tx.QueryRow(ctx, purgeLockSQL).Scan(&locked); err != nil {
		return r, wrapErr(ctx, err, "purge")
	}
	if !locked {
		return reception.PurgeResult{Busy: true}, nil
	}
	b := &pgx.Batch{}
	b.Queue(purgeVisitsSQL, before, limit)
	b.Queue(purgeAppointmentsSQL, before, limit)
	b.Queue(purgeOutboxSQL, before, limit)
	b.Queue(purgeInboxSQL, before, limit)
	br := tx.SendBatch(ctx, b)
	for _, n := range []*int{&r.Visits, &r.Appointments, &r.Outbox, &r.Inbox} {
		tag, err := br.Exec()
		if err != nil {
			_ = br.Close()
			return reception.PurgeResult{}, wrapErr(ctx, err, "purge")
		}
		*n = int(tag.RowsAffected())
	}
	if err := br.Close(); err != nil {
		return reception.PurgeResult{}, wrapErr(ctx, err, "purge")
	}
	if err := tx.Commit(ctx); err != nil {
		return reception.PurgeResult{}, wrapErr(ctx, err, "purge")
	}
	return r, nil
}
