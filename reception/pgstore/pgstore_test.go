package pgstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/storetest"
)

// testURLEnv names the database the tests use; each test works in a schema
// of its own, dropped afterwards.
const testURLEnv = "UKETSUKE_TEST_POSTGRES_URL"

func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(testURLEnv)
	if u == "" {
		t.Skip("UKETSUKE_TEST_POSTGRES_URL is not set; set it to run the PostgreSQL conformance suite, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return u
}

// testConns is the pool size of each test store: the suite runs subtests
// in parallel, each with two stores, against one server.
const testConns = 4

// newSchema returns a fresh schema name and drops the schema, whatever it
// holds, when the test ends. Register it before opening stores on it, so
// that their Close (registered later) runs first.
func newSchema(t testing.TB, url string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "pgstore_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
		}
	})
	return name
}

func openStore(t testing.TB, url, schema string, box *reception.SecretBox) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, box, WithSchema(schema), WithMaxConns(testConns))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	url := testURL(t)
	storetest.Run(t, storetest.Harness{
		Parallel: true,
		BeginTx: func(t *testing.T, db *storetest.Database) storetest.Tx {
			ctx := context.WithoutCancel(t.Context())
			tx, err := db.Store.(*Store).d.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return storetest.Tx{Tx: tx, Commit: func() error { return tx.Commit(ctx) }, Rollback: func() error { return tx.Rollback(ctx) }}
		},
		Open: func(t *testing.T, box *reception.SecretBox) *storetest.Database {
			schema := newSchema(t, url)
			s := openStore(t, url, schema, box)
			return &storetest.Database{
				Store: s,
				// Another pool on the same schema: another replica.
				OpenAnother: func(t *testing.T) reception.Store { return openStore(t, url, schema, box) },
				RawContains: func(t *testing.T, needle []byte) bool { return rawContains(t, s, schema, needle) },
			}
		},
	})
}

// rawContains reports whether needle occurs in any cell of any table of
// schema: bytea cells as their bytes (their text form is hex, which would
// hide a secret stored in clear), every other cell as its text form.
func rawContains(t *testing.T, s *Store, schema string, needle []byte) bool {
	t.Helper()
	ctx := context.Background()
	rows, err := s.d.pool.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = $1 ORDER BY table_name, ordinal_position`, schema)
	if err != nil {
		t.Fatalf("RawContains: listing columns: %v", err)
	}
	type column struct{ table, name, typ string }
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		return c, r.Scan(&c.table, &c.name, &c.typ)
	})
	if err != nil {
		t.Fatalf("RawContains: listing columns: %v", err)
	}
	if len(cols) == 0 {
		t.Fatalf("RawContains: schema %s has no tables", schema)
	}
	for _, c := range cols {
		expr := pgx.Identifier{c.name}.Sanitize()
		if c.typ != "bytea" {
			expr += "::text"
		}
		rows, err := s.d.pool.Query(ctx, "SELECT "+expr+" FROM "+pgx.Identifier{schema, c.table}.Sanitize())
		if err != nil {
			t.Fatalf("RawContains: reading %s.%s: %v", c.table, c.name, err)
		}
		cells, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			t.Fatalf("RawContains: reading %s.%s: %v", c.table, c.name, err)
		}
		for _, cell := range cells {
			if bytes.Contains(cell, needle) {
				return true
			}
		}
	}
	return false
}

// TestConcurrentMigrations starts several stores on one fresh schema at
// once, as replicas starting together do: all must open, and each
// migration must be recorded once.
func TestConcurrentMigrations(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	schema := newSchema(t, url)
	box := storetest.NewBox(t)
	const n = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range n {
		wg.Go(func() {
			s, err := Open(t.Context(), url, box, WithSchema(schema), WithMaxConns(2))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			t.Cleanup(func() { _ = s.Close() })
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Open: %v", err)
	}
	// And once more, sequentially: nothing to do.
	s := openStore(t, url, schema, box)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.d.pool.Query(t.Context(), "SELECT version, name FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var (
			v    int
			name string
		)
		err := r.Scan(&v, &name)
		return fmt.Sprintf("%d %s", v, name), err
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range ms {
		want = append(want, fmt.Sprintf("%d %s", m.Version, m.Name))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("schema_migrations = %q, want %q", got, want)
	}
	// The store works.
	if err := s.PutOrganization(t.Context(), &reception.Organization{ID: "org", Name: "Org"}); err != nil {
		t.Fatal(err)
	}
}

// TestErrorTranslation checks driver errors become reception's kinds at the
// edge and leave the driver's types out of the chain.
func TestErrorTranslation(t *testing.T) {
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		err     error
		want    error
		wantMsg string
	}{
		{"no rows", ctx, pgx.ErrNoRows, reception.ErrNotFound, "pgstore: get x: reception: not found"},
		{"unique violation", ctx, &pgconn.PgError{Code: "23505", ConstraintName: "outbox_org_id_dedupe_key_key", Detail: "Key (org_id, dedupe_key)=(o, k) already exists."},
			reception.ErrConflict, "pgstore: get x: the dedupe key is taken: reception: conflict"},
		{"bot ID", ctx, &pgconn.PgError{Code: "23505", ConstraintName: "organizations_bot_id_key"}, reception.ErrConflict, ""},
		{"foreign key violation", ctx, fmt.Errorf("batch: %w", &pgconn.PgError{Code: "23503", ConstraintName: "visits_org_id_fkey"}),
			reception.ErrNotFound, "pgstore: get x: no such organization: reception: not found"},
		{"canceled", canceled, errors.New("conn closed"), context.Canceled, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := wrapErr(tc.ctx, tc.err, "get %s", "x")
			if !errors.Is(got, tc.want) {
				t.Errorf("wrapErr(%v) = %v, want it to wrap %v", tc.err, got, tc.want)
			}
			if _, ok := errors.AsType[*pgconn.PgError](got); ok {
				t.Errorf("wrapErr(%v) = %v keeps the *pgconn.PgError in its chain", tc.err, got)
			}
			if tc.wantMsg != "" && got.Error() != tc.wantMsg {
				t.Errorf("message %q, want %q", got.Error(), tc.wantMsg)
			}
			if strings.Contains(got.Error(), "already exists") {
				t.Errorf("message %q quotes the key", got.Error())
			}
		})
	}
	if wrapErr(ctx, nil, "x") != nil {
		t.Error("wrapErr(nil) != nil")
	}
	other := errors.New("boom")
	if got := wrapErr(ctx, other, "x"); !errors.Is(got, other) {
		t.Errorf("wrapErr(other) = %v, want it to wrap the error", got)
	}
}

// TestErrorTranslationLive checks the constraints of the schema produce the
// errors the contract names, with messages saying which rule was broken.
func TestErrorTranslationLive(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	s := openStore(t, url, newSchema(t, url), storetest.NewBox(t))
	ctx := t.Context()
	at := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	org := func(id string, bot int64) *reception.Organization {
		return &reception.Organization{ID: id, Name: id, Integration: reception.Integration{BotID: bot}}
	}
	visit := func(org, id string) *reception.Visit {
		return &reception.Visit{ID: id, OrgID: org, ButtonID: "b", Status: reception.StatusWaiting, CreatedAt: at}
	}
	entry := func(org, id, key string) *reception.OutboxEntry {
		return reception.NewOutboxEntry(org, reception.Target{Kind: reception.TargetRoom, ID: "c"}, []byte(`{"type":"text"}`), key, at)
	}
	if err := s.PutOrganization(ctx, org("a", 7)); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckIn(ctx, visit("a", "v1"), []*reception.OutboxEntry{entry("a", "o1", "k1")}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
		msg  string
	}{
		{"bot of another organization", s.PutOrganization(ctx, org("b", 7)), reception.ErrConflict, "the bot ID"},
		{"visit ID", s.CheckIn(ctx, visit("a", "v1"), nil), reception.ErrConflict, "the visit ID is taken"},
		{"dedupe key", s.CheckIn(ctx, visit("a", "v2"), []*reception.OutboxEntry{entry("a", "o2", "k1")}), reception.ErrConflict, "the dedupe key is taken"},
		{"entry ID", s.EnqueueOutbox(ctx, func() *reception.OutboxEntry { e := entry("a", "", "k9"); e.ID = "dup"; return e }()), nil, ""},
		{"entry ID again", s.EnqueueOutbox(ctx, func() *reception.OutboxEntry { e := entry("a", "", "k8"); e.ID = "dup"; return e }()), reception.ErrConflict, "the outbox entry ID is taken"},
		{"missing organization", s.CheckIn(ctx, visit("nope", "v1"), nil), reception.ErrNotFound, "no such organization"},
		{"button of a missing organization", s.PutButton(ctx, &reception.Button{ID: "b", OrgID: "nope", Label: "x"}), reception.ErrNotFound, "no such organization"},
		{"missing visit", func() error { _, err := s.ClaimVisit(ctx, "a", "nope", "u", at); return err }(), reception.ErrNotFound, "claim visit nope"},
	} {
		if tc.want == nil {
			if tc.err != nil {
				t.Errorf("%s: %v", tc.name, tc.err)
			}
			continue
		}
		if !errors.Is(tc.err, tc.want) || !strings.Contains(fmt.Sprint(tc.err), tc.msg) {
			t.Errorf("%s: error %v, want one wrapping %v and saying %q", tc.name, tc.err, tc.want, tc.msg)
		}
		if _, ok := errors.AsType[*pgconn.PgError](tc.err); ok {
			t.Errorf("%s: error %v keeps the *pgconn.PgError", tc.name, tc.err)
		}
	}
}

// TestDSNNotInErrors checks a password in the DSN appears in no error,
// whether the DSN cannot be parsed or the server cannot be reached; it
// needs no database.
func TestDSNNotInErrors(t *testing.T) {
	t.Parallel()
	const password = "s3cret-Pa55word"
	box := storetest.NewBox(t)
	for _, dsn := range []string{
		"postgres://someone:" + password + "@127.0.0.1:notaport/db",
		"postgres://someone:" + password + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"host=127.0.0.1 port=1 user=someone password=" + password + " dbname=db sslmode=disable connect_timeout=2",
		"host=127.0.0.1 port=1 user=someone password='" + password + " dbname=db",
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		s, err := Open(ctx, dsn, box)
		cancel()
		if err == nil {
			s.Close()
			t.Errorf("Open succeeded on an unreachable server")
			continue
		}
		t.Logf("Open error: %v", err)
		if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), password) {
			t.Errorf("Open error shows the password: %v", err)
		}
		if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
			t.Errorf("Open error %v keeps the *pgconn.ConnectError (and its Config with the password)", err)
		}
		if _, ok := errors.AsType[*pgconn.ParseConfigError](err); ok {
			t.Errorf("Open error %v keeps the *pgconn.ParseConfigError (and the DSN)", err)
		}
	}
}

func TestOptions(t *testing.T) {
	box := storetest.NewBox(t)
	for _, name := range []string{"", "has space", "1abc", "a-b", strings.Repeat("a", 64), `x"; DROP`} {
		if _, err := Open(t.Context(), "postgres://127.0.0.1:1/x", box, WithSchema(name)); err == nil || !strings.Contains(err.Error(), "schema name") {
			t.Errorf("WithSchema(%q): Open error %v, want a schema name error", name, err)
		}
	}
	if _, err := Open(t.Context(), "postgres://127.0.0.1:1/x", box, WithMaxConns(0)); err == nil {
		t.Error("WithMaxConns(0) accepted")
	}
	if _, err := Open(t.Context(), "postgres://127.0.0.1:1/x", nil); err == nil {
		t.Error("Open without a SecretBox succeeded")
	}
}

// TestNewAndClose covers New on a caller's pool and calls after Close.
func TestNewAndClose(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	schema := newSchema(t, url)
	box := storetest.NewBox(t)
	own := openStore(t, url, schema, box) // creates the schema
	s, err := New(t.Context(), own.d.pool, box)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := New(t.Context(), own.d.pool, box, WithSchema("x")); err == nil {
		t.Error("New accepted WithSchema")
	}
	if err := s.PutOrganization(t.Context(), &reception.Organization{ID: "org", Name: "Org"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListOrganizations(t.Context()); err == nil {
		t.Error("ListOrganizations after Close succeeded")
	}
	// Closing a Store from New leaves the caller's pool open.
	if _, err := own.GetOrganization(t.Context(), "org"); err != nil {
		t.Errorf("the pool's own store after closing the New one: %v", err)
	}
}
