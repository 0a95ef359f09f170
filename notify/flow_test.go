package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/memstore"
)

const (
	botID     int64 = 2000001
	botSecret       = "bot-secret-for-tests"
	roomID          = "room-sales"
	userA           = "user-a"
	userB           = "user-b"
)

// storeFactory makes a fresh, empty store for one test.
type storeFactory struct {
	name string
	new  func(t *testing.T) reception.Store
}

var storeFactories = []storeFactory{
	{"memstore", func(t *testing.T) reception.Store {
		return memstore.New(testBox(t))
	}},
}

func testBox(t testing.TB) *reception.SecretBox {
	box, err := reception.NewSecretBox(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// manualClock is a clock tests move by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type harness struct {
	t      *testing.T
	fake   *lineworkstest.Server
	store  reception.Store
	svc    *notify.Service
	org    *reception.Organization
	button *reception.Button
	staff  *reception.Staff
	sender lineworkstest.CallbackSender
	logs   *lockedBuffer
	sa     *lineworks.ServiceAccount
	// stopRun stops what run started and waits for it; idempotent.
	stopRun func()
}

type harnessOpt func(*harnessConfig)

type harnessConfig struct {
	scopes  []string
	clock   func() time.Time
	options []notify.Option
}

func newHarness(t *testing.T, store reception.Store, opts ...harnessOpt) *harness {
	t.Helper()
	cfg := harnessConfig{scopes: []string{"bot"}}
	for _, o := range opts {
		o(&cfg)
	}
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	sa := fake.NewServiceAccount(cfg.scopes...)
	ctx := context.Background()
	now := time.Now()
	if cfg.clock != nil {
		now = cfg.clock()
	}
	org := &reception.Organization{
		ID: "acme", Name: "ACME", Locale: "ja", CreatedAt: now, UpdatedAt: now,
		Integration: reception.Integration{
			ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
			PrivateKey: sa.PrivateKey, BotID: botID, BotSecret: botSecret, Scopes: cfg.scopes, RateLimit: 6000,
		},
	}
	if err := store.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	staff := &reception.Staff{ID: "s1", OrgID: org.ID, Name: "山田 太郎", UserID: userA, Active: true}
	if err := store.PutStaff(ctx, staff); err != nil {
		t.Fatal(err)
	}
	button := &reception.Button{ID: "sales", OrgID: org.ID, Label: "営業部", Enabled: true, ChannelIDs: []string{roomID},
		Reminder: reception.ReminderPolicy{After: 5 * time.Minute, MentionAll: true, Max: 2}}
	if err := store.PutButton(ctx, button); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	options := []notify.Option{
		notify.WithLogger(logger),
		notify.WithLease(5 * time.Second),
		notify.WithPollInterval(20 * time.Millisecond),
		notify.WithBatchSize(16),
		notify.WithConcurrency(4),
		notify.WithMaxAttempts(5),
		notify.WithBackoff(5*time.Millisecond, 50*time.Millisecond),
		notify.WithLocation(time.UTC),
	}
	if cfg.clock != nil {
		options = append(options, notify.WithClock(cfg.clock))
	}
	options = append(options, cfg.options...)
	svc, err := notify.New(store, &notify.LineWorksConnector{APIURL: fake.APIURL, TokenURL: fake.TokenURL}, options...)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, fake: fake, store: store, svc: svc, org: org, button: button, staff: staff, logs: logs, sa: sa,
		sender: lineworkstest.CallbackSender{BotID: botID, Secret: botSecret}}
}

// lockedBuffer is the service's log: written by its goroutines, read by
// the test at any time.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// run starts the service until the test ends.
func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.svc.Run(ctx) }()
	var once sync.Once
	h.stopRun = func() { once.Do(func() { cancel(); <-done }) }
	h.t.Cleanup(h.stopRun)
}

// quiesce stops Run, which finishes the sends it started, and then does
// whatever work is still due (settle), so that a test can check that
// nothing more is sent without sleeping: anything more would have been sent
// by now. (A lease that a stopped Run's cancelled query took all the same
// is returned too; for an entry leased that way but committed only after
// this, settle may miss it, which a check for "nothing more" tolerates;
// wait for what must arrive with waitMessages or waitFor first.)
func (h *harness) quiesce() {
	h.t.Helper()
	if h.stopRun != nil {
		h.stopRun()
	}
	ctx := context.Background()
	if _, err := h.store.ReleaseInbox(ctx, h.svc.Owner()); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.store.ReleaseOutbox(ctx, h.svc.Owner()); err != nil {
		h.t.Fatal(err)
	}
	h.settle()
}

// waitFor waits until a received message satisfies ok, without polling:
// the fake tells when its message record changes.
func (h *harness) waitFor(what string, ok func(lineworkstest.Message) bool) {
	h.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		changed := h.fake.Changed()
		if slices.ContainsFunc(h.fake.Messages(), ok) {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			h.t.Fatalf("no %s; messages: %+v\nlogs:\n%s", what, h.fake.Messages(), h.logs)
		}
	}
}

func (h *harness) waitMessages(n int) []lineworkstest.Message {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := h.fake.WaitMessages(ctx, n)
	if err != nil {
		h.t.Fatalf("waiting for %d messages (have %d): %v\nlogs:\n%s", n, len(h.fake.Messages()), err, h.logs)
	}
	return msgs
}

func (h *harness) tap(userID, channelID, label, postback string) {
	h.t.Helper()
	rec := h.sender.ServeTo(h.svc.CallbackHandler(), lineworkstest.MessageTapEvent(userID, channelID, label, postback))
	if rec.Code != http.StatusOK {
		h.t.Fatalf("callback answered %d: %s", rec.Code, rec.Body)
	}
}

// issuedLater returns a callback body with its issuedTime moved d later,
// standing in for an event LINE WORKS issued d after the body's.
func issuedLater(t *testing.T, body []byte, d time.Duration) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339Nano, ev["issuedTime"].(string))
	if err != nil {
		t.Fatal(err)
	}
	ev["issuedTime"] = at.Add(d).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decoded is a received message's content as a generic map.
func decoded(t *testing.T, m lineworkstest.Message) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m.Content, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// postbacks returns the message actions' postback values of a button template.
func postbacks(t *testing.T, m lineworkstest.Message) (labels, values []string) {
	t.Helper()
	c := decoded(t, m)
	if c["type"] != "button_template" {
		t.Fatalf("content type %v, want button_template", c["type"])
	}
	for _, a := range c["actions"].([]any) {
		am := a.(map[string]any)
		if am["type"] != "message" {
			t.Fatalf("action type %v, want message (postback actions are not allowed in button templates)", am["type"])
		}
		labels = append(labels, am["label"].(string))
		values = append(values, am["postback"].(string))
	}
	return labels, values
}

func textOf(t *testing.T, m lineworkstest.Message) string {
	t.Helper()
	c := decoded(t, m)
	if s, ok := c["text"].(string); ok {
		return s
	}
	s, _ := c["contentText"].(string)
	return s
}

func TestWholeFlow(t *testing.T) {
	for _, sf := range storeFactories {
		t.Run(sf.name, func(t *testing.T) {
			h := newHarness(t, sf.new(t))
			// Registered before run's cleanup, so it runs after the service
			// has stopped: the log buffer is read with no writer left.
			t.Cleanup(func() {
				if logs := h.logs.String(); strings.Contains(logs, botSecret) || strings.Contains(logs, h.sa.ClientSecret) {
					t.Error("logs contain a secret")
				}
			})
			h.run()
			ctx := context.Background()

			visit, err := h.svc.CheckIn(ctx, h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "佐藤 花子", Company: "テスト商事", Count: 2}})
			if err != nil {
				t.Fatal(err)
			}
			msgs := h.waitMessages(1)
			if msgs[0].ChannelID != roomID || msgs[0].BotID != botID {
				t.Fatalf("notification went to %+v", msgs[0])
			}
			body := textOf(t, msgs[0])
			for _, want := range []string{"テスト商事 佐藤 花子 様", "2名", "営業部"} {
				if !strings.Contains(body, want) {
					t.Errorf("notification %q lacks %q", body, want)
				}
			}
			labels, values := postbacks(t, msgs[0])
			if strings.Join(labels, ",") != "対応します,他の人に対応を依頼" {
				t.Errorf("labels = %v", labels)
			}

			// 「対応します」 by A: delivered as LINE WORKS does, a message
			// event with content.postback.
			h.tap(userA, roomID, labels[0], values[0])
			msgs = h.waitMessages(2)
			accepted := textOf(t, msgs[1])
			if !strings.Contains(accepted, "佐藤 花子 様") || !strings.Contains(accepted, `<m userId="user-a">`) {
				t.Errorf("accepted message = %q, want the visitor and a mention of the handler", accepted)
			}
			v, err := h.store.GetVisit(ctx, h.org.ID, visit.ID)
			if err != nil || v.Status != reception.StatusAccepted || v.HandlerUserID != userA {
				t.Fatalf("visit after accept = %+v, %v", v, err)
			}

			// A second tap by B is told who has it.
			h.tap(userB, roomID, labels[0], values[0])
			msgs = h.waitMessages(3)
			taken := textOf(t, msgs[2])
			if !strings.Contains(taken, `<m userId="user-b">`) || !strings.Contains(taken, `<m userId="user-a">`) {
				t.Errorf("already-taken reply = %q, want mentions of B and of A", taken)
			}
			if v, _ := h.store.GetVisit(ctx, h.org.ID, visit.ID); v.HandlerUserID != userA {
				t.Errorf("handler changed to %q", v.HandlerUserID)
			}

			// 「他の人に対応を依頼」 by A → @All in the room.
			h.tap(userA, roomID, labels[1], values[1])
			msgs = h.waitMessages(4)
			esc := textOf(t, msgs[3])
			if !strings.Contains(esc, lineworks.MentionAll) || msgs[3].ChannelID != roomID {
				t.Errorf("escalation = %q to %q, want @All in the room", esc, msgs[3].ChannelID)
			}
			v, _ = h.store.GetVisit(ctx, h.org.ID, visit.ID)
			if v.Status != reception.StatusEscalated {
				t.Errorf("status after escalation = %s", v.Status)
			}

			// The bot is invited to a new room: it records the room and posts
			// its ID.
			rec := h.sender.ServeTo(h.svc.CallbackHandler(), lineworkstest.JoinEvent("room-new"))
			if rec.Code != http.StatusOK {
				t.Fatalf("join answered %d", rec.Code)
			}
			msgs = h.waitMessages(5)
			if got := textOf(t, msgs[4]); msgs[4].ChannelID != "room-new" || !strings.Contains(got, "このトークルームのルームIDは room-new です") {
				t.Errorf("room ID message = %q to %q", got, msgs[4].ChannelID)
			}
			if room, err := h.store.GetRoom(ctx, h.org.ID, "room-new"); err != nil || room.LeftAt != nil {
				t.Errorf("room = %+v, %v", room, err)
			}
			// The service stops first, so that the leave is handled by settle
			// alone and checked without waiting.
			h.stopRun()
			rec = h.sender.ServeTo(h.svc.CallbackHandler(), lineworkstest.LeaveEvent("room-new"))
			if rec.Code != http.StatusOK {
				t.Fatalf("leave answered %d", rec.Code)
			}
			h.settle()
			if room, _ := h.store.GetRoom(ctx, h.org.ID, "room-new"); room == nil || room.LeftAt == nil {
				t.Fatalf("leave was not recorded: %+v\nlogs:\n%s", room, h.logs)
			}
		})
	}
}

// settle handles every stored callback and sends every due message, without
// Run: each step finishes before the next starts, so message order is
// deterministic and the harness's log buffer has no concurrent writer.
func (h *harness) settle() {
	h.t.Helper()
	ctx := context.Background()
	for {
		n, err := h.svc.ProcessInboxOnce(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for {
		n, err := h.svc.DispatchOnce(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
}

func (h *harness) checkIn(req notify.CheckInRequest) *reception.Visit {
	h.t.Helper()
	v, err := h.svc.CheckIn(context.Background(), h.org.ID, req)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

// maxContentText is the documented contentText limit of a button template
// (https://developers.worksmobile.com/jp/docs/bot-send-buttontemplate).
const maxContentText = 1000

// usersRoute is the fake's Users API route, as InjectFault names it.
const usersRoute = "GET /users/{userId}"
