package reception_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/storetest"
)

// mini is the smallest Driver that passes storetest: maps behind one mutex.
// It shows what a driver is left with once reception.NewStore applies the
// domain rules — finding, ordering where a limit needs it, keeping keys
// unique, and making each write atomic — and that nothing of the visit
// state machine, secrets or lease rules is in it.
type mini struct {
	mu      sync.Mutex
	orgs    map[string]*reception.SealedOrganization
	buttons miniTable[*reception.Button]
	staff   miniTable[*reception.Staff]
	rooms   miniRooms
	visits  map[[2]string]*reception.Visit
	appts   map[[2]string]*reception.Appointment
	out     miniQueue[*reception.OutboxEntry]
	in      miniQueue[*reception.InboxEntry]
}

func newMini() *mini {
	d := &mini{orgs: map[string]*reception.SealedOrganization{}, visits: map[[2]string]*reception.Visit{},
		appts: map[[2]string]*reception.Appointment{}}
	d.buttons = miniTable[*reception.Button]{d, "button", map[[2]string]*reception.Button{}}
	d.staff = miniTable[*reception.Staff]{d, "staff", map[[2]string]*reception.Staff{}}
	d.rooms = miniRooms{miniTable[*reception.Room]{d, "room", map[[2]string]*reception.Room{}}}
	d.out = miniQueue[*reception.OutboxEntry]{d, "outbox entry", map[string]*reception.OutboxEntry{}}
	d.in = miniQueue[*reception.InboxEntry]{d, "inbox entry", map[string]*reception.InboxEntry{}}
	return d
}

func missing(kind, id string) error {
	return fmt.Errorf("mini: %s %q: %w", kind, id, reception.ErrNotFound)
}

func taken(what string) error {
	return fmt.Errorf("mini: %s is taken: %w", what, reception.ErrConflict)
}

// locked runs fn under the one lock: every method is atomic.
func locked[T any](d *mini, fn func() (T, error)) (T, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return fn()
}

func (d *mini) Close() error { return nil }

func (d *mini) PutOrganization(_ context.Context, o *reception.SealedOrganization) error {
	_, err := locked(d, func() (any, error) {
		for _, x := range d.orgs {
			if bot := o.Organization.Integration.BotID; bot != 0 && x.Organization.ID != o.Organization.ID && x.Organization.Integration.BotID == bot {
				return nil, taken("bot ID")
			}
		}
		if old := d.orgs[o.Organization.ID]; old != nil && o.KeepSecrets {
			for _, p := range [][2]*[]byte{{&o.Secrets.ClientSecret, &old.Secrets.ClientSecret},
				{&o.Secrets.PrivateKey, &old.Secrets.PrivateKey}, {&o.Secrets.BotSecret, &old.Secrets.BotSecret}} {
				if *p[0] == nil {
					*p[0] = *p[1]
				}
			}
		}
		d.orgs[o.Organization.ID] = o
		return nil, nil
	})
	return err
}

// org returns a copy of the stored organization passing match.
func (d *mini) org(what string, match func(o *reception.Organization) bool) (*reception.SealedOrganization, error) {
	return locked(d, func() (*reception.SealedOrganization, error) {
		for _, x := range d.orgs {
			if match(x.Organization) {
				return &reception.SealedOrganization{Organization: x.Organization.Clone(), Secrets: x.Secrets}, nil
			}
		}
		return nil, missing("organization", what)
	})
}

func (d *mini) GetOrganization(_ context.Context, id string) (*reception.SealedOrganization, error) {
	return d.org(id, func(o *reception.Organization) bool { return o.ID == id })
}

func (d *mini) GetOrganizationByBotID(_ context.Context, bot int64) (*reception.SealedOrganization, error) {
	return d.org(fmt.Sprint(bot), func(o *reception.Organization) bool { return o.Integration.BotID == bot })
}

func (d *mini) ListOrganizations(context.Context) ([]*reception.SealedOrganization, error) {
	return locked(d, func() (out []*reception.SealedOrganization, _ error) {
		for _, id := range slices.Sorted(maps.Keys(d.orgs)) {
			out = append(out, &reception.SealedOrganization{Organization: d.orgs[id].Organization.Clone(), Secrets: d.orgs[id].Secrets})
		}
		return out, nil
	})
}

func (d *mini) DeleteOrganization(_ context.Context, id string) error {
	_, err := locked(d, func() (any, error) {
		if d.orgs[id] == nil {
			return nil, missing("organization", id)
		}
		ofOrg := func(k [2]string) bool { return k[0] == id }
		delete(d.orgs, id)
		maps.DeleteFunc(d.buttons.rows, func(k [2]string, _ *reception.Button) bool { return ofOrg(k) })
		maps.DeleteFunc(d.staff.rows, func(k [2]string, _ *reception.Staff) bool { return ofOrg(k) })
		maps.DeleteFunc(d.rooms.rows, func(k [2]string, _ *reception.Room) bool { return ofOrg(k) })
		maps.DeleteFunc(d.visits, func(k [2]string, _ *reception.Visit) bool { return ofOrg(k) })
		maps.DeleteFunc(d.appts, func(k [2]string, _ *reception.Appointment) bool { return ofOrg(k) })
		maps.DeleteFunc(d.out.items, func(_ string, e *reception.OutboxEntry) bool { return e.OrgID == id })
		return nil, nil
	})
	return err
}

func (d *mini) Buttons() reception.TableDriver[*reception.Button] { return d.buttons }
func (d *mini) Staff() reception.TableDriver[*reception.Staff]    { return d.staff }
func (d *mini) Rooms() reception.RoomDriver                       { return d.rooms }

// miniTable keeps values of one kind by (orgID, id).
type miniTable[T interface{ Clone() T }] struct {
	d    *mini
	kind string
	rows map[[2]string]T
}

func (t miniTable[T]) Put(_ context.Context, orgID, id string, v T) error {
	_, err := locked(t.d, func() (any, error) {
		if t.d.orgs[orgID] == nil {
			return nil, missing("organization", orgID)
		}
		t.rows[[2]string{orgID, id}] = v
		return nil, nil
	})
	return err
}

func (t miniTable[T]) Get(_ context.Context, orgID, id string) (T, error) {
	return locked(t.d, func() (T, error) {
		v, ok := t.rows[[2]string{orgID, id}]
		if !ok {
			return v, missing(t.kind, id)
		}
		return v.Clone(), nil
	})
}

func (t miniTable[T]) List(_ context.Context, orgID string) ([]T, error) {
	return locked(t.d, func() (out []T, _ error) {
		for k, v := range t.rows {
			if k[0] == orgID {
				out = append(out, v.Clone())
			}
		}
		return out, nil
	})
}

func (t miniTable[T]) Delete(_ context.Context, orgID, id string) error {
	_, err := locked(t.d, func() (any, error) {
		if _, ok := t.rows[[2]string{orgID, id}]; !ok {
			return nil, missing(t.kind, id)
		}
		delete(t.rows, [2]string{orgID, id})
		return nil, nil
	})
	return err
}

type miniRooms struct{ miniTable[*reception.Room] }

func (r miniRooms) MarkLeft(_ context.Context, orgID, channelID string, at time.Time) error {
	_, err := locked(r.d, func() (any, error) {
		old, ok := r.rows[[2]string{orgID, channelID}]
		if !ok {
			return nil, missing("room", channelID)
		}
		c := old.Clone()
		c.LeftAt = &at
		r.rows[[2]string{orgID, channelID}] = c
		return nil, nil
	})
	return err
}

// enqueue checks entries' IDs and dedupe keys, then stores them all.
// Caller holds the lock.
func (d *mini) enqueue(entries []*reception.OutboxEntry) error {
	for i, e := range entries {
		for _, o := range append(slices.Collect(maps.Values(d.out.items)), entries[:i]...) {
			if o.ID == e.ID || o.OrgID == e.OrgID && o.DedupeKey == e.DedupeKey {
				return taken("outbox entry ID or dedupe key")
			}
		}
	}
	for _, e := range entries {
		d.out.items[e.ID] = e
	}
	return nil
}

func (d *mini) CreateVisit(_ context.Context, v *reception.Visit, entries []*reception.OutboxEntry) error {
	_, err := locked(d, func() (any, error) { return nil, d.create(v, entries) })
	return err
}

// create stores a visit and its entries. Caller holds the lock.
func (d *mini) create(v *reception.Visit, entries []*reception.OutboxEntry) error {
	if d.orgs[v.OrgID] == nil {
		return missing("organization", v.OrgID)
	}
	if d.visits[[2]string{v.OrgID, v.ID}] != nil {
		return taken("visit ID")
	}
	if err := d.enqueue(entries); err != nil {
		return err
	}
	d.visits[[2]string{v.OrgID, v.ID}] = v
	return nil
}

// miniTx is mini's transaction for CheckIn under reception.WithTx: its
// check-ins are stored, all or none, at commit.
type miniTx struct {
	d       *mini
	visits  []*reception.Visit
	entries [][]*reception.OutboxEntry
}

// CreateVisitIn implements reception.TxDriver: the check-in is tried now,
// after those already in tx, and undone; commit stores them all.
func (d *mini) CreateVisitIn(_ context.Context, tx any, v *reception.Visit, entries []*reception.OutboxEntry) error {
	t, ok := tx.(*miniTx)
	if !ok || t.d != d {
		return reception.WrongTx("mini", tx, "a *miniTx")
	}
	_, err := locked(d, func() (any, error) {
		return nil, t.apply(append(t.visits, v), append(t.entries, entries), true)
	})
	if err == nil {
		t.visits, t.entries = append(t.visits, v), append(t.entries, entries)
	}
	return err
}

func (t *miniTx) commit() error {
	_, err := locked(t.d, func() (any, error) { return nil, t.apply(t.visits, t.entries, false) })
	return err
}

// apply stores the check-ins, all or none, and with undo takes them back.
// Caller holds the lock.
func (t *miniTx) apply(visits []*reception.Visit, entries [][]*reception.OutboxEntry, undo bool) error {
	vs, out := maps.Clone(t.d.visits), maps.Clone(t.d.out.items)
	var err error
	for i, v := range visits {
		if err = t.d.create(v, entries[i]); err != nil {
			break
		}
	}
	if err != nil || undo {
		// create only adds: take back the keys it added.
		maps.DeleteFunc(t.d.visits, func(k [2]string, _ *reception.Visit) bool { _, ok := vs[k]; return !ok })
		maps.DeleteFunc(t.d.out.items, func(k string, _ *reception.OutboxEntry) bool { _, ok := out[k]; return !ok })
	}
	return err
}

func (d *mini) GetVisit(_ context.Context, orgID, id string) (*reception.Visit, error) {
	return locked(d, func() (*reception.Visit, error) {
		if v := d.visits[[2]string{orgID, id}]; v != nil {
			return v.Clone(), nil
		}
		return nil, missing("visit", id)
	})
}

// visitsWhere returns copies of the first limit (0: all) visits passing
// keep in order.
func (d *mini) visitsWhere(keep func(*reception.Visit) bool, order func(a, b *reception.Visit) int, limit int) ([]*reception.Visit, error) {
	return locked(d, func() ([]*reception.Visit, error) {
		var out []*reception.Visit
		for _, v := range slices.SortedFunc(maps.Values(d.visits), order) {
			if keep(v) && (limit == 0 || len(out) < limit) {
				out = append(out, v.Clone())
			}
		}
		return out, nil
	})
}

func (d *mini) ListVisits(_ context.Context, orgID string, f reception.VisitFilter) ([]*reception.Visit, error) {
	return d.visitsWhere(func(v *reception.Visit) bool { return v.OrgID == orgID && f.Match(v) },
		func(a, b *reception.Visit) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
		}, f.Limit)
}

func (d *mini) ListDueReminders(_ context.Context, now time.Time, limit int) ([]*reception.Visit, error) {
	return d.visitsWhere(func(v *reception.Visit) bool { return v.ReminderDue(now) }, reception.EarliestReminderFirst, limit)
}

func (d *mini) UpdateVisit(_ context.Context, orgID, id string, change func(*reception.Visit) (*reception.VisitChange, error)) error {
	_, err := locked(d, func() (any, error) {
		v := d.visits[[2]string{orgID, id}]
		if v == nil {
			return nil, missing("visit", id)
		}
		c, err := change(v.Clone())
		if err != nil || c == nil {
			return nil, err
		}
		if c.DropEntries {
			maps.DeleteFunc(d.out.items, func(_ string, e *reception.OutboxEntry) bool { return e.OrgID == orgID && e.VisitID == id })
		}
		if err := d.enqueue(c.Entries); err != nil {
			return nil, err
		}
		d.visits[[2]string{orgID, id}] = c.Visit
		return nil, nil
	})
	return err
}

// CreateAppointment checks the code under the one lock, so that the check
// and the insert are one step.
func (d *mini) CreateAppointment(_ context.Context, a *reception.Appointment, entries []*reception.OutboxEntry) error {
	_, err := locked(d, func() (any, error) {
		if d.orgs[a.OrgID] == nil {
			return nil, missing("organization", a.OrgID)
		}
		if d.appts[[2]string{a.OrgID, a.ID}] != nil {
			return nil, taken("appointment ID")
		}
		for _, o := range d.appts {
			if o.OrgID == a.OrgID && o.Code == a.Code && o.Live(a.CreatedAt) {
				return nil, fmt.Errorf("mini: %w", reception.ErrCodeInUse)
			}
		}
		if err := d.enqueue(entries); err != nil {
			return nil, err
		}
		d.appts[[2]string{a.OrgID, a.ID}] = a
		return nil, nil
	})
	return err
}

func (d *mini) GetAppointment(_ context.Context, orgID, id string) (*reception.Appointment, error) {
	return locked(d, func() (*reception.Appointment, error) {
		if a := d.appts[[2]string{orgID, id}]; a != nil {
			return a.Clone(), nil
		}
		return nil, missing("appointment", id)
	})
}

// apptsWhere returns copies of the first limit (0: all) appointments
// passing keep in order.
func (d *mini) apptsWhere(keep func(*reception.Appointment) bool, order func(a, b *reception.Appointment) int, limit int) ([]*reception.Appointment, error) {
	return locked(d, func() (out []*reception.Appointment, _ error) {
		for _, a := range slices.SortedFunc(maps.Values(d.appts), order) {
			if keep(a) && (limit == 0 || len(out) < limit) {
				out = append(out, a.Clone())
			}
		}
		return out, nil
	})
}

func (d *mini) ListAppointmentsByCode(_ context.Context, orgID, code string) ([]*reception.Appointment, error) {
	return d.apptsWhere(func(a *reception.Appointment) bool { return a.OrgID == orgID && a.Code == code }, reception.EarliestAppointmentFirst, 0)
}

func (d *mini) ListAppointments(_ context.Context, orgID string, f reception.AppointmentFilter) ([]*reception.Appointment, error) {
	return d.apptsWhere(func(a *reception.Appointment) bool { return a.OrgID == orgID && f.Match(a) }, reception.EarliestAppointmentFirst, f.Limit)
}

func (d *mini) ListDueAppointments(_ context.Context, now time.Time, limit int) ([]*reception.Appointment, error) {
	return d.apptsWhere(func(a *reception.Appointment) bool { return a.ReminderDue(now) }, reception.EarliestAppointmentReminderFirst, limit)
}

func (d *mini) UpdateAppointment(_ context.Context, orgID, id string, change func(*reception.Appointment) (*reception.AppointmentChange, error)) error {
	_, err := locked(d, func() (any, error) {
		a := d.appts[[2]string{orgID, id}]
		if a == nil {
			return nil, missing("appointment", id)
		}
		c, err := change(a.Clone())
		if err != nil || c == nil {
			return nil, err
		}
		if err := d.enqueue(c.Entries); err != nil {
			return nil, err
		}
		d.appts[[2]string{orgID, id}] = c.Appointment
		return nil, nil
	})
	return err
}

// Purge erases and deletes what the retention rule says, up to limit of
// each kind; the one lock makes it atomic and never busy.
func (d *mini) Purge(_ context.Context, before time.Time, limit int) (reception.PurgeResult, error) {
	return locked(d, func() (reception.PurgeResult, error) {
		var r reception.PurgeResult
		for k, v := range d.visits {
			if r.Visits < limit && v.CreatedAt.Before(before) && v.HasPersonalData() {
				c := v.Clone()
				c.ErasePersonalData()
				d.visits[k] = c
				r.Visits++
			}
		}
		for k, a := range d.appts {
			if r.Appointments < limit && a.ValidUntil.Before(before) && a.HasPersonalData() {
				c := a.Clone()
				c.ErasePersonalData()
				d.appts[k] = c
				r.Appointments++
			}
		}
		r.Outbox = purgeQueue(d.out.items, before, limit)
		r.Inbox = purgeQueue(d.in.items, before, limit)
		return r, nil
	})
}

// purgeQueue deletes up to limit entries the purge deletes; dedupe keys
// live in the entries here.
func purgeQueue[E reception.QueueEntry[E]](items map[string]E, before time.Time, limit int) int {
	n := 0
	maps.DeleteFunc(items, func(_ string, e E) bool {
		if n < limit && e.PurgeableBefore(before) {
			n++
			return true
		}
		return false
	})
	return n
}

func (d *mini) Outbox() reception.OutboxDriver { return miniOutbox{d.out} }
func (d *mini) Inbox() reception.InboxDriver   { return miniInbox{d.in} }

// miniQueue is both queues; what leasing and settling change in an entry
// is reception's (reception.QueueEntry).
type miniQueue[E reception.QueueEntry[E]] struct {
	d     *mini
	kind  string
	items map[string]E
}

func (q miniQueue[E]) Get(_ context.Context, id string) (E, error) {
	return locked(q.d, func() (E, error) {
		e, ok := q.items[id]
		if !ok {
			return e, missing(q.kind, id)
		}
		return e.Clone(), nil
	})
}

func (q miniQueue[E]) Lease(_ context.Context, owner string, n int, until, now time.Time) ([]E, error) {
	return locked(q.d, func() (out []E, _ error) {
		for _, e := range slices.SortedFunc(maps.Values(q.items), func(a, b E) int { return a.LeaseOrder(b) }) {
			if e.LeasableAt(now) && len(out) < n {
				e.Lease(owner, until)
				out = append(out, e.Clone())
			}
		}
		return out, nil
	})
}

func (q miniQueue[E]) Settle(_ context.Context, id, owner string, s reception.Settlement) (bool, error) {
	return locked(q.d, func() (bool, error) {
		e, ok := q.items[id]
		if !ok || !e.LeasedBy(owner) {
			return false, nil
		}
		e.Settle(s)
		if o, ok := any(e).(*reception.OutboxEntry); ok && s.Notified != nil {
			if v := q.d.visits[[2]string{o.OrgID, o.VisitID}]; v != nil {
				_ = v.Apply(*s.Notified) // a notified event only joins the timeline
			}
		}
		for _, t := range s.Then {
			_ = q.d.enqueue([]*reception.OutboxEntry{t}) // a used key: enqueued before
		}
		return true, nil
	})
}

func (q miniQueue[E]) Release(_ context.Context, owner string) (int, error) {
	return locked(q.d, func() (n int, _ error) {
		for _, e := range q.items {
			if e.LeasedBy(owner) {
				e.Release()
				n++
			}
		}
		return n, nil
	})
}

type miniOutbox struct {
	miniQueue[*reception.OutboxEntry]
}

func (o miniOutbox) Enqueue(_ context.Context, e *reception.OutboxEntry) error {
	_, err := locked(o.d, func() (any, error) {
		if o.d.orgs[e.OrgID] == nil {
			return nil, missing("organization", e.OrgID)
		}
		return nil, o.d.enqueue([]*reception.OutboxEntry{e})
	})
	return err
}

func (o miniOutbox) List(_ context.Context, orgID string, f reception.OutboxFilter) ([]*reception.OutboxEntry, error) {
	return locked(o.d, func() (out []*reception.OutboxEntry, _ error) {
		for _, e := range slices.SortedFunc(maps.Values(o.items), reception.OldestEntryFirst) {
			if e.OrgID == orgID && f.Match(e) && (f.Limit == 0 || len(out) < f.Limit) {
				out = append(out, e.Clone())
			}
		}
		return out, nil
	})
}

type miniInbox struct {
	miniQueue[*reception.InboxEntry]
}

func (in miniInbox) Insert(_ context.Context, e *reception.InboxEntry) (bool, error) {
	return locked(in.d, func() (bool, error) {
		for _, x := range in.items {
			if x.BotID == e.BotID && x.Hash == e.Hash {
				return false, nil
			}
		}
		if _, ok := in.items[e.ID]; ok {
			return false, taken("inbox entry ID")
		}
		in.items[e.ID] = e
		return true, nil
	})
}

// miniStore is the Store of a mini, which begins its transactions.
type miniStore struct {
	reception.Store
	d *mini
}

// TestMinimalDriver runs the conformance suite on mini.
func TestMinimalDriver(t *testing.T) {
	storetest.Run(t, storetest.Harness{Parallel: true, BeginTx: func(t *testing.T, db *storetest.Database) storetest.Tx {
		tx := &miniTx{d: db.Store.(miniStore).d}
		return storetest.Tx{Tx: tx, Commit: tx.commit, Rollback: func() error { return nil }}
	}, Open: func(t *testing.T, box *reception.SecretBox) *storetest.Database {
		d := newMini()
		return &storetest.Database{
			Store:       miniStore{reception.NewStore("mini", d, box), d},
			RawContains: func(t *testing.T, needle []byte) bool { return d.rawContains(string(needle)) },
		}
	}})
}

// rawContains searches what mini holds in the one place secrets could be:
// the organizations, printed in full.
func (d *mini) rawContains(needle string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, o := range d.orgs {
		if strings.Contains(fmt.Sprintf("%+v %+v %q", *o.Organization, o.Organization.Integration, o.Secrets), needle) {
			return true
		}
	}
	return false
}

// A driver becomes a Store with NewStore, which seals secrets with the
// box before the driver sees them and applies every domain rule.
func ExampleNewStore() {
	box, _ := reception.NewSecretBox(make([]byte, reception.SecretKeySize)) // in production: a key kept outside the database
	store := reception.NewStore("mini", newMini(), box)
	defer store.Close()
	ctx := context.Background()
	_ = store.PutOrganization(ctx, &reception.Organization{ID: "acme", Name: "Acme",
		Integration: reception.Integration{ClientID: "app", ClientSecret: "s3cret"}})
	o, _ := store.GetOrganization(ctx, "acme")
	fmt.Printf("secret %q, stored: %v\n", o.Integration.ClientSecret, o.Integration.Stored.Has(reception.SecretClientSecret))
	// Output: secret "", stored: true
}

// crowded is mini with the first few codes it is asked for already held:
// CreateAppointment must draw again when it chose the code, and only then.
type crowded struct {
	*mini
	held int
}

func (c *crowded) CreateAppointment(ctx context.Context, a *reception.Appointment, entries []*reception.OutboxEntry) error {
	if c.held > 0 {
		c.held--
		return fmt.Errorf("crowded: %w", reception.ErrCodeInUse)
	}
	return c.mini.CreateAppointment(ctx, a, entries)
}

func TestCreateAppointmentDrawsAgain(t *testing.T) {
	ctx := t.Context()
	d := &crowded{mini: newMini()}
	s := reception.NewStore("crowded", d, storetest.NewBox(t))
	if err := s.PutOrganization(ctx, &reception.Organization{ID: "org", Name: "Org"}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)
	appt := func(id, code string) *reception.Appointment {
		from, until := reception.DayValidity(start, time.UTC)
		return &reception.Appointment{ID: id, OrgID: "org", Code: code, HostStaffIDs: []string{"s1"},
			Visitors: []reception.AppointmentVisitor{{Name: "佐藤"}}, StartsAt: start, ValidFrom: from, ValidUntil: until,
			Status: reception.AppointmentScheduled, CreatedBy: reception.CreatedByAdmin, CreatedAt: start}
	}
	d.held = 3
	a := appt("a1", "")
	if err := s.CreateAppointment(ctx, a); err != nil || !reception.ValidCode(a.Code) || d.held != 0 {
		t.Errorf("CreateAppointment past 3 held codes: %v, code %q, %d held left", err, a.Code, d.held)
	}
	d.held = 1
	if err := s.CreateAppointment(ctx, appt("a2", "123456")); !errors.Is(err, reception.ErrCodeInUse) {
		t.Errorf("CreateAppointment with the caller's held code: %v, want ErrCodeInUse", err)
	}
	d.held = 100
	if err := s.CreateAppointment(ctx, appt("a3", "")); !errors.Is(err, reception.ErrCodeInUse) || d.held != 90 {
		t.Errorf("CreateAppointment when every code is held: %v after %d draws, want ErrCodeInUse after 10", err, 100-d.held)
	}
}
