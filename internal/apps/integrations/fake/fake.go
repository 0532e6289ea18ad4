// Package fake is an in-process stand-in for Google (Ads and Search
// Console), Microsoft Advertising and Meta Ads: their OAuth2 endpoints
// (consent auto-approved, PKCE S256 checked, expiring access tokens,
// refresh and revocation) and the API calls Cubed makes, with
// deterministic daily data per external account. It can be told to fail
// (HTTP 500, 429 with Retry-After, a revoked grant) for the next N calls,
// in-process (Fail, Revoke) or over HTTP (POST /_control/fail).
//
// Tests mount it on an httptest.Server; `cubed fakeprovider` serves it on
// a port; Config returns the integrations configuration pointing at it.
package fake

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cubedhq/cubed/internal/apps/integrations"
)

// Credentials the fake accepts by default.
const (
	ClientID       = "cubed-fake-client"
	ClientSecret   = "cubed-fake-secret"
	DeveloperToken = "fake-developer-token"
)

// Campaign is a campaign of a fake ad account; daily figures vary
// deterministically around these means.
type Campaign struct {
	ID, Name    string
	Impressions int64   // daily mean
	CTR         float64 // clicks per impression
	CPCMinor    int64   // mean cost per click, minor units
	ConvRate    float64 // conversions per click
	AOVMinor    int64   // mean conversion value, minor units
}

// Account is a fake external ad account.
type Account struct {
	ID, Name, Currency string
	// ParentID is the Microsoft Advertising customer id.
	ParentID  string
	Campaigns []Campaign
}

// Options configure the fake. Zero values take the defaults.
type Options struct {
	ClientID, ClientSecret string
	// TokenLifetime of access tokens (default 1 h); Meta's long-lived
	// tokens live LongLivedLifetime (default 60 days).
	TokenLifetime, LongLivedLifetime time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Accounts by provider; default DefaultAccounts().
	Accounts map[string][]Account
	// Sites are the Search Console properties (default
	// "sc-domain:shop.example.com"); Queries their search queries.
	Sites, Queries []string
	// ReportPolls is how many Microsoft report polls answer Pending
	// before Success (default 1).
	ReportPolls int
	Logger      *slog.Logger
}

// DefaultAccounts has one account per provider whose campaign ids match
// the demo data's campaigns (internal/generate), so `cubed demo` shows
// costs against its campaigns.
func DefaultAccounts() map[string][]Account {
	return map[string][]Account{
		integrations.Google: {{ID: "1234567890", Name: "Demo Shop (Google Ads)", Currency: "GBP", Campaigns: []Campaign{
			{ID: "1001", Name: "Brand", Impressions: 300, CTR: 0.10, CPCMinor: 25, ConvRate: 0.08, AOVMinor: 4500},
			{ID: "1002", Name: "Generic", Impressions: 1500, CTR: 0.02, CPCMinor: 60, ConvRate: 0.03, AOVMinor: 3800},
			{ID: "1003", Name: "Shopping", Impressions: 1200, CTR: 0.015, CPCMinor: 45, ConvRate: 0.035, AOVMinor: 4200},
			{ID: "1004", Name: "GDN retargeting", Impressions: 8000, CTR: 0.002, CPCMinor: 30, ConvRate: 0.02, AOVMinor: 3500},
		}}},
		integrations.MicrosoftAds: {{ID: "5550001", ParentID: "7770001", Name: "Demo Shop (Microsoft Advertising)", Currency: "GBP", Campaigns: []Campaign{
			{ID: "2001", Name: "Bing generic", Impressions: 400, CTR: 0.025, CPCMinor: 40, ConvRate: 0.03, AOVMinor: 4000},
			{ID: "2002", Name: "Bing brand", Impressions: 80, CTR: 0.10, CPCMinor: 20, ConvRate: 0.07, AOVMinor: 4600},
		}}},
		integrations.MetaAds: {{ID: "880000000001", Name: "Demo Shop (Meta)", Currency: "GBP", Campaigns: []Campaign{
			{ID: "3001", Name: "Facebook prospecting", Impressions: 6000, CTR: 0.008, CPCMinor: 55, ConvRate: 0.015, AOVMinor: 3900},
			{ID: "3002", Name: "Instagram retargeting", Impressions: 2500, CTR: 0.01, CPCMinor: 35, ConvRate: 0.025, AOVMinor: 4100},
		}}},
	}
}

// DefaultQueries are the fake Search Console queries (brand "demo").
func DefaultQueries() []string {
	return []string{"demo shop", "demo shop discount code", "demoshop opening hours", "blue teapot", "ceramic mugs",
		"loose leaf tea", "coffee gift set", "best teapot for loose leaf", "tea cosy", "espresso cups"}
}

// Server is the fake provider (an http.Handler).
type Server struct {
	opt Options
	mux *http.ServeMux

	mu       sync.Mutex
	codes    map[string]*codeGrant
	access   map[string]*grant
	refresh  map[string]*grant
	failures []*failure
	calls    map[string]int
	reports  map[string]*report
}

type codeGrant struct {
	provider, clientID, redirectURI, challenge, scope string
	offline                                           bool
	expires                                           time.Time
	used                                              bool
}

type grant struct {
	provider string
	expires  time.Time // zero for refresh tokens
	revoked  bool
}

type failure struct {
	provider   string
	status     int
	remaining  int
	retryAfter time.Duration
}

type report struct {
	account  Account
	from, to string
	polls    int
}

// New returns a fake provider.
func New(opt Options) *Server {
	if opt.ClientID == "" {
		opt.ClientID = ClientID
	}
	if opt.ClientSecret == "" {
		opt.ClientSecret = ClientSecret
	}
	if opt.TokenLifetime <= 0 {
		opt.TokenLifetime = time.Hour
	}
	if opt.LongLivedLifetime <= 0 {
		opt.LongLivedLifetime = 60 * 24 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Accounts == nil {
		opt.Accounts = DefaultAccounts()
	}
	if opt.Sites == nil {
		opt.Sites = []string{"sc-domain:shop.example.com"}
	}
	if opt.Queries == nil {
		opt.Queries = DefaultQueries()
	}
	if opt.ReportPolls == 0 {
		opt.ReportPolls = 1
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opt: opt, mux: http.NewServeMux(), codes: map[string]*codeGrant{}, access: map[string]*grant{},
		refresh: map[string]*grant{}, calls: map[string]int{}, reports: map[string]*report{}}
	s.routes()
	return s
}

// ServeHTTP serves every endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Config is an integrations configuration for all three providers pointing
// at a fake served at base; publicURL is Cubed's own origin (for redirect
// URIs).
func Config(base, publicURL string) *integrations.Config {
	base = strings.TrimRight(base, "/")
	restate := 3
	return &integrations.Config{
		PublicURL: publicURL, RestatementDays: &restate,
		Providers: map[string]*integrations.ProviderConfig{
			integrations.Google: {
				ClientID: ClientID, ClientSecret: ClientSecret, DeveloperToken: DeveloperToken,
				AuthURL: base + "/google/auth", TokenURL: base + "/google/token", RevokeURL: base + "/google/revoke",
				Scopes:     []string{"https://www.googleapis.com/auth/adwords", "https://www.googleapis.com/auth/webmasters.readonly"},
				APIBaseURL: base + "/google/ads", SearchConsoleURL: base + "/google/webmasters",
			},
			integrations.MicrosoftAds: {
				ClientID: ClientID, ClientSecret: ClientSecret, DeveloperToken: DeveloperToken,
				AuthURL: base + "/microsoft/authorize", TokenURL: base + "/microsoft/token", RevokeURL: base + "/microsoft/revoke",
				Scopes:     []string{"https://ads.microsoft.com/msads.manage", "offline_access"},
				APIBaseURL: base + "/microsoft/cm", ReportingURL: base + "/microsoft/reporting",
			},
			integrations.MetaAds: {
				ClientID: ClientID, ClientSecret: ClientSecret,
				AuthURL: base + "/meta/dialog/oauth", TokenURL: base + "/meta/oauth/access_token",
				Scopes:     []string{"ads_read"},
				APIBaseURL: base + "/meta/graph",
			},
		},
	}
}

// Fail makes the next n calls to provider's token and API endpoints fail:
// status 500, or 429 with Retry-After retryAfter.
func (s *Server) Fail(provider string, status, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &failure{provider: provider, status: status, remaining: n, retryAfter: retryAfter})
}

// Revoke revokes every grant issued so far for provider: its refresh
// tokens are refused (invalid_grant) and its access tokens rejected, as
// when a user removes the app's access.
func (s *Server) Revoke(provider string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []map[string]*grant{s.access, s.refresh} {
		for _, g := range m {
			if g.provider == provider {
				g.revoked = true
			}
		}
	}
}

// ExpireAccessTokens makes every access token issued so far expire now.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.access {
		g.expires = s.opt.Now().Add(-time.Second)
	}
}

// Calls returns how often an endpoint was called ("google token refresh",
// "google searchStream", ...); see the route names in routes.go.
func (s *Server) Calls(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[name]
}

func (s *Server) count(name string) {
	s.mu.Lock()
	s.calls[name]++
	s.mu.Unlock()
}

// injected reports (and consumes) a failure for provider's next call.
func (s *Server) injected(w http.ResponseWriter, provider string) bool {
	s.mu.Lock()
	var f *failure
	for _, x := range s.failures {
		if x.remaining > 0 && (x.provider == provider || x.provider == "") {
			x.remaining--
			f = x
			break
		}
	}
	s.mu.Unlock()
	if f == nil {
		return false
	}
	if f.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", fmt.Sprint(int(f.retryAfter.Seconds())))
		writeJSON(w, f.status, map[string]any{"error": map[string]any{"code": 429, "message": "Too many requests (injected)", "status": "RESOURCE_EXHAUSTED"}})
		return true
	}
	writeJSON(w, f.status, map[string]any{"error": map[string]any{"code": f.status, "message": "Internal error (injected)", "status": "INTERNAL"}})
	return true
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// issue creates an access token (and a refresh token when asked).
func (s *Server) issue(provider string, withRefresh bool, lifetime time.Duration) (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	access = "fake-at-" + provider + "-" + randomString(24)
	s.access[access] = &grant{provider: provider, expires: s.opt.Now().Add(lifetime)}
	if withRefresh {
		refresh = "fake-rt-" + provider + "-" + randomString(24)
		s.refresh[refresh] = &grant{provider: provider}
	}
	return access, refresh
}

// validAccess checks a bearer token.
func (s *Server) validAccess(r *http.Request, provider string) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.access[tok]
	return ok && g.provider == provider && !g.revoked && s.opt.Now().Before(g.expires)
}

func (s *Server) accounts(provider string) []Account { return s.opt.Accounts[provider] }

func (s *Server) account(provider, id string) (Account, bool) {
	for _, a := range s.opt.Accounts[provider] {
		if a.ID == id {
			return a, true
		}
	}
	return Account{}, false
}

// Connect runs the whole connect flow against a fake provider without a
// browser (the fake approves consent at once): svc.Begin, the authorize
// redirect, then svc.Complete with the code and state. It returns the
// dash path Complete chose. `cubed demo` uses it to connect the demo
// account; it cannot work against a real provider.
func Connect(ctx context.Context, svc *integrations.Service, provider string, accountID, userID int64) (string, error) {
	authURL, err := svc.Begin(ctx, provider, accountID, userID)
	if err != nil {
		return "", err
	}
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("fake consent: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return "", fmt.Errorf("fake consent: HTTP %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return "", fmt.Errorf("fake consent: bad redirect: %w", err)
	}
	return svc.Complete(ctx, provider, userID, back.Query())
}
