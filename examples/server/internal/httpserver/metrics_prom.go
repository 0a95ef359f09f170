package httpserver

import (
	"context"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// promMetrics binds the server's counters to prometheus/client_golang, on a
// registry of its own (tests start several servers in one process).
type promMetrics struct {
	reg      *prometheus.Registry
	notify   *prometheus.CounterVec
	requests *prometheus.CounterVec
	orgs     *orgsCollector
}

func NewMetrics() Metrics {
	m := &promMetrics{
		reg:      prometheus.NewRegistry(),
		notify:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricNotify, Help: helpNotify}, []string{"event", "label"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricRequests, Help: helpRequests}, []string{"route", "code"}),
		orgs:     &orgsCollector{desc: prometheus.NewDesc(metricUndeliverable, helpUndeliverable, []string{"cause"}, nil)},
	}
	m.reg.MustRegister(m.notify, m.requests, m.orgs,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *promMetrics) Inc(name, label string) { m.notify.WithLabelValues(name, label).Inc() }

func (m *promMetrics) Request(route string, code int) {
	m.requests.WithLabelValues(route, itoa(code)).Inc()
}

func (m *promMetrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *promMetrics) Undeliverable(count func(context.Context) (map[string]int, error)) {
	m.orgs.mu.Lock()
	defer m.orgs.mu.Unlock()
	m.orgs.count = count
}

// orgsCollector computes the undeliverable-organizations gauge at scrape
// time, from the same health the admin page and /readyz show, so the three
// never disagree. The label is the cause, a fixed set of five values: no
// label per organization.
type orgsCollector struct {
	desc  *prometheus.Desc
	mu    sync.Mutex
	count func(context.Context) (map[string]int, error)
}

func (c *orgsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *orgsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	count := c.count
	c.mu.Unlock()
	if count == nil {
		return
	}
	counts, err := count(context.Background())
	if err != nil {
		// The scrape fails loudly rather than reporting a false zero.
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for cause, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), cause)
	}
}
