package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The statements are prepared once, at Open. Write statements are prepared
// on the write pool's single connection and bound to transactions with
// Tx.StmtContext, which reuses the connection's prepared statement; so a
// check-in costs no parsing, only the round trips of its inserts.

const orgCols = `id, name, locale, kiosk_token, client_id, client_secret, service_account_id, private_key,
	bot_id, bot_secret, domain_id, admin_user_id, scopes, rate_limit, default_channel_id, created_at, updated_at, kiosk_fallback, open_taps`

const buttonCols = `org_id, id, label, labels, sort_order, enabled, channel_ids, staff_ids, personal_first,
	template, reminder_after, reminder_mention_all, reminder_max`

const staffCols = `org_id, id, name, user_id, button_ids, active`

const roomCols = `org_id, channel_id, title, joined_at, left_at`

// visitCols are the columns of a visit (alias v) followed by those of its
// events (alias e, NULL for a visit without events), as scanVisits reads
// them.
const visitCols = `v.org_id, v.id, v.visitor_name, v.company, v.party_size, v.note, v.button_id, v.staff_id,
	v.status, v.handler_user_id, v.handled_at, v.reminders, v.next_reminder_at, v.created_at, v.reference, v.appointment_id,
	e.kind, e.at, e.actor_user_id, e.note`

const visitJoin = ` LEFT JOIN visit_events e ON e.org_id = v.org_id AND e.visit_id = v.id`

const outboxCols = `id, org_id, target_kind, target_id, content, dedupe_key, visit_id, attempts, next_attempt_at,
	lease_owner, lease_expires_at, last_error, state, created_at, sent_at, dead_at`

const inboxCols = `id, org_id, bot_id, body, hash, received_at, attempts, next_attempt_at, lease_owner,
	lease_expires_at, last_error, state, processed_at`

// wstmt names a statement prepared on the write pool.
type wstmt int

// outboxValues are the values of one new outbox entry: ID, OrgID,
// Target.Kind, Target.ID, Content, DedupeKey, VisitID, NextAttemptAt,
// CreatedAt.
const outboxValues = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 'pending', ?, NULL, NULL)`

const (
	wUpsertOrg wstmt = iota
	wDeleteOrg
	wUpsertButton
	wDeleteButton
	wUpsertStaff
	wDeleteStaff
	wUpsertRoom
	wDeleteRoom
	wMarkRoomLeft
	wInsertVisit
	wInsertEvent
	wVisitForUpd
	wUpdateVisit
	wInsertOutbox
	wInsertOutbox2
	wCompleteOutboxRet
	wInsertNotified
	wInsertOutboxNew
	wInsertInbox
	nWstmt
)

var wstmtSQL = [...]string{
	wUpsertOrg:     `INSERT INTO organizations (orgCols) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, locale = excluded.locale, kiosk_token = excluded.kiosk_token, client_id = excluded.client_id, client_secret = coalesce(excluded.client_secret, CASE WHEN ?20 THEN organizations.client_secret END), service_account_id = excluded.service_account_id, private_key = coalesce(excluded.private_key, CASE WHEN ?20 THEN organizations.private_key END), bot_id = excluded.bot_id, bot_secret = coalesce(excluded.bot_secret, CASE WHEN ?20 THEN organizations.bot_secret END), domain_id = excluded.domain_id, admin_user_id = excluded.admin_user_id, scopes = excluded.scopes, rate_limit = excluded.rate_limit, default_channel_id = excluded.default_channel_id, created_at = excluded.created_at, updated_at = excluded.updated_at, kiosk_fallback = excluded.kiosk_fallback, open_taps = excluded.open_taps`,
	wDeleteOrg:     `DELETE FROM organizations WHERE id = ?`,
	wUpsertButton:  `INSERT INTO buttons (buttonCols) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, id) DO UPDATE SET label = excluded.label, labels = excluded.labels, sort_order = excluded.sort_order, enabled = excluded.enabled, channel_ids = excluded.channel_ids, staff_ids = excluded.staff_ids, personal_first = excluded.personal_first, template = excluded.template, reminder_after = excluded.reminder_after, reminder_mention_all = excluded.reminder_mention_all, reminder_max = excluded.reminder_max`,
	wDeleteButton:  `DELETE FROM buttons WHERE org_id = ? AND id = ?`,
	wUpsertStaff:   `INSERT INTO staff (staffCols) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, user_id = excluded.user_id, button_ids = excluded.button_ids, active = excluded.active`,
	wDeleteStaff:   `DELETE FROM staff WHERE org_id = ? AND id = ?`,
	wUpsertRoom:    `INSERT INTO rooms (roomCols) VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id, channel_id) DO UPDATE SET title = excluded.title, joined_at = excluded.joined_at, left_at = excluded.left_at`,
	wMarkRoomLeft:  `UPDATE rooms SET left_at = ? WHERE org_id = ? AND channel_id = ?`,
	wInsertVisit:   `INSERT INTO visits (org_id, id, visitor_name, company, party_size, note, button_id, staff_id, status, handler_user_id, handled_at, reminders, next_reminder_at, created_at, reference, appointment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	wInsertEvent:   `INSERT INTO visit_events (org_id, visit_id, seq, kind, at, actor_user_id, note) VALUES (?, ?, ?, ?, ?, ?, ?)`,
	wVisitForUpd:   `SELECT visitCols FROM visits v visitJoin WHERE v.org_id = ? AND v.id = ? ORDER BY e.at, e.seq`,
	wUpdateVisit:   `UPDATE visits SET status = ?, handler_user_id = ?, handled_at = ?, reminders = ?, next_reminder_at = ?, visitor_name = ?, company = ?, note = ? WHERE org_id = ? AND id = ?`,
	wInsertOutbox:  `INSERT INTO outbox (outboxCols) VALUES ` + outboxValues,
	wInsertOutbox2: `INSERT INTO outbox (outboxCols) VALUES ` + outboxValues + `, ` + outboxValues,
	// wInsertOutboxNew enqueues an entry of Settlement.Then: one whose ID
	// or dedupe key is used is skipped.
	wInsertOutboxNew: `INSERT INTO outbox (outboxCols) VALUES ` + outboxValues + ` ON CONFLICT DO NOTHING`,
	wInsertInbox:     `INSERT INTO inbox (inboxCols) VALUES (?, ?, ?, ?, ?, ?, 0, ?, '', NULL, '', 'pending', NULL) ON CONFLICT (bot_id, hash) DO NOTHING`,

	// wCompleteOutboxRet completes an outbox entry returning its visit,
	// and wInsertNotified appends a notified event to that visit, if it
	// exists, with the next sequence number (the count of its events, as
	// update numbers them): CompleteOutbox runs both in one transaction.
	wCompleteOutboxRet: `UPDATE outbox SET state = 'sent', sent_at = ?3, lease_owner = '', lease_expires_at = NULL WHERE id = ?1 AND state = 'pending' AND lease_owner = ?2 RETURNING org_id, visit_id`,
	wInsertNotified:    `INSERT INTO visit_events (org_id, visit_id, seq, kind, at, actor_user_id, note) SELECT ?1, ?2, (SELECT count(*) FROM visit_events WHERE org_id = ?1 AND visit_id = ?2), ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM visits WHERE org_id = ?1 AND id = ?2)`,
}

// rstmt names a statement prepared on the read pool.
type rstmt int

const (
	rGetOrg rstmt = iota
	rGetOrgByBot
	rListOrgs
	rGetButton
	rListButtons
	rGetStaff
	rListStaff
	rGetRoom
	rListRooms
	rGetVisit
	rListVisits
	rDueReminders
	rListOutbox
	nRstmt
)

var rstmtSQL = [...]string{
	rGetOrg:      `SELECT orgCols FROM organizations WHERE id = ?`,
	rGetOrgByBot: `SELECT orgCols FROM organizations WHERE bot_id = ? AND bot_id <> 0`,
	rListOrgs:    `SELECT orgCols FROM organizations ORDER BY id`,
	rGetButton:   `SELECT buttonCols FROM buttons WHERE org_id = ? AND id = ?`,
	rListButtons: `SELECT buttonCols FROM buttons WHERE org_id = ? ORDER BY sort_order, id`,
	rGetStaff:    `SELECT staffCols FROM staff WHERE org_id = ? AND id = ?`,
	rListStaff:   `SELECT staffCols FROM staff WHERE org_id = ? ORDER BY id`,
	rGetRoom:     `SELECT roomCols FROM rooms WHERE org_id = ? AND channel_id = ?`,
	rListRooms:   `SELECT roomCols FROM rooms WHERE org_id = ? ORDER BY joined_at, channel_id`,
	rGetVisit:    `SELECT visitCols FROM visits v visitJoin WHERE v.org_id = ? AND v.id = ? ORDER BY e.at, e.seq`,
	// From, To, Status, Limit, Reference and AppointmentID are optional:
	// NULL, NULL, '', -1, '' and '' select everything.
	rListVisits:   `SELECT visitCols FROM (SELECT * FROM visits WHERE org_id = ?1 AND (?2 IS NULL OR created_at >= ?2) AND (?3 IS NULL OR created_at < ?3) AND (?4 = '' OR status = ?4) AND (?6 = '' OR reference = ?6) AND (?7 = '' OR appointment_id = ?7) ORDER BY created_at DESC, id DESC LIMIT ?5) v visitJoin ORDER BY v.created_at DESC, v.id DESC, e.at, e.seq`,
	rDueReminders: `SELECT visitCols FROM (SELECT * FROM visits WHERE next_reminder_at IS NOT NULL AND status IN ('waiting', 'escalated') AND next_reminder_at <= ?1 ORDER BY next_reminder_at, org_id, id LIMIT ?2) v visitJoin ORDER BY v.next_reminder_at, v.org_id, v.id, e.at, e.seq`,
	rListOutbox:   `SELECT outboxCols FROM outbox WHERE org_id = ?1 AND (?2 = '' OR state = ?2) AND (?3 = '' OR visit_id = ?3) ORDER BY created_at, id LIMIT ?4`,
}

// expand replaces the names of the column-list constants in a statement;
// none of the names is part of another, or of anything else in the SQL.
var expand = strings.NewReplacer("orgCols", orgCols, "buttonCols", buttonCols, "staffCols", staffCols, "roomCols", roomCols,
	"visitCols", visitCols, "visitJoin", visitJoin, "outboxCols", outboxCols, "inboxCols", inboxCols).Replace

// prepare prepares queries on db, in order.
func prepare(ctx context.Context, db *sql.DB, queries []string) ([]*sql.Stmt, error) {
	out := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		st, err := db.PrepareContext(ctx, expand(q))
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: preparing statement %d: %w", i, err)
		}
		out[i] = st
	}
	return out, nil
}
