package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/uketsuke/uketsuke/reception"
)

// ---- organizations

const orgCols = `id, name, locale, kiosk_token, client_id, service_account_id, bot_id, domain_id,
	admin_user_id, scopes, rate_limit, default_channel_id,
	client_secret_sealed, private_key_sealed, bot_secret_sealed, created_at, updated_at, kiosk_fallback`

// The upsert of an organization; $13–$15 are the sealed secrets.
const putOrgSQL = `INSERT INTO organizations (` + orgCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
	ON CONFLICT (id) DO UPDATE SET
		name = EXCLUDED.name, locale = EXCLUDED.locale, kiosk_token = EXCLUDED.kiosk_token,
		client_id = EXCLUDED.client_id, service_account_id = EXCLUDED.service_account_id,
		bot_id = EXCLUDED.bot_id, domain_id = EXCLUDED.domain_id, admin_user_id = EXCLUDED.admin_user_id,
		scopes = EXCLUDED.scopes, rate_limit = EXCLUDED.rate_limit,
		default_channel_id = EXCLUDED.default_channel_id,
		client_secret_sealed = EXCLUDED.client_secret_sealed,
		private_key_sealed = EXCLUDED.private_key_sealed,
		bot_secret_sealed = EXCLUDED.bot_secret_sealed,
		created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
		kiosk_fallback = EXCLUDED.kiosk_fallback`

type rowScanner interface{ Scan(dest ...any) error }

// scanOrg reads an organization row (orgCols) with its secrets blank, and
// the sealed secrets beside it.
func scanOrg(r rowScanner) (*reception.Organization, reception.SealedSecrets, error) {
	var (
		o                  reception.Organization
		in                 = &o.Integration
		sealed             reception.SealedSecrets
		created, updated   pgtype.Timestamptz
		rateLimit          int32
		botID, domainID    int64
		scopes             []string
		clientID, saID     string
		adminID, channelID string
	)
	err := r.Scan(&o.ID, &o.Name, &o.Locale, &o.KioskToken, &clientID, &saID, &botID, &domainID,
		&adminID, &scopes, &rateLimit, &channelID,
		&sealed.ClientSecret, &sealed.PrivateKey, &sealed.BotSecret, &created, &updated, &o.KioskFallback)
	if err != nil {
		return nil, sealed, err
	}
	in.ClientID, in.ServiceAccountID, in.BotID, in.DomainID = clientID, saID, botID, domainID
	in.AdminUserID, in.Scopes, in.RateLimit, in.DefaultChannelID = adminID, scopes, int(rateLimit), channelID
	o.CreatedAt, o.UpdatedAt = fromTS(created), fromTS(updated)
	return &o, sealed, nil
}

// scanRedactedOrg scans an organization and redacts it.
func scanRedactedOrg(r rowScanner) (*reception.Organization, error) {
	o, sealed, err := scanOrg(r)
	if err != nil {
		return nil, err
	}
	return redacted(o, sealed), nil
}

// redacted finishes an organization read for anything but
// GetOrganizationWithSecrets.
func redacted(o *reception.Organization, sealed reception.SealedSecrets) *reception.Organization {
	o.Integration.Redacted = true
	o.Integration.Stored = sealed.Present()
	return o
}

// PutOrganization implements reception.Store. A put with secrets in clear
// is one upsert; a redacted put, which keeps the stored secrets of its
// empty fields, reads them under a row lock first, so that a concurrent put
// cannot slip between the read and the write.
func (s *Store) PutOrganization(ctx context.Context, o *reception.Organization) error {
	if o == nil {
		return &reception.FieldError{Field: "Organization", Msg: "is required"}
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	if !o.Integration.Redacted {
		sealed, err := s.box.SealSecrets(o.ID, &o.Integration, reception.SealedSecrets{})
		if err != nil {
			return err
		}
		_, err = s.pool.Exec(ctx, putOrgSQL, putOrgArgs(o, sealed)...)
		return wrapErr(ctx, err, "put organization %s", o.ID)
	}
	return s.inTx(ctx, "put organization "+o.ID, func(tx pgx.Tx) error {
		var old reception.SealedSecrets
		err := tx.QueryRow(ctx, `SELECT client_secret_sealed, private_key_sealed, bot_secret_sealed
			FROM organizations WHERE id = $1 FOR NO KEY UPDATE`, o.ID).Scan(&old.ClientSecret, &old.PrivateKey, &old.BotSecret)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		sealed, err := s.box.SealSecrets(o.ID, &o.Integration, old)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, putOrgSQL, putOrgArgs(o, sealed)...)
		return err
	})
}

func putOrgArgs(o *reception.Organization, sealed reception.SealedSecrets) []any {
	in := &o.Integration
	return []any{o.ID, o.Name, o.Locale, o.KioskToken, in.ClientID, in.ServiceAccountID, in.BotID, in.DomainID,
		in.AdminUserID, strs(in.Scopes), in.RateLimit, in.DefaultChannelID,
		sealed.ClientSecret, sealed.PrivateKey, sealed.BotSecret, nullTime(o.CreatedAt), nullTime(o.UpdatedAt), o.KioskFallback}
}

// inTx runs fn in a transaction and commits it; an error from fn rolls it
// back and is translated.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrapErr(ctx, err, "%s", what)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	if err := fn(tx); err != nil {
		return wrapErr(ctx, err, "%s", what)
	}
	return wrapErr(ctx, tx.Commit(ctx), "%s", what)
}

// GetOrganization implements reception.Store.
func (s *Store) GetOrganization(ctx context.Context, id string) (*reception.Organization, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	o, sealed, err := scanOrg(s.pool.QueryRow(ctx, "SELECT "+orgCols+" FROM organizations WHERE id = $1", id))
	if err != nil {
		return nil, wrapErr(ctx, err, "organization %q", id)
	}
	return redacted(o, sealed), nil
}

// GetOrganizationWithSecrets implements reception.Store.
func (s *Store) GetOrganizationWithSecrets(ctx context.Context, id string) (*reception.Organization, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	o, sealed, err := scanOrg(s.pool.QueryRow(ctx, "SELECT "+orgCols+" FROM organizations WHERE id = $1", id))
	if err != nil {
		return nil, wrapErr(ctx, err, "organization %q", id)
	}
	if err := s.box.OpenSecrets(o.ID, sealed, &o.Integration); err != nil {
		return nil, err
	}
	return o, nil
}

// GetOrganizationByBotID implements reception.Store.
func (s *Store) GetOrganizationByBotID(ctx context.Context, botID int64) (*reception.Organization, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if botID == 0 {
		// 0 means "no bot yet"; several organizations may have it.
		return nil, notFound("organization with bot", "0")
	}
	o, sealed, err := scanOrg(s.pool.QueryRow(ctx, "SELECT "+orgCols+" FROM organizations WHERE bot_id = $1", botID))
	if err != nil {
		return nil, wrapErr(ctx, err, "organization with bot %d", botID)
	}
	return redacted(o, sealed), nil
}

// ListOrganizations implements reception.Store.
func (s *Store) ListOrganizations(ctx context.Context) ([]*reception.Organization, error) {
	return list(ctx, s, "list organizations", scanRedactedOrg, "SELECT "+orgCols+" FROM organizations ORDER BY id")
}

// DeleteOrganization implements reception.Store. Foreign keys cascade the
// delete to buttons, staff, rooms, visits with their events, and outbox
// entries; inbox entries have none and stay.
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM organizations WHERE id = $1", id)
	if err != nil {
		return wrapErr(ctx, err, "delete organization %q", id)
	}
	if tag.RowsAffected() == 0 {
		return notFound("organization", id)
	}
	return nil
}

// ---- children: buttons, staff, rooms

// exec runs one write; the foreign key on org_id makes a write for a
// missing organization ErrNotFound.
func (s *Store) exec(ctx context.Context, what, sql string, args ...any) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, sql, args...)
	return wrapErr(ctx, err, "%s", what)
}

// del runs a DELETE of one row; none is ErrNotFound.
func (s *Store) del(ctx context.Context, kind, id, sql string, args ...any) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return wrapErr(ctx, err, "delete %s %q", kind, id)
	}
	if tag.RowsAffected() == 0 {
		return notFound(kind, id)
	}
	return nil
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, s *Store, what string, scan func(rowScanner) (T, error), sql string, args ...any) ([]T, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrapErr(ctx, err, "%s", what)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, wrapErr(ctx, err, "%s", what)
	}
	return out, nil
}

// one runs a query for one row; none is ErrNotFound.
func one[T any](ctx context.Context, s *Store, kind, id string, scan func(rowScanner) (T, error), sql string, args ...any) (T, error) {
	var zero T
	if err := s.ready(ctx); err != nil {
		return zero, err
	}
	v, err := scan(s.pool.QueryRow(ctx, sql, args...))
	if err != nil {
		return zero, wrapErr(ctx, err, "%s %q", kind, id)
	}
	return v, nil
}

const buttonCols = `org_id, id, label, labels, sort_order, enabled, channel_ids, staff_ids,
	personal_first, template, reminder_after_ns, reminder_mention_all, reminder_max`

func scanButton(r rowScanner) (*reception.Button, error) {
	var (
		b       reception.Button
		labels  []byte
		after   int64
		max     int32
		order   int64
		chs, st []string
	)
	if err := r.Scan(&b.OrgID, &b.ID, &b.Label, &labels, &order, &b.Enabled, &chs, &st,
		&b.PersonalFirst, &b.Template, &after, &b.Reminder.MentionAll, &max); err != nil {
		return nil, err
	}
	if len(labels) > 0 {
		if err := json.Unmarshal(labels, &b.Labels); err != nil {
			return nil, fmt.Errorf("button %s: labels: %w", b.ID, err)
		}
	}
	b.Order, b.ChannelIDs, b.StaffIDs = int(order), chs, st
	b.Reminder.After, b.Reminder.Max = time.Duration(after), int(max)
	return &b, nil
}

// PutButton implements reception.Store.
func (s *Store) PutButton(ctx context.Context, b *reception.Button) error {
	if b == nil {
		return &reception.FieldError{Field: "Button", Msg: "is required"}
	}
	if err := b.Validate(); err != nil {
		return err
	}
	labels, err := json.Marshal(b.Labels)
	if err != nil {
		return fmt.Errorf("pgstore: button %s: labels: %w", b.ID, err)
	}
	if b.Labels == nil {
		labels = []byte("{}")
	}
	return s.exec(ctx, "put button "+b.ID, `INSERT INTO buttons (`+buttonCols+`)
		VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (org_id, id) DO UPDATE SET
			label = EXCLUDED.label, labels = EXCLUDED.labels, sort_order = EXCLUDED.sort_order,
			enabled = EXCLUDED.enabled, channel_ids = EXCLUDED.channel_ids, staff_ids = EXCLUDED.staff_ids,
			personal_first = EXCLUDED.personal_first, template = EXCLUDED.template,
			reminder_after_ns = EXCLUDED.reminder_after_ns,
			reminder_mention_all = EXCLUDED.reminder_mention_all, reminder_max = EXCLUDED.reminder_max`,
		b.OrgID, b.ID, b.Label, string(labels), b.Order, b.Enabled, strs(b.ChannelIDs), strs(b.StaffIDs),
		b.PersonalFirst, b.Template, int64(b.Reminder.After), b.Reminder.MentionAll, b.Reminder.Max)
}

// GetButton implements reception.Store.
func (s *Store) GetButton(ctx context.Context, orgID, id string) (*reception.Button, error) {
	return one(ctx, s, "button", id, scanButton, "SELECT "+buttonCols+" FROM buttons WHERE org_id = $1 AND id = $2", orgID, id)
}

// ListButtons implements reception.Store.
func (s *Store) ListButtons(ctx context.Context, orgID string) ([]*reception.Button, error) {
	return list(ctx, s, "list buttons", scanButton, "SELECT "+buttonCols+" FROM buttons WHERE org_id = $1 ORDER BY sort_order, id", orgID)
}

// DeleteButton implements reception.Store.
func (s *Store) DeleteButton(ctx context.Context, orgID, id string) error {
	return s.del(ctx, "button", id, "DELETE FROM buttons WHERE org_id = $1 AND id = $2", orgID, id)
}

const staffCols = "org_id, id, name, user_id, button_ids, active"

func scanStaff(r rowScanner) (*reception.Staff, error) {
	var st reception.Staff
	if err := r.Scan(&st.OrgID, &st.ID, &st.Name, &st.UserID, &st.ButtonIDs, &st.Active); err != nil {
		return nil, err
	}
	return &st, nil
}

// PutStaff implements reception.Store.
func (s *Store) PutStaff(ctx context.Context, st *reception.Staff) error {
	if st == nil {
		return &reception.FieldError{Field: "Staff", Msg: "is required"}
	}
	if err := st.Validate(); err != nil {
		return err
	}
	return s.exec(ctx, "put staff "+st.ID, `INSERT INTO staff (`+staffCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (org_id, id) DO UPDATE SET
			name = EXCLUDED.name, user_id = EXCLUDED.user_id, button_ids = EXCLUDED.button_ids, active = EXCLUDED.active`,
		st.OrgID, st.ID, st.Name, st.UserID, strs(st.ButtonIDs), st.Active)
}

// GetStaff implements reception.Store.
func (s *Store) GetStaff(ctx context.Context, orgID, id string) (*reception.Staff, error) {
	return one(ctx, s, "staff", id, scanStaff, "SELECT "+staffCols+" FROM staff WHERE org_id = $1 AND id = $2", orgID, id)
}

// ListStaff implements reception.Store.
func (s *Store) ListStaff(ctx context.Context, orgID string) ([]*reception.Staff, error) {
	return list(ctx, s, "list staff", scanStaff, "SELECT "+staffCols+" FROM staff WHERE org_id = $1 ORDER BY id", orgID)
}

// DeleteStaff implements reception.Store.
func (s *Store) DeleteStaff(ctx context.Context, orgID, id string) error {
	return s.del(ctx, "staff", id, "DELETE FROM staff WHERE org_id = $1 AND id = $2", orgID, id)
}

const roomCols = "org_id, channel_id, title, joined_at, left_at"

func scanRoom(r rowScanner) (*reception.Room, error) {
	var (
		rm             reception.Room
		joined, leftAt pgtype.Timestamptz
	)
	if err := r.Scan(&rm.OrgID, &rm.ChannelID, &rm.Title, &joined, &leftAt); err != nil {
		return nil, err
	}
	rm.JoinedAt = fromTS(joined)
	if leftAt.Valid {
		t := fromTS(leftAt)
		rm.LeftAt = &t
	}
	return &rm, nil
}

// PutRoom implements reception.Store.
func (s *Store) PutRoom(ctx context.Context, r *reception.Room) error {
	if r == nil {
		return &reception.FieldError{Field: "Room", Msg: "is required"}
	}
	if err := r.Validate(); err != nil {
		return err
	}
	var left any
	if r.LeftAt != nil {
		left = nullTime(*r.LeftAt)
	}
	return s.exec(ctx, "put room "+r.ChannelID, `INSERT INTO rooms (`+roomCols+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (org_id, channel_id) DO UPDATE SET
			title = EXCLUDED.title, joined_at = EXCLUDED.joined_at, left_at = EXCLUDED.left_at`,
		r.OrgID, r.ChannelID, r.Title, r.JoinedAt, left)
}

// GetRoom implements reception.Store.
func (s *Store) GetRoom(ctx context.Context, orgID, channelID string) (*reception.Room, error) {
	return one(ctx, s, "room", channelID, scanRoom, "SELECT "+roomCols+" FROM rooms WHERE org_id = $1 AND channel_id = $2", orgID, channelID)
}

// ListRooms implements reception.Store.
func (s *Store) ListRooms(ctx context.Context, orgID string) ([]*reception.Room, error) {
	return list(ctx, s, "list rooms", scanRoom, "SELECT "+roomCols+" FROM rooms WHERE org_id = $1 ORDER BY joined_at, channel_id", orgID)
}

// MarkRoomLeft implements reception.Store.
func (s *Store) MarkRoomLeft(ctx context.Context, orgID, channelID string, at time.Time) error {
	if at.IsZero() {
		return &reception.FieldError{Field: "At", Msg: "is required"}
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, "UPDATE rooms SET left_at = $3 WHERE org_id = $1 AND channel_id = $2", orgID, channelID, at)
	if err != nil {
		return wrapErr(ctx, err, "mark room %s left", channelID)
	}
	if tag.RowsAffected() == 0 {
		return notFound("room", channelID)
	}
	return nil
}
