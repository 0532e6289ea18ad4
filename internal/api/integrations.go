package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/auth"
)

// Integrations is the OAuth2 connect flow as the API serves it;
// *integrations.Service (internal/apps/integrations) implements it. The
// API authenticates the browser session, checks the caller's role on the
// account and maps errors to the envelope; the implementation owns the
// state, the provider calls and the tokens (which never pass through
// here).
type Integrations interface {
	// Begin records a connect attempt and returns the provider's
	// authorization URL.
	Begin(ctx context.Context, provider string, accountID, userID int64) (string, error)
	// Complete handles the provider's redirect (its query) and returns the
	// dash path to send the browser to.
	Complete(ctx context.Context, provider string, userID int64, query url.Values) (string, error)
	// PickChoices lists the external accounts (and Search Console sites)
	// a connection can report on; allow says whether the caller may act
	// on an account.
	PickChoices(ctx context.Context, connectionID int64, allow func(accountID int64) bool) (map[string]any, error)
	// Select sets what a connection reports on.
	Select(ctx context.Context, connectionID int64, externalAccountID, siteURL string, allow func(accountID int64) bool) (map[string]any, error)
}

// mountIntegrations adds the connect flow:
//
//	GET  /integrations/{provider}/connect?account=<id or token>  (session, editor) → 302 to the provider
//	GET  /integrations/{provider}/callback?code=&state=          (session) → 302 to /a/<token>/integrations?...
//	GET  /api/v1/connection/{id}/choices/                        (editor) → {"accounts": [...], "sites": [...]}
//	POST /api/v1/connection/{id}/select/ {"external_account_id", "site_url"} (editor, CSRF) → the connection
func (s *Server) mountIntegrations() {
	s.mux.HandleFunc("GET /integrations/{provider}/connect", s.integrationConnect)
	s.mux.HandleFunc("GET /integrations/{provider}/callback", s.integrationCallback)
	s.mux.HandleFunc("GET /api/v1/connection/{id}/choices/{$}", s.integrationChoices)
	s.mux.HandleFunc("POST /api/v1/connection/{id}/select/{$}", s.integrationSelect)
}

// integrationFail writes errors that carry their status (the
// implementation's flow errors), else the usual mapping.
func (s *Server) integrationFail(w http.ResponseWriter, r *http.Request, err error) {
	var se interface {
		error
		HTTPStatus() int
		ErrorCode() string
	}
	if errors.As(err, &se) {
		var fields map[string][]string
		var fe interface{ FieldErrors() map[string][]string }
		if errors.As(err, &fe) {
			fields = fe.FieldErrors()
		}
		WriteError(w, r, se.HTTPStatus(), se.ErrorCode(), se.Error(), fields)
		return
	}
	s.fail(w, r, err)
}

// sessionUser authenticates a browser flow request: a session is required
// (the state is bound to the user who started it).
func (s *Server) sessionUser(ctx context.Context, r *http.Request) (*principal, resource.Params, error) {
	p, err := resource.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, p, err
	}
	pr, err := s.authenticate(ctx, r, p)
	if err != nil {
		return nil, p, err
	}
	if pr.session == nil {
		return nil, p, forbidden("Connecting an integration needs a browser session: log in to the dash.")
	}
	if err := s.throttle(pr); err != nil {
		return nil, p, err
	}
	return pr, p, nil
}

// canEdit answers whether the caller is an editor (or more) of an account.
func (s *Server) canEdit(ctx context.Context, pr *principal) func(int64) bool {
	return func(accountID int64) bool {
		if pr.user.IsStaff {
			return true
		}
		role, err := s.roles.role(ctx, pr.user.ID, accountID)
		return err == nil && auth.RoleRank(role) >= auth.RoleRank("editor")
	}
}

func (s *Server) integrationConnect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	pr, p, err := s.sessionUser(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ref := p.Get("account")
	if ref == "" {
		s.fail(w, r, newErr(http.StatusBadRequest, "bad_request", "The account parameter is required (?account=<id or token>)."))
		return
	}
	acct, err := s.deps.Tenants.Lookup(ctx, ref)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && !acct.Active) {
		s.fail(w, r, forbidden(fmt.Sprintf("You have no access to account %q.", ref)))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.canEdit(ctx, pr)(acct.ID) {
		s.fail(w, r, forbidden("Connecting an integration needs the editor role on the account."))
		return
	}
	dest, err := s.deps.Integrations.Begin(ctx, r.PathValue("provider"), acct.ID, pr.user.ID)
	if err != nil {
		s.integrationFail(w, r, err)
		return
	}
	http.Redirect(w, r, dest, http.StatusFound)
}

func (s *Server) integrationCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	pr, _, err := s.sessionUser(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dest, err := s.deps.Integrations.Complete(ctx, r.PathValue("provider"), pr.user.ID, r.URL.Query())
	if err != nil {
		s.integrationFail(w, r, err)
		return
	}
	http.Redirect(w, r, dest, http.StatusFound)
}

// connectionID parses the {id} path value.
func connectionID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, newErr(http.StatusNotFound, "not_found", "No such connection.")
	}
	return id, nil
}

// apiUser authenticates an API request mounted outside the resource
// router (session with CSRF on unsafe methods, or API key), throttles it,
// and returns its parsed query.
func (s *Server) apiUser(ctx context.Context, r *http.Request) (*principal, resource.Params, error) {
	if len(r.URL.RawQuery) > s.deps.Limits.MaxQuery {
		return nil, resource.Params{}, newErr(http.StatusBadRequest, "bad_request", "The query string is too long.")
	}
	p, err := resource.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, p, err
	}
	pr, err := s.authenticate(ctx, r, p)
	if err != nil {
		return nil, p, err
	}
	if err := checkCSRF(r, pr); err != nil {
		return nil, p, err
	}
	if err := s.throttle(pr); err != nil {
		return nil, p, err
	}
	return pr, p, nil
}

func (s *Server) integrationChoices(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.deps.Limits.RequestDeadline)
	defer cancel()
	pr, _, err := s.apiUser(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := connectionID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.deps.Integrations.PickChoices(ctx, id, s.canEdit(ctx, pr))
	if err != nil {
		s.integrationFail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

func (s *Server) integrationSelect(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.deps.Limits.RequestDeadline)
	defer cancel()
	pr, _, err := s.apiUser(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := connectionID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := s.readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		ExternalAccountID *string `json:"external_account_id"`
		SiteURL           *string `json:"site_url"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, r, newErr(http.StatusBadRequest, "bad_request", `Send a JSON object {"external_account_id": "...", "site_url": "..."}.`))
		return
	}
	var ext, site string
	if req.ExternalAccountID != nil {
		ext = *req.ExternalAccountID
	}
	if req.SiteURL != nil {
		site = *req.SiteURL
	}
	out, err := s.deps.Integrations.Select(ctx, id, ext, site, s.canEdit(ctx, pr))
	if err != nil {
		s.integrationFail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}
