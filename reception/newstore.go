package reception

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// NewStore returns the Store of a driver: the one implementation of the
// Store contract, applying every domain rule and leaving storage to d (see
// [Driver]). box seals the organizations' secrets before d sees them. name
// starts the messages of the errors the Store makes itself (a lease held by
// another owner, say), so that a store's errors all name it, e.g.
// "sqlitestore". NewStore panics if d or box is nil.
func NewStore(name string, d Driver, box *SecretBox) Store {
	if d == nil || box == nil {
		panic("reception: NewStore needs a driver and a SecretBox")
	}
	return &store{name: name, d: d, box: box, buttons: d.Buttons(), staff: d.Staff(), rooms: d.Rooms(), out: d.Outbox(), in: d.Inbox()}
}

// store is NewStore's Store.
type store struct {
	name    string
	d       Driver
	box     *SecretBox
	buttons TableDriver[*Button]
	staff   TableDriver[*Staff]
	rooms   RoomDriver
	out     OutboxDriver
	in      InboxDriver
}

func required(field string) error { return &FieldError{Field: field, Msg: "is required"} }

// live fails a call whose context ended before it reached the driver, so
// that every store honours a canceled context even where it does no I/O.
func (s *store) live(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

func (s *store) conflict(format string, args ...any) error {
	return fmt.Errorf("%s: "+format+": %w", append([]any{s.name}, append(args, ErrConflict)...)...)
}

// normTime is t as every driver keeps it: UTC, to the microsecond (the
// precision of PostgreSQL), with no monotonic reading. Normalizing here
// lets a driver keep times as given and still return what it was given.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// ---- organizations

// PutOrganization implements Store: the secrets are sealed here, and a
// redacted organization asks the driver to keep the secrets it left empty.
func (s *store) PutOrganization(ctx context.Context, o *Organization) error {
	if o == nil {
		return required("Organization")
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if err := s.live(ctx); err != nil {
		return err
	}
	sealed, err := s.box.SealSecrets(o.ID, &o.Integration, SealedSecrets{})
	if err != nil {
		return err
	}
	c := o.Clone()
	// Kept as a hash: the token itself is shown once, when it is issued.
	c.KioskToken = HashKioskToken(c.KioskToken)
	in := &c.Integration
	in.ClientSecret, in.PrivateKey, in.BotSecret, in.Redacted, in.Stored = "", nil, "", false, 0
	c.CreatedAt, c.UpdatedAt = normTime(c.CreatedAt), normTime(c.UpdatedAt)
	return s.d.PutOrganization(ctx, &SealedOrganization{Organization: c, Secrets: sealed, KeepSecrets: o.Integration.Redacted})
}

// redact returns the organization of r as every read but
// GetOrganizationWithSecrets shows it.
func redact(r *SealedOrganization) *Organization {
	o := r.Organization
	o.Integration.Redacted, o.Integration.Stored = true, r.Secrets.Present()
	return o
}

// GetOrganization implements Store.
func (s *store) GetOrganization(ctx context.Context, id string) (*Organization, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	r, err := s.d.GetOrganization(ctx, id)
	if err != nil {
		return nil, err
	}
	return redact(r), nil
}

// GetOrganizationWithSecrets implements Store.
func (s *store) GetOrganizationWithSecrets(ctx context.Context, id string) (*Organization, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	r, err := s.d.GetOrganization(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.box.OpenSecrets(r.Organization.ID, r.Secrets, &r.Organization.Integration); err != nil {
		return nil, err
	}
	return r.Organization, nil
}

// GetOrganizationByBotID implements Store. Bot 0 means "no bot yet", which
// several organizations may share, so it finds none.
func (s *store) GetOrganizationByBotID(ctx context.Context, botID int64) (*Organization, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	if botID == 0 {
		return nil, fmt.Errorf("%s: organization with bot 0: %w", s.name, ErrNotFound)
	}
	r, err := s.d.GetOrganizationByBotID(ctx, botID)
	if err != nil {
		return nil, err
	}
	return redact(r), nil
}

// ListOrganizations implements Store.
func (s *store) ListOrganizations(ctx context.Context) ([]*Organization, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	rs, err := s.d.ListOrganizations(ctx)
	out := make([]*Organization, len(rs))
	for i, r := range rs {
		out[i] = redact(r)
	}
	return out, err
}

// DeleteOrganization implements Store.
func (s *store) DeleteOrganization(ctx context.Context, id string) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	return s.d.DeleteOrganization(ctx, id)
}

// ---- buttons, staff, rooms

// put validates v, a value of an organization keyed by key(v), and hands
// the table a copy of it.
func put[T interface{ Validate() error }](ctx context.Context, s *store, t KeyedDriver[T], field string, v T, isNil bool, clone func(T) T, key func(T) (string, string)) error {
	if isNil {
		return required(field)
	}
	if err := v.Validate(); err != nil {
		return err
	}
	if err := s.live(ctx); err != nil {
		return err
	}
	c := clone(v)
	orgID, id := key(c)
	return t.Put(ctx, orgID, id, c)
}

// get calls the driver after checking the context.
func get[T any](ctx context.Context, s *store, read func() (T, error)) (T, error) {
	if err := s.live(ctx); err != nil {
		var zero T
		return zero, err
	}
	return read()
}

// list returns an organization's values of t ordered by order.
func list[T any](ctx context.Context, s *store, t KeyedDriver[T], orgID string, order func(a, b T) int) ([]T, error) {
	out, err := get(ctx, s, func() ([]T, error) { return t.List(ctx, orgID) })
	slices.SortFunc(out, order)
	return out, err
}

// do calls fn with the key (orgID, id) after checking the context.
func do(ctx context.Context, s *store, orgID, id string, fn func(ctx context.Context, orgID, id string) error) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	return fn(ctx, orgID, id)
}

// PutButton implements Store.
func (s *store) PutButton(ctx context.Context, b *Button) error {
	return put(ctx, s, s.buttons, "Button", b, b == nil, (*Button).Clone, func(b *Button) (string, string) { return b.OrgID, b.ID })
}

// GetButton implements Store.
func (s *store) GetButton(ctx context.Context, orgID, id string) (*Button, error) {
	return get(ctx, s, func() (*Button, error) { return s.buttons.Get(ctx, orgID, id) })
}

// ListButtons implements Store: by Order, then ID.
func (s *store) ListButtons(ctx context.Context, orgID string) ([]*Button, error) {
	return list(ctx, s, s.buttons, orgID, func(a, b *Button) int { return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.ID, b.ID)) })
}

// DeleteButton implements Store.
func (s *store) DeleteButton(ctx context.Context, orgID, id string) error {
	return do(ctx, s, orgID, id, s.buttons.Delete)
}

// PutStaff implements Store.
func (s *store) PutStaff(ctx context.Context, st *Staff) error {
	return put(ctx, s, s.staff, "Staff", st, st == nil, (*Staff).Clone, func(st *Staff) (string, string) { return st.OrgID, st.ID })
}

// GetStaff implements Store.
func (s *store) GetStaff(ctx context.Context, orgID, id string) (*Staff, error) {
	return get(ctx, s, func() (*Staff, error) { return s.staff.Get(ctx, orgID, id) })
}

// ListStaff implements Store: by ID.
func (s *store) ListStaff(ctx context.Context, orgID string) ([]*Staff, error) {
	return list(ctx, s, s.staff, orgID, func(a, b *Staff) int { return cmp.Compare(a.ID, b.ID) })
}

// DeleteStaff implements Store.
func (s *store) DeleteStaff(ctx context.Context, orgID, id string) error {
	return do(ctx, s, orgID, id, s.staff.Delete)
}

// PutRoom implements Store.
func (s *store) PutRoom(ctx context.Context, r *Room) error {
	return put(ctx, s, s.rooms, "Room", r, r == nil, func(r *Room) *Room {
		c := r.Clone()
		c.JoinedAt = normTime(c.JoinedAt)
		if c.LeftAt != nil {
			*c.LeftAt = normTime(*c.LeftAt)
		}
		return c
	}, func(r *Room) (string, string) { return r.OrgID, r.ChannelID })
}

// GetRoom implements Store.
func (s *store) GetRoom(ctx context.Context, orgID, channelID string) (*Room, error) {
	return get(ctx, s, func() (*Room, error) { return s.rooms.Get(ctx, orgID, channelID) })
}

// ListRooms implements Store: by JoinedAt, then ChannelID.
func (s *store) ListRooms(ctx context.Context, orgID string) ([]*Room, error) {
	return list(ctx, s, s.rooms, orgID, func(a, b *Room) int {
		return cmp.Or(a.JoinedAt.Compare(b.JoinedAt), cmp.Compare(a.ChannelID, b.ChannelID))
	})
}

// MarkRoomLeft implements Store.
func (s *store) MarkRoomLeft(ctx context.Context, orgID, channelID string, at time.Time) error {
	if at.IsZero() {
		return required("At")
	}
	return do(ctx, s, orgID, channelID, func(ctx context.Context, orgID, channelID string) error {
		return s.rooms.MarkLeft(ctx, orgID, channelID, normTime(at))
	})
}

// Close implements Store.
func (s *store) Close() error { return s.d.Close() }
