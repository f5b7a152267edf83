package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lms-backend/lms/internal/mongodb"
)

// metrics holds the service's Prometheus collectors in a registry of its own.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	commands *prometheus.CounterVec
	unkeyed  *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lms_db_commands_total",
			Help: "Database commands by the route pattern of the request that ran them, and command name.",
		}, []string{"route", "command"}),
		unkeyed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lms_db_unkeyed_commands_total",
			Help: "Database commands whose filter is not an exact _id (the embedded database reads the whole collection for each), by route pattern and command name.",
		}, []string{"route", "command"}),
	}
	m.registry.MustRegister(
		m.requests, m.latency, m.commands, m.unkeyed,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// countUnmatchedRefunds exports the payment service's count of refunds for
// no known purchase.
func (m *metrics) countUnmatchedRefunds(seen func() int64) {
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "lms_unmatched_refunds_total",
		Help: "Refund events for which no purchase was found (kept in the unmatchedrefunds collection).",
	}, func() float64 { return float64(seen()) }))
}

func (m *metrics) observe(method, route string, status int, elapsed time.Duration, commands *mongodb.CommandCounts) {
	method = methodLabel(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(elapsed.Seconds())
	for name, n := range commands.Counts() {
		m.commands.WithLabelValues(method+" "+route, name).Add(float64(n))
	}
	for name, n := range commands.Unkeyed() {
		m.unkeyed.WithLabelValues(method+" "+route, name).Add(float64(n))
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// methodLabel is method when it is a standard HTTP method, else "OTHER":
// clients choose the method, and each new label value is a new series.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}
