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

// jsonText encodes the lists and maps kept in TEXT columns. The result has
// one element per value even with an error, so callers can index it.
func jsonText(vs ...any) ([]any, error) {
	out := make([]any, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return out, fmt.Errorf("sqlitestore: encoding %T: %w", v, err)
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
		&in.AdminUserID, &scopes, &in.RateLimit, &in.DefaultChannelID, &created, &updated, &o.KioskFallback, &o.OpenTaps); err != nil {
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
		o.KioskFallback, boolInt(o.OpenTaps), boolInt(r.KeepSecrets))
	if isUnique(err) {
		// The only unique constraint an upsert by ID can break.
		return conflict("organization %q: bot %d belongs to another organization", o.ID, in.BotID)
	}
	return s.fail(ctx, fmt.Sprintf("put organization %q", o.ID), err)
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

// execOne runs a write statement that must change one row; none means the
// kind id does not exist.
func (s *db) execOne(ctx context.Context, k wstmt, kind, id string, args ...any) error {
	var n int64
	res, err := s.ws[k].ExecContext(ctx, args...)
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return s.fail(ctx, fmt.Sprintf("write %s %q", kind, id), err)
	}
	if n == 0 {
		return notFound(kind, id)
	}
	return nil
}

// one runs the read statement st for one row; none means the kind id does
// not exist.
func one[T any](ctx context.Context, s *db, st *sql.Stmt, kind, id string, scan func(scanner) (T, error), args ...any) (T, error) {
	v, err := scan(st.QueryRowContext(ctx, args...))
	if errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil {
		return v, notFound(kind, id)
	}
	return v, s.fail(ctx, fmt.Sprintf("get %s %q", kind, id), err)
}

// list runs the read statement k and scans every row.
func list[T any](ctx context.Context, s *db, k rstmt, op string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := s.rs[k].QueryContext(ctx, args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	out, err := collect(rows, scan)
	return out, s.fail(ctx, op, err)
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

// table is reception.TableDriver on one table of an organization's
// values: its statements, how to scan a row and how to make the upsert's
// arguments (the key first).
type table[T any] struct {
	s         *db
	kind      string
	put, del  wstmt
	get, list rstmt
	scan      func(scanner) (T, error)
	args      func(T) ([]any, error)
}

// Put runs the upsert; a missing organization breaks the foreign key.
func (t table[T]) Put(ctx context.Context, orgID, id string, v T) error {
	args, err := t.args(v)
	if err == nil {
		_, err = t.s.ws[t.put].ExecContext(ctx, args...)
	}
	if isForeignKey(err) {
		return notFound("organization", orgID)
	}
	return t.s.fail(ctx, fmt.Sprintf("put %s %q of organization %q", t.kind, id, orgID), err)
}

func (t table[T]) Get(ctx context.Context, orgID, id string) (T, error) {
	return one(ctx, t.s, t.s.rs[t.get], t.kind, id, t.scan, orgID, id)
}

func (t table[T]) List(ctx context.Context, orgID string) ([]T, error) {
	return list(ctx, t.s, t.list, "list "+t.kind, t.scan, orgID)
}

func (t table[T]) Delete(ctx context.Context, orgID, id string) error {
	return t.s.execOne(ctx, t.del, t.kind, id, orgID, id)
}

// Buttons implements reception.DirectoryDriver. Visits keep the ButtonID
// of a deleted button: no foreign key points at buttons.
func (s *db) Buttons() reception.TableDriver[*reception.Button] {
	return table[*reception.Button]{s, "button", wUpsertButton, wDeleteButton, rGetButton, rListButtons, scanButton,
		func(b *reception.Button) ([]any, error) {
			j, err := jsonText(b.Labels, b.ChannelIDs, b.StaffIDs)
			return []any{b.OrgID, b.ID, b.Label, j[0], b.Order, boolInt(b.Enabled), j[1], j[2], boolInt(b.PersonalFirst),
				b.Template, int64(b.Reminder.After), boolInt(b.Reminder.MentionAll), b.Reminder.Max}, err
		}}
}

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

func (s *db) Staff() reception.TableDriver[*reception.Staff] {
	return table[*reception.Staff]{s, "staff", wUpsertStaff, wDeleteStaff, rGetStaff, rListStaff, scanStaff,
		func(st *reception.Staff) ([]any, error) {
			j, err := jsonText(st.ButtonIDs)
			return []any{st.OrgID, st.ID, st.Name, st.UserID, j[0], boolInt(st.Active)}, err
		}}
}

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

// rooms adds MarkLeft to the table of rooms.
type rooms struct{ table[*reception.Room] }

func (s *db) Rooms() reception.RoomDriver {
	return rooms{table[*reception.Room]{s, "room", wUpsertRoom, wDeleteRoom, rGetRoom, rListRooms, scanRoom,
		func(r *reception.Room) ([]any, error) {
			var left any
			if r.LeftAt != nil {
				left = micros(*r.LeftAt)
			}
			return []any{r.OrgID, r.ChannelID, r.Title, micros(r.JoinedAt), left}, nil
		}}}
}

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

func (r rooms) MarkLeft(ctx context.Context, orgID, channelID string, at time.Time) error {
	return r.s.execOne(ctx, wMarkRoomLeft, "room", channelID, micros(at), orgID, channelID)
}
