package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

type scanner interface{ Scan(dest ...any) error }

// blobOrNull keeps "not set" a NULL rather than an empty blob.
func blobOrNull(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// jsonText encodes the lists and maps kept in TEXT columns.
func jsonText(vs ...any) ([]any, error) {
	out := make([]any, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: encoding %T: %w", v, err)
		}
		out[i] = string(b)
	}
	return out, nil
}

func fromJSON(s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("sqlitestore: decoding %T: %w", v, err)
	}
	return nil
}

// ---- organizations

func scanOrg(sc scanner) (*reception.SealedOrganization, error) {
	var (
		o                reception.Organization
		r                = &reception.SealedOrganization{Organization: &o}
		scopes           string
		created, updated sql.NullInt64
	)
	in := &o.Integration
	if err := sc.Scan(&o.ID, &o.Name, &o.Locale, &o.KioskToken, &in.ClientID, &r.Secrets.ClientSecret,
		&in.ServiceAccountID, &r.Secrets.PrivateKey, &in.BotID, &r.Secrets.BotSecret, &in.DomainID,
		&in.AdminUserID, &scopes, &in.RateLimit, &in.DefaultChannelID, &created, &updated, &o.KioskFallback); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = fromNullMicros(created), fromNullMicros(updated)
	return r, fromJSON(scopes, &in.Scopes)
}

// PutOrganization implements reception.DirectoryDriver: one upsert, whose
// coalesce keeps the stored secrets r.KeepSecrets asks to keep.
func (s *db) PutOrganization(ctx context.Context, r *reception.SealedOrganization) error {
	o, in, sealed := r.Organization, &r.Organization.Integration, r.Secrets
	scopes, err := jsonText(in.Scopes)
	if err != nil {
		return err
	}
	_, err = s.ws[wUpsertOrg].ExecContext(ctx,
		o.ID, o.Name, o.Locale, o.KioskToken, in.ClientID, blobOrNull(sealed.ClientSecret),
		in.ServiceAccountID, blobOrNull(sealed.PrivateKey), in.BotID, blobOrNull(sealed.BotSecret), in.DomainID,
		in.AdminUserID, scopes[0], in.RateLimit, in.DefaultChannelID, microsOrNull(o.CreatedAt), microsOrNull(o.UpdatedAt),
		o.KioskFallback, boolInt(r.KeepSecrets))
	if isUnique(err) {
		// The only unique constraint an upsert by ID can break.
		return conflict("organization %q: bot %d belongs to another organization", o.ID, in.BotID)
	}
	return s.failIf(ctx, fmt.Sprintf("put organization %q", o.ID), err)
}

func (s *db) GetOrganization(ctx context.Context, id string) (*reception.SealedOrganization, error) {
	return one(ctx, s, s.rs[rGetOrg], "organization", id, scanOrg, id)
}

func (s *db) GetOrganizationByBotID(ctx context.Context, botID int64) (*reception.SealedOrganization, error) {
	return one(ctx, s, s.rs[rGetOrgByBot], "organization", fmt.Sprintf("with bot %d", botID), scanOrg, botID)
}

func (s *db) ListOrganizations(ctx context.Context) ([]*reception.SealedOrganization, error) {
	return list(ctx, s, rListOrgs, "list organizations", scanOrg)
}

// DeleteOrganization implements reception.DirectoryDriver. Foreign keys
// with ON DELETE CASCADE remove its buttons, staff, rooms, visits with
// their events, and outbox entries in the same statement.
func (s *db) DeleteOrganization(ctx context.Context, id string) error {
	return s.execOne(ctx, wDeleteOrg, "organization", id, id)
}

// failIf translates err, if any.
func (s *db) failIf(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	return s.fail(ctx, op, err)
}

// execOne runs a write statement that must change one row; none means the
// kind id does not exist.
func (s *db) execOne(ctx context.Context, k wstmt, kind, id string, args ...any) error {
	op := fmt.Sprintf("write %s %q", kind, id)
	res, err := s.ws[k].ExecContext(ctx, args...)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if n == 0 {
		return notFound(kind, id)
	}
	return nil
}

// putChild runs an upsert of a child of organization orgID; a missing
// organization breaks the foreign key.
func (s *db) putChild(ctx context.Context, k wstmt, kind, orgID, id string, args ...any) error {
	_, err := s.ws[k].ExecContext(ctx, args...)
	if isForeignKey(err) {
		return notFound("organization", orgID)
	}
	return s.failIf(ctx, fmt.Sprintf("put %s %q of organization %q", kind, id, orgID), err)
}

// one runs the read statement st for one row; none means the kind id does
// not exist.
func one[T any](ctx context.Context, s *db, st *sql.Stmt, kind, id string, scan func(scanner) (T, error), args ...any) (T, error) {
	v, err := scan(st.QueryRowContext(ctx, args...))
	if errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil {
		return v, notFound(kind, id)
	}
	return v, s.failIf(ctx, fmt.Sprintf("get %s %q", kind, id), err)
}

// list runs the read statement k and scans every row.
func list[T any](ctx context.Context, s *db, k rstmt, op string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := s.rs[k].QueryContext(ctx, args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	out, err := collect(rows, scan)
	return out, s.failIf(ctx, op, err)
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ---- buttons

func scanButton(sc scanner) (*reception.Button, error) {
	var (
		b                          reception.Button
		labels, channels, staffIDs string
		after                      int64
	)
	if err := sc.Scan(&b.OrgID, &b.ID, &b.Label, &labels, &b.Order, &b.Enabled, &channels, &staffIDs,
		&b.PersonalFirst, &b.Template, &after, &b.Reminder.MentionAll, &b.Reminder.Max); err != nil {
		return nil, err
	}
	b.Reminder.After = time.Duration(after)
	return &b, errors.Join(fromJSON(labels, &b.Labels), fromJSON(channels, &b.ChannelIDs), fromJSON(staffIDs, &b.StaffIDs))
}

func (s *db) PutButton(ctx context.Context, b *reception.Button) error {
	j, err := jsonText(b.Labels, b.ChannelIDs, b.StaffIDs)
	if err != nil {
		return err
	}
	return s.putChild(ctx, wUpsertButton, "button", b.OrgID, b.ID,
		b.OrgID, b.ID, b.Label, j[0], b.Order, boolInt(b.Enabled), j[1], j[2], boolInt(b.PersonalFirst),
		b.Template, int64(b.Reminder.After), boolInt(b.Reminder.MentionAll), b.Reminder.Max)
}

func (s *db) GetButton(ctx context.Context, orgID, id string) (*reception.Button, error) {
	return one(ctx, s, s.rs[rGetButton], "button", id, scanButton, orgID, id)
}

func (s *db) ListButtons(ctx context.Context, orgID string) ([]*reception.Button, error) {
	return list(ctx, s, rListButtons, "list buttons", scanButton, orgID)
}

// DeleteButton implements reception.DirectoryDriver. Visits keep their
// ButtonID: no foreign key points at buttons.
func (s *db) DeleteButton(ctx context.Context, orgID, id string) error {
	return s.execOne(ctx, wDeleteButton, "button", id, orgID, id)
}

// ---- staff

func scanStaff(sc scanner) (*reception.Staff, error) {
	var (
		st      reception.Staff
		buttons string
	)
	if err := sc.Scan(&st.OrgID, &st.ID, &st.Name, &st.UserID, &buttons, &st.Active); err != nil {
		return nil, err
	}
	return &st, fromJSON(buttons, &st.ButtonIDs)
}

func (s *db) PutStaff(ctx context.Context, st *reception.Staff) error {
	j, err := jsonText(st.ButtonIDs)
	if err != nil {
		return err
	}
	return s.putChild(ctx, wUpsertStaff, "staff", st.OrgID, st.ID, st.OrgID, st.ID, st.Name, st.UserID, j[0], boolInt(st.Active))
}

func (s *db) GetStaff(ctx context.Context, orgID, id string) (*reception.Staff, error) {
	return one(ctx, s, s.rs[rGetStaff], "staff", id, scanStaff, orgID, id)
}

func (s *db) ListStaff(ctx context.Context, orgID string) ([]*reception.Staff, error) {
	return list(ctx, s, rListStaff, "list staff", scanStaff, orgID)
}

func (s *db) DeleteStaff(ctx context.Context, orgID, id string) error {
	return s.execOne(ctx, wDeleteStaff, "staff", id, orgID, id)
}

// ---- rooms

func scanRoom(sc scanner) (*reception.Room, error) {
	var (
		r      reception.Room
		joined int64
		left   sql.NullInt64
	)
	if err := sc.Scan(&r.OrgID, &r.ChannelID, &r.Title, &joined, &left); err != nil {
		return nil, err
	}
	r.JoinedAt = fromMicros(joined)
	if left.Valid {
		t := fromMicros(left.Int64)
		r.LeftAt = &t
	}
	return &r, nil
}

func (s *db) PutRoom(ctx context.Context, r *reception.Room) error {
	var left any
	if r.LeftAt != nil {
		left = micros(*r.LeftAt)
	}
	return s.putChild(ctx, wUpsertRoom, "room", r.OrgID, r.ChannelID, r.OrgID, r.ChannelID, r.Title, micros(r.JoinedAt), left)
}

func (s *db) GetRoom(ctx context.Context, orgID, channelID string) (*reception.Room, error) {
	return one(ctx, s, s.rs[rGetRoom], "room", channelID, scanRoom, orgID, channelID)
}

func (s *db) ListRooms(ctx context.Context, orgID string) ([]*reception.Room, error) {
	return list(ctx, s, rListRooms, "list rooms", scanRoom, orgID)
}

func (s *db) MarkRoomLeft(ctx context.Context, orgID, channelID string, at time.Time) error {
	return s.execOne(ctx, wMarkRoomLeft, "room", channelID, micros(at), orgID, channelID)
}
