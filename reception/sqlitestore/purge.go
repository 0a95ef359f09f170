package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// The statements of one purge batch: ?1 is the cut-off in microseconds,
// ?2 the batch size. Each finds its rows by a scan of the table's oldest
// rows (no index of its own, which every check-in would have to write).
const (
	purgeVisitsSQL = `UPDATE visits SET visitor_name = '', company = '', note = ''
		WHERE (org_id, id) IN (SELECT org_id, id FROM visits
			WHERE created_at < ?1 AND (visitor_name <> '' OR company <> '' OR note <> '') LIMIT ?2)`
	purgeOutboxSQL  = `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state <> 'pending' AND created_at < ?1 LIMIT ?2)`
	purgeInboxSQL   = `DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE state <> 'pending' AND received_at < ?1 LIMIT ?2)`
	dropVisitOutbox = `DELETE FROM outbox WHERE org_id = ? AND visit_id = ?`
)

// Purge implements reception.Driver: one write transaction, which holds
// the database's one write lock, so purges of several Stores on one file
// take turns and none is ever busy.
func (s *db) Purge(ctx context.Context, before time.Time, limit int) (reception.PurgeResult, error) {
	var r reception.PurgeResult
	err := s.inTx(ctx, s.w, "purge", func(tx *sql.Tx) error {
		for _, step := range []struct {
			q string
			n *int
		}{{purgeVisitsSQL, &r.Visits}, {purgeAppointmentsSQL, &r.Appointments}, {purgeOutboxSQL, &r.Outbox}, {purgeInboxSQL, &r.Inbox}} {
			res, err := tx.ExecContext(ctx, step.q, micros(before), limit)
			if err != nil {
				return s.fail(ctx, "purge", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return s.fail(ctx, "purge", err)
			}
			*step.n = int(n)
		}
		return nil
	})
	if err != nil {
		return reception.PurgeResult{}, err
	}
	return r, nil
}
