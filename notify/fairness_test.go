package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// tenant is an organization of its own LINE WORKS tenant (domain) on the
// fake, with a button announcing to one room.
type tenant struct {
	org    *reception.Organization
	domain int64
	room   string
}

func addTenant(t *testing.T, store reception.Store, fake *lineworkstest.Server, id string, bot, domain int64, perMinute int) tenant {
	t.Helper()
	sa := fake.NewServiceAccount("bot")
	key, err := lineworks.ParsePrivateKey(sa.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	// Move the app to its own tenant: LINE WORKS budgets are per domain.
	fake.RegisterApp(lineworkstest.App{ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
		PublicKey: &key.PublicKey, Scopes: []string{"bot"}, DomainID: domain})
	fake.SetTenantRateLimit(domain, perMinute)
	now := time.Now()
	org := &reception.Organization{
		ID: id, Name: id, Locale: "ja", CreatedAt: now, UpdatedAt: now,
		Integration: reception.Integration{
			ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
			PrivateKey: sa.PrivateKey, BotID: bot, BotSecret: botSecret, Scopes: []string{"bot"},
			DomainID: domain, RateLimit: perMinute,
		},
	}
	ctx := context.Background()
	if err := store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	room := "room-" + id
	if err := store.PutButton(ctx, &reception.Button{ID: "b", OrgID: id, Label: "受付", Enabled: true, ChannelIDs: []string{room}}); err != nil {
		t.Fatal(err)
	}
	return tenant{org: org, domain: domain, room: room}
}

func countFor(msgs []lineworkstest.Message, domain int64) int {
	n := 0
	for _, m := range msgs {
		if m.DomainID == domain {
			n++
		}
	}
	return n
}

// runService runs svc until the test ends, or until the returned stop is
// called: Run returns only once the sends it started have finished, so
// after stop the fake's record of messages is final.
func runService(t *testing.T, svc *notify.Service) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(ctx) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// waitMessages waits until cond holds for the fake's messages or d passes,
// woken by each message the fake records (no polling); it reports whether
// cond held.
func waitMessages(fake *lineworkstest.Server, d time.Duration, cond func([]lineworkstest.Message) bool) bool {
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for {
		changed := fake.Changed() // before reading, so that no message is missed
		if cond(fake.Messages()) {
			return true
		}
		select {
		case <-changed:
		case <-timeout.C:
			return cond(fake.Messages())
		}
	}
}

// atLeast is a waitMessages condition: n messages to domain.
func atLeast(domain int64, n int) func([]lineworkstest.Message) bool {
	return func(msgs []lineworkstest.Message) bool { return countFor(msgs, domain) >= n }
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestQuietTenantNotBehindBusyOne is the two-tenant case: A, on the
// Free plan's 60 a minute, gets 100 check-ins; B (240 a minute) then gets
// one. The fake enforces both budgets. B's notification must arrive within
// a second while A is still at its budget, and nobody may see a 429.
func TestQuietTenantNotBehindBusyOne(t *testing.T) {
	t.Parallel()
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	store := memstore.New(testBox(t))
	a := addTenant(t, store, fake, "a", 3000001, 50000001, 60)
	b := addTenant(t, store, fake, "b", 3000002, 50000002, 240)
	svc, err := notify.New(store, &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL},
		notify.WithLogger(quietLogger()), notify.WithLease(30*time.Second), notify.WithPollInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	runService(t, svc)
	ctx := context.Background()
	for i := range 100 {
		if _, err := svc.CheckIn(ctx, a.org.ID, notify.CheckInRequest{ButtonID: "b", Visitor: notify.Visitor{Name: fmt.Sprint("A", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	// A has spent its burst (a second's worth: 1) and is at its budget once
	// a second message has gone out at the budget's pace.
	if !waitMessages(fake, 5*time.Second, atLeast(a.domain, 2)) {
		t.Fatalf("A delivered %d of 100 in 5 s; want its budget's pace", countFor(fake.Messages(), a.domain))
	}
	if before := countFor(fake.Messages(), a.domain); before >= 100 {
		t.Fatalf("A delivered %d of 100 at once; want its budget's pace", before)
	}
	start := time.Now()
	if _, err := svc.CheckIn(ctx, b.org.ID, notify.CheckInRequest{ButtonID: "b", Visitor: notify.Visitor{Name: "B"}}); err != nil {
		t.Fatal(err)
	}
	if !waitMessages(fake, time.Second, atLeast(b.domain, 1)) {
		t.Fatalf("B's notification not delivered within 1 s while A is at its budget (A: %d delivered)", countFor(fake.Messages(), a.domain))
	}
	t.Logf("B delivered after %v; A had %d of 100 out", time.Since(start).Round(time.Millisecond), countFor(fake.Messages(), a.domain))
	if after := countFor(fake.Messages(), a.domain); after >= 100 {
		t.Fatalf("A finished (%d) before B was measured: A was not at its budget", after)
	}
	if st := fake.FaultStats(); st.RateLimited != 0 {
		t.Errorf("the fake answered %d × 429; want 0", st.RateLimited)
	}
}

// tenantAPI answers per organization: failing orgs run fail; the others
// record the send.
type tenantAPI struct {
	org  string
	fail func(ctx context.Context) error
	sent *atomic.Int64
	// called, if set, gets a value at each send (never blocking).
	called chan struct{}
}

func (a tenantAPI) SendToChannel(ctx context.Context, _ int64, _ string, _ lineworks.Content) error {
	if a.called != nil {
		select {
		case a.called <- struct{}{}:
		default:
		}
	}
	if a.fail != nil {
		return a.fail(ctx)
	}
	a.sent.Add(1)
	return nil
}

func (a tenantAPI) SendToUser(ctx context.Context, botID int64, userID string, c lineworks.Content) error {
	return a.SendToChannel(ctx, botID, userID, c)
}

func (tenantAPI) DisplayName(context.Context, string) (string, error) { return "", nil }

type tenantConnector map[string]notify.API

func (c tenantConnector) Connect(_ context.Context, org *reception.Organization) (notify.API, error) {
	return c[org.ID], nil
}

// TestFailingTenantDoesNotDelayAnother: A's LINE WORKS answers only 503,
// or hangs until the send's deadline; A has 40 notifications queued. B's
// one goes out within a second all the same.
func TestFailingTenantDoesNotDelayAnother(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(ctx context.Context) error
	}{
		{"503", func(context.Context) error {
			return &lineworks.APIError{StatusCode: 503, Code: "SERVICE_UNAVAILABLE"}
		}},
		{"hang", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := lineworkstest.NewServer() // only for well-formed credentials
			t.Cleanup(fake.Close)
			store := memstore.New(testBox(t))
			a := addTenant(t, store, fake, "a", 3000001, 50000001, 240)
			b := addTenant(t, store, fake, "b", 3000002, 50000002, 240)
			var sentA, sentB atomic.Int64
			calledA, calledB := make(chan struct{}, 1), make(chan struct{}, 1)
			conn := tenantConnector{
				a.org.ID: tenantAPI{org: a.org.ID, fail: tc.fail, sent: &sentA, called: calledA},
				b.org.ID: tenantAPI{org: b.org.ID, sent: &sentB, called: calledB},
			}
			svc, err := notify.New(store, conn, notify.WithLogger(quietLogger()),
				notify.WithLease(4*time.Second), notify.WithPollInterval(50*time.Millisecond), notify.WithBackoff(200*time.Millisecond, time.Second))
			if err != nil {
				t.Fatal(err)
			}
			runService(t, svc)
			ctx := context.Background()
			for i := range 40 {
				if _, err := svc.CheckIn(ctx, a.org.ID, notify.CheckInRequest{ButtonID: "b", Visitor: notify.Visitor{Name: fmt.Sprint("A", i)}}); err != nil {
					t.Fatal(err)
				}
			}
			// A's sends are failing or hanging once its API has been called.
			select {
			case <-calledA:
			case <-time.After(5 * time.Second):
				t.Fatal("A's API was not called within 5 s")
			}
			start := time.Now()
			if _, err := svc.CheckIn(ctx, b.org.ID, notify.CheckInRequest{ButtonID: "b"}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-calledB:
			case <-time.After(time.Second):
				t.Fatalf("B's notification not sent within 1 s while A's API fails (%s)", tc.name)
			}
			t.Logf("B sent after %v", time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestSharedBudgetAcrossReplicasPostgres: three services, each with its own
// pool, connector and in-process state, on one PostgreSQL schema, send one
// tenant's burst of 600 check-ins. The fake enforces the tenant's budget
// across all three: no 429, and the burst takes no more than 1.1× the time
// the budget allows. The budget is 6,000 a minute so that the test takes
// seconds; the shape is the one 240 a minute has.
func TestSharedBudgetAcrossReplicasPostgres(t *testing.T) {
	if os.Getenv(pgEnv) == "" {
		t.Skip(pgEnv + " is not set")
	}
	const (
		perMinute = 6000
		burst     = 600
		replicas  = 3
	)
	schema := freshSchema(t)
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	first := openPG(t, schema)
	a := addTenant(t, first, fake, "a", 3000001, 50000001, perMinute)
	var (
		svcs  []*notify.Service
		stops []func()
	)
	for i := range replicas {
		store := first
		if i > 0 {
			store = openPG(t, schema)
		}
		if _, ok := store.(notify.RateLimiter); !ok {
			t.Fatal("pgstore.Store is not a notify.RateLimiter")
		}
		svc, err := notify.New(store, &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL},
			notify.WithLogger(quietLogger()), notify.WithOwner(fmt.Sprint("replica-", i)),
			notify.WithLease(30*time.Second), notify.WithPollInterval(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		stops = append(stops, runService(t, svc))
		svcs = append(svcs, svc)
	}
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, replicas)
	for i, svc := range svcs {
		wg.Go(func() {
			for k := range burst / replicas {
				if _, err := svc.CheckIn(ctx, a.org.ID, notify.CheckInRequest{ButtonID: "b", Visitor: notify.Visitor{Name: fmt.Sprint(i, "-", k)}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := fake.WaitMessageCount(wctx, burst); err != nil {
		t.Fatalf("delivered %d of %d: %v", len(fake.Messages()), burst, err)
	}
	took := time.Since(start)
	allowed := time.Duration(burst) * time.Minute / perMinute
	t.Logf("%d messages by %d replicas in %v (the budget allows %v); 429s: %d", burst, replicas, took.Round(time.Millisecond), allowed, fake.FaultStats().RateLimited)
	if st := fake.FaultStats(); st.RateLimited != 0 {
		t.Errorf("the fake answered %d × 429; want 0", st.RateLimited)
	}
	if took > allowed*11/10 {
		t.Errorf("the burst took %v; want at most 1.1 × %v", took, allowed)
	}
	// Stopped, the replicas have finished every send they started: the
	// count is final, and nothing may remain to be sent.
	for _, stop := range stops {
		stop()
	}
	if pending, err := first.ListOutbox(ctx, a.org.ID, reception.OutboxFilter{State: reception.OutboxPending}); err != nil || len(pending) != 0 {
		t.Errorf("pending entries after the burst: %d, %v", len(pending), err)
	}
	if n := len(fake.Messages()); n != burst {
		t.Errorf("messages = %d, want %d (each once)", n, burst)
	}
}

// TestBacklogWaitsInStore: a tenant's backlog longer than its budget can
// send within a lease is handed back to the store, postponed, instead of
// letting leases lapse (which would use up attempts); every message still
// goes out once, with no 429 and nothing dead.
func TestBacklogWaitsInStore(t *testing.T) {
	t.Parallel()
	const (
		perMinute = 3000 // 50 a second
		n         = 300
	)
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	store := memstore.New(testBox(t))
	a := addTenant(t, store, fake, "a", 3000001, 50000001, perMinute)
	svc, err := notify.New(store, &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL},
		notify.WithLogger(quietLogger()), notify.WithLease(2*time.Second), notify.WithPollInterval(20*time.Millisecond), notify.WithMaxAttempts(3))
	if err != nil {
		t.Fatal(err)
	}
	stop := runService(t, svc)
	ctx := context.Background()
	start := time.Now()
	for i := range n {
		if _, err := svc.CheckIn(ctx, a.org.ID, notify.CheckInRequest{ButtonID: "b", Visitor: notify.Visitor{Name: fmt.Sprint("A", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := fake.WaitMessageCount(wctx, n); err != nil {
		t.Fatalf("delivered %d of %d: %v", len(fake.Messages()), n, err)
	}
	t.Logf("%d messages in %v (the budget allows %v)", n, time.Since(start).Round(time.Millisecond), time.Duration(n)*time.Minute/perMinute)
	stop() // its sends in flight finish: the count is final
	if pending, err := store.ListOutbox(ctx, a.org.ID, reception.OutboxFilter{State: reception.OutboxPending}); err != nil || len(pending) != 0 {
		t.Errorf("pending entries after the backlog: %d, %v", len(pending), err)
	}
	if got := len(fake.Messages()); got != n {
		t.Errorf("messages = %d, want %d", got, n)
	}
	if st := fake.FaultStats(); st.RateLimited != 0 {
		t.Errorf("429s = %d, want 0", st.RateLimited)
	}
	dead, err := store.ListOutbox(ctx, a.org.ID, reception.OutboxFilter{State: reception.OutboxDead})
	if err != nil || len(dead) != 0 {
		t.Errorf("dead entries: %d, %v", len(dead), err)
	}
}

// TestMemoryRateLimiterShape: the in-process budget allows a second's
// worth at once, then paces, and never more than the budget in a minute;
// a hold closes it for every caller.
func TestMemoryRateLimiterShape(t *testing.T) {
	clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	l := notify.NewMemoryRateLimiter(clk.Now)
	ctx := context.Background()
	took := 0
	for range 10 {
		if w, _ := l.TakeRate(ctx, "k", 240); w == 0 {
			took++
		}
	}
	if took != 4 {
		t.Errorf("burst = %d, want 4 (a second of 240 a minute)", took)
	}
	// Over a minute, starting with the burst: at most 240.
	for range 60 * 100 {
		clk.Advance(10 * time.Millisecond)
		if w, _ := l.TakeRate(ctx, "k", 240); w == 0 {
			took++
		}
	}
	if took > 240 || took < 230 {
		t.Errorf("a minute took %d, want at most 240 and close to it", took)
	}
	if err := l.HoldRate(ctx, "k", 240, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Advance(9 * time.Second)
	if w, _ := l.TakeRate(ctx, "k", 240); w <= 0 || w > time.Second {
		t.Errorf("during the hold: wait %v, want the rest of it (≤ 1 s)", w)
	}
	clk.Advance(time.Second)
	if w, _ := l.TakeRate(ctx, "k", 240); w != 0 {
		t.Errorf("after the hold: wait %v, want 0", w)
	}
	if w, _ := l.TakeRate(ctx, "k", 240); w == 0 {
		t.Error("right after the hold, a second request went too: want one at a time")
	}
}

// TestConnectorCacheBounded: at most MaxClients clients, least recently
// used dropped first; a changed organization's client is replaced.
func TestConnectorCacheBounded(t *testing.T) {
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	store := memstore.New(testBox(t))
	c := &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL, MaxClients: 3}
	ctx := context.Background()
	var orgs []*reception.Organization
	for i := range 5 {
		tn := addTenant(t, store, fake, fmt.Sprint("o", i), int64(3000001+i), int64(50000001+i), 240)
		orgs = append(orgs, tn.org)
		if _, err := c.Connect(ctx, tn.org); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 3 {
		t.Errorf("cached clients = %d, want 3", c.Len())
	}
	first, _ := c.Connect(ctx, orgs[4])
	again, _ := c.Connect(ctx, orgs[4])
	if first != again {
		t.Error("an unchanged organization got a new client")
	}
	changed := *orgs[4]
	changed.Integration.RateLimit = 60
	if api, _ := c.Connect(ctx, &changed); api == first {
		t.Error("a changed organization kept its old client")
	}
	if c.Len() != 3 {
		t.Errorf("cached clients = %d after a change, want 3", c.Len())
	}
	c.Forget(orgs[4].ID)
	if c.Len() != 2 {
		t.Errorf("cached clients = %d after Forget, want 2", c.Len())
	}
}

// TestQuietTenantReplyNotBehindBacklog is the dispatcher's side (reminders
// and replies to taps go through the outbox): A, at 60 a minute, has 200
// messages due in the store; B's one, queued after them, goes out within
// a second all the same, and A never draws a 429.
func TestQuietTenantReplyNotBehindBacklog(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			fake := lineworkstest.NewServer()
			t.Cleanup(fake.Close)
			store := sf.new(t)
			a := addTenant(t, store, fake, "a", 3000001, 50000001, 60)
			b := addTenant(t, store, fake, "b", 3000002, 50000002, 240)
			ctx := context.Background()
			content := json.RawMessage(`{"type":"text","text":"reply"}`)
			now := time.Now()
			for i := range 200 {
				e := reception.NewOutboxEntry(a.org.ID, reception.Target{Kind: reception.TargetRoom, ID: a.room}, content, fmt.Sprint("a/", i), now)
				if err := store.EnqueueOutbox(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			svc, err := notify.New(store, &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL},
				notify.WithLogger(quietLogger()), notify.WithLease(30*time.Second), notify.WithPollInterval(50*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			runService(t, svc)
			// A is at its budget, its backlog in the store, once a second
			// message has gone out after its burst (a second's worth: 1).
			if !waitMessages(fake, 5*time.Second, atLeast(a.domain, 2)) {
				t.Fatalf("A delivered %d of 200 in 5 s; want its budget's pace", countFor(fake.Messages(), a.domain))
			}
			start := time.Now()
			e := reception.NewOutboxEntry(b.org.ID, reception.Target{Kind: reception.TargetRoom, ID: b.room}, content, "b/1", time.Now())
			if err := store.EnqueueOutbox(ctx, e); err != nil {
				t.Fatal(err)
			}
			if !waitMessages(fake, time.Second, atLeast(b.domain, 1)) {
				t.Fatalf("B's reply not delivered within 1 s behind A's backlog (A: %d delivered)", countFor(fake.Messages(), a.domain))
			}
			t.Logf("B delivered after %v; A had %d of 200 out", time.Since(start).Round(time.Millisecond), countFor(fake.Messages(), a.domain))
			if st := fake.FaultStats(); st.RateLimited != 0 {
				t.Errorf("429s = %d, want 0", st.RateLimited)
			}
		})
	}
}
