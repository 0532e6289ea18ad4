package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/auth"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/tenant"
)

// Limits are the API's configurable bounds (spec/api.md §8).
type Limits struct {
	MaxBody          int64         // bytes, default 1 MiB
	MaxQuery         int           // bytes, default 8 KiB
	UserPerMinute    int           // default 1,200
	IPPerMinute      int           // unauthenticated, default 1,200
	LoginPerEmail    int           // failures, default 5
	LoginPerIP       int           // failures, default 20
	LoginWindow      time.Duration // default 15 min
	SessionTTL       time.Duration // default 14 days
	RequestDeadline  time.Duration // default 30 s
	SecureCookiesTLS bool          // cookies get Secure on TLS requests (always true in practice)
	ReportCSVRows    int           // report CSV export row cap, default 1,000,000
}

func (l *Limits) fill() {
	if l.MaxBody == 0 {
		l.MaxBody = 1 << 20
	}
	if l.MaxQuery == 0 {
		l.MaxQuery = 8 << 10
	}
	if l.UserPerMinute == 0 {
		l.UserPerMinute = 1200
	}
	if l.IPPerMinute == 0 {
		l.IPPerMinute = 1200
	}
	if l.LoginPerEmail == 0 {
		l.LoginPerEmail = 5
	}
	if l.LoginPerIP == 0 {
		l.LoginPerIP = 20
	}
	if l.LoginWindow == 0 {
		l.LoginWindow = 15 * time.Minute
	}
	if l.SessionTTL == 0 {
		l.SessionTTL = 14 * 24 * time.Hour
	}
	if l.RequestDeadline == 0 {
		l.RequestDeadline = 30 * time.Second
	}
}

// principal is the authenticated caller.
type principal struct {
	user    auth.User
	session *auth.Session // nil for API-key requests
}

// apiError is an error with its envelope.
type apiError struct {
	status  int
	code    string
	msg     string
	fields  map[string][]string
	headers map[string]string
}

func (e *apiError) Error() string { return e.msg }

func newErr(status int, code, msg string) *apiError {
	return &apiError{status: status, code: code, msg: msg}
}

func unauthenticated(msg string) *apiError {
	return &apiError{status: http.StatusUnauthorized, code: "unauthenticated", msg: msg,
		headers: map[string]string{"WWW-Authenticate": `ApiKey realm="cubed"`}}
}

func forbidden(msg string) *apiError { return newErr(http.StatusForbidden, "forbidden", msg) }

func throttled(wait time.Duration) *apiError {
	secs := int(wait.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	return &apiError{status: http.StatusTooManyRequests, code: "throttled", msg: "Too many requests; retry later.",
		headers: map[string]string{"Retry-After": strconv.Itoa(secs)}}
}

// fail writes any error as the envelope; unexpected ones become 500 with
// the request id and are logged, never shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		for k, v := range ae.headers {
			w.Header().Set(k, v)
		}
		WriteError(w, r, ae.status, ae.code, ae.msg, ae.fields)
		return
	}
	if re, ok := resource.AsError(err); ok {
		WriteError(w, r, re.Status, re.Code, re.Message, re.Fields)
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; nobody reads this answer.
		s.deps.Log.Debug("request cancelled by client", "request_id", RequestID(r.Context()), "path", r.URL.Path)
		WriteError(w, r, 499, "cancelled", "The request was cancelled.", nil)
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		WriteError(w, r, http.StatusServiceUnavailable, "timeout", "The request took too long and was stopped.", nil)
		return
	}
	if db.Unavailable(err) {
		// A lost or unreachable database (an account's, or the control
		// database): say so, without naming it, and log the cause.
		s.deps.Log.Error("database unavailable", "request_id", RequestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		WriteError(w, r, http.StatusServiceUnavailable, "unavailable", "A database this request needs is not available right now; try again later.", nil)
		return
	}
	s.deps.Log.Error("internal error", "request_id", RequestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
	WriteError(w, r, http.StatusInternalServerError, "internal", "Internal error.", nil)
}

// route is a parsed /api/v1/ path.
type route struct {
	kind string // root, auth, list, schema, set, detail, openapi
	name string // resource or auth action
	arg  string // pk or set list
}

func parseRoute(path string) (route, bool) {
	rest := strings.TrimPrefix(path, "/api/v1/")
	if rest == "" {
		return route{kind: "root"}, true
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	switch {
	case segs[0] == "auth" && len(segs) == 2:
		return route{kind: "auth", name: segs[1]}, true
	case len(segs) == 1:
		return route{kind: "list", name: segs[0]}, true
	case len(segs) == 2 && segs[1] == "schema":
		return route{kind: "schema", name: segs[0]}, true
	case len(segs) == 3 && segs[1] == "set":
		return route{kind: "set", name: segs[0], arg: segs[2]}, true
	case len(segs) == 2:
		return route{kind: "detail", name: segs[0], arg: segs[1]}, true
	}
	return route{}, false
}

func allowHeader(methods []string) string {
	out := append([]string{}, methods...)
	if contains(out, "GET") {
		out = append(out, "HEAD")
	}
	out = append(out, "OPTIONS")
	return strings.Join(out, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// methodCheck answers OPTIONS and 405; it reports whether to go on.
func methodCheck(w http.ResponseWriter, r *http.Request, allowed []string) bool {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", allowHeader(allowed))
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	if !contains(allowed, method) {
		w.Header().Set("Allow", allowHeader(allowed))
		WriteError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("Method %s is not allowed here.", r.Method), nil)
		return false
	}
	return true
}

func hasBody(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

// readBody enforces size and JSON content type.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	if !hasBody(r.Method) {
		return nil, nil
	}
	if r.ContentLength > s.deps.Limits.MaxBody {
		return nil, newErr(http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("The request body is over %d bytes.", s.deps.Limits.MaxBody))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.deps.Limits.MaxBody+1))
	if err != nil {
		return nil, newErr(http.StatusBadRequest, "bad_request", "The request body could not be read.")
	}
	if int64(len(body)) > s.deps.Limits.MaxBody {
		return nil, newErr(http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("The request body is over %d bytes.", s.deps.Limits.MaxBody))
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, newErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "Request bodies must be application/json.")
	}
	return body, nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authenticate applies §3.1's precedence: Authorization header, then
// username/api_key, then the session cookie. Present-but-wrong is 401.
func (s *Server) authenticate(ctx context.Context, r *http.Request, p resource.Params) (*principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, creds, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "ApiKey") {
			return nil, unauthenticated("Unsupported authorization scheme; use ApiKey <email>:<key>.")
		}
		email, key, ok := strings.Cut(strings.TrimSpace(creds), ":")
		if !ok {
			return nil, unauthenticated("Malformed ApiKey credentials; use ApiKey <email>:<key>.")
		}
		return s.apiKeyUser(ctx, email, key)
	}
	if p.Has("username") || p.Has("api_key") {
		return s.apiKeyUser(ctx, p.Get("username"), p.Get("api_key"))
	}
	c, err := r.Cookie("sessionid")
	if err != nil || c.Value == "" {
		return nil, unauthenticated("Authentication credentials were not provided.")
	}
	sess, err := s.deps.Auth.SessionByCookie(ctx, c.Value)
	if errors.Is(err, auth.ErrNoSession) {
		return nil, unauthenticated("The session has expired or does not exist; log in again.")
	}
	if err != nil {
		return nil, err
	}
	return &principal{user: sess.User, session: &sess}, nil
}

func (s *Server) apiKeyUser(ctx context.Context, email, key string) (*principal, error) {
	if email == "" || key == "" {
		return nil, unauthenticated("Invalid API key credentials.")
	}
	u, err := s.keys.lookup(ctx, email, key)
	if errors.Is(err, auth.ErrBadCredentials) {
		return nil, unauthenticated("Invalid API key credentials.")
	}
	if err != nil {
		return nil, err
	}
	return &principal{user: u}, nil
}

// checkCSRF guards unsafe session requests (§3.1).
func checkCSRF(r *http.Request, pr *principal) error {
	if pr.session == nil {
		return nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	header := r.Header.Get("X-CSRFToken")
	c, err := r.Cookie("csrftoken")
	if header == "" || err != nil ||
		subtle.ConstantTimeCompare([]byte(header), []byte(c.Value)) != 1 ||
		subtle.ConstantTimeCompare([]byte(header), []byte(pr.session.CSRF)) != 1 {
		return forbidden("CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.")
	}
	return nil
}

func (s *Server) throttle(pr *principal) error {
	if ok, wait := s.userLimit.allow(strconv.FormatInt(pr.user.ID, 10)); !ok {
		return throttled(wait)
	}
	return nil
}

// tenancy resolves ?account= for client resources (§3.3).
func (s *Server) tenancy(ctx context.Context, rt route, p resource.Params, pr *principal) (tenant.Account, string, error) {
	ref := p.Get("account")
	if ref == "" {
		return tenant.Account{}, "", newErr(http.StatusBadRequest, "bad_request", "The account parameter is required on this resource (?account=<id or token>).")
	}
	deny := func() error {
		if rt.kind == "detail" {
			return newErr(http.StatusNotFound, "not_found", "No such object.")
		}
		return forbidden(fmt.Sprintf("You have no access to account %q.", ref))
	}
	acct, err := s.deps.Tenants.Lookup(ctx, ref)
	if errors.Is(err, apperr.ErrNotFound) {
		return acct, "", deny()
	}
	if err != nil {
		return acct, "", err
	}
	role := "admin"
	if !pr.user.IsStaff {
		if role, err = s.roles.role(ctx, pr.user.ID, acct.ID); err != nil {
			return acct, "", err
		}
		if role == "" || !acct.Active {
			return acct, "", deny()
		}
	}
	return acct, role, nil
}

func (s *Server) apiV1(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > s.deps.Limits.MaxQuery {
		WriteError(w, r, http.StatusBadRequest, "bad_request", fmt.Sprintf("The query string is over %d bytes.", s.deps.Limits.MaxQuery), nil)
		return
	}
	if r.URL.Path == "/api/v1/openapi.json" {
		if methodCheck(w, r, []string{"GET"}) {
			s.openapi(w, r)
		}
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/") {
		redirectSlash(w, r)
		return
	}
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		WriteError(w, r, http.StatusNotFound, "not_found", "No such path.", nil)
		return
	}
	switch rt.kind {
	case "root":
		if methodCheck(w, r, []string{"GET"}) {
			s.root(w, r)
		}
		return
	case "auth":
		s.authRoute(w, r, rt)
		return
	}
	if rep, ok := s.deps.Reports.Get(rt.name); ok {
		s.reportRoute(w, r, rt, rep)
		return
	}
	res, ok := s.deps.Resources.Get(rt.name)
	if !ok {
		WriteError(w, r, http.StatusNotFound, "not_found", fmt.Sprintf("No resource named %q.", rt.name), nil)
		return
	}
	switch rt.kind {
	case "schema":
		if methodCheck(w, r, []string{"GET"}) {
			WriteJSON(w, http.StatusOK, resource.SchemaDoc(res))
		}
		return
	case "set":
		if !methodCheck(w, r, []string{"GET"}) {
			return
		}
	case "list":
		if !methodCheck(w, r, res.ListMethods) {
			return
		}
	case "detail":
		if !methodCheck(w, r, res.DetailMethods) {
			return
		}
	}
	s.serveResource(w, r, rt, res)
}

func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, rt route, res *resource.Resource) {
	ctx, cancel := context.WithTimeout(r.Context(), s.deps.Limits.RequestDeadline)
	defer cancel()
	body, err := s.readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := resource.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pr, err := s.authenticate(ctx, r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkCSRF(r, pr); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.throttle(pr); err != nil {
		s.fail(w, r, err)
		return
	}
	writing := r.Method != http.MethodGet && r.Method != http.MethodHead
	var env resource.Env
	var allow func(int64) bool
	if res.IsClient() {
		acct, role, err := s.tenancy(ctx, rt, p, pr)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if writing && auth.RoleRank(role) < auth.RoleRank(res.WriteRole) {
			s.fail(w, r, forbidden(fmt.Sprintf("Your role (%s) cannot change %s.", role, res.Name)))
			return
		}
		d, release, err := s.deps.Tenants.Acquire(ctx, acct)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		defer release()
		env = resource.Env{DB: d, Loc: acct.Location()}
		if r.Method == http.MethodGet && rt.kind != "schema" {
			if s.serveCached(ctx, w, r, rt, res, env, acct, p) {
				return
			}
		}
	} else {
		env = resource.Env{DB: s.deps.Control, Loc: time.UTC, Scopes: s.controlScopes(res, pr)}
		if writing {
			if res.WriteRole == "staff" && !pr.user.IsStaff {
				s.fail(w, r, forbidden(fmt.Sprintf("Only staff can change %s.", res.Name)))
				return
			}
			allow = s.accountWriter(ctx, pr, res.WriteRole)
		}
	}
	s.dispatch(ctx, w, r, rt, res, env, allow, p, body)
}

// serveCached answers a GET of a client resource from the response cache,
// or computes it and caches it, when the account's database gives change
// stamps (SQLite). It reports false when it did not answer.
func (s *Server) serveCached(ctx context.Context, w http.ResponseWriter, r *http.Request, rt route, res *resource.Resource, env resource.Env, acct tenant.Account, p resource.Params) bool {
	stamp, ok, err := env.DB.ChangeStamp(ctx)
	if !ok || err != nil {
		if err != nil {
			s.deps.Log.Warn("response cache: no change stamp", "account", acct.Token, "err", err)
		}
		return false
	}
	// The time zone is in the key: dates render and filter in it.
	key := acct.DBName + "\x00" + acct.TimeZone + "\x00" + r.URL.Path + "\x00" + r.URL.RawQuery
	if body, hit := s.cache.get(key, stamp); hit {
		s.metrics.cache.WithLabelValues("hit").Inc()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return true
	}
	s.metrics.cache.WithLabelValues("miss").Inc()
	cw := &captureWriter{ResponseWriter: w}
	s.dispatch(ctx, cw, r, rt, res, env, nil, p, nil)
	if cw.status == http.StatusOK {
		s.cache.put(key, stamp, bytes.Clone(cw.body.Bytes()))
	}
	return true
}

// controlScopes limits control resources to the caller's accounts (§3.3).
func (s *Server) controlScopes(res *resource.Resource, pr *principal) []resource.Scope {
	if pr.user.IsStaff {
		return nil
	}
	switch {
	case res.Name == "user":
		return []resource.Scope{{SQL: `"t"."id" = ? OR "t"."id" IN (SELECT m."user_id" FROM "account_user" m WHERE m."account_id" IN (SELECT a."account_id" FROM "account_user" a WHERE a."user_id" = ? AND a."role" = 'admin'))`,
			Args: []any{pr.user.ID, pr.user.ID}}}
	case res.Name == "api-key":
		return []resource.Scope{{SQL: `"t"."user_id" = ?`, Args: []any{pr.user.ID}}}
	case res.AccountColumn != "":
		return []resource.Scope{{SQL: `"t".` + db.QuoteIdent(res.AccountColumn) + ` IN (SELECT m."account_id" FROM "account_user" m WHERE m."user_id" = ?)`, Args: []any{pr.user.ID}}}
	}
	return []resource.Scope{{SQL: "1 = 0"}}
}

// accountWriter answers whether the caller's role on an account allows a
// write needing min.
func (s *Server) accountWriter(ctx context.Context, pr *principal, min string) func(int64) bool {
	return func(accountID int64) bool {
		if pr.user.IsStaff {
			return true
		}
		role, err := s.deps.Auth.Role(ctx, pr.user.ID, accountID)
		return err == nil && auth.RoleRank(role) >= auth.RoleRank(min)
	}
}

func (s *Server) dispatch(ctx context.Context, w http.ResponseWriter, r *http.Request, rt route, res *resource.Resource, env resource.Env, allow func(int64) bool, p resource.Params, body []byte) {
	eng := s.engine
	we := resource.WriteEnv{Env: env, AllowAccount: allow}
	var out any
	var err error
	status := http.StatusOK
	switch rt.kind {
	case "set":
		out, err = eng.Set(ctx, env, res, rt.arg, p)
	case "list":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			out, err = eng.List(ctx, env, res, p, r.URL.Path)
		case http.MethodPost:
			var obj map[string]any
			obj, err = eng.Create(ctx, we, res, body)
			if err == nil {
				w.Header().Set("Location", obj["resource_uri"].(string))
				out, status = obj, http.StatusCreated
			}
		case http.MethodPatch:
			out, err = eng.BulkPatch(ctx, we, res, body)
		case http.MethodPut:
			out, err = eng.PutList(ctx, we, res, p, body)
		case http.MethodDelete:
			err = eng.DeleteList(ctx, we, res, p)
			status = http.StatusNoContent
		}
	case "detail":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			out, err = eng.Detail(ctx, env, res, rt.arg, p)
		case http.MethodPut:
			var obj map[string]any
			var created bool
			obj, created, err = eng.Put(ctx, we, res, rt.arg, body)
			if err == nil {
				out = obj
				if created {
					w.Header().Set("Location", obj["resource_uri"].(string))
					status = http.StatusCreated
				}
			}
		case http.MethodPatch:
			out, err = eng.Patch(ctx, we, res, rt.arg, body)
		case http.MethodDelete:
			err = eng.Delete(ctx, we, res, rt.arg)
			status = http.StatusNoContent
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		return
	}
	WriteJSON(w, status, out)
}
