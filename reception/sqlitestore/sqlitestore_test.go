package sqlitestore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"modernc.org/sqlite"

	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Parallel: true, Open: open, BeginTx: beginTx})
}

// open gives each subtest a database file of its own.
func open(t *testing.T, box *reception.SecretBox) *storetest.Database {
	path := filepath.Join(t.TempDir(), "uketsuke.db")
	s := mustOpen(t, path, box)
	return &storetest.Database{
		Store: s,
		// A second Store on the same file: its own connections, as a
		// second process would have.
		OpenAnother: func(t *testing.T) reception.Store { return mustOpen(t, path, box) },
		RawContains: func(t *testing.T, needle []byte) bool { return rawContains(t, s, path, needle) },
	}
}

// beginTx begins an application's transaction on the Store's DB.
func beginTx(t *testing.T, db *storetest.Database) storetest.Tx {
	tx, err := db.Store.(*Store).DB().BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return storetest.Tx{Tx: tx, Commit: tx.Commit, Rollback: tx.Rollback}
}

func mustOpen(t testing.TB, path string, box *reception.SecretBox, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, box, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawContains searches the bytes of the database file and its write-ahead
// log — what a copy of the files or a backup would show — after moving what
// it can from the log into the file.
func rawContains(t *testing.T, s *Store, path string, needle []byte) bool {
	t.Helper()
	if _, err := s.d.w.ExecContext(t.Context(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		found = found || bytes.Contains(b, needle)
	}
	return found
}

func appliedVersions(t *testing.T, path string) []int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func allVersions(t *testing.T) []int {
	t.Helper()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.Version)
	}
	return vs
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "twice.db")
	box := storetest.NewBox(t)
	ctx := t.Context()
	s, err := Open(ctx, path, box)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutOrganization(ctx, &reception.Organization{ID: "org-a", Name: "A"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, path, box)
	if _, err := s.GetOrganization(ctx, "org-a"); err != nil {
		t.Errorf("organization lost on reopening: %v", err)
	}
	if diff := cmp.Diff(allVersions(t), appliedVersions(t, path)); diff != "" {
		t.Errorf("schema_migrations (-want +got):\n%s", diff)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "concurrent.db")
	box := storetest.NewBox(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*Store, n)
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), path, box) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { _ = s.Close() })
	}
	if t.Failed() {
		return
	}
	if diff := cmp.Diff(allVersions(t), appliedVersions(t, path)); diff != "" {
		t.Errorf("schema_migrations (-want +got):\n%s", diff)
	}
	// Every store works on the one schema.
	for i, s := range stores {
		o := &reception.Organization{ID: fmt.Sprintf("org-%d", i), Name: "Org"}
		if err := s.PutOrganization(t.Context(), o); err != nil {
			t.Errorf("store %d: %v", i, err)
		}
	}
	list, err := stores[0].ListOrganizations(t.Context())
	if err != nil || len(list) != n {
		t.Errorf("ListOrganizations = %d organizations, %v; want %d", len(list), err, n)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "newer.db")
	box := storetest.NewBox(t)
	s, err := Open(t.Context(), path, box)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.d.w.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if s, err := Open(t.Context(), path, box); err == nil {
		_ = s.Close()
		t.Fatal("Open of a database with an unknown schema version succeeded")
	} else if !strings.Contains(err.Error(), "9999") {
		t.Errorf("error %q does not name the version", err)
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), storetest.NewBox(t), WithSynchronous("normal"), WithBusyTimeout(2*time.Second))
	for _, tc := range []struct {
		db   *sql.DB
		name string
		want string
	}{
		{s.d.w, "journal_mode", "wal"},
		{s.d.w, "foreign_keys", "1"},
		{s.d.w, "busy_timeout", "2000"},
		{s.d.w, "synchronous", "1"}, // NORMAL
		{s.d.w, "wal_autocheckpoint", "4000"},
		{s.d.r, "journal_mode", "wal"},
		{s.d.r, "foreign_keys", "1"},
		{s.d.r, "query_only", "1"},
	} {
		var got string
		if err := tc.db.QueryRow("PRAGMA " + tc.name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestRelaxedCommitsRestoreDurability checks that the write connection is
// back to the configured synchronous mode after each queue operation that
// commits relaxed — including a failing one — so that the next check-in is
// durable.
func TestRelaxedCommitsRestoreDurability(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, mode := range []struct{ name, want string }{{"FULL", "2"}, {"EXTRA", "3"}} {
		s := mustOpen(t, filepath.Join(t.TempDir(), mode.name+".db"), storetest.NewBox(t), WithSynchronous(mode.name))
		synchronous := func(after string) {
			t.Helper()
			var got string
			if err := s.d.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != mode.want {
				t.Errorf("%s: after %s, PRAGMA synchronous = %s, want %s", mode.name, after, got, mode.want)
			}
		}
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		if err := s.PutOrganization(ctx, &reception.Organization{ID: "org-a", Name: "A"}); err != nil {
			t.Fatal(err)
		}
		v := &reception.Visit{ID: "v1", OrgID: "org-a", ButtonID: "b1", Status: reception.StatusWaiting, CreatedAt: now}
		e := reception.NewOutboxEntry("org-a", reception.Target{Kind: reception.TargetRoom, ID: "room-1"}, []byte(`{"type":"text","text":"x"}`), "k1", now)
		e.VisitID = v.ID
		if err := s.CheckIn(ctx, v, []*reception.OutboxEntry{e}); err != nil {
			t.Fatal(err)
		}
		leased, err := s.LeaseOutbox(ctx, "me", 10, time.Minute, now)
		if err != nil || len(leased) != 1 {
			t.Fatalf("LeaseOutbox = %d entries, %v; want 1", len(leased), err)
		}
		synchronous("a lease")
		if err := s.CompleteOutbox(ctx, e.ID, "someone-else", now, nil); !errors.Is(err, reception.ErrConflict) {
			t.Errorf("CompleteOutbox by another owner = %v, want ErrConflict", err)
		}
		synchronous("a refused completion")
		if err := s.CompleteOutbox(ctx, e.ID, "me", now, &reception.VisitEvent{Kind: reception.EventNotified, At: now}); err != nil {
			t.Fatal(err)
		}
		synchronous("a completion with its event")
		got, err := s.GetVisit(ctx, "org-a", v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(got.Events); n != 2 || got.Events[1].Kind != reception.EventNotified {
			t.Errorf("visit events after the completion = %+v, want checked_in then notified", got.Events)
		}
	}
}

// endingCtx ends after it was asked n times whether it has (Done or Err):
// run with n = 1, 2, …, it ends a call at each point where the call looks.
type endingCtx struct {
	context.Context
	mu   sync.Mutex
	left int
	done chan struct{}
}

func newEndingCtx(n int) *endingCtx {
	return &endingCtx{Context: context.Background(), left: n, done: make(chan struct{})}
}

func (c *endingCtx) tick() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left > 0 {
		if c.left--; c.left == 0 {
			close(c.done)
		}
	}
	return c.left == 0
}

func (c *endingCtx) Done() <-chan struct{} { c.tick(); return c.done }

func (c *endingCtx) Err() error {
	if c.tick() {
		return context.Canceled
	}
	return nil
}

// TestRelaxedCommitEndedAnywhereStaysDurable ends the context of relaxed
// operations at every point where they look at it, and checks each time
// that the write connection is back to synchronous=FULL afterwards.
func TestRelaxedCommitEndedAnywhereStaysDurable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "end.db"), storetest.NewBox(t))
	if err := s.PutOrganization(ctx, &reception.Organization{ID: "org-a", Name: "A"}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for n := 1; n <= 40; n++ {
		e := reception.NewOutboxEntry("org-a", reception.Target{Kind: reception.TargetRoom, ID: "room-1"}, []byte(`{"type":"text","text":"x"}`), fmt.Sprintf("k%d", n), now)
		e.Attempts, e.LeaseOwner, e.LeaseExpiresAt = 1, "me", now.Add(time.Hour)
		v := &reception.Visit{ID: fmt.Sprintf("v%d", n), OrgID: "org-a", ButtonID: "b1", Status: reception.StatusWaiting, CreatedAt: now}
		e.VisitID = v.ID
		if err := s.CheckIn(ctx, v, []*reception.OutboxEntry{e}); err != nil {
			t.Fatal(err)
		}
		_ = s.CompleteOutbox(newEndingCtx(n), e.ID, "me", now, &reception.VisitEvent{Kind: reception.EventNotified, At: now})
		_, _ = s.LeaseOutbox(newEndingCtx(n), "other", 1, time.Minute, now.Add(2*time.Hour))
		var got string
		if err := s.d.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != "2" {
			t.Fatalf("context ended at its check %d: PRAGMA synchronous = %s afterwards, want 2 (FULL)", n, got)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	box := storetest.NewBox(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		path string
		box  *reception.SecretBox
		opts []Option
	}{
		{"no box", filepath.Join(t.TempDir(), "a.db"), nil, nil},
		{"no path", "", box, nil},
		{"memory", ":memory:", box, nil},
		{"bad synchronous", filepath.Join(t.TempDir(), "b.db"), box, []Option{WithSynchronous("OFF")}},
		{"bad readers", filepath.Join(t.TempDir(), "c.db"), box, []Option{WithMaxReaders(0)}},
		{"missing directory", filepath.Join(t.TempDir(), "nope", "d.db"), box, nil},
	} {
		if s, err := Open(ctx, tc.path, tc.box, tc.opts...); err == nil {
			_ = s.Close()
			t.Errorf("%s: Open succeeded", tc.name)
		}
	}
}

// TestErrorsTranslated checks constraint violations come out as the
// reception error kinds, never as the driver's error type, and without
// secrets.
func TestErrorsTranslated(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := mustOpen(t, filepath.Join(t.TempDir(), "e.db"), storetest.NewBox(t))
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("very secret key")})
	org := func(id string, bot int64) *reception.Organization {
		return &reception.Organization{ID: id, Name: id, Integration: reception.Integration{
			BotID: bot, ClientSecret: "client-secret-do-not-print", BotSecret: "bot-secret-do-not-print", PrivateKey: key,
		}}
	}
	if err := s.PutOrganization(ctx, org("org-a", 7)); err != nil {
		t.Fatal(err)
	}
	v := &reception.Visit{ID: "v1", OrgID: "org-a", ButtonID: "b1", Status: reception.StatusWaiting, CreatedAt: time.Now()}
	entry := func(org, id, key string) *reception.OutboxEntry {
		e := reception.NewOutboxEntry(org, reception.Target{Kind: reception.TargetRoom, ID: "c1"}, []byte(`{"type":"text"}`), key, time.Now())
		e.ID = id
		return e
	}
	if err := s.CheckIn(ctx, v, []*reception.OutboxEntry{entry("org-a", "o1", "k1")}); err != nil {
		t.Fatal(err)
	}
	inbox := reception.NewInboxEntry("", 7, []byte(`{"x":1}`), time.Now())
	if _, err := s.InsertInbox(ctx, inbox); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"bot used by another organization", s.PutOrganization(ctx, org("org-b", 7)), reception.ErrConflict},
		{"visit ID used", s.CheckIn(ctx, v, nil), reception.ErrConflict},
		{"check-in of an unknown organization", s.CheckIn(ctx, &reception.Visit{ID: "v1", OrgID: "org-x", ButtonID: "b1", Status: reception.StatusWaiting, CreatedAt: time.Now()}, nil), reception.ErrNotFound},
		{"outbox ID used", s.EnqueueOutbox(ctx, entry("org-a", "o1", "k2")), reception.ErrConflict},
		{"dedupe key used", s.EnqueueOutbox(ctx, entry("org-a", "o2", "k1")), reception.ErrConflict},
		{"enqueue for an unknown organization", s.EnqueueOutbox(ctx, entry("org-x", "o3", "k3")), reception.ErrNotFound},
		{"button of an unknown organization", s.PutButton(ctx, &reception.Button{ID: "b1", OrgID: "org-x", Label: "x"}), reception.ErrNotFound},
		{"staff of an unknown organization", s.PutStaff(ctx, &reception.Staff{ID: "s1", OrgID: "org-x", Name: "x", UserID: "u"}), reception.ErrNotFound},
		{"room of an unknown organization", s.PutRoom(ctx, &reception.Room{OrgID: "org-x", ChannelID: "c", JoinedAt: time.Now()}), reception.ErrNotFound},
		{"inbox ID used", func() error {
			e := reception.NewInboxEntry("", 7, []byte(`{"x":2}`), time.Now())
			e.ID = inbox.ID
			_, err := s.InsertInbox(ctx, e)
			return err
		}(), reception.ErrConflict},
		{"completing an unleased entry without owner", s.CompleteOutbox(ctx, "o1", "", time.Now(), nil), reception.ErrConflict},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: error %v, want one wrapping %v", tc.name, tc.err, tc.want)
		}
		var se *sqlite.Error
		if errors.As(tc.err, &se) {
			t.Errorf("%s: error %v exposes the driver's error type", tc.name, tc.err)
		}
		if msg := fmt.Sprint(tc.err); strings.Contains(msg, "do-not-print") || strings.Contains(msg, "very secret") {
			t.Errorf("%s: error %q contains a secret", tc.name, msg)
		}
		if !strings.HasPrefix(fmt.Sprint(tc.err), "sqlitestore: ") {
			t.Errorf("%s: error %q does not start with the package name", tc.name, tc.err)
		}
	}
	// The refused check-ins left nothing.
	got, err := s.ListOutbox(ctx, "org-a", reception.OutboxFilter{})
	if err != nil || len(got) != 1 {
		t.Errorf("ListOutbox = %d entries, %v; want 1", len(got), err)
	}
}

// TestTimesAndContent checks times keep microseconds in UTC whatever the
// location given, and content comes back byte for byte.
func TestTimesAndContent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := mustOpen(t, filepath.Join(t.TempDir(), "t.db"), storetest.NewBox(t))
	tokyo := time.FixedZone("JST", 9*3600)
	created := time.Date(2026, 4, 1, 18, 0, 0, 123456789, tokyo)
	if err := s.PutOrganization(ctx, &reception.Organization{ID: "org-a", Name: "A", CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
	content := []byte("{ \"type\" :\"text\",\n\t\"text\":\"\\u3042 あ\" , \"a\":1.50 }")
	e := reception.NewOutboxEntry("org-a", reception.Target{Kind: reception.TargetUser, ID: "u@example.com"}, content, "k", created)
	if err := s.EnqueueOutbox(ctx, e); err != nil {
		t.Fatal(err)
	}
	o, err := s.GetOrganization(ctx, "org-a")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 4, 1, 9, 0, 0, 123456000, time.UTC)
	if o.CreatedAt != want || o.UpdatedAt != (time.Time{}) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want %v and the zero time", o.CreatedAt, o.UpdatedAt, want)
	}
	got, err := s.ListOutbox(ctx, "org-a", reception.OutboxFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListOutbox = %v, %v", got, err)
	}
	if !bytes.Equal(got[0].Content, content) {
		t.Errorf("Content = %q, want %q", got[0].Content, content)
	}
	if got[0].CreatedAt != want || got[0].NextAttemptAt != want {
		t.Errorf("CreatedAt, NextAttemptAt = %v, %v; want %v", got[0].CreatedAt, got[0].NextAttemptAt, want)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "c.db"), storetest.NewBox(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListOrganizations(t.Context()); err == nil {
		t.Error("ListOrganizations after Close succeeded")
	}
	if err := s.CheckIn(t.Context(), &reception.Visit{ID: "v", OrgID: "o", ButtonID: "b", Status: reception.StatusWaiting, CreatedAt: time.Now()}, nil); err == nil {
		t.Error("CheckIn after Close succeeded")
	}
}

// ---- benchmarks

// benchModes are the synchronous modes both benchmarks run in: FULL (the
// default) costs an fsync per commit, which dominates both; NORMAL shows the
// work of the statements themselves.
var benchModes = []string{"FULL", "NORMAL"}

// BenchmarkCheckIn measures Store.CheckIn: a visit, its checked_in event
// and two outbox entries in one transaction.
func BenchmarkCheckIn(b *testing.B) {
	for _, mode := range benchModes {
		b.Run("sync="+mode, func(b *testing.B) { benchCheckIn(b, WithSynchronous(mode)) })
	}
}

func benchCheckIn(b *testing.B, opt Option) {
	ctx := context.Background()
	s := mustOpen(b, filepath.Join(b.TempDir(), "bench.db"), storetest.NewBox(b), opt)
	if err := s.PutOrganization(ctx, &reception.Organization{ID: "org-a", Name: "A"}); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	content := []byte(`{"type":"button_template","contentText":"山田 太郎 様がお見えです","actions":[{"type":"message","label":"対応します","postback":"uk1:accept:v"}]}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("v%08d", i)
		at := now.Add(time.Duration(i) * time.Millisecond)
		v := &reception.Visit{ID: id, OrgID: "org-a", VisitorName: "山田 太郎", ButtonID: "b1", Status: reception.StatusWaiting,
			NextReminderAt: at.Add(5 * time.Minute), CreatedAt: at}
		entries := []*reception.OutboxEntry{
			{ID: id + "r", OrgID: "org-a", Target: reception.Target{Kind: reception.TargetRoom, ID: "channel-1"}, Content: content,
				DedupeKey: "visit/" + id + "/room", VisitID: id, State: reception.OutboxPending, CreatedAt: at},
			{ID: id + "u", OrgID: "org-a", Target: reception.Target{Kind: reception.TargetUser, ID: "user-1"}, Content: content,
				DedupeKey: "visit/" + id + "/user", VisitID: id, State: reception.OutboxPending, CreatedAt: at},
		}
		if err := s.CheckIn(ctx, v, entries); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorInsert is the floor BenchmarkCheckIn is measured against: a
// transaction inserting one row, through a prepared statement, on a
// database opened with the same pragmas and pool settings as a Store's
// writes.
func BenchmarkFloorInsert(b *testing.B) {
	for _, mode := range benchModes {
		b.Run("sync="+mode, func(b *testing.B) { benchFloor(b, WithSynchronous(mode)) })
	}
}

func benchFloor(b *testing.B, opt Option) {
	ctx := context.Background()
	c := &config{busyTimeout: 5 * time.Second, synchronous: "FULL", readers: 4}
	if err := opt(c); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(filepath.Join(b.TempDir(), "floor.db"), c, true))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE floor (id TEXT NOT NULL PRIMARY KEY, created_at INTEGER NOT NULL, body BLOB NOT NULL) STRICT`); err != nil {
		b.Fatal(err)
	}
	st, err := db.PrepareContext(ctx, `INSERT INTO floor (id, created_at, body) VALUES (?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"type":"text","text":"floor"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, fmt.Sprintf("f%08d", i), int64(i), body); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
