package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// funcAPI is a notify.API whose room sends run a test's function.
type funcAPI struct {
	send func(ctx context.Context, channelID string) error
}

func (a funcAPI) SendToChannel(ctx context.Context, _ int64, channelID string, _ lineworks.Content) error {
	return a.send(ctx, channelID)
}

func (a funcAPI) SendToUser(context.Context, int64, string, lineworks.Content) error { return nil }

func (a funcAPI) DisplayName(context.Context, string) (string, error) { return "", nil }

type staticConnector struct{ api notify.API }

func (c staticConnector) Connect(context.Context, *reception.Organization) (notify.API, error) {
	return c.api, nil
}

// newLeaseService sets up an organization whose button announces to rooms,
// served by api.
func newLeaseService(t *testing.T, api notify.API, rooms []string, opts ...notify.Option) (*notify.Service, reception.Store) {
	t.Helper()
	store := memstore.New(testBox(t))
	fake := lineworkstest.NewServer() // only for a well-formed key
	t.Cleanup(fake.Close)
	sa := fake.NewServiceAccount("bot")
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	org := &reception.Organization{
		ID: "acme", Name: "ACME", Locale: "ja", CreatedAt: now, UpdatedAt: now,
		Integration: reception.Integration{
			ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
			PrivateKey: sa.PrivateKey, BotID: botID, BotSecret: botSecret, Scopes: []string{"bot"},
		},
	}
	if err := store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := store.PutButton(ctx, &reception.Button{ID: "sales", OrgID: org.ID, Label: "営業部", Enabled: true, ChannelIDs: rooms}); err != nil {
		t.Fatal(err)
	}
	svc, err := notify.New(store, staticConnector{api}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return svc, store
}

// TestSendAtTheDeadlineIsStillRecorded: a send LINE WORKS answered just as
// its deadline came must be recorded as sent. Recording with the send's
// expired context would fail, the lease would lapse and the message would go
// out a second time.
func TestSendAtTheDeadlineIsStillRecorded(t *testing.T) {
	api := funcAPI{send: func(ctx context.Context, _ string) error {
		<-ctx.Done() // slow answer, accepted on the wire just in time
		return nil
	}}
	svc, store := newLeaseService(t, api, []string{"room-1"},
		notify.WithLease(200*time.Millisecond), notify.WithBatchSize(8), notify.WithConcurrency(1), notify.WithMaxAttempts(5))
	ctx := context.Background()
	if _, err := svc.CheckIn(ctx, "acme", notify.CheckInRequest{ButtonID: "sales"}); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.DispatchOnce(ctx); err != nil || n != 1 {
		t.Fatalf("DispatchOnce = %d, %v", n, err)
	}
	sent, err := store.ListOutbox(ctx, "acme", reception.OutboxFilter{State: reception.OutboxSent})
	if err != nil || len(sent) != 1 {
		all, _ := store.ListOutbox(ctx, "acme", reception.OutboxFilter{})
		t.Fatalf("sent entries = %d (%v); all entries: %+v", len(sent), err, all)
	}
}

// TestLapsedLeaseIsNotSent: an entry that waited in the dispatcher's queue
// until its lease lapsed may already belong to another replica, so this one
// must not send it too.
func TestLapsedLeaseIsNotSent(t *testing.T) {
	clk := &manualClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	var (
		mu      sync.Mutex
		sentBy1 = map[string]int{}
		takenBy = map[string]int{} // 1 for each room whose entry replica-2 leased
		store   reception.Store
	)
	const leaseFor = 40 * time.Second
	api := funcAPI{send: func(ctx context.Context, channelID string) error {
		// Every send takes 16 s; meanwhile replica-2 polls for lapsed leases.
		clk.Advance(16 * time.Second)
		leased, err := store.LeaseOutbox(ctx, "replica-2", 10, leaseFor, clk.Now())
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		sentBy1[channelID]++
		for _, e := range leased {
			takenBy[e.Target.ID] = 1
		}
		return nil
	}}
	rooms := []string{"room-1", "room-2", "room-3"}
	svc, st := newLeaseService(t, api, rooms,
		notify.WithClock(clk.Now), notify.WithLease(leaseFor), notify.WithBatchSize(8), notify.WithConcurrency(1), notify.WithMaxAttempts(5))
	store = st
	ctx := context.Background()
	if _, err := svc.CheckIn(ctx, "acme", notify.CheckInRequest{ButtonID: "sales"}); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.DispatchOnce(ctx); err != nil || n != 3 {
		t.Fatalf("DispatchOnce = %d, %v", n, err)
	}
	// Replica-2 polls once more after every lease of the batch lapsed.
	clk.Advance(leaseFor)
	leased, err := store.LeaseOutbox(ctx, "replica-2", 10, leaseFor, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range leased {
		takenBy[e.Target.ID] = 1
	}
	for _, room := range rooms {
		if got := sentBy1[room] + takenBy[room]; got != 1 {
			t.Errorf("%s: sent by this dispatcher %d times and leased by replica-2 %d times, want once in all",
				room, sentBy1[room], takenBy[room])
		}
	}
}
