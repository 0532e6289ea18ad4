package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics are the server's Prometheus series.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	cache    *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cubed_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cubed_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cubed_api_response_cache_total", Help: "GETs of client model resources answered from the response cache (hit) or computed (miss).",
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.duration, m.cache)
	return m
}

func (m *httpMetrics) observe(route, method string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// routeLabel reduces a path to a bounded label: resource names are
// declarations, ids and sets are placeholders, anything else is "other".
func (s *Server) routeLabel(path string) string {
	switch {
	case path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/api/v1/" || path == "/api/v1/openapi.json":
		return path
	case strings.HasPrefix(path, "/collect"):
		return "/collect"
	case path == "/tag.js":
		return path
	case strings.HasPrefix(path, "/api/v1/auth/"):
		return path
	case strings.HasPrefix(path, "/api/v1/"):
		rt, ok := parseRoute(path)
		if !ok {
			return "other"
		}
		_, known := s.deps.Resources.Get(rt.name)
		if !known && s.deps.Reports != nil {
			_, known = s.deps.Reports.Get(rt.name)
		}
		if !known {
			return "/api/v1/{unknown}/"
		}
		switch rt.kind {
		case "list":
			return "/api/v1/" + rt.name + "/"
		case "schema":
			return "/api/v1/" + rt.name + "/schema/"
		case "set":
			return "/api/v1/" + rt.name + "/set/{pks}/"
		case "detail":
			return "/api/v1/" + rt.name + "/{pk}/"
		}
	case strings.HasPrefix(path, "/integrations/"):
		return "/integrations"
	}
	if !strings.HasPrefix(path, "/api/") {
		return "dash"
	}
	return "other"
}

// metricsHandler serves the registry in the Prometheus text format.
func metricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// registerDBStats exposes the control database pools.
func registerDBStats(reg prometheus.Registerer, s *Server) {
	reg.MustRegister(collectors.NewDBStatsCollector(s.deps.Control.Writer(), "control_write"))
	if s.deps.Control.Reader() != s.deps.Control.Writer() {
		reg.MustRegister(collectors.NewDBStatsCollector(s.deps.Control.Reader(), "control_read"))
	}
}
