// Package notify turns reception check-ins into LINE WORKS notifications and
// staff taps into handled visits. It composes the reception Store with the
// lineworks client:
//
//   - CheckIn validates a visit, routes it (the button's rooms and staff, or
//     only the chosen staff member, or the organization's default room) and
//     stores it together with its outbox entries in one transaction. It never
//     waits on LINE WORKS.
//   - The dispatcher leases due outbox entries, sends them with one
//     lineworks.Client per organization and marks them sent; transient
//     failures are retried with backoff, permanent ones dead-lettered.
//   - CallbackHandler verifies callbacks, stores them in the inbox and
//     answers at once (LINE WORKS never redelivers); the inbox processor
//     then records rooms the bot joins (and posts their room ID), claims a
//     visit for the first staff member who taps 「対応します」 and tells
//     everybody the visit was announced to who handles it, and asks the
//     visit's rooms for help (@All) on 「他の人に対応を依頼」 — from anyone
//     while the visit waits, only from its handler once it is accepted.
//   - The reminder loop re-notifies visits nobody answered, and reminds
//     appointments' hosts (1:1) and visitors (e-mail).
//   - Appointments (appointments.go): CreateAppointment gives the hosts the
//     reception code, its QR image and a text to forward, and e-mails
//     visitors with WithMailer; a staff member can also make one by writing
//     to the bot 1:1 (chatbooking.go, parsed by notify/booking). A check-in
//     with the code (CheckInRequest.Code) tells the hosts personally.
//   - Health tells whether an organization's notifications can be
//     delivered at all, so that a kiosk never claims staff were notified
//     when they cannot be (see Service.Health).
//
// Fairness across organizations: every send — a check-in's, a reminder, a
// reply to a tap — goes through one queue that serves organizations in
// turn, within each tenant's LINE WORKS rate budget (per API, as LINE WORKS
// counts it). A send whose tenant has no room in its budget, or is backing
// off after a 429, 5xx, timeout or refused credentials, holds no delivery
// slot: a quiet organization's notification goes out as if it were alone.
// With pgstore the budgets live in the database, shared by every replica;
// a 429 seen by one replica holds the tenant's budget for all of them until
// rateLimit-reset (see RateLimiter).
//
// Every loop runs under Service.Run and stops gracefully with its context,
// returning unfinished leases so nothing accepted is lost. Several processes
// may run Service on one PostgreSQL database: the store's leases make each
// outbox entry go out once.
//
// # Embedding in an application
//
// An application with its own database uses notify as a library:
//
//   - NewCompany sets up one company — LINE WORKS credentials and a map of
//     departments to talk rooms — and returns a ready Service; New with
//     reception's organizations and buttons serves many tenants.
//   - CheckInRequest.Reference carries the application's own ID for the
//     visit; it is stored on the visit and comes back in every Event.
//   - CheckInTx records the check-in inside the application's own
//     transaction (a pgx.Tx with pgstore, a *sql.Tx with sqlitestore), so
//     the application's row and the queued notifications commit together.
//   - WithEventHandler reports what happens to each visit — checked in,
//     delivered, given up, uncertain, accepted (by whom), escalated or
//     handed back, reminded — through the outbox: an event is queued in
//     the transaction of the change it reports and handed to the handler at
//     least once, after that commit, retried until the handler succeeds.
//
// See Example (embedding).
//
// # Delivery semantics
//
// A send can fail ambiguously: the answer is lost (a timeout, a dropped
// connection) or is a 500, 502 or 504, and LINE WORKS may have posted the
// message before failing. WithDeliveryMode chooses what follows. The
// default, AtLeastOnce, sends the message again: a visitor's notification
// is never lost to such a failure, and may appear twice in the room,
// because at a reception desk a visitor nobody hears of is the worse
// failure. AtMostOnce never sends such a message again: the entry is
// marked uncertain (reception.OutboxUncertain) and reported as an
// EventUncertain event for the application to follow up. Failures that
// surely posted nothing (429, 503, a refused connection, a token error)
// are retried in both modes; messages LINE WORKS rejects (400, 403, 404)
// or that run out of attempts are given up (EventGivenUp).
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// API is what notify needs from LINE WORKS for one organization. It is a
// narrow interface so that tests can use a fake without HTTP;
// LineWorksConnector provides the real one.
type API interface {
	SendToChannel(ctx context.Context, botID int64, channelID string, msg lineworks.Content) error
	SendToUser(ctx context.Context, botID int64, userID string, msg lineworks.Content) error
	// DisplayName returns a user's name for messages ("山田 太郎").
	DisplayName(ctx context.Context, userID string) (string, error)
}

// Connector gives the API of an organization, built from its stored
// credentials (org comes from GetOrganizationWithSecrets). Implementations
// cache and rebuild when the credentials change; one that caches should
// also have a Forget(orgID string) method, which Service.ForgetOrganization
// calls when an organization is deleted.
type Connector interface {
	Connect(ctx context.Context, org *reception.Organization) (API, error)
}

// Metrics counts what the service does. The server binds it to Prometheus;
// the zero Service uses a no-op.
type Metrics interface {
	// Inc adds one to the counter name, optionally with a label value
	// (e.g. the callback event type).
	Inc(name, label string)
}

// Counter names passed to Metrics.Inc.
const (
	MetricCheckIns  = "checkins"
	MetricSent      = "sent"
	MetricRetried   = "retried"
	MetricDead      = "dead"
	MetricClaims    = "claims" // label: "won", "conflict", "repeat"
	MetricCallbacks = "callbacks"
	MetricReminders = "reminders"
	MetricEscalated = "escalations"
)

type nopMetrics struct{}

func (nopMetrics) Inc(string, string) {}

// Service is the notification engine. Create it with New; it is safe for
// concurrent use.
type Service struct {
	store     reception.Store
	connector Connector

	// settings are what New's options set (options.go); read-only after
	// New.
	settings

	kickOutbox chan struct{}
	kickInbox  chan struct{}
	// wakes and sending: outboxwake.go.
	wakes   wakes
	sending sendingSteps

	namesMu sync.Mutex
	names   map[string]cachedName
	emails  map[string]cachedEmail // identity.go

	// Fast path: while Run runs, CheckIn stores its entries leased to this
	// service and sends them at once, sparing the dispatcher's lease write
	// and poll. fastMu orders CheckIn's fast.Add against Run's fast.Wait.
	fastMu  sync.Mutex
	running bool
	runStop <-chan struct{}
	fast    sync.WaitGroup

	// Every send goes through fq, which serves tenants in turn within
	// each tenant's rate budget, kept by limiter (fairqueue.go,
	// limiter.go). jobs counts the sends queued or running.
	fq   *fairQueue
	jobs sync.WaitGroup

	orgsMu sync.Mutex
	orgs   map[string]cachedOrg

	// health remembers send results per organization; see Health.
	health sendHealth

	// secrets caches bot secrets for the callback endpoint (secretcache.go).
	secrets secretCache
}

type cachedOrg struct {
	org     *reception.Organization
	expires time.Time
}

// orgCacheTTL bounds how long a changed integration (new credentials) can
// go unnoticed by the dispatcher; it saves a read and a decryption per
// message.
const orgCacheTTL = 2 * time.Second

type cachedName struct {
	name    string
	expires time.Time
}

func (s *Service) location() *time.Location { return s.loc }

// New returns a Service over store that reaches LINE WORKS through
// connector.
func New(store reception.Store, connector Connector, opts ...Option) (*Service, error) {
	if store == nil || connector == nil {
		return nil, errors.New("notify: New needs a store and a connector")
	}
	cfg := defaultSettings()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	s := &Service{
		store:      store,
		connector:  connector,
		settings:   cfg,
		kickOutbox: make(chan struct{}, 1),
		kickInbox:  make(chan struct{}, 1),
		names:      map[string]cachedName{},
		emails:     map[string]cachedEmail{},
		orgs:       map[string]cachedOrg{},
	}
	if s.limiter == nil {
		s.limiter = defaultLimiter(store, s.now)
	}
	if s.tenantSlots <= 0 {
		s.tenantSlots = max(1, s.concurrency/4)
	}
	s.tenantSlots = min(s.tenantSlots, s.concurrency)
	s.fq = newFairQueue(s)
	return s, nil
}

func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// Owner returns the name this service leases under.
func (s *Service) Owner() string { return s.owner }

// ForgetOrganization drops what this service keeps in memory about an
// organization: its cached credentials, staff names and delivery health,
// and its LINE WORKS client when the connector has a Forget(orgID string)
// method (LineWorksConnector does). Call it after deleting the
// organization, so that none of it outlives the deletion in this process;
// an organization changed in place needs no call, because the caches notice
// changed credentials.
func (s *Service) ForgetOrganization(orgID string) {
	s.orgsMu.Lock()
	delete(s.orgs, orgID)
	s.orgsMu.Unlock()
	s.namesMu.Lock()
	for k := range s.names {
		if strings.HasPrefix(k, orgID+"\x00") {
			delete(s.names, k)
		}
	}
	for k := range s.emails {
		if strings.HasPrefix(k, orgID+"\x00") {
			delete(s.emails, k)
		}
	}
	s.namesMu.Unlock()
	s.health.forget(orgID)
	if f, ok := s.connector.(interface{ Forget(orgID string) }); ok {
		f.Forget(orgID)
	}
}

// Run runs the dispatcher, the inbox processor and the reminder loop until
// ctx ends, then returns unfinished leases and returns nil. Run may be called
// on several processes sharing a database.
func (s *Service) Run(ctx context.Context) error {
	s.fastMu.Lock()
	s.running = true
	s.runStop = ctx.Done()
	s.fastMu.Unlock()
	// Sends still queued when ctx ends are dropped, their entries still
	// leased: they are released below.
	stopQueue := context.AfterFunc(ctx, s.fq.stopped)
	defer stopQueue()
	var wg sync.WaitGroup
	wg.Go(func() { s.runOutbox(ctx) })
	wg.Go(func() { s.runInbox(ctx) })
	wg.Go(func() { s.runReminders(ctx) })
	wg.Go(func() { s.runHealth(ctx) })
	wg.Wait()
	s.fastMu.Lock()
	s.running = false
	s.fastMu.Unlock()
	// Sends the fast path started finish before leases are returned, so no
	// other replica sends them again.
	s.fast.Wait()
	s.jobs.Wait()
	// Leases of entries never attempted go back at once, so another replica
	// need not wait for them to lapse.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if n, err := s.store.ReleaseOutbox(bg, s.owner); err != nil {
		s.log.Error("releasing outbox leases", "err", err)
	} else if n > 0 {
		s.log.Info("released outbox leases", "count", n)
	}
	if n, err := s.store.ReleaseInbox(bg, s.owner); err != nil {
		s.log.Error("releasing inbox leases", "err", err)
	} else if n > 0 {
		s.log.Info("released inbox leases", "count", n)
	}
	return nil
}

func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wait sleeps until d passes, a kick arrives or ctx ends (false).
func wait(ctx context.Context, d time.Duration, kicked <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-kicked:
		return true
	case <-t.C:
		return true
	}
}
