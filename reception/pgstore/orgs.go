package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/uketsuke/uketsuke/reception"
)

// ---- organizations

const orgCols = `id, name, locale, kiosk_token, client_id, service_account_id, bot_id, domain_id,
	admin_user_id, scopes, rate_limit, default_channel_id,
	client_secret_sealed, private_key_sealed, bot_secret_sealed, created_at, updated_at, kiosk_fallback, open_taps`

// The upsert of an organization; $13–$15 are the sealed secrets, and $19
// keeps the stored ones where they are NULL.
const putOrgSQL = `INSERT INTO organizations (` + orgCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $20)
	ON CONFLICT (id) DO UPDATE SET
		name = EXCLUDED.name, locale = EXCLUDED.locale, kiosk_token = EXCLUDED.kiosk_token,
		client_id = EXCLUDED.client_id, service_account_id = EXCLUDED.service_account_id,
		bot_id = EXCLUDED.bot_id, domain_id = EXCLUDED.domain_id, admin_user_id = EXCLUDED.admin_user_id,
		scopes = EXCLUDED.scopes, rate_limit = EXCLUDED.rate_limit,
		default_channel_id = EXCLUDED.default_channel_id,
		client_secret_sealed = coalesce(EXCLUDED.client_secret_sealed, CASE WHEN $19 THEN organizations.client_secret_sealed END),
		private_key_sealed = coalesce(EXCLUDED.private_key_sealed, CASE WHEN $19 THEN organizations.private_key_sealed END),
		bot_secret_sealed = coalesce(EXCLUDED.bot_secret_sealed, CASE WHEN $19 THEN organizations.bot_secret_sealed END),
		created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
		kiosk_fallback = EXCLUDED.kiosk_fallback, open_taps = EXCLUDED.open_taps`

type rowScanner interface{ Scan(dest ...any) error }

// scanOrg reads an organization row (orgCols): its secrets sealed, beside it.
func scanOrg(r rowScanner) (*reception.SealedOrganization, error) {
	var (
		o                  reception.Organization
		in                 = &o.Integration
		sealed             reception.SealedSecrets
		created, updated   pgtype.Timestamptz
		rateLimit          int32
		clientID, saID     string
		adminID, channelID string
	)
	err := r.Scan(&o.ID, &o.Name, &o.Locale, &o.KioskToken, &clientID, &saID, &in.BotID, &in.DomainID,
		&adminID, &in.Scopes, &rateLimit, &channelID,
		&sealed.ClientSecret, &sealed.PrivateKey, &sealed.BotSecret, &created, &updated, &o.KioskFallback, &o.OpenTaps)
	if err != nil {
		return nil, err
	}
	in.ClientID, in.ServiceAccountID, in.AdminUserID, in.RateLimit, in.DefaultChannelID = clientID, saID, adminID, int(rateLimit), channelID
	o.CreatedAt, o.UpdatedAt = fromTS(created), fromTS(updated)
	return &reception.SealedOrganization{Organization: &o, Secrets: sealed}, nil
}

// PutOrganization implements reception.DirectoryDriver: one upsert, whose
// coalesce keeps the stored secrets r.KeepSecrets asks to keep, so that
// no concurrent put can come between reading them and writing.
func (s *db) PutOrganization(ctx context.Context, r *reception.SealedOrganization) error {
	o, in, sealed := r.Organization, &r.Organization.Integration, r.Secrets
	return s.exec(ctx, "put organization "+o.ID, putOrgSQL,
		o.ID, o.Name, o.Locale, o.KioskToken, in.ClientID, in.ServiceAccountID, in.BotID, in.DomainID,
		in.AdminUserID, strs(in.Scopes), in.RateLimit, in.DefaultChannelID,
		sealed.ClientSecret, sealed.PrivateKey, sealed.BotSecret, nullTime(o.CreatedAt), nullTime(o.UpdatedAt),
		o.KioskFallback, r.KeepSecrets, o.OpenTaps)
}

const selectOrg = "SELECT " + orgCols + " FROM organizations"

func (s *db) GetOrganization(ctx context.Context, id string) (*reception.SealedOrganization, error) {
	return one(ctx, s, "organization", id, scanOrg, selectOrg+" WHERE id = $1", id)
}

func (s *db) GetOrganizationByBotID(ctx context.Context, botID int64) (*reception.SealedOrganization, error) {
	return one(ctx, s, "organization with bot", strconv.FormatInt(botID, 10), scanOrg, selectOrg+" WHERE bot_id = $1", botID)
}

func (s *db) ListOrganizations(ctx context.Context) ([]*reception.SealedOrganization, error) {
	return list(ctx, s, "list organizations", scanOrg, selectOrg+" ORDER BY id")
}

// DeleteOrganization implements reception.DirectoryDriver. Foreign keys
// cascade the delete to buttons, staff, rooms, visits with their events,
// and outbox entries; inbox entries have none and stay.
func (s *db) DeleteOrganization(ctx context.Context, id string) error {
	return s.del(ctx, "organization", id, "DELETE FROM organizations WHERE id = $1", id)
}

// ---- helpers, and the tables of buttons, staff and rooms

// exec runs one write; the foreign key on org_id makes a write for a
// missing organization ErrNotFound.
func (s *db) exec(ctx context.Context, what, sql string, args ...any) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, sql, args...)
	return wrapErr(ctx, err, "%s", what)
}

// del runs a write of one row, a DELETE or an UPDATE; none is ErrNotFound.
func (s *db) del(ctx context.Context, kind, id, sql string, args ...any) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return wrapErr(ctx, err, "write %s %q", kind, id)
	}
	if tag.RowsAffected() == 0 {
		return notFound(kind, id)
	}
	return nil
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, s *db, what string, scan func(rowScanner) (T, error), sql string, args ...any) ([]T, error) {
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
func one[T any](ctx context.Context, s *db, kind, id string, scan func(rowScanner) (T, error), sql string, args ...any) (T, error) {
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

// table is reception.TableDriver on one table of an organization's values:
// kind names them in errors, key is the column of the ID, upsert the put
// statement (whose arguments args makes) and scan reads a row of cols.
type table[T any] struct {
	s                     *db
	kind, name, key, cols string
	upsert                string
	scan                  func(rowScanner) (T, error)
	args                  func(T) ([]any, error)
}

// Put runs the upsert; the foreign key on org_id makes a put for a missing
// organization ErrNotFound.
func (t table[T]) Put(ctx context.Context, _, id string, v T) error {
	args, err := t.args(v)
	if err != nil {
		return err
	}
	return t.s.exec(ctx, "put "+t.kind+" "+id, t.upsert, args...)
}

func (t table[T]) Get(ctx context.Context, orgID, id string) (T, error) {
	return one(ctx, t.s, t.kind, id, t.scan, "SELECT "+t.cols+" FROM "+t.name+" WHERE org_id = $1 AND "+t.key+" = $2", orgID, id)
}

func (t table[T]) List(ctx context.Context, orgID string) ([]T, error) {
	return list(ctx, t.s, "list "+t.kind, t.scan, "SELECT "+t.cols+" FROM "+t.name+" WHERE org_id = $1", orgID)
}

func (t table[T]) Delete(ctx context.Context, orgID, id string) error {
	return t.s.del(ctx, t.kind, id, "DELETE FROM "+t.name+" WHERE org_id = $1 AND "+t.key+" = $2", orgID, id)
}

const buttonCols = `org_id, id, label, labels, sort_order, enabled, channel_ids, staff_ids,
	personal_first, template, reminder_after_ns, reminder_mention_all, reminder_max`

func (s *db) Buttons() reception.TableDriver[*reception.Button] {
	return table[*reception.Button]{s, "button", "buttons", "id", buttonCols, `INSERT INTO buttons (` + buttonCols + `)
		VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (org_id, id) DO UPDATE SET
			label = EXCLUDED.label, labels = EXCLUDED.labels, sort_order = EXCLUDED.sort_order,
			enabled = EXCLUDED.enabled, channel_ids = EXCLUDED.channel_ids, staff_ids = EXCLUDED.staff_ids,
			personal_first = EXCLUDED.personal_first, template = EXCLUDED.template,
			reminder_after_ns = EXCLUDED.reminder_after_ns,
			reminder_mention_all = EXCLUDED.reminder_mention_all, reminder_max = EXCLUDED.reminder_max`,
		scanButton, func(b *reception.Button) ([]any, error) {
			labels := []byte("{}")
			if b.Labels != nil {
				var err error
				if labels, err = json.Marshal(b.Labels); err != nil {
					return nil, fmt.Errorf("pgstore: button %s: labels: %w", b.ID, err)
				}
			}
			return []any{b.OrgID, b.ID, b.Label, string(labels), b.Order, b.Enabled, strs(b.ChannelIDs), strs(b.StaffIDs),
				b.PersonalFirst, b.Template, int64(b.Reminder.After), b.Reminder.MentionAll, b.Reminder.Max}, nil
		}}
}

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

const staffCols = "org_id, id, name, user_id, button_ids, active"

func (s *db) Staff() reception.TableDriver[*reception.Staff] {
	return table[*reception.Staff]{s, "staff", "staff", "id", staffCols, `INSERT INTO staff (` + staffCols + `) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (org_id, id) DO UPDATE SET
			name = EXCLUDED.name, user_id = EXCLUDED.user_id, button_ids = EXCLUDED.button_ids, active = EXCLUDED.active`,
		func(r rowScanner) (*reception.Staff, error) {
			var st reception.Staff
			return &st, r.Scan(&st.OrgID, &st.ID, &st.Name, &st.UserID, &st.ButtonIDs, &st.Active)
		}, func(st *reception.Staff) ([]any, error) {
			return []any{st.OrgID, st.ID, st.Name, st.UserID, strs(st.ButtonIDs), st.Active}, nil
		}}
}

const roomCols = "org_id, channel_id, title, joined_at, left_at"

// rooms adds MarkLeft to the table of rooms.
type rooms struct{ table[*reception.Room] }

func (s *db) Rooms() reception.RoomDriver {
	return rooms{table[*reception.Room]{s, "room", "rooms", "channel_id", roomCols, `INSERT INTO rooms (` + roomCols + `) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (org_id, channel_id) DO UPDATE SET
			title = EXCLUDED.title, joined_at = EXCLUDED.joined_at, left_at = EXCLUDED.left_at`,
		scanRoom, func(r *reception.Room) ([]any, error) {
			return []any{r.OrgID, r.ChannelID, r.Title, r.JoinedAt, r.LeftAt}, nil
		}}}
}

func scanRoom(r rowScanner) (*reception.Room, error) {
	var rm reception.Room
	if err := r.Scan(&rm.OrgID, &rm.ChannelID, &rm.Title, &rm.JoinedAt, &rm.LeftAt); err != nil {
		return nil, err
	}
	rm.JoinedAt = rm.JoinedAt.UTC()
	if rm.LeftAt != nil { // pgx leaves it nil for NULL
		*rm.LeftAt = rm.LeftAt.UTC()
	}
	return &rm, nil
}

func (r rooms) MarkLeft(ctx context.Context, orgID, channelID string, at time.Time) error {
	return r.s.del(ctx, "room", channelID, "UPDATE rooms SET left_at = $3 WHERE org_id = $1 AND channel_id = $2", orgID, channelID, at)
}
