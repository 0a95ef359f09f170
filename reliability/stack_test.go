package reliability

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

const (
	stackBotID int64 = 2000001
	stackRoom        = "room-front"
	stackOrg         = "acme"
	stackBtn         = "front"
)

// stack is the notification engine in-process: a store, notify.Service
// reaching a fake LINE WORKS through a tap, and the service's log.
type stack struct {
	t         testing.TB
	fake      *lineworkstest.Server
	tap       *tap
	store     reception.Store
	svc       *notify.Service
	logs      *servertest.Buffer
	sa        *lineworks.ServiceAccount
	botSecret string
}

type stackConfig struct {
	httpTimeout time.Duration
	// options are applied after the stack's own, so they win.
	options []notify.Option
	// direct sends to the fake without the tap in between: the latency
	// benchmarks want the same route as their floor's POST.
	direct bool
}

func newStack(t testing.TB, cfg stackConfig) *stack {
	t.Helper()
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	tp := newTap(t, fake)
	sa := fake.NewServiceAccount("bot")
	botSecret := "botsecret-" + randomHex(16)
	secret("client secret", sa.ClientSecret)
	secret("bot secret", botSecret)
	privateKeySecrets("private key", sa.PrivateKey)

	st := openStore(t)
	ctx := context.Background()
	now := time.Now()
	org := &reception.Organization{
		ID: stackOrg, Name: "ACME", Locale: "ja", CreatedAt: now, UpdatedAt: now,
		Integration: reception.Integration{
			ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, ServiceAccountID: sa.ServiceAccountID,
			PrivateKey: sa.PrivateKey, BotID: stackBotID, BotSecret: botSecret, Scopes: []string{"bot"},
			RateLimit: 1_000_000,
		},
	}
	if err := st.PutOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := st.PutButton(ctx, &reception.Button{ID: stackBtn, OrgID: stackOrg, Label: "受付", Enabled: true, ChannelIDs: []string{stackRoom}}); err != nil {
		t.Fatal(err)
	}
	logs := &servertest.Buffer{}
	output(t.Name()+": notify log", logs.String)
	if cfg.httpTimeout == 0 {
		cfg.httpTimeout = 15 * time.Second
	}
	opts := []notify.Option{
		notify.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		notify.WithLocation(time.UTC),
		notify.WithLease(10 * time.Second),
		notify.WithPollInterval(20 * time.Millisecond),
		notify.WithMaxAttempts(30),
		notify.WithBackoff(5*time.Millisecond, 100*time.Millisecond),
	}
	opts = append(opts, cfg.options...)
	conn := &notify.LineWorksConnector{APIURL: tp.APIURL, TokenURL: tp.TokenURL, HTTPClient: &http.Client{Timeout: cfg.httpTimeout}}
	if cfg.direct {
		conn.APIURL, conn.TokenURL = fake.APIURL, fake.TokenURL
	}
	svc, err := notify.New(st, conn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, fake: fake, tap: tp, store: st, svc: svc, logs: logs, sa: sa, botSecret: botSecret}
	// The stored last errors of every entry are output a person reads;
	// they are read before the store closes.
	t.Cleanup(func() { outputText(t.Name()+": stored errors", s.storedErrors()) })
	return s
}

// run starts the service until the test ends.
func (s *stack) run() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.svc.Run(ctx) }()
	stop = func() { cancel(); <-done }
	s.t.Cleanup(stop)
	return stop
}

// storedErrors returns the last errors of every outbox entry, one a line.
func (s *stack) storedErrors() string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	entries, err := s.store.ListOutbox(ctx, stackOrg, reception.OutboxFilter{})
	if err != nil {
		return "listing the outbox: " + err.Error()
	}
	var b strings.Builder
	for _, e := range entries {
		if e.LastError != "" {
			b.WriteString(e.LastError)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func newTextLogger(w *servertest.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
