package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/apps/integrations"
)

// routes mounts every endpoint. Call counters are named
// "<provider> <endpoint>".
func (s *Server) routes() {
	m := s.mux
	// OAuth2.
	m.HandleFunc("GET /google/auth", s.authorize(integrations.Google))
	m.HandleFunc("POST /google/token", s.token(integrations.Google))
	m.HandleFunc("POST /google/revoke", s.revoke(integrations.Google))
	m.HandleFunc("GET /microsoft/authorize", s.authorize(integrations.MicrosoftAds))
	m.HandleFunc("POST /microsoft/token", s.token(integrations.MicrosoftAds))
	m.HandleFunc("POST /microsoft/revoke", s.revoke(integrations.MicrosoftAds))
	m.HandleFunc("GET /meta/dialog/oauth", s.authorize(integrations.MetaAds))
	m.HandleFunc("/meta/oauth/access_token", s.metaToken)
	// Google Ads and Search Console.
	m.HandleFunc("GET /google/ads/customers:listAccessibleCustomers", s.googleListCustomers)
	m.HandleFunc("POST /google/ads/customers/{id}/googleAds:searchStream", s.googleSearchStream)
	m.HandleFunc("GET /google/webmasters/sites", s.googleSites)
	m.HandleFunc("POST /google/webmasters/sites/{site}/searchAnalytics/query", s.googleSearchAnalytics)
	// Meta Graph API.
	m.HandleFunc("GET /meta/graph/me/adaccounts", s.metaAdAccounts)
	m.HandleFunc("GET /meta/graph/{act}/insights", s.metaInsights)
	m.HandleFunc("DELETE /meta/graph/me/permissions", s.metaRevoke)
	// Microsoft Advertising.
	m.HandleFunc("POST /microsoft/cm/User/Query", s.msUser)
	m.HandleFunc("POST /microsoft/cm/Accounts/Search", s.msAccounts)
	m.HandleFunc("POST /microsoft/reporting/GenerateReport/Submit", s.msSubmit)
	m.HandleFunc("POST /microsoft/reporting/GenerateReport/Poll", s.msPoll)
	m.HandleFunc("GET /microsoft/download/{id}", s.msDownload)
	// Control.
	m.HandleFunc("POST /_control/fail", s.controlFail)
	m.HandleFunc("POST /_control/expire", func(w http.ResponseWriter, _ *http.Request) {
		s.ExpireAccessTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /_control/calls", func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		writeJSON(w, http.StatusOK, s.calls)
	})
	m.HandleFunc("GET /_control/config", func(w http.ResponseWriter, r *http.Request) {
		public := r.URL.Query().Get("public_url")
		if public == "" {
			public = "http://127.0.0.1:8080"
		}
		writeJSON(w, http.StatusOK, Config(baseURL(r), public))
	})
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": 404, "message": "no such fake endpoint: " + r.Method + " " + r.URL.Path}})
	})
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// authorize is the consent screen, auto-approved: it checks the client,
// remembers the PKCE challenge and redirects back with a code and the
// state.
func (s *Server) authorize(provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.count(provider + " authorize")
		q := r.URL.Query()
		redirect := q.Get("redirect_uri")
		u, err := url.Parse(redirect)
		if err != nil || redirect == "" || u.Host == "" {
			http.Error(w, "fake consent: redirect_uri is missing or not absolute", http.StatusBadRequest)
			return
		}
		if q.Get("client_id") != s.opt.ClientID {
			http.Error(w, "fake consent: unknown client_id", http.StatusBadRequest)
			return
		}
		if q.Get("response_type") != "code" {
			http.Error(w, "fake consent: response_type must be code", http.StatusBadRequest)
			return
		}
		challenge := q.Get("code_challenge")
		if challenge != "" && q.Get("code_challenge_method") != "S256" {
			http.Error(w, "fake consent: only code_challenge_method=S256 is supported", http.StatusBadRequest)
			return
		}
		scope := q.Get("scope")
		offline := false
		switch provider {
		case integrations.Google:
			offline = q.Get("access_type") == "offline"
		case integrations.MicrosoftAds:
			offline = slices.Contains(strings.Fields(scope), "offline_access")
		}
		code := "fake-code-" + randomString(16)
		s.mu.Lock()
		s.codes[code] = &codeGrant{provider: provider, clientID: q.Get("client_id"), redirectURI: redirect, challenge: challenge,
			scope: scope, offline: offline, expires: s.opt.Now().Add(10 * time.Minute)}
		s.mu.Unlock()
		back := u.Query()
		back.Set("code", code)
		if st := q.Get("state"); st != "" {
			back.Set("state", st)
		}
		u.RawQuery = back.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
}

func oauthErr(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// clientOK checks client credentials in the form or Basic auth.
func (s *Server) clientOK(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	return id == s.opt.ClientID && secret == s.opt.ClientSecret
}

// redeem checks and consumes an authorization code.
func (s *Server) redeem(provider, code, redirectURI, verifier string) (*codeGrant, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.codes[code]
	switch {
	case !ok || g.provider != provider:
		return nil, "unknown authorization code"
	case g.used:
		return nil, "authorization code already used"
	case s.opt.Now().After(g.expires):
		return nil, "authorization code expired"
	case g.redirectURI != redirectURI:
		return nil, "redirect_uri does not match the authorization request"
	case g.challenge != "" && s256(verifier) != g.challenge:
		return nil, "PKCE verification failed: code_verifier does not match code_challenge"
	}
	g.used = true
	return g, ""
}

// token is the RFC 6749 token endpoint (Google and Microsoft).
func (s *Server) token(provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			oauthErr(w, http.StatusBadRequest, "invalid_request", "bad form")
			return
		}
		grantType := r.PostForm.Get("grant_type")
		s.count(provider + " token " + strings.TrimSuffix(grantType, "_token"))
		if s.injected(w, provider) {
			return
		}
		if !s.clientOK(r) {
			oauthErr(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
			return
		}
		switch grantType {
		case "authorization_code":
			g, msg := s.redeem(provider, r.PostForm.Get("code"), r.PostForm.Get("redirect_uri"), r.PostForm.Get("code_verifier"))
			if g == nil {
				oauthErr(w, http.StatusBadRequest, "invalid_grant", msg)
				return
			}
			access, refresh := s.issue(provider, g.offline, s.opt.TokenLifetime)
			out := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(s.opt.TokenLifetime.Seconds()), "scope": g.scope}
			if refresh != "" {
				out["refresh_token"] = refresh
			}
			writeJSON(w, http.StatusOK, out)
		case "refresh_token":
			rt := r.PostForm.Get("refresh_token")
			s.mu.Lock()
			g, ok := s.refresh[rt]
			valid := ok && g.provider == provider && !g.revoked
			s.mu.Unlock()
			if !valid {
				oauthErr(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
				return
			}
			// Microsoft rotates refresh tokens (the old one stays valid
			// for a while, as there); Google keeps the same one.
			access, newRefresh := s.issue(provider, provider == integrations.MicrosoftAds, s.opt.TokenLifetime)
			out := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(s.opt.TokenLifetime.Seconds())}
			if newRefresh != "" {
				out["refresh_token"] = newRefresh
			}
			writeJSON(w, http.StatusOK, out)
		default:
			oauthErr(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q", grantType))
		}
	}
}

// revoke is RFC 7009: the token (and its grant) stop working.
func (s *Server) revoke(provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.count(provider + " revoke")
		if err := r.ParseForm(); err != nil {
			oauthErr(w, http.StatusBadRequest, "invalid_request", "bad form")
			return
		}
		t := r.PostForm.Get("token")
		s.mu.Lock()
		for _, m := range []map[string]*grant{s.access, s.refresh} {
			if g, ok := m[t]; ok && g.provider == provider {
				g.revoked = true
			}
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}
}

func metaErr(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "fake"}})
}

// metaToken is Graph's oauth/access_token: the code exchange (short-lived
// token) and grant_type=fb_exchange_token (long-lived token).
func (s *Server) metaToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		metaErr(w, http.StatusBadRequest, 100, "bad form")
		return
	}
	grantType := r.Form.Get("grant_type")
	s.count(integrations.MetaAds + " token " + grantType)
	if s.injected(w, integrations.MetaAds) {
		return
	}
	id, secret := r.Form.Get("client_id"), r.Form.Get("client_secret")
	if id != s.opt.ClientID || secret != s.opt.ClientSecret {
		metaErr(w, http.StatusBadRequest, 101, "Error validating application. Invalid application ID or secret.")
		return
	}
	if grantType == "fb_exchange_token" {
		old := r.Form.Get("fb_exchange_token")
		s.mu.Lock()
		g, ok := s.access[old]
		valid := ok && g.provider == integrations.MetaAds && !g.revoked && s.opt.Now().Before(g.expires)
		s.mu.Unlock()
		if !valid {
			metaErr(w, http.StatusBadRequest, 190, "Error validating access token: Session has expired or the user has changed the password.")
			return
		}
		access, _ := s.issue(integrations.MetaAds, false, s.opt.LongLivedLifetime)
		writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "bearer", "expires_in": int(s.opt.LongLivedLifetime.Seconds())})
		return
	}
	g, msg := s.redeem(integrations.MetaAds, r.Form.Get("code"), r.Form.Get("redirect_uri"), r.Form.Get("code_verifier"))
	if g == nil {
		metaErr(w, http.StatusBadRequest, 100, "Invalid verification code format or "+msg)
		return
	}
	access, _ := s.issue(integrations.MetaAds, false, s.opt.TokenLifetime)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "bearer", "expires_in": int(s.opt.TokenLifetime.Seconds())})
}

// controlFail: POST /_control/fail {"provider": "google", "kind":
// "500"|"429"|"revoked", "count": 2, "retry_after_seconds": 30}.
func (s *Server) controlFail(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Provider          string `json:"provider"`
		Kind              string `json:"kind"`
		Count             int    `json:"count"`
		RetryAfterSeconds int    `json:"retry_after_seconds"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "body must be JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	if req.Count <= 0 {
		req.Count = 1
	}
	switch req.Kind {
	case "500", "error":
		s.Fail(req.Provider, http.StatusInternalServerError, req.Count, 0)
	case "429", "rate_limit":
		if req.RetryAfterSeconds <= 0 {
			req.RetryAfterSeconds = 30
		}
		s.Fail(req.Provider, http.StatusTooManyRequests, req.Count, time.Duration(req.RetryAfterSeconds)*time.Second)
	case "revoked":
		s.Revoke(req.Provider)
	default:
		http.Error(w, `kind must be "500", "429" or "revoked"`, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
