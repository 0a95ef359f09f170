package main

import (
	"net/http"

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
}

func newMetrics() serverMetrics {
	m := &promMetrics{
		reg:      prometheus.NewRegistry(),
		notify:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricNotify, Help: helpNotify}, []string{"event", "label"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricRequests, Help: helpRequests}, []string{"route", "code"}),
	}
	m.reg.MustRegister(m.notify, m.requests,
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
