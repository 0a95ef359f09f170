package notify_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

// eventLog is an event handler that records what it receives and fails
// as fail says.
type eventLog struct {
	mu     sync.Mutex
	got    []notify.Event
	calls  map[notify.EventKind]int
	failOn func(ev notify.Event, call int) bool
}

func (l *eventLog) handle(_ context.Context, ev notify.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == nil {
		l.calls = map[notify.EventKind]int{}
	}
	l.calls[ev.Kind]++
	if l.failOn != nil && l.failOn(ev, l.calls[ev.Kind]) {
		return errors.New("the application's database is down")
	}
	l.got = append(l.got, ev)
	return nil
}

func (l *eventLog) events() []notify.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got)
}

func (l *eventLog) of(kind notify.EventKind) []notify.Event {
	var out []notify.Event
	for _, ev := range l.events() {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// eventHarness is a harness on a manual clock whose service reports
// events to log.
func eventHarness(t *testing.T, log *eventLog, opts ...notify.Option) (*harness, *manualClock) {
	clk := &manualClock{now: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	h := newHarness(t, memstore.New(testBox(t)), func(c *harnessConfig) {
		c.clock = clk.Now
		c.options = append(append(c.options, notify.WithEventHandler(log.handle)), opts...)
	})
	return h, clk
}

// tapAction taps the action labelled label of the newest message with
// one.
func (h *harness) tapAction(userID, label string) {
	h.t.Helper()
	msgs := h.fake.Messages()
	for _, m := range slices.Backward(msgs) {
		if decoded(h.t, m)["type"] != "button_template" {
			continue
		}
		labels, values := postbacks(h.t, m)
		if i := slices.Index(labels, label); i >= 0 {
			h.tap(userID, m.ChannelID, labels[i], values[i])
			return
		}
	}
	h.t.Fatalf("no message with the action %q", label)
}

// TestFailingEventHandlerIsRetriedUntilItSucceeds: a handler that fails
// on the accept is called again with the same event, after the backoff,
// until it succeeds; nothing is lost and the accept names the handler.
func TestFailingEventHandlerIsRetriedUntilItSucceeds(t *testing.T) {
	log := &eventLog{failOn: func(ev notify.Event, call int) bool { return ev.Kind == notify.EventAccepted && call <= 2 }}
	h, clk := eventHarness(t, log)
	v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Reference: "visitor-7"})
	h.settle()
	h.tapAction(userA, "対応します")
	h.settle()
	if got := log.of(notify.EventAccepted); len(got) != 0 {
		t.Fatalf("accepted events before the retry: %+v", got)
	}
	pending, err := h.store.ListOutbox(context.Background(), h.org.ID, reception.OutboxFilter{State: reception.OutboxPending})
	if err != nil || len(pending) != 1 || pending[0].Target.Kind != reception.TargetApp || !strings.Contains(pending[0].LastError, "database is down") {
		t.Fatalf("pending entries after the failure: %+v (%v)", pending, err)
	}
	for range 2 { // the second call fails too; the third succeeds
		clk.Advance(time.Second)
		h.settle()
	}
	got := log.of(notify.EventAccepted)
	if len(got) != 1 || got[0].UserID != userA || got[0].Reference != "visitor-7" {
		t.Fatalf("accepted events after the retries: %+v", got)
	}
	if n := log.calls[notify.EventAccepted]; n != 3 {
		t.Errorf("the handler was called %d times with the accept, want 3", n)
	}
	if !strings.HasPrefix(got[0].ID, "visit/"+v.ID+"/event/accepted/") {
		t.Errorf("event ID %q", got[0].ID)
	}
}

// TestReferenceInEveryEvent: the application's reference comes back in
// every kind of event of the visit.
func TestReferenceInEveryEvent(t *testing.T) {
	log := &eventLog{}
	h, clk := eventHarness(t, log)
	v := h.checkIn(notify.CheckInRequest{ButtonID: "sales", Reference: "visitors/42"})
	if v.Reference != "visitors/42" {
		t.Fatalf("visit reference %q", v.Reference)
	}
	h.settle()
	clk.Advance(5 * time.Minute) // the button reminds after 5 minutes
	if n, err := h.svc.RemindOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("RemindOnce = %d, %v", n, err)
	}
	h.settle()
	h.tapAction(userA, "対応します")
	h.settle()
	h.tapAction(userA, "他の人に対応を依頼") // the handler hands it back
	h.settle()
	h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{Status: 403, Code: "FORBIDDEN"})
	h.tapAction(userB, "対応します")
	h.settle()

	kinds := map[notify.EventKind]bool{}
	for _, ev := range log.events() {
		kinds[ev.Kind] = true
		if ev.Reference != "visitors/42" || ev.VisitID != v.ID || ev.OrgID != h.org.ID {
			t.Errorf("event %+v: want reference visitors/42 of visit %s", ev, v.ID)
		}
	}
	for _, k := range []notify.EventKind{notify.EventCheckedIn, notify.EventDelivered, notify.EventReminded,
		notify.EventAccepted, notify.EventEscalated, notify.EventGivenUp} {
		if !kinds[k] {
			t.Errorf("no %s event; got %+v", k, log.events())
		}
	}
	esc := log.of(notify.EventEscalated)
	if len(esc) != 1 || !esc[0].HandedBack || esc[0].UserID != userA {
		t.Errorf("escalated events %+v, want one handed back by %s", esc, userA)
	}
	if r := log.of(notify.EventReminded); len(r) != 1 || r[0].Reminder != 1 {
		t.Errorf("reminded events %+v", r)
	}
	if g := log.of(notify.EventGivenUp); len(g) != 1 || !strings.Contains(g[0].Error, "403") || g[0].Target == "" {
		t.Errorf("given-up events %+v", g)
	}
	vs, err := h.store.ListVisits(context.Background(), h.org.ID, reception.VisitFilter{Reference: "visitors/42"})
	if err != nil || len(vs) != 1 || vs[0].ID != v.ID {
		t.Errorf("visits by reference: %v, %v", vs, err)
	}
}

// TestAtMostOnceSendsOnceUnder504: with AtMostOnce, a 504 after LINE
// WORKS posted the message is not sent again; the entry is uncertain and
// reported so. The default sends it again.
func TestAtMostOnceSendsOnceUnder504(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      []notify.Option
		messages  int
		uncertain int
	}{
		{"AtMostOnce", []notify.Option{notify.WithDeliveryMode(notify.AtMostOnce)}, 1, 1},
		{"AtLeastOnce (default)", nil, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &eventLog{}
			h, clk := eventHarness(t, log, tc.opts...)
			h.fake.InjectFault(sendRoute, 1, lineworkstest.Fault{AfterHandling: true, Status: 504, Code: "GATEWAY_TIMEOUT"})
			h.checkIn(notify.CheckInRequest{ButtonID: "sales", Reference: "v-504"})
			for range 3 {
				h.settle()
				clk.Advance(time.Minute)
			}
			if n := len(h.fake.Messages()); n != tc.messages {
				t.Errorf("%d room messages, want %d", n, tc.messages)
			}
			if st := h.fake.FaultStats(); st.Ambiguous != 1 {
				t.Errorf("fault stats %+v, want one ambiguous", st)
			}
			unc, err := h.store.ListOutbox(context.Background(), h.org.ID, reception.OutboxFilter{State: reception.OutboxUncertain})
			if err != nil || len(unc) != tc.uncertain {
				t.Fatalf("uncertain entries %+v (%v), want %d", unc, err, tc.uncertain)
			}
			ev := log.of(notify.EventUncertain)
			if len(ev) != tc.uncertain {
				t.Fatalf("uncertain events %+v, want %d", ev, tc.uncertain)
			}
			if tc.uncertain == 1 && (ev[0].Reference != "v-504" || ev[0].Target != "room "+roomID || !strings.Contains(ev[0].Error, "504")) {
				t.Errorf("uncertain event %+v", ev[0])
			}
			if tc.uncertain == 0 && len(log.of(notify.EventDelivered)) != 1 {
				t.Errorf("delivered events %+v, want one", log.of(notify.EventDelivered))
			}
		})
	}
}

// TestAtMostOnceLapsedLeaseIsUncertain: with AtMostOnce, an entry whose
// lease lapsed without a recorded outcome (a dispatcher that died
// mid-send) is marked uncertain instead of being sent.
func TestAtMostOnceLapsedLeaseIsUncertain(t *testing.T) {
	log := &eventLog{}
	h, clk := eventHarness(t, log, notify.WithDeliveryMode(notify.AtMostOnce))
	h.checkIn(notify.CheckInRequest{ButtonID: "sales"})
	ctx := context.Background()
	// Another dispatcher leases the room message and dies.
	if _, err := h.store.LeaseOutbox(ctx, "crashed", 100, time.Second, clk.Now()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	h.settle()
	if n := len(h.fake.Messages()); n != 0 {
		t.Errorf("%d messages sent after a lapsed lease, want 0", n)
	}
	if ev := log.of(notify.EventUncertain); len(ev) != 1 {
		t.Errorf("uncertain events %+v, want one", ev)
	}
	if got := log.of(notify.EventCheckedIn); len(got) != 1 {
		t.Errorf("checked-in events %+v: an event's lapsed lease is delivered again, not made uncertain", got)
	}
}

// TestNewCompanyRoutesPerDepartment: the one-company set-up sends each
// department's check-ins to its room, labelled, and follows a changed
// set-up.
func TestNewCompanyRoutesPerDepartment(t *testing.T) {
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	sa := fake.NewServiceAccount("bot")
	store := memstore.New(testBox(t))
	ctx := context.Background()
	c := notify.Company{
		ID: "acme", ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
		PrivateKey: sa.PrivateKey, BotID: botID, BotSecret: botSecret, RateLimit: 6000,
		Departments: map[string]string{"sales": "room-sales", "support": "room-support"},
		Labels:      map[string]string{"sales": "営業部"},
		APIURL:      fake.APIURL, TokenURL: fake.TokenURL,
	}
	svc, err := notify.NewCompany(ctx, store, c, notify.WithLocation(time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, dept := range []string{"support", "sales"} {
		if _, err := svc.CheckIn(ctx, "acme", notify.CheckInRequest{ButtonID: dept}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.DispatchOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	msgs := fake.Messages()
	if len(msgs) != 2 || msgs[0].ChannelID != "room-support" || msgs[1].ChannelID != "room-sales" {
		t.Fatalf("messages went to %+v", msgs)
	}
	if text := textOf(t, msgs[1]); !strings.Contains(text, "営業部") || strings.Contains(text, "sales") {
		t.Errorf("sales message %q: want its label, not its key", text)
	}
	if text := textOf(t, msgs[0]); !strings.Contains(text, "support") {
		t.Errorf("support message %q: want the key as its label", text)
	}

	// Set up again without support: its button is gone.
	c.Departments = map[string]string{"sales": "room-sales-2"}
	if svc, err = notify.NewCompany(ctx, store, c); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CheckIn(ctx, "acme", notify.CheckInRequest{ButtonID: "support"}); !errors.Is(err, reception.ErrNotFound) {
		t.Errorf("check-in to a removed department: %v, want ErrNotFound", err)
	}
	if _, err := svc.CheckIn(ctx, "acme", notify.CheckInRequest{ButtonID: "sales"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DispatchOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if msgs := fake.Messages(); len(msgs) != 3 || msgs[2].ChannelID != "room-sales-2" {
		t.Errorf("after the new set-up, messages went to %+v", msgs)
	}
	if _, err := notify.NewCompany(ctx, store, notify.Company{ID: "x"}); err == nil {
		t.Error("NewCompany without departments succeeded")
	}
}

// leaseSignal is a store that tells when the dispatcher first leased after
// arm: the service is running, and its fast path is on.
type leaseSignal struct {
	reception.Store
	mu      sync.Mutex
	running chan struct{}
}

func (l *leaseSignal) arm() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running = make(chan struct{})
	return l.running
}

func (l *leaseSignal) LeaseOutbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*reception.OutboxEntry, error) {
	l.mu.Lock()
	if l.running != nil {
		close(l.running)
		l.running = nil
	}
	l.mu.Unlock()
	return l.Store.LeaseOutbox(ctx, owner, n, leaseFor, now)
}

// TestCheckInTxSendsOnlyAfterCommit: a check-in in the application's
// transaction sends nothing before the commit — not even on the fast path
// of a running service — and nothing at all after a rollback.
func TestCheckInTxSendsOnlyAfterCommit(t *testing.T) {
	ms := memstore.New(testBox(t))
	store := &leaseSignal{Store: ms}
	h := newHarness(t, store)
	ctx := context.Background()

	tx := ms.Begin()
	v, err := h.svc.CheckInTx(ctx, tx, h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "先 一郎"}, Reference: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	if n := len(h.fake.Messages()); n != 0 {
		t.Fatalf("%d messages before the commit", n)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if msgs := h.fake.Messages(); len(msgs) != 1 || !strings.Contains(textOf(t, msgs[0]), "先 一郎") {
		t.Fatalf("messages after the commit: %+v", msgs)
	}
	if got, err := h.store.GetVisit(ctx, h.org.ID, v.ID); err != nil || got.Reference != "r1" {
		t.Fatalf("visit after the commit: %+v, %v", got, err)
	}

	// While Run runs, a check-in is sent at once (the fast path); one in a
	// transaction is not. Run returns only when the fast sends it started
	// finished, so after it nothing more can arrive.
	running := store.arm()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = h.svc.Run(runCtx) }()
	<-running
	tx = ms.Begin()
	if _, err := h.svc.CheckInTx(ctx, tx, h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "戻 二郎"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	stop()
	<-done
	if msgs := h.fake.Messages(); len(msgs) != 1 {
		t.Errorf("%d messages after a rolled-back check-in, want the 1 before it", len(msgs))
	}
	if _, err := h.svc.CheckInTx(ctx, nil, h.org.ID, notify.CheckInRequest{ButtonID: "sales"}); !errors.Is(err, reception.ErrInvalid) {
		t.Errorf("CheckInTx without a transaction: %v", err)
	}
}
