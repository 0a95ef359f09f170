package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// run is the whole server; main only wires signals and os. It returns when
// ctx ends (after a graceful shutdown) or start-up fails. Tests call it
// in-process.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if ok, err := runCommand(ctx, args, env, stdout, stderr); ok {
		return err
	}
	cfg, err := parseConfig(args, env, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// The store opens first: a server that cannot open its secrets makes
	// no admin token file either.
	store, keys, persistent, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the store", "err", err)
		}
	}()

	token, err := adminToken(cfg)
	if err != nil {
		return err
	}

	demoOn, err := wantDemo(ctx, cfg, store)
	if err != nil {
		return fmt.Errorf("reading organizations: %w", err)
	}
	metrics := newMetrics()
	hc := &http.Client{Timeout: 15 * time.Second}
	connector := &routingConnector{real: &notify.LineWorksConnector{APIURL: cfg.APIURL, TokenURL: cfg.TokenURL, HTTPClient: hc}}
	var dm *demo
	if demoOn {
		if dm, err = startDemo(ctx, store, log, time.Now()); err != nil {
			return fmt.Errorf("starting demo mode: %w", err)
		}
		defer dm.close()
		connector.demo = &notify.LineWorksConnector{APIURL: dm.fake.APIURL, TokenURL: dm.fake.TokenURL, HTTPClient: hc}
	}
	svc, err := notify.New(store, connector,
		notify.WithLogger(log),
		notify.WithMetrics(metrics),
		notify.WithDelivery(cfg.Lease, time.Second, 32, 8, 10),
	)
	if err != nil {
		return err
	}
	watchDelivery(metrics, svc, log)

	a := &api{store: store, svc: svc, adminToken: []byte(token.token), cfg: cfg, log: log, hc: hc, now: time.Now, loc: time.Local}
	if dm != nil {
		a.demoURLs = &lineworksURLs{API: dm.fake.APIURL, Token: dm.fake.TokenURL, Authorize: dm.fake.AuthURL}
	}
	mux := http.NewServeMux()
	a.register(mux)
	newPages(a, dm).register(mux)
	mux.Handle("POST "+callbackPath, svc.CallbackHandler(lineworks.WithCallbackLogger(log)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	secrets := newSecretCheck(store, keys.source, persistent)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r.Context(), store); err != nil {
			log.Warn("not ready", "err", err)
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		if msg := secrets.check(r.Context(), log); msg != "" {
			http.Error(w, msg, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
		readyBody(r.Context(), w, svc)
	})
	mux.Handle("GET /metrics", metrics.Handler())
	registerStatic(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if dm != nil {
			http.Redirect(w, r, "/demo", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "uketsuke reception server\nAPI: /api/v1 (Authorization: Bearer <admin token>)\nLINE WORKS callback: POST "+callbackPath+"\n")
	})
	if dm != nil {
		dm.svc = svc
		dm.register(mux)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return &configError{"UKETSUKE_ADDR", err.Error()}
	}
	local := loopbackURL(ln.Addr())
	srv := &http.Server{
		Handler:           instrument(metrics, mux),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      maxLongPoll + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	if dm != nil {
		srv.RegisterOnShutdown(func() { close(dm.draining) })
	}
	kioskPath := ""
	if dm != nil {
		if org, err := store.GetOrganization(ctx, demoOrgID); err == nil && org.KioskToken != "" {
			kioskPath = "/kiosk/" + demoOrgID + "?token=" + org.KioskToken
		}
	}
	printBanner(stdout, cfg, local, dm != nil, persistent, token, kioskPath)
	log.Info("listening", "addr", ln.Addr().String(), "url", local, "store", cfg.Store.String(), "persistent", persistent, "demo", dm != nil)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = svc.Run(runCtx)
	}()
	if dm != nil {
		dm.selfURL = local
		go dm.joinRoom(runCtx)
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
	// the store closes last (deferred).
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

// wantDemo decides demo mode: forced on or off, or on while no organization
// other than the demo one has a LINE WORKS integration.
func wantDemo(ctx context.Context, cfg *config, store reception.Store) (bool, error) {
	switch cfg.Demo {
	case demoOn:
		return true, nil
	case demoOff:
		return false, nil
	}
	orgs, err := store.ListOrganizations(ctx)
	if err != nil {
		return false, err
	}
	for _, o := range orgs {
		if o.ID != demoOrgID && o.Integration.Configured() {
			return false, nil
		}
	}
	return true, nil
}

// ready reports whether the store answers: a lookup of an organization that
// cannot exist is a cheap round trip.
func ready(ctx context.Context, store reception.Store) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err := store.GetOrganization(ctx, "readyz.probe")
	if err == nil || errors.Is(err, reception.ErrNotFound) {
		return nil
	}
	return err
}

// routingConnector sends the demo organization's messages to the in-process
// fake and everyone else's to LINE WORKS. Without demo mode, the demo
// organization (left from an earlier demo) has nowhere to go.
type routingConnector struct {
	real notify.Connector
	demo notify.Connector
}

func (c *routingConnector) Connect(ctx context.Context, org *reception.Organization) (notify.API, error) {
	if org.ID == demoOrgID {
		if c.demo == nil {
			return nil, notify.ErrNotConfigured
		}
		return c.demo.Connect(ctx, org)
	}
	return c.real.Connect(ctx, org)
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
func printBanner(w io.Writer, cfg *config, local string, demo, persistent bool, token adminTokenInfo, kioskPath string) {
	browse := strings.Replace(local, "127.0.0.1", "localhost", 1)
	var b strings.Builder
	fmt.Fprintf(&b, "uketsuke: listening on %s\n", local)
	if demo {
		fmt.Fprintf(&b, "  デモ / demo:        %s/demo\n", browse)
	}
	if kioskPath != "" {
		fmt.Fprintf(&b, "  キオスク / kiosk:   %s%s\n", browse, kioskPath)
	}
	fmt.Fprintf(&b, "  管理 / admin:       %s/admin\n", browse)
	fmt.Fprintf(&b, "  API:                %s%s\n", browse, apiPrefix)
	if cfg.PublicURL != "" {
		fmt.Fprintf(&b, "  callback URL:       %s%s\n", cfg.PublicURL, callbackPath)
	} else {
		fmt.Fprintf(&b, "  callback URL:       set UKETSUKE_PUBLIC_URL (https) so LINE WORKS can reach %s\n", callbackPath)
	}
	fmt.Fprintf(&b, "  health / metrics:   %s/healthz  %s/metrics\n", browse, browse)
	token.banner(&b)
	if !persistent {
		fmt.Fprintf(&b, "  storage:            memory only — data is lost when the server stops\n")
	}
	_, _ = io.WriteString(w, b.String())
}

// registerStatic serves the embedded assets and the bot's icon.
func registerStatic(mux *http.ServeMux) {
	sub, _ := fs.Sub(webFS, "web")
	files := http.FileServerFS(sub)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".html") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})))
	icon := botIcon()
	mux.HandleFunc("GET /static/bot.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write(icon)
	})
}

// botIcon draws the bot's profile picture (LINE WORKS requires one): a
// green disc, made at start-up so the repository holds no binary.
func botIcon() []byte {
	const n = 160
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	green, white := color.NRGBA{0x00, 0xc7, 0x3c, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for y := range n {
		for x := range n {
			dx, dy := x-n/2, y-n/2
			switch d := dx*dx + dy*dy; {
			case d < (n/2)*(n/2) && !(d < 30*30 && d > 22*22):
				img.Set(x, y, green)
			case d <= 30*30:
				img.Set(x, y, white)
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
