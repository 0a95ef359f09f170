// Package httpserver is the reception server's HTTP side: the JSON API
// under /api/v1, the admin and kiosk pages, the admins' LINE WORKS
// sign-in, the LINE WORKS callback endpoint, the demo's pages, health,
// readiness and metrics. Handlers read their input (JSON bodies, forms,
// queries), call package app (or notify and reception for what has no use
// case of its own) and render JSON or HTML; the JSON API and the pages
// share one app call for each action.
package httpserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/lineworks"
)

// Options are what New serves.
type Options struct {
	App *app.App
	// AdminToken is the API's bearer token; the admin pages' sessions and
	// the sign-in cookies are sealed with keys derived from it.
	AdminToken string
	// Demo is the running demo, nil without demo mode.
	Demo *Demo
	// Metrics counts requests and serves /metrics.
	Metrics Metrics
	// SecretCheck is /readyz's check that the server's key opens the
	// stored secrets: "" when it does, else what /readyz answers.
	SecretCheck func(ctx context.Context, log *slog.Logger) string
	// KioskReturn is how long the kiosk's completion screen stays; 0 keeps
	// it until the visitor taps.
	KioskReturn time.Duration
	// Limits bound check-ins made with kiosk tokens; the zero value
	// limits nothing.
	Limits CheckInLimits
}

// New returns the server's handler, every request counted in o.Metrics.
func New(o Options) http.Handler {
	a, log := o.App, o.App.Log
	token := []byte(o.AdminToken)
	watchDelivery(o.Metrics, a.Notify, log)
	mux := http.NewServeMux()
	g := &guard{limiter: newCheckInLimiter(o.Limits, a.Store, a.Now, a.Loc), backoff: newAuthBackoff(a.Now),
		trusted: o.Limits.TrustedProxies, demo: o.Demo}
	(&api{app: a, adminToken: token, log: log, guard: g}).register(mux)
	pg := newPages(a, token)
	pg.guard = g
	pg.kioskReturn = o.KioskReturn
	pg.register(mux)
	mux.Handle("POST "+app.CallbackPath, a.Notify.CallbackHandler(lineworks.WithCallbackLogger(slog.New(newSampledHandler(log.Handler(), a.Now)))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", readyz(a, o.SecretCheck))
	mux.Handle("GET /metrics", o.Metrics.Handler())
	registerStatic(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if o.Demo.Live(r.Context()) {
			http.Redirect(w, r, "/demo", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "uketsuke reception server\nAPI: /api/v1 (Authorization: Bearer <admin token>)\nLINE WORKS callback: POST "+app.CallbackPath+"\n")
	})
	if o.Demo != nil {
		o.Demo.svc = a.Notify
		o.Demo.register(mux)
	}
	return securityHeaders(instrument(o.Metrics, mux), httpsURL(a.PublicURL))
}

// readyz answers 503 while the store does not answer or the key does not
// open the stored secrets; else "ok" and the organizations that cannot
// deliver (readyBody).
func readyz(a *app.App, secrets func(context.Context, *slog.Logger) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.Ready(r.Context()); err != nil {
			a.Log.Warn("not ready", "err", err)
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		if msg := secrets(r.Context(), a.Log); msg != "" {
			http.Error(w, msg, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
		readyBody(r.Context(), w, a.Notify, a.Log)
	}
}
