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
//   - The reminder loop re-notifies visits nobody answered.
//   - Health tells whether an organization's notifications can be
//     delivered at all, so that a kiosk never claims staff were notified
//     when they cannot be (see Service.Health).
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
	"log/slog"
	"os"
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
// cache and rebuild when the credentials change.
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
	now       func() time.Time
	log       *slog.Logger
	metrics   Metrics
	texts     map[string]*Texts
	orgTexts  map[string]Texts
	locale    string
	owner     string
	loc       *time.Location

	leaseFor     time.Duration
	pollInterval time.Duration
	batch        int
	concurrency  int
	maxAttempts  int
	baseBackoff  time.Duration
	maxBackoff   time.Duration

	// onEvent receives visit events (events.go); nil queues none.
	onEvent EventHandler
	// mode is what follows an ambiguous failure (events.go).
	mode DeliveryMode

	kickOutbox chan struct{}
	kickInbox  chan struct{}

	namesMu sync.Mutex
	names   map[string]cachedName

	// Fast path: while Run runs, CheckIn stores its entries leased to this
	// service and sends them at once, sparing the dispatcher's lease write
	// and poll. fastMu orders CheckIn's fast.Add against Run's fast.Wait.
	fastMu  sync.Mutex
	running bool
	fast    sync.WaitGroup
	fastSem chan struct{}

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

// Option configures New.
type Option func(*Service) error

// WithClock replaces the service's clock, which dates check-ins, leases,
// retries and reminders (default time.Now; tests drive reminders with it).
func WithClock(now func() time.Time) Option {
	return func(s *Service) error {
		if now == nil {
			return errors.New("notify: WithClock(nil)")
		}
		s.now = now
		return nil
	}
}

// WithLogger sets the logger (default: text lines on os.Stderr at Info).
// Log lines carry organization and visit IDs and never a secret.
func WithLogger(l *slog.Logger) Option {
	return func(s *Service) error {
		if l == nil {
			return errors.New("notify: WithLogger(nil)")
		}
		s.log = l
		return nil
	}
}

// WithMetrics sets the counters (default: none, a no-op).
func WithMetrics(m Metrics) Option {
	return func(s *Service) error {
		if m == nil {
			return errors.New("notify: WithMetrics(nil)")
		}
		s.metrics = m
		return nil
	}
}

// WithOwner names this process in leases (default: hostname and a random
// suffix). Two processes must never share a name.
func WithOwner(owner string) Option {
	return func(s *Service) error {
		if owner == "" {
			return errors.New("notify: WithOwner(\"\")")
		}
		s.owner = owner
		return nil
	}
}

// WithDelivery tunes the dispatcher: how long a lease lasts (default 30 s),
// how often idle loops poll the store (default 1 s), how many entries one
// lease takes (default 32), how many are sent at once (default 8), and
// after how many attempts a message is dead (default 10; events for the
// host application are never dead, see WithEventHandler).
func WithDelivery(leaseFor, poll time.Duration, batch, concurrency, maxAttempts int) Option {
	return func(s *Service) error {
		if leaseFor <= 0 || poll <= 0 || batch <= 0 || concurrency <= 0 || maxAttempts <= 0 {
			return errors.New("notify: WithDelivery: every value must be positive")
		}
		s.leaseFor, s.pollInterval, s.batch, s.concurrency, s.maxAttempts = leaseFor, poll, batch, concurrency, maxAttempts
		return nil
	}
}

// WithBackoff sets the retry backoff of failed deliveries: doubling from
// base (default 1 s) up to max (default 5 min), or the server's RetryAfter
// when longer. A retry is due after its backoff but is picked up at the
// dispatcher's next look at the store, which comes at most a poll
// interval later (WithDelivery, default 1 s) — so a backoff shorter than
// the poll interval waits about the poll interval.
func WithBackoff(base, max time.Duration) Option {
	return func(s *Service) error {
		if base <= 0 || max < base {
			return errors.New("notify: WithBackoff: need 0 < base <= max")
		}
		s.baseBackoff, s.maxBackoff = base, max
		return nil
	}
}

// WithTexts overrides the message texts for a locale ("ja", "en", …).
// Fields left empty keep the built-in text (default: the built-in Japanese
// and English texts; another locale starts from the Japanese ones).
func WithTexts(locale string, t Texts) Option {
	return func(s *Service) error {
		base, ok := s.texts[locale]
		if !ok {
			base = defaultTexts["ja"]
		}
		merged := base.merge(t)
		if err := merged.parse(); err != nil {
			return err
		}
		s.texts[locale] = merged
		return nil
	}
}

// WithOrgTexts overrides texts for one organization, on top of its
// locale's texts (e.g. a company that says 「お客様がお見えです」). Fields left
// empty keep the locale's text (default: no organization has its own). A button's Template still overrides the
// notification text of that button.
func WithOrgTexts(orgID string, t Texts) Option {
	return func(s *Service) error {
		if err := defaultTexts["ja"].merge(t).parse(); err != nil {
			return err
		}
		s.orgTexts[orgID] = t
		return nil
	}
}

// WithDefaultLocale sets the locale of organizations that have none
// (default "ja").
func WithDefaultLocale(locale string) Option {
	return func(s *Service) error {
		s.locale = locale
		return nil
	}
}

// WithLocation sets the time zone of times shown in messages (default
// time.Local).
func WithLocation(loc *time.Location) Option {
	return func(s *Service) error {
		if loc == nil {
			return errors.New("notify: WithLocation(nil)")
		}
		s.loc = loc
		return nil
	}
}

func (s *Service) location() *time.Location { return s.loc }

// New returns a Service over store that reaches LINE WORKS through
// connector.
func New(store reception.Store, connector Connector, opts ...Option) (*Service, error) {
	if store == nil || connector == nil {
		return nil, errors.New("notify: New needs a store and a connector")
	}
	s := &Service{
		store:        store,
		connector:    connector,
		now:          time.Now,
		log:          slog.New(slog.NewTextHandler(os.Stderr, nil)),
		metrics:      nopMetrics{},
		texts:        map[string]*Texts{},
		orgTexts:     map[string]Texts{},
		locale:       "ja",
		owner:        defaultOwner(),
		leaseFor:     30 * time.Second,
		pollInterval: time.Second,
		batch:        32,
		concurrency:  8,
		maxAttempts:  10,
		baseBackoff:  time.Second,
		maxBackoff:   5 * time.Minute,
		kickOutbox:   make(chan struct{}, 1),
		kickInbox:    make(chan struct{}, 1),
		names:        map[string]cachedName{},
		orgs:         map[string]cachedOrg{},
		loc:          time.Local,
	}
	for k, v := range defaultTexts {
		s.texts[k] = v
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.fastSem = make(chan struct{}, s.concurrency)
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

// Store returns the store the service works on.
func (s *Service) Store() reception.Store { return s.store }

// Run runs the dispatcher, the inbox processor and the reminder loop until
// ctx ends, then returns unfinished leases and returns nil. Run may be called
// on several processes sharing a database.
func (s *Service) Run(ctx context.Context) error {
	s.fastMu.Lock()
	s.running = true
	s.fastMu.Unlock()
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
