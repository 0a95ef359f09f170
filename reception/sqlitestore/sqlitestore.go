// Package sqlitestore is a [reception.Store] in one SQLite file, using
// modernc.org/sqlite (pure Go, no cgo). It is uketsuke's embedded default:
// nothing to install or run beside the application, and several Store values
// — in one process or several — may share the file, with claims, reminders
// and leases exclusive across all of them.
//
// The database runs in WAL mode, so readers never wait for the writer.
// SQLite allows one writer at a time: each Store writes through one
// connection and begins its transactions with BEGIN IMMEDIATE, which takes
// the write lock before reading, so a read-modify-write (a claim, a lease, a
// reminder) never loses a lock upgrade to another Store and never deadlocks;
// a writer waits up to the busy timeout for another Store's transaction to
// finish. Reads use a separate pool of read-only connections. Commits are
// synchronous=FULL by default, so that what a Store acknowledged survives a
// power loss; see [WithSynchronous]. Queue bookkeeping — outbox leases,
// completions, retries and releases, inbox leases and releases — commits
// without syncing, because losing it repeats work and loses nothing.
//
// Open applies the embedded schema migrations, recorded in the table
// schema_migrations, in one transaction; it is safe to open the same file
// from several processes at once. Secrets are sealed with the given
// [reception.SecretBox] before they reach SQL, so the file never holds them
// in clear.
package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/internal/sqlschema"
)

// Store is a reception.Store backed by a SQLite file: reception.NewStore
// over this package's driver. It is safe for concurrent use.
type Store struct {
	reception.Store
	d *db
}

// db is the reception.Driver on one SQLite file.
type db struct {
	w  *sql.DB     // the single write connection; transactions BEGIN IMMEDIATE
	r  *sql.DB     // read-only connections
	ws []*sql.Stmt // indexed by wstmt, prepared on w
	rs []*sql.Stmt // indexed by rstmt, prepared on r
	// durable is the configured synchronous pragma, restored on the write
	// connection after a relaxed commit; "" when writes are not synced
	// per commit anyway (NORMAL), so that relaxing changes nothing.
	durable string
	out     outbox
	in      inbox
}

// Option configures Open.
type Option func(*config) error

type config struct {
	busyTimeout time.Duration
	synchronous string
	readers     int
}

// WithBusyTimeout sets how long a write waits for another Store's write
// transaction on the same file before failing with SQLITE_BUSY. The default
// is 5 seconds.
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Millisecond {
			return fmt.Errorf("sqlitestore: busy timeout %v is shorter than a millisecond", d)
		}
		c.busyTimeout = d
		return nil
	}
}

// WithSynchronous sets SQLite's synchronous pragma for writes: "FULL" (the
// default), "NORMAL" or "EXTRA".
//
// FULL syncs the write-ahead log on every commit, so a committed check-in or
// callback survives a power loss or an operating-system crash. That matters
// here: LINE WORKS never redelivers a callback uketsuke answered with 200,
// so an inbox entry lost after the answer is lost for good. NORMAL syncs
// only at checkpoints; it survives a crash of the application but may lose
// the last commits on power loss, in exchange for cheaper commits. Choose
// NORMAL where the disk cache is battery-backed or losing the last seconds
// is acceptable.
//
// Whatever the mode, queue bookkeeping commits as NORMAL: a lease, a sent
// mark, a retry's schedule. Lost in a power cut, a lease is taken again and
// a sent mark means the message is sent again when its lease lapses — a
// duplicate, never a loss — and a delivery waits for the disk once (at
// check-in) instead of twice.
func WithSynchronous(mode string) Option {
	return func(c *config) error {
		switch m := strings.ToUpper(mode); m {
		case "FULL", "NORMAL", "EXTRA":
			c.synchronous = m
			return nil
		}
		return fmt.Errorf("sqlitestore: synchronous mode %q is not FULL, NORMAL or EXTRA", mode)
	}
}

// WithMaxReaders sets the number of read connections; the default is 4.
func WithMaxReaders(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("sqlitestore: %d readers; need at least one", n)
		}
		c.readers = n
		return nil
	}
}

// walAutocheckpoint is the write connection's wal_autocheckpoint, in pages.
const walAutocheckpoint = 4000

// dsn returns the modernc.org/sqlite data source name for the file at path.
// The pragmas go into the DSN so that every pooled connection gets them, not
// only the first one.
func dsn(file string, c *config, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(c.busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	if write {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+c.synchronous+")")
		// The commit that pushes the write-ahead log past this many pages
		// copies it into the database, with the wait that takes. SQLite's
		// 1,000 made every 60th or so delivery (a check-in and its sent
		// mark write about 16 pages) pay for a checkpoint; 4,000 (16 MiB of
		// log at most) makes them four times rarer.
		q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(walAutocheckpoint)+")")
		// Every transaction of the write pool takes the write lock at
		// BEGIN; see the package documentation.
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	// The name is a URI filename (SQLITE_OPEN_URI): escape what a URI would
	// read as its query or fragment.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(file)
	return "file:" + esc + "?" + q.Encode()
}

// Open opens (creating it if needed) the SQLite database at path, brings its
// schema up to date, and returns a Store that seals secrets with box. path is
// a file name; in-memory databases are refused, because the store's read and
// write connections must see the same data.
func Open(ctx context.Context, path string, box *reception.SecretBox, opts ...Option) (*Store, error) {
	if box == nil {
		return nil, errors.New("sqlitestore: Open needs a SecretBox")
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.Contains(path, "mode=memory") {
		return nil, fmt.Errorf("sqlitestore: %q is not a database file name", path)
	}
	c := &config{busyTimeout: 5 * time.Second, synchronous: "FULL", readers: 4}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if err := private(path); err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn(path, c, true))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	// One write connection: SQLite has one writer anyway, and with one
	// connection the Store's writers queue in Go instead of polling the
	// file lock.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn(path, c, false))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(c.readers)
	r.SetMaxIdleConns(c.readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s := &db{w: w, r: r}
	if c.synchronous != "NORMAL" {
		s.durable = "PRAGMA synchronous = " + c.synchronous
	}
	if err := s.init(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return &Store{Store: reception.NewStore("sqlitestore", s, box), d: s}, nil
}

// private makes the database file readable and writable by its owner only
// (0600): it holds visitors' names. A new file is created so before SQLite
// opens it, and SQLite gives the -wal and -shm files it creates the mode of
// the database file. Existing files with a wider mode are narrowed.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && fi.Mode().Perm()&0o077 != 0 {
			err = os.Chmod(p, fi.Mode().Perm()&0o700)
		}
		if err != nil {
			return fmt.Errorf("sqlitestore: making %s private: %w", p, err)
		}
	}
	return nil
}

// DB returns the Store's write handle: one connection, whose transactions
// begin IMMEDIATE (taking the write lock). Begin the application's own
// transactions on it to record a check-in inside them
// ([reception.WithTx]), with the application's tables in the same file.
// While such a transaction is open, every other write of the Store waits
// for it, so keep it short, and make no other Store write from the
// goroutine holding it: that write would wait for the transaction forever.
func (s *Store) DB() *sql.DB { return s.d.w }

func (s *db) init(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlitestore: open: %w", err)
	}
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	var err error
	if s.ws, err = prepare(ctx, s.w, wstmtSQL[:]); err != nil {
		return err
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlitestore: open: %w", err)
	}
	if s.rs, err = prepare(ctx, s.r, rstmtSQL[:]); err != nil {
		return err
	}
	return s.openQueues(ctx)
}

// stmt returns the write statement k, bound to tx if tx is not nil.
func (s *db) stmt(ctx context.Context, tx *sql.Tx, k wstmt) *sql.Stmt {
	if tx == nil {
		return s.ws[k]
	}
	return tx.StmtContext(ctx, s.ws[k])
}

// Close closes the Store's connections. Calls after Close fail.
func (s *db) Close() error {
	return errors.Join(s.w.Close(), s.r.Close())
}

// ---- migrations

//go:embed migrations/*.sql
var migrationFS embed.FS

func migrations() ([]sqlschema.Migration, error) {
	return sqlschema.Load(migrationFS, "migrations", "sqlitestore")
}

// migrate applies the migrations db lacks, in one transaction. The
// transaction begins IMMEDIATE (db is the write pool), so a second process
// migrating the same file waits for the first and then finds nothing to do.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var applied string
	_, err = tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`)
	if err == nil {
		err = tx.QueryRowContext(ctx, `SELECT json_group_array(version) FROM schema_migrations`).Scan(&applied)
	}
	var versions []int
	if err == nil {
		err = json.Unmarshal([]byte(applied), &versions)
	}
	if err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	if ms, err = sqlschema.Pending(ms, versions, "sqlitestore", false); err != nil {
		return err
	}
	for _, m := range ms {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("sqlitestore: migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name+".sql", time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("sqlitestore: migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	return nil
}

// ---- transactions

// relaxed is inTx on the write pool for a transaction whose loss in a power cut costs a
// repetition, never an acknowledged fact: it commits with synchronous=NORMAL
// (the write-ahead log is not synced for it; the next durable commit or
// checkpoint syncs it along). Outbox leases and completions are such
// transactions — a lost completion sends its message again when the lease
// lapses, a lost lease is leased again — and they are half of a delivery's
// commits, so a delivery waits for the disk once (its check-in) instead of
// twice. A crash of the process loses nothing either way: SQLite has the
// commit in the log.
func (s *db) relaxed(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if s.durable == "" {
		return s.inTx(ctx, s.w, op, fn)
	}
	// synchronous is a setting of the connection, and SQLite refuses to
	// change it inside a transaction: set it around one.
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	defer conn.Close()
	// The connection must be durable again before it serves the next
	// check-in, whatever happens from here: even a pragma that reports
	// an error (a context that ended while it ran) may have taken effect.
	// One that cannot be reset is thrown away (the pool opens a new one
	// with the configured pragmas). The reset is registered first.
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), s.durable); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return s.fail(ctx, op, err)
	}
	return s.inTx(ctx, conn, op, fn)
}

// inTx runs fn in a transaction begun on db and commits it if fn succeeds.
// On the write pool (s.w) BEGIN is IMMEDIATE: see the package
// documentation.
func (s *db) inTx(ctx context.Context, db interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, op string, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return s.fail(ctx, op, tx.Commit())
}

// ---- errors

func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// fail wraps an unexpected error, if any, with the operation's name, and
// with the context's error when the context ended (the driver reports an
// interrupted statement in its own words). Constraint violations the
// caller did not translate still come out as ErrConflict, never as a
// driver error type. Messages name IDs and columns only, never values that
// could be secrets.
func (s *db) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, cerr)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlitestore: %s: %w", op, reception.ErrNotFound)
	case isUnique(err):
		return fmt.Errorf("sqlitestore: %s: %w", op, reception.ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("sqlitestore: %s: %w", op, reception.ErrNotFound)
	}
	return fmt.Errorf("sqlitestore: %s: %w", op, err)
}

func notFound(kind, id string) error {
	return fmt.Errorf("sqlitestore: %s %q: %w", kind, id, reception.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("sqlitestore: "+format+": %w", append(args, reception.ErrConflict)...)
}

// ---- times: INTEGER microseconds since the epoch, NULL for the zero time

func micros(t time.Time) int64 { return t.UnixMicro() }

func microsOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
