// Package api is Cubed's HTTP server: routing, middleware, the one JSON
// error envelope, health checks and the /api/v1/ root.
package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/auth"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/report"
	"github.com/cubedhq/cubed/internal/tenant"
)

// Deps are what the server needs from the rest of the system.
type Deps struct {
	Log       *slog.Logger
	Control   *db.DB
	Tenants   *tenant.Manager
	Auth      *auth.Service
	Resources *resource.Registry
	// Reports are the report resources (spec/api.md §10); nil means none.
	Reports *report.Registry
	Limits  Limits
	// Collect, when set, serves /collect, /collect/pixel.gif and /tag.js.
	Collect http.Handler
	// Web, when set, serves the dash at / (SPA).
	Web http.Handler
	// Now is the clock (tests move it); nil means time.Now.
	Now func() time.Time
	// Ready reports whether the process can serve (databases reachable,
	// migrations current); nil means always ready.
	Ready func(ctx context.Context) error
	// Metrics is the Prometheus registry served at /metrics; nil makes a
	// fresh one. Other parts (collector, Conductor) register on it too.
	Metrics *prometheus.Registry
	// Integrations, when set, serves the OAuth2 connect flow
	// (integrations.go).
	Integrations Integrations
	// Uploads, when set, serves POST /api/v1/file-upload/ (uploads.go).
	Uploads Uploads
	// Conductor, when set, serves the command-definition, command-slot and
	// command-run resources and their actions (conductor.go).
	Conductor ConductorControl
	// RiverUI, when set, is River's UI (conductor.RiverUI), served at
	// /admin/river/ to staff only (conductor_riverui.go).
	RiverUI http.Handler
}

// Server is the HTTP handler.
type Server struct {
	deps       Deps
	mux        *http.ServeMux
	engine     *resource.Engine
	keys       *keyCache
	roles      *roleCache
	userLimit  *bucketLimiter
	loginEmail *failureWindow
	loginIP    *failureWindow
	openapiDoc []byte
	metrics    *httpMetrics
	reports    *report.Engine
	cache      *respCache // encoded GETs of client model resources (respcache.go)
	// tableResources maps client tables to the model resource listing
	// them (reportSchemaDoc).
	tableResources map[string]string
}

// New builds the router.
func New(deps Deps) (*Server, error) {
	deps.Limits.fill()
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Resources == nil {
		deps.Resources = resource.NewRegistry()
	}
	if deps.Reports == nil {
		deps.Reports = report.NewRegistry()
	}
	if deps.Metrics == nil {
		deps.Metrics = prometheus.NewRegistry()
	}
	s := &Server{
		deps:       deps,
		mux:        http.NewServeMux(),
		engine:     &resource.Engine{Reg: deps.Resources},
		cache:      newRespCache(4096, 1<<20),
		keys:       &keyCache{auth: deps.Auth, ttl: 30 * time.Second, m: map[string]keyEntry{}},
		roles:      &roleCache{auth: deps.Auth, m: map[[2]int64]roleEntry{}},
		userLimit:  newBucketLimiter(deps.Limits.UserPerMinute, deps.Now),
		loginEmail: newFailureWindow(deps.Limits.LoginPerEmail, deps.Limits.LoginWindow, deps.Now),
		loginIP:    newFailureWindow(deps.Limits.LoginPerIP, deps.Limits.LoginWindow, deps.Now),
		reports:    report.NewEngine(report.Options{CSVMaxRows: deps.Limits.ReportCSVRows}),

		tableResources: resourcesByTable(deps.Resources),
	}
	doc, err := buildOpenAPI(deps.Resources, deps.Reports)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	s.openapiDoc = doc
	s.metrics = newHTTPMetrics(deps.Metrics)
	registerDBStats(deps.Metrics, s)
	s.mux.Handle("GET /metrics", metricsHandler(deps.Metrics))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("/api/v1/", s.apiV1)
	s.mux.HandleFunc("/api/v1", func(w http.ResponseWriter, r *http.Request) { redirectSlash(w, r) })
	if deps.Integrations != nil {
		s.mountIntegrations()
	}
	if deps.Uploads != nil {
		s.mountUploads()
	}
	if deps.Conductor != nil {
		if err := s.mountConductor(); err != nil {
			return nil, fmt.Errorf("conductor routes: %w", err)
		}
	}
	if deps.RiverUI != nil {
		s.mountRiverUI()
	}
	if deps.Collect != nil {
		s.mux.Handle("/collect", deps.Collect)
		s.mux.Handle("/collect/", deps.Collect)
		s.mux.Handle("GET /tag.js", deps.Collect)
	}
	if deps.Web != nil {
		s.mux.Handle("/", deps.Web)
	} else {
		s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, r, http.StatusNotFound, "not_found", "No such path.", nil)
		})
	}
	return s, nil
}

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// ServeHTTP adds the request id, logs, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if !requestIDRe.MatchString(id) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	w.Header().Set("X-Request-Id", id)
	securityHeaders(w.Header(), r)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			s.deps.Log.Error("panic in handler", "request_id", id, "path", r.URL.Path, "panic", p)
			WriteError(rec, r, http.StatusInternalServerError, "internal", "Internal error.", nil)
		}
		took := time.Since(start)
		s.metrics.observe(s.routeLabel(r.URL.Path), r.Method, rec.status, took)
		s.deps.Log.Debug("request", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", took)
	}()
	s.mux.ServeHTTP(rec, r)
}

type requestIDKey struct{}

// RequestID returns the request's id.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.deps.Control.Ping(ctx); err != nil {
		s.deps.Log.Error("healthz: control database", "err", err)
		WriteError(w, r, http.StatusServiceUnavailable, "unavailable", "The control database is not reachable.", nil)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when the databases answer and migrations are
// current, so a load balancer sends traffic only to a ready process.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.deps.Control.Ping(ctx); err != nil {
		s.deps.Log.Error("readyz: control database", "err", err)
		WriteError(w, r, http.StatusServiceUnavailable, "unavailable", "The control database is not reachable.", nil)
		return
	}
	if s.deps.Ready != nil {
		if err := s.deps.Ready(ctx); err != nil {
			s.deps.Log.Warn("readyz: not ready", "err", err)
			WriteError(w, r, http.StatusServiceUnavailable, "unavailable", "Not ready: "+err.Error(), nil)
			return
		}
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// securityHeaders are set on every response. The CSP allows only this
// origin's scripts and styles (inline styles for the chart library).
func securityHeaders(h http.Header, r *http.Request) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	full := r.URL.Query().Get("fullschema") == "true"
	for _, name := range s.deps.Resources.Names() {
		if full {
			res, _ := s.deps.Resources.Get(name)
			out[name] = map[string]any{
				"list_endpoint": "/api/v1/" + name + "/",
				"schema":        resource.SchemaDoc(res),
			}
			continue
		}
		out[name] = map[string]string{
			"list_endpoint": "/api/v1/" + name + "/",
			"schema":        "/api/v1/" + name + "/schema/",
		}
	}
	for _, name := range s.deps.Reports.Names() {
		entry := map[string]any{"list_endpoint": "/api/v1/" + name + "/", "schema": "/api/v1/" + name + "/schema/"}
		if full {
			rep, _ := s.deps.Reports.Get(name)
			entry["schema"] = s.reportSchemaDoc(rep)
		}
		out[name] = entry
	}
	s.conductorRoot(out, full)
	WriteJSON(w, http.StatusOK, out)
}

func redirectSlash(w http.ResponseWriter, r *http.Request) {
	u := r.URL.Path + "/"
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", u)
	w.WriteHeader(http.StatusMovedPermanently)
}

// WriteJSON writes v with sorted keys, compact, without HTML escaping.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	out, err := appendJSON(make([]byte, 0, 4096), v)
	if err != nil {
		status = http.StatusInternalServerError
		out = []byte(`{"error":{"code":"internal","message":"Internal error."}}`)
	}
	out = append(out, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// marshalNoEscape is json.Marshal without HTML escaping.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// WriteError writes the one error envelope of spec/api.md §7.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, msg string, fields map[string][]string) {
	e := map[string]any{"code": code, "message": msg}
	if len(fields) > 0 {
		e["fields"] = fields
	}
	if status >= 500 {
		e["request_id"] = RequestID(r.Context())
	}
	WriteJSON(w, status, map[string]any{"error": e})
}
