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

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlitestore: encoding %T: %w", v, err)
	}
	return string(b), nil
}

func fromJSON(s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("sqlitestore: decoding %T: %w", v, err)
	}
	return nil
}

// ---- organizations

func scanOrg(sc scanner) (*reception.Organization, reception.SealedSecrets, error) {
	var (
		o                reception.Organization
		sealed           reception.SealedSecrets
		scopes           string
		created, updated sql.NullInt64
	)
	in := &o.Integration
	if err := sc.Scan(&o.ID, &o.Name, &o.Locale, &o.KioskToken, &in.ClientID, &sealed.ClientSecret,
		&in.ServiceAccountID, &sealed.PrivateKey, &in.BotID, &sealed.BotSecret, &in.DomainID,
		&in.AdminUserID, &scopes, &in.RateLimit, &in.DefaultChannelID, &created, &updated, &o.KioskFallback); err != nil {
		return nil, sealed, err
	}
	if err := fromJSON(scopes, &in.Scopes); err != nil {
		return nil, sealed, err
	}
	o.CreatedAt, o.UpdatedAt = fromNullMicros(created), fromNullMicros(updated)
	return &o, sealed, nil
}

// scanRedactedOrg scans an organization and redacts it.
func scanRedactedOrg(sc scanner) (*reception.Organization, error) {
	o, sealed, err := scanOrg(sc)
	if err != nil {
		return nil, err
	}
	return redacted(o, sealed), nil
}

// redacted marks o, read without its secrets, as redacted.
func redacted(o *reception.Organization, sealed reception.SealedSecrets) *reception.Organization {
	o.Integration.Redacted = true
	o.Integration.Stored = sealed.Present()
	return o
}

// PutOrganization implements reception.Store.
func (s *Store) PutOrganization(ctx context.Context, o *reception.Organization) error {
	if o == nil {
		return &reception.FieldError{Field: "Organization", Msg: "is required"}
	}
	if err := o.Validate(); err != nil {
		return err
	}
	scopes, err := jsonText(o.Integration.Scopes)
	if err != nil {
		return err
	}
	op := fmt.Sprintf("put organization %q", o.ID)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		var old reception.SealedSecrets
		if o.Integration.Redacted {
			// Empty secret fields keep what is stored.
			err := s.stmt(ctx, tx, wOrgSecrets).QueryRowContext(ctx, o.ID).Scan(&old.ClientSecret, &old.PrivateKey, &old.BotSecret)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return s.fail(ctx, op, err)
			}
		}
		sealed, err := s.box.SealSecrets(o.ID, &o.Integration, old)
		if err != nil {
			return err
		}
		in := &o.Integration
		_, err = s.stmt(ctx, tx, wUpsertOrg).ExecContext(ctx,
			o.ID, o.Name, o.Locale, o.KioskToken, in.ClientID, blobOrNull(sealed.ClientSecret),
			in.ServiceAccountID, blobOrNull(sealed.PrivateKey), in.BotID, blobOrNull(sealed.BotSecret), in.DomainID,
			in.AdminUserID, scopes, in.RateLimit, in.DefaultChannelID, microsOrNull(o.CreatedAt), microsOrNull(o.UpdatedAt), o.KioskFallback)
		switch {
		case isUnique(err):
			// The only unique constraint an upsert by ID can break.
			return conflict("organization %q: bot %d belongs to another organization", o.ID, in.BotID)
		case err != nil:
			return s.fail(ctx, op, err)
		}
		return nil
	})
}

func (s *Store) getOrg(ctx context.Context, k rstmt, arg any, what string) (*reception.Organization, reception.SealedSecrets, error) {
	o, sealed, err := scanOrg(s.rs[k].QueryRowContext(ctx, arg))
	if errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil {
		return nil, sealed, notFound("organization", what)
	}
	if err != nil {
		return nil, sealed, s.fail(ctx, "get organization "+what, err)
	}
	return o, sealed, nil
}

// GetOrganization implements reception.Store.
func (s *Store) GetOrganization(ctx context.Context, id string) (*reception.Organization, error) {
	o, sealed, err := s.getOrg(ctx, rGetOrg, id, id)
	if err != nil {
		return nil, err
	}
	return redacted(o, sealed), nil
}

// GetOrganizationWithSecrets implements reception.Store.
func (s *Store) GetOrganizationWithSecrets(ctx context.Context, id string) (*reception.Organization, error) {
	o, sealed, err := s.getOrg(ctx, rGetOrg, id, id)
	if err != nil {
		return nil, err
	}
	if err := s.box.OpenSecrets(id, sealed, &o.Integration); err != nil {
		return nil, err
	}
	return o, nil
}

// GetOrganizationByBotID implements reception.Store.
func (s *Store) GetOrganizationByBotID(ctx context.Context, botID int64) (*reception.Organization, error) {
	what := fmt.Sprintf("with bot %d", botID)
	if botID == 0 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sqlitestore: get organization %s: %w", what, err)
		}
		return nil, notFound("organization", what)
	}
	o, sealed, err := s.getOrg(ctx, rGetOrgByBot, botID, what)
	if err != nil {
		return nil, err
	}
	return redacted(o, sealed), nil
}

// ListOrganizations implements reception.Store.
func (s *Store) ListOrganizations(ctx context.Context) ([]*reception.Organization, error) {
	return list(ctx, s, rListOrgs, "list organizations", scanRedactedOrg)
}

// DeleteOrganization implements reception.Store. Foreign keys with ON
// DELETE CASCADE remove its buttons, staff, rooms, visits with their events,
// and outbox entries in the same statement.
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	return s.execOne(ctx, wDeleteOrg, "delete organization "+id, notFound("organization", id), id)
}

// execOne runs a write statement that must change one row, returning
// missing when it changes none.
func (s *Store) execOne(ctx context.Context, k wstmt, op string, missing error, args ...any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	res, err := s.ws[k].ExecContext(ctx, args...)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if n == 0 {
		return missing
	}
	return nil
}

// putChild runs an upsert of a child of organization orgID; a missing
// organization breaks the foreign key.
func (s *Store) putChild(ctx context.Context, k wstmt, op, orgID string, args ...any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	_, err := s.ws[k].ExecContext(ctx, args...)
	switch {
	case isForeignKey(err):
		return notFound("organization", orgID)
	case err != nil:
		return s.fail(ctx, op, err)
	}
	return nil
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
	if err := errors.Join(fromJSON(labels, &b.Labels), fromJSON(channels, &b.ChannelIDs), fromJSON(staffIDs, &b.StaffIDs)); err != nil {
		return nil, err
	}
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
	labels, err := jsonText(b.Labels)
	if err != nil {
		return err
	}
	channels, err := jsonText(b.ChannelIDs)
	if err != nil {
		return err
	}
	staffIDs, err := jsonText(b.StaffIDs)
	if err != nil {
		return err
	}
	return s.putChild(ctx, wUpsertButton, fmt.Sprintf("put button %q of organization %q", b.ID, b.OrgID), b.OrgID,
		b.OrgID, b.ID, b.Label, labels, b.Order, boolInt(b.Enabled), channels, staffIDs, boolInt(b.PersonalFirst),
		b.Template, int64(b.Reminder.After), boolInt(b.Reminder.MentionAll), b.Reminder.Max)
}

// GetButton implements reception.Store.
func (s *Store) GetButton(ctx context.Context, orgID, id string) (*reception.Button, error) {
	b, err := scanButton(s.rs[rGetButton].QueryRowContext(ctx, orgID, id))
	if err != nil {
		return nil, s.getErr(ctx, err, "button", id)
	}
	return b, nil
}

// getErr translates the error of reading one row.
func (s *Store) getErr(ctx context.Context, err error, kind, id string) error {
	if errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil {
		return notFound(kind, id)
	}
	return s.fail(ctx, fmt.Sprintf("get %s %q", kind, id), err)
}

// ListButtons implements reception.Store.
func (s *Store) ListButtons(ctx context.Context, orgID string) ([]*reception.Button, error) {
	return list(ctx, s, rListButtons, "list buttons", scanButton, orgID)
}

// list runs the read statement k and scans every row.
func list[T any](ctx context.Context, s *Store, k rstmt, op string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := s.rs[k].QueryContext(ctx, args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	out, err := scanAll(rows, scan)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return out, nil
}

// scanAll scans every row with scan and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
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

// DeleteButton implements reception.Store. Visits keep their ButtonID: no
// foreign key points at buttons.
func (s *Store) DeleteButton(ctx context.Context, orgID, id string) error {
	return s.execOne(ctx, wDeleteButton, fmt.Sprintf("delete button %q", id), notFound("button", id), orgID, id)
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
	if err := fromJSON(buttons, &st.ButtonIDs); err != nil {
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
	buttons, err := jsonText(st.ButtonIDs)
	if err != nil {
		return err
	}
	return s.putChild(ctx, wUpsertStaff, fmt.Sprintf("put staff %q of organization %q", st.ID, st.OrgID), st.OrgID,
		st.OrgID, st.ID, st.Name, st.UserID, buttons, boolInt(st.Active))
}

// GetStaff implements reception.Store.
func (s *Store) GetStaff(ctx context.Context, orgID, id string) (*reception.Staff, error) {
	st, err := scanStaff(s.rs[rGetStaff].QueryRowContext(ctx, orgID, id))
	if err != nil {
		return nil, s.getErr(ctx, err, "staff", id)
	}
	return st, nil
}

// ListStaff implements reception.Store.
func (s *Store) ListStaff(ctx context.Context, orgID string) ([]*reception.Staff, error) {
	return list(ctx, s, rListStaff, "list staff", scanStaff, orgID)
}

// DeleteStaff implements reception.Store.
func (s *Store) DeleteStaff(ctx context.Context, orgID, id string) error {
	return s.execOne(ctx, wDeleteStaff, fmt.Sprintf("delete staff %q", id), notFound("staff", id), orgID, id)
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
		left = micros(*r.LeftAt)
	}
	return s.putChild(ctx, wUpsertRoom, fmt.Sprintf("put room %q of organization %q", r.ChannelID, r.OrgID), r.OrgID,
		r.OrgID, r.ChannelID, r.Title, micros(r.JoinedAt), left)
}

// GetRoom implements reception.Store.
func (s *Store) GetRoom(ctx context.Context, orgID, channelID string) (*reception.Room, error) {
	r, err := scanRoom(s.rs[rGetRoom].QueryRowContext(ctx, orgID, channelID))
	if err != nil {
		return nil, s.getErr(ctx, err, "room", channelID)
	}
	return r, nil
}

// ListRooms implements reception.Store.
func (s *Store) ListRooms(ctx context.Context, orgID string) ([]*reception.Room, error) {
	return list(ctx, s, rListRooms, "list rooms", scanRoom, orgID)
}

// MarkRoomLeft implements reception.Store.
func (s *Store) MarkRoomLeft(ctx context.Context, orgID, channelID string, at time.Time) error {
	if at.IsZero() {
		return &reception.FieldError{Field: "At", Msg: "is required"}
	}
	return s.execOne(ctx, wMarkRoomLeft, fmt.Sprintf("mark room %q left", channelID), notFound("room", channelID),
		micros(at), orgID, channelID)
}
