package httpserver

import (
	"context"
	"net/http"
	"strconv"
)

// Metric names exported at /metrics.
const (
	metricNotify   = "uketsuke_notify_events_total"
	metricRequests = "uketsuke_http_requests_total"
	helpNotify     = "Events of the notification service (check-ins, messages sent, retries, claims, callbacks…) by event and label."
	helpRequests   = "HTTP requests served, by route pattern and status code."

	metricUndeliverable = "uketsuke_organizations_undeliverable"
	helpUndeliverable   = "Organizations whose notifications cannot be delivered (or, cause no_bot_secret, whose callbacks are refused), by cause; computed at each scrape."
)

// Metrics is what the server records: it implements notify.Metrics and
// counts HTTP requests. NewMetrics returns the Prometheus client
// implementation (metrics_prom.go).
type Metrics interface {
	// Inc implements notify.Metrics.
	Inc(name, label string)
	// Request counts one HTTP request.
	Request(route string, code int)
	// Handler serves the Prometheus exposition.
	Handler() http.Handler
	// Undeliverable sets the function the undeliverable-organizations
	// gauge calls at each scrape: counts by cause.
	Undeliverable(count func(context.Context) (map[string]int, error))
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush supports streaming responses.
func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// instrument counts requests by the mux pattern that served them (never the
// raw path, which would make a label per visit ID) and logs nothing.
func instrument(m Metrics, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		_, pattern := mux.Handler(r)
		mux.ServeHTTP(rec, r)
		if pattern == "" {
			pattern = "unmatched"
		}
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		m.Request(pattern, code)
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
