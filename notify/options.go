package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// ErrInvalidArgument is wrapped by the error of an option given a value it
// does not accept (New returns it); the message names the option.
var ErrInvalidArgument = errors.New("notify: invalid argument")

// Option configures New. Options have the module's one shape (see
// "# Options" in the lineworks package documentation): each sets one
// setting, checks its value when applied and returns an error wrapping
// ErrInvalidArgument that names the option; options apply in order, so a
// later one wins; a nil Option is skipped; New returns the first error.
type Option func(*settings) error

// settings is what options set; New starts from defaultSettings and the
// Service keeps the result (embedded, read-only after New).
//
// To add an option: add a field here, its default to defaultSettings, and
// a With… function next to the others whose doc comment states the
// default; validate the value in the option and report a bad one with
// invalid.
type settings struct {
	now      func() time.Time
	log      *slog.Logger
	metrics  Metrics
	texts    map[string]*Texts
	orgTexts map[string]Texts
	owner    string
	loc      *time.Location

	leaseFor     time.Duration
	pollInterval time.Duration
	batch        int
	concurrency  int
	maxAttempts  int
	baseBackoff  time.Duration
	maxBackoff   time.Duration

	// limiter keeps the tenants' rate budgets; nil until New picks the
	// default (the store if it shares budgets, else memory).
	limiter RateLimiter
	// tenantSlots bounds one organization's sends on the wire; 0 until New
	// picks the default (a quarter of concurrency, at least 1).
	tenantSlots int

	// onEvent receives visit events (events.go); nil queues none.
	onEvent EventHandler
	// mode is what follows an ambiguous failure (events.go).
	mode DeliveryMode

	// mailer sends e-mail (mail.go); nil sends none.
	mailer Mailer
	// apptReminder is how long before an appointment its hosts are
	// reminded; 0 means no host reminder.
	apptReminder time.Duration
	// apptRooms also notifies the rooms of the buttons that list a host
	// when visitors check in with a code.
	apptRooms bool
}

// Defaults of the delivery options, as documented on each option.
const (
	defaultLease        = 30 * time.Second
	defaultPollInterval = time.Second
	defaultBatchSize    = 32
	defaultConcurrency  = 8
	defaultMaxAttempts  = 10
	defaultBackoffBase  = time.Second
	defaultBackoffMax   = 5 * time.Minute
	// defaultAppointmentReminder is WithAppointmentReminder's default.
	defaultAppointmentReminder = 30 * time.Minute
)

func defaultSettings() settings {
	s := settings{
		now:          time.Now,
		log:          slog.New(slog.NewTextHandler(os.Stderr, nil)),
		metrics:      nopMetrics{},
		texts:        map[string]*Texts{},
		orgTexts:     map[string]Texts{},
		owner:        defaultOwner(),
		loc:          time.Local,
		leaseFor:     defaultLease,
		pollInterval: defaultPollInterval,
		batch:        defaultBatchSize,
		concurrency:  defaultConcurrency,
		maxAttempts:  defaultMaxAttempts,
		baseBackoff:  defaultBackoffBase,
		maxBackoff:   defaultBackoffMax,
		apptReminder: defaultAppointmentReminder,
	}
	for k, v := range defaultTexts {
		s.texts[k] = v
	}
	return s
}

// defaultLocale is the locale of organizations that have none.
const defaultLocale = "ja"

// invalid is the error of an option given a bad value: call is how the
// option was called ("WithBatchSize(0)"), why what is wrong with it.
func invalid(call, why string) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidArgument, call, why)
}

// WithClock replaces time.Now for domain time: check-in and handling
// times, leases, retry times and reminders (tests drive reminders with
// it). Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return invalid("WithClock(nil)", "no clock")
		}
		s.now = now
		return nil
	}
}

// WithLogger sets the logger. Log lines carry organization and visit IDs and
// never a secret. Default: a text logger on standard error.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		if l == nil {
			return invalid("WithLogger(nil)", "no logger")
		}
		s.log = l
		return nil
	}
}

// WithMetrics sets the counters. Default: none (nothing is counted).
func WithMetrics(m Metrics) Option {
	return func(s *settings) error {
		if m == nil {
			return invalid("WithMetrics(nil)", "no metrics")
		}
		s.metrics = m
		return nil
	}
}

// WithOwner names this process in leases. Two processes must never share a
// name. Default: the hostname and a random suffix.
func WithOwner(owner string) Option {
	return func(s *settings) error {
		if owner == "" {
			return invalid(`WithOwner("")`, "empty")
		}
		s.owner = owner
		return nil
	}
}

// WithLease sets how long the dispatcher and the inbox processor hold the
// entries they lease. An entry whose process dies goes out again after its
// lease lapses; a send or a callback is given three quarters of it.
// Default: 30 s.
func WithLease(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return invalid(fmt.Sprintf("WithLease(%v)", d), "not positive")
		}
		s.leaseFor = d
		return nil
	}
}

// WithPollInterval sets how often the idle dispatcher, inbox processor and
// reminder loop look at the store. A check-in or a callback in this process
// wakes them at once, and the dispatcher also wakes when a message this
// process retries or hands back (a backoff, the tenant's budget, an
// appointment's order) is due again; the interval is how late they notice
// work stored by another process or due by time otherwise (a reminder).
// Default: 1 s.
func WithPollInterval(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return invalid(fmt.Sprintf("WithPollInterval(%v)", d), "not positive")
		}
		s.pollInterval = d
		return nil
	}
}

// WithBatchSize sets how many outbox or inbox entries one lease takes.
// Default: 32.
func WithBatchSize(n int) Option {
	return func(s *settings) error {
		if n <= 0 {
			return invalid(fmt.Sprintf("WithBatchSize(%d)", n), "not positive")
		}
		s.batch = n
		return nil
	}
}

// WithConcurrency sets how many entries are sent (or callbacks handled) at
// once, and how many check-ins may send at once on the fast path.
// Default: 8.
func WithConcurrency(n int) Option {
	return func(s *settings) error {
		if n <= 0 {
			return invalid(fmt.Sprintf("WithConcurrency(%d)", n), "not positive")
		}
		s.concurrency = n
		return nil
	}
}

// WithMaxAttempts sets after how many failed attempts an outbox entry or a
// callback is dead-lettered. A permanent failure (an invalid message, say)
// is dead at once; waiting for an organization whose integration is
// incomplete uses up no attempt. Default: 10, which with WithBackoff's
// default gives up about 8½ minutes after the first failure.
func WithMaxAttempts(n int) Option {
	return func(s *settings) error {
		if n <= 0 {
			return invalid(fmt.Sprintf("WithMaxAttempts(%d)", n), "not positive")
		}
		s.maxAttempts = n
		return nil
	}
}

// WithBackoff sets when a failed delivery or callback is tried again:
// after attempt n it waits base·2^(n-1), at most max, or as long as LINE
// WORKS asked (Retry-After) if that is longer, again at most max. An
// organization whose integration is incomplete is checked again every max.
// Default: base 1 s and max 5 min, so retries come after 1 s, 2 s, 4 s, …,
// 4 min 16 s, then every 5 min.
func WithBackoff(base, max time.Duration) Option {
	return func(s *settings) error {
		if base <= 0 || max < base {
			return invalid(fmt.Sprintf("WithBackoff(%v, %v)", base, max), "need 0 < base <= max")
		}
		s.baseBackoff, s.maxBackoff = base, max
		return nil
	}
}

// WithTexts overrides the message texts for a locale ("ja", "en", …).
// Fields left empty keep the built-in text (of the locale, or Japanese for
// a locale without built-in texts). Default: the built-in texts.
func WithTexts(locale string, t Texts) Option {
	return func(s *settings) error {
		base, ok := s.texts[locale]
		if !ok {
			base = defaultTexts["ja"]
		}
		merged := base.merge(t)
		if err := merged.parse(); err != nil {
			return fmt.Errorf("%w: WithTexts(%q): %w", ErrInvalidArgument, locale, err)
		}
		s.texts[locale] = merged
		return nil
	}
}

// WithOrgTexts overrides texts for one organization, on top of its
// locale's texts (e.g. a company that says 「お客様がお見えです」). Fields left
// empty keep the locale's text. A button's Template still overrides the
// notification text of that button. Default: no overrides.
func WithOrgTexts(orgID string, t Texts) Option {
	return func(s *settings) error {
		if err := defaultTexts["ja"].merge(t).parse(); err != nil {
			return fmt.Errorf("%w: WithOrgTexts(%q): %w", ErrInvalidArgument, orgID, err)
		}
		s.orgTexts[orgID] = t
		return nil
	}
}

// WithLocation sets the time zone of times shown in messages, of an
// appointment's day (its validity, when CreateAppointment fills it in)
// and of the dates and times staff write to the bot ("明日 14:00").
// Default: time.Local.
func WithLocation(loc *time.Location) Option {
	return func(s *settings) error {
		if loc == nil {
			return invalid("WithLocation(nil)", "no location")
		}
		s.loc = loc
		return nil
	}
}

// WithTenantConcurrency sets how many sends of one organization may be on
// the wire at once. An organization whose LINE WORKS hangs holds at most
// that many delivery slots; the others keep serving other organizations.
// Default: a quarter of WithConcurrency, at least 1 (and never more than
// WithConcurrency).
func WithTenantConcurrency(n int) Option {
	return func(s *settings) error {
		if n <= 0 {
			return invalid(fmt.Sprintf("WithTenantConcurrency(%d)", n), "not positive")
		}
		s.tenantSlots = n
		return nil
	}
}

// WithRateLimiter sets where tenants' rate budgets are kept, so that
// several processes can share them. Default: the store when it implements
// RateLimiter (pgstore: every replica shares each tenant's budget), else an
// in-process limiter on WithClock's clock.
func WithRateLimiter(l RateLimiter) Option {
	return func(s *settings) error {
		if l == nil {
			return invalid("WithRateLimiter(nil)", "no limiter")
		}
		s.limiter = l
		return nil
	}
}

// WithAppointmentReminder sets how long before an appointment starts its
// hosts get a 1:1 reminder; 0 turns host reminders off. Appointments keep
// the due time computed when they were made or changed. Default: 30 min.
func WithAppointmentReminder(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return invalid(fmt.Sprintf("WithAppointmentReminder(%v)", d), "negative")
		}
		s.apptReminder = d
		return nil
	}
}

// WithAppointmentRooms makes a check-in with a reception code notify, besides
// the hosts 1:1, the talk rooms of the enabled buttons that list a host
// (the host's department, say). Default: false, the hosts only.
func WithAppointmentRooms(on bool) Option {
	return func(s *settings) error {
		s.apptRooms = on
		return nil
	}
}
