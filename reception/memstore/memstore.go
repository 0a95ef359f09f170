// Package memstore is an in-memory [reception.Store], for tests, demos and
// single-process trials. It keeps everything in maps behind one mutex, copies
// values in and out, and seals secrets with the given SecretBox like the
// database stores do, so that it passes the same conformance suite. Nothing
// survives the process.
package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// Store is an in-memory reception.Store. It is safe for concurrent use.
type Store struct {
	box    *reception.SecretBox
	st     *state
	closed atomic.Bool
}

var _ reception.Store = (*Store)(nil)

type key struct{ org, id string }

type inboxKey struct {
	bot  int64
	hash string
}

// orgRecord keeps an organization with its secrets blanked beside their
// sealed form, as a database row would.
type orgRecord struct {
	org    *reception.Organization
	sealed reception.SealedSecrets
}

// state is the data. It is separate from Store so that tests can open a
// second Store on the same data, as a second replica would on a database.
type state struct {
	mu      sync.Mutex
	orgs    map[string]*orgRecord
	buttons map[key]*reception.Button
	staff   map[key]*reception.Staff
	rooms   map[key]*reception.Room
	visits  map[key]*reception.Visit
	outbox  map[string]*reception.OutboxEntry
	dedupe  map[key]string // (org, dedupe key) → outbox ID
	inbox   map[string]*reception.InboxEntry
	inboxBy map[inboxKey]string
}

func newState() *state {
	return &state{
		orgs:    map[string]*orgRecord{},
		buttons: map[key]*reception.Button{},
		staff:   map[key]*reception.Staff{},
		rooms:   map[key]*reception.Room{},
		visits:  map[key]*reception.Visit{},
		outbox:  map[string]*reception.OutboxEntry{},
		dedupe:  map[key]string{},
		inbox:   map[string]*reception.InboxEntry{},
		inboxBy: map[inboxKey]string{},
	}
}

// New returns an empty Store that seals secrets with box, which is required:
// the store never holds secrets in clear, even in memory.
func New(box *reception.SecretBox) *Store {
	if box == nil {
		panic("memstore: New needs a SecretBox")
	}
	return &Store{box: box, st: newState()}
}

// errClosed is returned by every call after Close.
var errClosed = errors.New("memstore: store is closed")

// lock checks the context, takes the lock and checks the store is open.
// On success the caller must call s.st.mu.Unlock.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return errClosed
	}
	s.st.mu.Lock()
	return nil
}

func notFound(kind, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", kind, id, reception.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("memstore: "+format+": %w", append(args, reception.ErrConflict)...)
}

// utc strips the monotonic reading and location like a database round trip,
// so values from memstore compare like values from the others.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

// ---- organizations

// PutOrganization implements reception.Store.
func (s *Store) PutOrganization(ctx context.Context, o *reception.Organization) error {
	if o == nil {
		return &reception.FieldError{Field: "Organization", Msg: "is required"}
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.st.mu.Unlock()
	if bot := o.Integration.BotID; bot != 0 {
		for id, r := range s.st.orgs {
			if id != o.ID && r.org.Integration.BotID == bot {
				return conflict("bot %d belongs to another organization", bot)
			}
		}
	}
	var old reception.SealedSecrets
	if r := s.st.orgs[o.ID]; r != nil {
		old = r.sealed
	}
	sealed, err := s.box.SealSecrets(o.ID, &o.Integration, old)
	if err != nil {
		return err
	}
	c := o.Clone()
	c.Integration.ClientSecret, c.Integration.PrivateKey, c.Integration.BotSecret = "", nil, ""
	c.Integration.Redacted, c.Integration.Stored = false, 0
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	s.st.orgs[o.ID] = &orgRecord{org: c, sealed: sealed}
	return nil
}

func (s *Store) redacted(r *orgRecord) *reception.Organization {
	c := r.org.Clone()
	c.Integration.Redacted = true
	c.Integration.Stored = r.sealed.Present()
	return c
}

// GetOrganization implements reception.Store.
func (s *Store) GetOrganization(ctx context.Context, id string) (*reception.Organization, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	r := s.st.orgs[id]
	if r == nil {
		return nil, notFound("organization", id)
	}
	return s.redacted(r), nil
}

// GetOrganizationWithSecrets implements reception.Store.
func (s *Store) GetOrganizationWithSecrets(ctx context.Context, id string) (*reception.Organization, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	r := s.st.orgs[id]
	if r == nil {
		return nil, notFound("organization", id)
	}
	c := r.org.Clone()
	if err := s.box.OpenSecrets(id, r.sealed, &c.Integration); err != nil {
		return nil, err
	}
	return c, nil
}

// GetOrganizationByBotID implements reception.Store.
func (s *Store) GetOrganizationByBotID(ctx context.Context, botID int64) (*reception.Organization, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	if botID != 0 {
		for _, r := range s.st.orgs {
			if r.org.Integration.BotID == botID {
				return s.redacted(r), nil
			}
		}
	}
	return nil, notFound("organization with bot", fmt.Sprint(botID))
}

// ListOrganizations implements reception.Store.
func (s *Store) ListOrganizations(ctx context.Context) ([]*reception.Organization, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	out := make([]*reception.Organization, 0, len(s.st.orgs))
	for _, r := range s.st.orgs {
		out = append(out, s.redacted(r))
	}
	slices.SortFunc(out, func(a, b *reception.Organization) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// DeleteOrganization implements reception.Store.
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.st.mu.Unlock()
	if s.st.orgs[id] == nil {
		return notFound("organization", id)
	}
	delete(s.st.orgs, id)
	deleteOrg(s.st.buttons, id)
	deleteOrg(s.st.staff, id)
	deleteOrg(s.st.rooms, id)
	deleteOrg(s.st.visits, id)
	deleteOrg(s.st.dedupe, id)
	for oid, e := range s.st.outbox {
		if e.OrgID == id {
			delete(s.st.outbox, oid)
		}
	}
	return nil
}

func deleteOrg[V any](m map[key]V, org string) {
	for k := range m {
		if k.org == org {
			delete(m, k)
		}
	}
}

// needOrg returns ErrNotFound unless the organization exists. Caller holds
// the lock.
func (s *Store) needOrg(id string) error {
	if s.st.orgs[id] == nil {
		return notFound("organization", id)
	}
	return nil
}

// ---- generic child CRUD

func put[V any](ctx context.Context, s *Store, m func(*state) map[key]V, orgID, id string, v V) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.st.mu.Unlock()
	if err := s.needOrg(orgID); err != nil {
		return err
	}
	m(s.st)[key{orgID, id}] = v
	return nil
}

func get[V any](ctx context.Context, s *Store, m func(*state) map[key]V, kind, orgID, id string, clone func(V) V) (V, error) {
	var zero V
	if err := s.lock(ctx); err != nil {
		return zero, err
	}
	defer s.st.mu.Unlock()
	v, ok := m(s.st)[key{orgID, id}]
	if !ok {
		return zero, notFound(kind, id)
	}
	return clone(v), nil
}

func list[V any](ctx context.Context, s *Store, m func(*state) map[key]V, orgID string, clone func(V) V, order func(a, b V) int) ([]V, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.st.mu.Unlock()
	var out []V
	for k, v := range m(s.st) {
		if k.org == orgID {
			out = append(out, clone(v))
		}
	}
	slices.SortFunc(out, order)
	return out, nil
}

func del[V any](ctx context.Context, s *Store, m func(*state) map[key]V, kind, orgID, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.st.mu.Unlock()
	if _, ok := m(s.st)[key{orgID, id}]; !ok {
		return notFound(kind, id)
	}
	delete(m(s.st), key{orgID, id})
	return nil
}

func buttons(st *state) map[key]*reception.Button { return st.buttons }
func staff(st *state) map[key]*reception.Staff    { return st.staff }
func rooms(st *state) map[key]*reception.Room     { return st.rooms }

// PutButton implements reception.Store.
func (s *Store) PutButton(ctx context.Context, b *reception.Button) error {
	if b == nil {
		return &reception.FieldError{Field: "Button", Msg: "is required"}
	}
	if err := b.Validate(); err != nil {
		return err
	}
	return put(ctx, s, buttons, b.OrgID, b.ID, b.Clone())
}

// GetButton implements reception.Store.
func (s *Store) GetButton(ctx context.Context, orgID, id string) (*reception.Button, error) {
	return get(ctx, s, buttons, "button", orgID, id, (*reception.Button).Clone)
}

// ListButtons implements reception.Store.
func (s *Store) ListButtons(ctx context.Context, orgID string) ([]*reception.Button, error) {
	return list(ctx, s, buttons, orgID, (*reception.Button).Clone, func(a, b *reception.Button) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.ID, b.ID))
	})
}

// DeleteButton implements reception.Store.
func (s *Store) DeleteButton(ctx context.Context, orgID, id string) error {
	return del(ctx, s, buttons, "button", orgID, id)
}

// PutStaff implements reception.Store.
func (s *Store) PutStaff(ctx context.Context, st *reception.Staff) error {
	if st == nil {
		return &reception.FieldError{Field: "Staff", Msg: "is required"}
	}
	if err := st.Validate(); err != nil {
		return err
	}
	return put(ctx, s, staff, st.OrgID, st.ID, st.Clone())
}

// GetStaff implements reception.Store.
func (s *Store) GetStaff(ctx context.Context, orgID, id string) (*reception.Staff, error) {
	return get(ctx, s, staff, "staff", orgID, id, (*reception.Staff).Clone)
}

// ListStaff implements reception.Store.
func (s *Store) ListStaff(ctx context.Context, orgID string) ([]*reception.Staff, error) {
	return list(ctx, s, staff, orgID, (*reception.Staff).Clone, func(a, b *reception.Staff) int {
		return cmp.Compare(a.ID, b.ID)
	})
}

// DeleteStaff implements reception.Store.
func (s *Store) DeleteStaff(ctx context.Context, orgID, id string) error {
	return del(ctx, s, staff, "staff", orgID, id)
}

// PutRoom implements reception.Store.
func (s *Store) PutRoom(ctx context.Context, r *reception.Room) error {
	if r == nil {
		return &reception.FieldError{Field: "Room", Msg: "is required"}
	}
	if err := r.Validate(); err != nil {
		return err
	}
	c := r.Clone()
	c.JoinedAt = utc(c.JoinedAt)
	if c.LeftAt != nil {
		*c.LeftAt = utc(*c.LeftAt)
	}
	return put(ctx, s, rooms, r.OrgID, r.ChannelID, c)
}

// GetRoom implements reception.Store.
func (s *Store) GetRoom(ctx context.Context, orgID, channelID string) (*reception.Room, error) {
	return get(ctx, s, rooms, "room", orgID, channelID, (*reception.Room).Clone)
}

// ListRooms implements reception.Store.
func (s *Store) ListRooms(ctx context.Context, orgID string) ([]*reception.Room, error) {
	return list(ctx, s, rooms, orgID, (*reception.Room).Clone, func(a, b *reception.Room) int {
		return cmp.Or(a.JoinedAt.Compare(b.JoinedAt), cmp.Compare(a.ChannelID, b.ChannelID))
	})
}

// MarkRoomLeft implements reception.Store.
func (s *Store) MarkRoomLeft(ctx context.Context, orgID, channelID string, at time.Time) error {
	if at.IsZero() {
		return &reception.FieldError{Field: "At", Msg: "is required"}
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.st.mu.Unlock()
	r := s.st.rooms[key{orgID, channelID}]
	if r == nil {
		return notFound("room", channelID)
	}
	t := utc(at)
	r.LeftAt = &t
	return nil
}
