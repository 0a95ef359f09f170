package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/examples/server/internal/config"
	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// Timeouts of the HTTP server.
const (
	shutdownGrace     = 10 * time.Second
	readHeaderTimeout = 10 * time.Second
)

// run is the whole server; main only wires signals and os. It returns when
// ctx ends (after a graceful shutdown) or start-up fails. Tests call it
// in-process.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if ok, err := config.RunCommand(ctx, args, env, stdout, stderr); ok {
		return err
	}
	cfg, err := config.Parse(args, env, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// The store opens first: a server that cannot open its secrets makes
	// no admin token file either.
	store, keys, persistent, err := config.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the store", "err", err)
		}
	}()
	if err := app.HashKioskTokens(ctx, store, log); err != nil {
		return fmt.Errorf("hashing stored kiosk tokens: %w", err)
	}
	token, err := config.AdminToken(cfg)
	if err != nil {
		return err
	}
	dm, err := startDemo(ctx, cfg, store, log)
	if err != nil {
		return err
	}
	if dm != nil {
		defer dm.Close()
	}
	metrics := httpserver.NewMetrics()
	a, err := newApp(cfg, store, dm, log, metrics)
	if err != nil {
		return err
	}
	secrets := config.NewSecretCheck(store, keys.Source(), persistent)
	handler := httpserver.New(httpserver.Options{App: a, AdminToken: token.Token(), Demo: dm, Metrics: metrics, SecretCheck: secrets.Check,
		KioskReturn: cfg.KioskReturn, Limits: httpserver.CheckInLimits(cfg.Limits)})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return &config.Error{Setting: "UKETSUKE_ADDR", Msg: err.Error()}
	}
	local := loopbackURL(ln.Addr())
	srv := newHTTPServer(ctx, handler, log)
	if dm != nil {
		srv.RegisterOnShutdown(dm.Drain)
	}
	// The retention purge runs beside the engine; it stops, and is waited
	// for, before the store closes (deferred earlier, so run later).
	purgeCtx, stopPurge := context.WithCancel(ctx)
	var purging sync.WaitGroup
	defer purging.Wait()
	defer stopPurge()
	purging.Go(func() {
		(&app.Retention{Store: store, Keep: cfg.Retention, Now: time.Now, Log: log}).Run(purgeCtx)
	})
	printBanner(stdout, cfg, local, dm != nil, persistent, token, demoKioskPath(dm))
	log.Info("listening", "addr", ln.Addr().String(), "url", local, "store", cfg.Store.String(), "persistent", persistent, "demo", dm != nil)
	return serve(ctx, srv, ln, a.Notify, dm, local, log)
}

// startDemo starts demo mode when the configuration asks for it; nil
// without demo mode.
func startDemo(ctx context.Context, cfg *config.Config, store reception.Store, log *slog.Logger) (*httpserver.Demo, error) {
	on, err := wantDemo(ctx, cfg, store)
	if err != nil {
		return nil, fmt.Errorf("reading organizations: %w", err)
	}
	if !on {
		// A demo organization left from an earlier demo delivers nothing
		// without the demo's fake; say so once, naming the fix.
		if _, err := store.GetOrganization(ctx, app.DemoOrgID); err == nil {
			log.Warn("the demo organization is left in the database and cannot deliver without demo mode; delete it (DELETE /api/v1/orgs/demo) or start with UKETSUKE_DEMO=1", "org", app.DemoOrgID)
		}
		return nil, nil
	}
	dm, err := httpserver.StartDemo(ctx, store, log, time.Now(), cfg.Demo == config.DemoAuto)
	if err != nil {
		return nil, fmt.Errorf("starting demo mode: %w", err)
	}
	dm.UseLocation(cfg.Loc)
	return dm, nil
}

// newApp wires the notification engine and the use cases: the demo
// organization's LINE WORKS is the demo's fake, everyone else's the
// configured one.
func newApp(cfg *config.Config, store reception.Store, dm *httpserver.Demo, log *slog.Logger, metrics httpserver.Metrics) (*app.App, error) {
	hc := &http.Client{Timeout: 15 * time.Second}
	a := &app.App{Store: store, Log: log, HTTPClient: hc, Now: time.Now, Loc: cfg.Loc, PublicURL: cfg.PublicURL, KioskTexts: cfg.KioskTexts,
		LineWorks: app.Endpoints{API: cfg.APIURL, Token: cfg.TokenURL, Authorize: cfg.AuthURL + "authorize"}}
	connector := &routingConnector{real: &notify.LineWorksConnector{APIURL: cfg.APIURL, TokenURL: cfg.TokenURL, HTTPClient: hc}}
	if dm != nil {
		fake := dm.Endpoints()
		a.Demo = &fake
		connector.demo = &notify.LineWorksConnector{APIURL: fake.API, TokenURL: fake.Token, HTTPClient: hc}
	}
	opts := []notify.Option{
		notify.WithLogger(log),
		notify.WithMetrics(metrics),
		notify.WithLease(cfg.Lease),
		notify.WithLocation(cfg.Loc), // message times in UKETSUKE_TIME_ZONE
		notify.WithAppointmentReminder(cfg.Appointments.Reminder),
		notify.WithAppointmentRooms(cfg.Appointments.Rooms),
	}
	if m := cfg.Appointments.SMTP; m != nil {
		opts = append(opts, notify.WithMailer(&notify.SMTPMailer{Addr: m.Addr, From: m.From, Username: m.Username, Password: m.Password, ImplicitTLS: m.ImplicitTLS}))
	}
	svc, err := notify.New(store, connector, opts...)
	a.Notify = svc
	return a, err
}

// newHTTPServer bounds every phase of a request; writes may take a demo
// long poll and then some.
func newHTTPServer(ctx context.Context, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      httpserver.MaxLongPoll + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// serve runs the HTTP server and the notification engine until ctx ends
// or serving fails, then shuts both down.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, svc *notify.Service, dm *httpserver.Demo, local string, log *slog.Logger) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = svc.Run(runCtx)
	}()
	if dm != nil {
		dm.Listening(runCtx, local)
	}

	var result error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		result = fmt.Errorf("serving HTTP: %w", err)
	}
	// Stop taking requests first (in-flight callbacks finish storing), then
	// stop the engine, which finishes sends in flight and returns leases;
	// the store closes last (deferred by run).
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("HTTP shutdown", "err", err)
		_ = srv.Close()
	}
	stopRun()
	select {
	case <-runDone:
	case <-shutCtx.Done():
		log.Warn("the notification engine did not stop in time")
	}
	log.Info("stopped")
	return result
}

// demoKioskPath is the demo kiosk's path with its token, for the banner;
// "" without demo mode.
func demoKioskPath(dm *httpserver.Demo) string {
	if dm == nil {
		return ""
	}
	return dm.KioskPath()
}

// wantDemo decides demo mode: forced on or off, or on while no organization
// other than the demo one has a LINE WORKS integration.
func wantDemo(ctx context.Context, cfg *config.Config, store reception.Store) (bool, error) {
	switch cfg.Demo {
	case config.DemoOn:
		return true, nil
	case config.DemoOff:
		return false, nil
	}
	orgs, err := store.ListOrganizations(ctx)
	if err != nil {
		return false, err
	}
	for _, o := range orgs {
		if o.ID != app.DemoOrgID && o.Integration.Configured() {
			return false, nil
		}
	}
	return true, nil
}

// routingConnector sends the demo organization's messages to the in-process
// fake and everyone else's to LINE WORKS. Without demo mode, the demo
// organization (left from an earlier demo) has nowhere to go.
type routingConnector struct {
	real notify.Connector
	demo notify.Connector
}

func (c *routingConnector) Connect(ctx context.Context, org *reception.Organization) (notify.API, error) {
	if org.ID == app.DemoOrgID {
		if c.demo == nil {
			return nil, notify.ErrNotConfigured
		}
		return c.demo.Connect(ctx, org)
	}
	return c.real.Connect(ctx, org)
}

// Forget passes Service.ForgetOrganization on to the connectors that cache.
func (c *routingConnector) Forget(orgID string) {
	for _, conn := range []notify.Connector{c.real, c.demo} {
		if f, ok := conn.(interface{ Forget(orgID string) }); ok {
			f.Forget(orgID)
		}
	}
}

// loopbackURL is the URL this process reaches itself at.
func loopbackURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printBanner tells the person who started the server what to open. A
// generated admin token is printed here when it is new, never logged; so
// is the demo kiosk's URL with its token (kioskPath, "" without demo mode).
func printBanner(w io.Writer, cfg *config.Config, local string, demo, persistent bool, token config.AdminTokenInfo, kioskPath string) {
	browse := strings.Replace(local, "127.0.0.1", "localhost", 1)
	var b strings.Builder
	fmt.Fprintf(&b, "uketsuke: listening on %s\n", local)
	if host, port, err := net.SplitHostPort(cfg.Addr); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		// The loopback URL above is for this machine; a reception tablet
		// reaches the same port at this machine's own address.
		fmt.Fprintf(&b, "  (all interfaces, port %s: from another device use this machine's address, or UKETSUKE_PUBLIC_URL)\n", port)
	}
	if demo {
		fmt.Fprintf(&b, "  デモ / demo:        %s/demo\n", browse)
	}
	if kioskPath != "" {
		fmt.Fprintf(&b, "  キオスク / kiosk:   %s%s\n", browse, kioskPath)
	}
	fmt.Fprintf(&b, "  管理 / admin:       %s/admin\n", browse)
	fmt.Fprintf(&b, "  API:                %s%s\n", browse, httpserver.APIPrefix)
	if cfg.PublicURL != "" {
		fmt.Fprintf(&b, "  callback URL:       %s%s\n", cfg.PublicURL, app.CallbackPath)
	} else {
		fmt.Fprintf(&b, "  callback URL:       set UKETSUKE_PUBLIC_URL (https) so LINE WORKS can reach %s\n", app.CallbackPath)
	}
	fmt.Fprintf(&b, "  health / metrics:   %s/healthz  %s/metrics\n", browse, browse)
	token.Banner(&b)
	if !persistent {
		fmt.Fprintf(&b, "  storage:            memory only — data is lost when the server stops\n")
	}
	_, _ = io.WriteString(w, b.String())
}
