// Package pgstore is a [reception.Store] on PostgreSQL, through pgx and its
// connection pool, for several replicas of the server sharing one database.
//
// Every guarantee the contract makes across replicas comes from the
// database: a claim, an event or a reminder locks the visit's row (SELECT …
// FOR NO KEY UPDATE) while it applies the state machine of package
// reception, so concurrent writers of one visit take turns; leases are taken
// with FOR UPDATE SKIP LOCKED, so dispatchers on different replicas never
// lease one entry at once and never wait for each other; unique and foreign
// key constraints decide conflicts and missing organizations, and are
// translated to [reception.ErrConflict] and [reception.ErrNotFound].
//
// The schema is created and upgraded by [Open] (and [New]) from migrations
// embedded in the package, under an advisory lock, so several processes may
// start at once. The secrets of an organization are stored only as
// [reception.SecretBox] ciphertexts.
//
// Pool size and other pgx settings can be given in the DSN
// (pool_max_conns=8, …) or with options; see [Open].
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/uketsuke/uketsuke/reception"
)

// Store is a reception.Store on PostgreSQL: reception.NewStore over this
// package's driver. It is safe for concurrent use, and any number of
// Stores, in any number of processes, may share one database (and schema).
type Store struct {
	reception.Store
	d *db
}

// db is the reception.Driver on one pool.
type db struct {
	pool     *pgxpool.Pool
	ownsPool bool
	closed   atomic.Bool
}

func newStore(pool *pgxpool.Pool, owns bool, box *reception.SecretBox) *Store {
	d := &db{pool: pool, ownsPool: owns}
	return &Store{Store: reception.NewStore("pgstore", d, box), d: d}
}

// Option configures Open or New.
type Option func(*options) error

type options struct {
	schema   string
	maxConns int32
}

// schemaName is what WithSchema accepts: a plain identifier, so that it
// needs no thought wherever it is quoted (search_path, CREATE SCHEMA).
var schemaName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// WithSchema makes the store keep its tables in the schema name, creating it
// if needed: Open puts it first (and alone) in the search_path of every
// connection of the pool. Several stores, e.g. test runs, can so share one
// database without seeing each other. The name must be 1–63 ASCII letters,
// digits or underscores, not starting with a digit; it is case sensitive.
// Without it, tables go to the connection's default schema (usually
// public). New, which uses the caller's pool, does not accept it: set
// search_path in that pool's configuration instead.
func WithSchema(name string) Option {
	return func(o *options) error {
		if !schemaName.MatchString(name) {
			return fmt.Errorf("pgstore: schema name %q must be 1–63 letters, digits or underscores, not starting with a digit", name)
		}
		o.schema = name
		return nil
	}
}

// WithMaxConns sets the maximum number of connections of the pool Open
// makes, overriding pool_max_conns in the DSN. pgx's default is the greater
// of 4 and the number of CPUs. Each replica holds up to this many
// connections, so keep replicas × n below the server's max_connections.
func WithMaxConns(n int32) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("pgstore: WithMaxConns(%d): must be positive", n)
		}
		o.maxConns = n
		return nil
	}
}

func applyOptions(opts []Option) (*options, error) {
	o := &options{}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// Open connects to the PostgreSQL database dsn (a URL such as
// "postgres://user:password@host:5432/db?sslmode=verify-full" or a
// "key=value …" string, as pgx accepts, including pgxpool's pool_*
// settings), brings its schema up to date and returns a Store that seals
// secrets with box. Close closes the pool.
//
// Errors never contain the DSN or its password: a DSN that cannot be parsed
// is reported without quoting it.
func Open(ctx context.Context, dsn string, box *reception.SecretBox, opts ...Option) (*Store, error) {
	if box == nil {
		return nil, errors.New("pgstore: Open needs a SecretBox")
	}
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse error redacts passwords only on a best-effort basis
		// and keeps the DSN in a field; report neither.
		return nil, errors.New("pgstore: cannot parse the DSN (not quoted here, as it may hold a password); expected a postgres:// URL or key=value pairs")
	}
	if o.schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
		if cfg.MinConns > cfg.MaxConns {
			cfg.MinConns = cfg.MaxConns
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapErr(ctx, err, "opening the connection pool")
	}
	if err := migrate(ctx, pool, o.schema); err != nil {
		pool.Close()
		return nil, err
	}
	return newStore(pool, true, box), nil
}

// New returns a Store on a pool the caller made (and closes: Close of the
// Store leaves the pool open), after bringing the schema the pool's
// connections use up to date. WithSchema is not accepted; WithMaxConns does
// not apply.
func New(ctx context.Context, pool *pgxpool.Pool, box *reception.SecretBox, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: New needs a pool")
	}
	if box == nil {
		return nil, errors.New("pgstore: New needs a SecretBox")
	}
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.schema != "" {
		return nil, errors.New("pgstore: WithSchema is for Open; with New, set search_path in the pool's ConnConfig.RuntimeParams")
	}
	if err := migrate(ctx, pool, ""); err != nil {
		return nil, err
	}
	return newStore(pool, false, box), nil
}

// Close closes the pool if Open made it. Calls after Close fail.
func (s *db) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.ownsPool {
		s.pool.Close()
	}
	return nil
}

// errClosed is returned by every call after Close.
var errClosed = errors.New("pgstore: store is closed")

// ready checks the store is open and the context alive, so that a call
// that cannot succeed does not take a connection.
func (s *db) ready(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	return nil
}

// ---- errors

// Error codes of PostgreSQL that the contract gives a meaning.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// wrapErr translates a driver error at the store's edge: no rows become
// ErrNotFound, unique violations ErrConflict, foreign key violations
// (writing a child of a missing organization) ErrNotFound; the driver's
// error is then dropped from the chain, so callers only ever match
// reception's kinds. A call cut short by its context wraps the context's
// error. what describes the call, e.g. "get visit v1".
func wrapErr(ctx context.Context, err error, what string, args ...any) error {
	if err == nil {
		return nil
	}
	if len(args) > 0 {
		what = fmt.Sprintf(what, args...)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgstore: %s: %w", what, reception.ErrNotFound)
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("pgstore: %s: %s is taken: %w", what, constraintMeaning(pe.ConstraintName), reception.ErrConflict)
		case codeForeignKeyViolation:
			return fmt.Errorf("pgstore: %s: %s: %w", what, constraintMeaning(pe.ConstraintName), reception.ErrNotFound)
		}
	}
	if ce, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		// ConnectError carries the whole connection Config, password
		// included, for anyone calling errors.As; keep its message and
		// what it wraps, not it.
		err = &connectError{msg: ce.Error(), err: ce.Unwrap()}
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("pgstore: %s: %w (%v)", what, cerr, err)
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}

// constraintMeaning names what a constraint of 0001_init.sql protects, for
// error messages; values are never quoted (a key could be anything).
func constraintMeaning(name string) string {
	switch name {
	case "organizations_bot_id_key":
		return "the bot ID (it belongs to another organization)"
	case "visits_pkey":
		return "the visit ID"
	case "appointments_pkey":
		return "the appointment ID"
	case "outbox_pkey":
		return "the outbox entry ID"
	case "outbox_org_id_dedupe_key_key":
		return "the dedupe key"
	case "inbox_pkey":
		return "the inbox entry ID"
	case "buttons_org_id_fkey", "staff_org_id_fkey", "rooms_org_id_fkey", "visits_org_id_fkey", "outbox_org_id_fkey",
		"appointments_org_id_fkey":
		return "no such organization"
	case "visit_events_org_id_visit_id_fkey":
		return "no such visit"
	}
	return "constraint " + name
}

// connectError stands for a *pgconn.ConnectError without its Config.
type connectError struct {
	msg string
	err error
}

func (e *connectError) Error() string { return e.msg }
func (e *connectError) Unwrap() error { return e.err }

func notFound(kind, id string) error {
	return fmt.Errorf("pgstore: %s %q: %w", kind, id, reception.ErrNotFound)
}

// ---- values

// nullTime is the argument for a nullable timestamptz: NULL for the zero
// time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromTS returns the time of a scanned timestamptz in UTC, zero for NULL.
func fromTS(ts pgtype.Timestamptz) time.Time {
	if !ts.Valid {
		return time.Time{}
	}
	return ts.Time.UTC()
}

// strs keeps nil slices out of NOT NULL array columns.
func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
