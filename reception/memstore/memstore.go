// Package memstore is an in-memory [reception.Store], for tests, demos and
// single-process trials: a [reception.Driver] keeping everything in maps
// behind one mutex, wrapped by [reception.NewStore], which seals secrets
// with the given SecretBox as it does for the database drivers, so that it
// passes the same conformance suite. Nothing survives the process.
package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/uketsuke/uketsuke/reception"
)

// Store is an in-memory reception.Store. It is safe for concurrent use.
type Store struct {
	reception.Store
	d *driver
}

// New returns an empty Store that seals secrets with box, which is required:
// the store never holds secrets in clear, even in memory.
func New(box *reception.SecretBox) *Store {
	if box == nil {
		panic("memstore: New needs a SecretBox")
	}
	return openOn(box, newState())
}

// openOn returns a Store on st; tests open a second one on the same state, as
// a second replica would open the same database.
func openOn(box *reception.SecretBox, st *state) *Store {
	d := &driver{st: st}
	return &Store{Store: reception.NewStore("memstore", d, box), d: d}
}

// driver is the reception.Driver. Close ends this driver only: the data
// stays with any other driver sharing it, as a database outlives one pool.
type driver struct {
	st     *state
	closed atomic.Bool
}

type key struct{ org, id string }

type inboxKey struct {
	bot  int64
	hash string
}

// state is the data, separate from driver so that drivers can share it.
type state struct {
	mu      sync.Mutex
	orgs    map[string]*reception.SealedOrganization
	buttons map[key]*reception.Button
	staff   map[key]*reception.Staff
	rooms   map[key]*reception.Room
	visits  map[key]*reception.Visit
	appts   map[key]*reception.Appointment
	outbox  map[string]*reception.OutboxEntry
	dedupe  map[key]string // (org, dedupe key) → outbox ID
	inbox   map[string]*reception.InboxEntry
	inboxBy map[inboxKey]string
}

func newState() *state {
	return &state{
		orgs: map[string]*reception.SealedOrganization{}, buttons: map[key]*reception.Button{},
		staff: map[key]*reception.Staff{}, rooms: map[key]*reception.Room{}, visits: map[key]*reception.Visit{},
		appts:  map[key]*reception.Appointment{},
		outbox: map[string]*reception.OutboxEntry{}, dedupe: map[key]string{},
		inbox: map[string]*reception.InboxEntry{}, inboxBy: map[inboxKey]string{},
	}
}

// errClosed is returned by every call after Close.
var errClosed = errors.New("memstore: store is closed")

// lock takes the lock unless the driver is closed; on success the caller
// must call d.st.mu.Unlock.
func (d *driver) lock() error {
	if d.closed.Load() {
		return errClosed
	}
	d.st.mu.Lock()
	return nil
}

// locked runs fn under the lock.
func locked[T any](d *driver, fn func(st *state) (T, error)) (T, error) {
	if err := d.lock(); err != nil {
		var zero T
		return zero, err
	}
	defer d.st.mu.Unlock()
	return fn(d.st)
}

func notFound(kind, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", kind, id, reception.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("memstore: "+format+": %w", append(args, reception.ErrConflict)...)
}

func (d *driver) Close() error {
	d.closed.Store(true)
	return nil
}

// ---- organizations

func (d *driver) PutOrganization(_ context.Context, o *reception.SealedOrganization) error {
	_, err := locked(d, func(st *state) (any, error) {
		id, bot := o.Organization.ID, o.Organization.Integration.BotID
		for other, r := range st.orgs {
			if bot != 0 && other != id && r.Organization.Integration.BotID == bot {
				return nil, conflict("bot %d belongs to another organization", bot)
			}
		}
		if old := st.orgs[id]; old != nil && o.KeepSecrets {
			s := &o.Secrets
			s.ClientSecret = orOld(s.ClientSecret, old.Secrets.ClientSecret)
			s.PrivateKey = orOld(s.PrivateKey, old.Secrets.PrivateKey)
			s.BotSecret = orOld(s.BotSecret, old.Secrets.BotSecret)
		}
		o.KeepSecrets = false
		st.orgs[id] = o
		return nil, nil
	})
	return err
}

// orOld is the ciphertext a kept secret ends with.
func orOld(s, old []byte) []byte {
	if s == nil {
		return old
	}
	return s
}

// sealedCopy copies r; the ciphertexts are never modified, so they are
// shared.
func sealedCopy(r *reception.SealedOrganization) *reception.SealedOrganization {
	return &reception.SealedOrganization{Organization: r.Organization.Clone(), Secrets: r.Secrets}
}

func (d *driver) GetOrganization(_ context.Context, id string) (*reception.SealedOrganization, error) {
	return locked(d, func(st *state) (*reception.SealedOrganization, error) {
		if r := st.orgs[id]; r != nil {
			return sealedCopy(r), nil
		}
		return nil, notFound("organization", id)
	})
}

func (d *driver) GetOrganizationByBotID(_ context.Context, botID int64) (*reception.SealedOrganization, error) {
	return locked(d, func(st *state) (*reception.SealedOrganization, error) {
		for _, r := range st.orgs {
			if r.Organization.Integration.BotID == botID {
				return sealedCopy(r), nil
			}
		}
		return nil, notFound("organization with bot", fmt.Sprint(botID))
	})
}

func (d *driver) ListOrganizations(context.Context) ([]*reception.SealedOrganization, error) {
	return locked(d, func(st *state) ([]*reception.SealedOrganization, error) {
		var out []*reception.SealedOrganization
		for _, r := range st.orgs {
			out = append(out, sealedCopy(r))
		}
		slices.SortFunc(out, func(a, b *reception.SealedOrganization) int {
			return cmp.Compare(a.Organization.ID, b.Organization.ID)
		})
		return out, nil
	})
}

func (d *driver) DeleteOrganization(_ context.Context, id string) error {
	_, err := locked(d, func(st *state) (any, error) {
		if st.orgs[id] == nil {
			return nil, notFound("organization", id)
		}
		delete(st.orgs, id)
		deleteOrg(st.buttons, id)
		deleteOrg(st.staff, id)
		deleteOrg(st.rooms, id)
		deleteOrg(st.visits, id)
		deleteOrg(st.appts, id)
		deleteOrg(st.dedupe, id)
		maps.DeleteFunc(st.outbox, func(_ string, e *reception.OutboxEntry) bool { return e.OrgID == id })
		return nil, nil
	})
	return err
}

func deleteOrg[V any](m map[key]V, org string) {
	maps.DeleteFunc(m, func(k key, _ V) bool { return k.org == org })
}

// needOrg returns ErrNotFound unless the organization exists.
func (st *state) needOrg(id string) error {
	if st.orgs[id] == nil {
		return notFound("organization", id)
	}
	return nil
}
