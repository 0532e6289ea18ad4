package integrations

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// googleProvider: one consent covers the Google Ads API and Search Console
// (scopes https://www.googleapis.com/auth/adwords and
// https://www.googleapis.com/auth/webmasters.readonly).
//
//   - OAuth2: Google's authorization and token endpoints with
//     access_type=offline and prompt=consent (so a refresh token is always
//     returned) and PKCE S256.
//   - Ads: GET {api}/customers:listAccessibleCustomers, then
//     POST {api}/customers/{id}/googleAds:searchStream with GAQL, headers
//     developer-token and (optionally) login-customer-id.
//   - Search Console: GET {sc}/sites and
//     POST {sc}/sites/{site}/searchAnalytics/query.
type googleProvider struct {
	cfg   *ProviderConfig
	oauth *oauth2.Config
	api   *apiClient
	hc    *http.Client
	now   func() time.Time
	// pageSize is Search Console's rowLimit (25,000, the API's maximum).
	pageSize int
}

func newGoogle(cfg *ProviderConfig, redirect string, hc *http.Client, now func() time.Time) *googleProvider {
	return &googleProvider{cfg: cfg, oauth: newOAuthConfig(cfg, redirect), hc: hc, now: now, pageSize: 25000,
		api: &apiClient{provider: Google, http: hc, now: now}}
}

func (g *googleProvider) Name() string { return Google }

func (g *googleProvider) AuthCodeURL(state, verifier string) string {
	opts := []oauth2.AuthCodeOption{oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.SetAuthURLParam("include_granted_scopes", "true")}
	if g.cfg.UsesPKCE() {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return g.oauth.AuthCodeURL(state, opts...)
}

func (g *googleProvider) Exchange(ctx context.Context, code, verifier string) (*oauth2.Token, error) {
	var opts []oauth2.AuthCodeOption
	if g.cfg.UsesPKCE() {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	t, err := g.oauth.Exchange(oauthContext(ctx, g.hc), code, opts...)
	if err != nil {
		return nil, oauthError(Google, "exchange", err, g.now())
	}
	return withExpiry(t, g.now()), nil
}

func (g *googleProvider) Refresh(ctx context.Context, tok *oauth2.Token) (*oauth2.Token, error) {
	return refreshWith(ctx, Google, g.oauth, g.hc, tok, g.now())
}

func (g *googleProvider) Revoke(ctx context.Context, tok *oauth2.Token) error {
	return revokeForm(ctx, g.api, g.cfg.RevokeURL, tok)
}

func (g *googleProvider) adsRequest(ctx context.Context, tok *oauth2.Token, method, path string, body any) (*http.Request, error) {
	req, err := jsonRequest(ctx, method, strings.TrimRight(g.cfg.APIBaseURL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("developer-token", g.cfg.DeveloperToken)
	if g.cfg.LoginCustomerID != "" {
		req.Header.Set("login-customer-id", strings.ReplaceAll(g.cfg.LoginCustomerID, "-", ""))
	}
	return req, nil
}

// gaqlRow is one searchStream result; int64 fields come as JSON strings.
type gaqlRow struct {
	Customer struct {
		ID              flexInt `json:"id"`
		DescriptiveName string  `json:"descriptiveName"`
		CurrencyCode    string  `json:"currencyCode"`
		Manager         bool    `json:"manager"`
	} `json:"customer"`
	Campaign struct {
		ID   flexInt `json:"id"`
		Name string  `json:"name"`
	} `json:"campaign"`
	Metrics struct {
		Impressions      flexInt   `json:"impressions"`
		Clicks           flexInt   `json:"clicks"`
		CostMicros       flexInt   `json:"costMicros"`
		Conversions      flexFloat `json:"conversions"`
		ConversionsValue flexFloat `json:"conversionsValue"`
	} `json:"metrics"`
	Segments struct {
		Date string `json:"date"`
	} `json:"segments"`
}

// searchStream runs a GAQL query; the answer is a JSON array of batches.
func (g *googleProvider) searchStream(ctx context.Context, tok *oauth2.Token, customer, query string) ([]gaqlRow, error) {
	req, err := g.adsRequest(ctx, tok, http.MethodPost, "/customers/"+url.PathEscape(customer)+"/googleAds:searchStream", map[string]string{"query": query})
	if err != nil {
		return nil, err
	}
	var batches []struct {
		Results []gaqlRow `json:"results"`
	}
	if err := g.api.do(req, &batches); err != nil {
		return nil, err
	}
	var out []gaqlRow
	for _, b := range batches {
		out = append(out, b.Results...)
	}
	return out, nil
}

func (g *googleProvider) ExternalAccounts(ctx context.Context, tok *oauth2.Token) ([]ExternalAccount, error) {
	req, err := g.adsRequest(ctx, tok, http.MethodGet, "/customers:listAccessibleCustomers", nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		ResourceNames []string `json:"resourceNames"`
	}
	if err := g.api.do(req, &list); err != nil {
		return nil, err
	}
	var out []ExternalAccount
	for _, rn := range list.ResourceNames {
		id := strings.TrimPrefix(rn, "customers/")
		rows, err := g.searchStream(ctx, tok, id, "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.manager FROM customer")
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.Customer.Manager {
				continue // a manager account has no campaigns of its own
			}
			out = append(out, ExternalAccount{ID: id, Name: r.Customer.DescriptiveName, Currency: r.Customer.CurrencyCode})
		}
	}
	return out, nil
}

// googleCostQuery is the GAQL for daily campaign costs.
func googleCostQuery(from, to string) string {
	return "SELECT customer.currency_code, campaign.id, campaign.name, segments.date, metrics.impressions, metrics.clicks, " +
		"metrics.cost_micros, metrics.conversions, metrics.conversions_value FROM campaign " +
		"WHERE segments.date BETWEEN '" + from + "' AND '" + to + "'"
}

func (g *googleProvider) DailyCosts(ctx context.Context, tok *oauth2.Token, acct ExternalAccount, from, to string) ([]CostRow, error) {
	if !isDate(from) || !isDate(to) {
		return nil, fmt.Errorf("google: dates must be YYYY-MM-DD, got %q..%q", from, to)
	}
	rows, err := g.searchStream(ctx, tok, acct.ID, googleCostQuery(from, to))
	if err != nil {
		return nil, err
	}
	out := make([]CostRow, 0, len(rows))
	for _, r := range rows {
		cur := r.Customer.CurrencyCode
		if cur == "" {
			cur = acct.Currency
		}
		out = append(out, CostRow{
			Date: r.Segments.Date, CampaignID: fmt.Sprint(int64(r.Campaign.ID)), CampaignName: r.Campaign.Name, Currency: cur,
			Impressions: int64(r.Metrics.Impressions), Clicks: int64(r.Metrics.Clicks),
			CostMinor:   MicrosToMinor(int64(r.Metrics.CostMicros), cur),
			Conversions: float64(r.Metrics.Conversions), ConversionValueMinor: FloatToMinor(float64(r.Metrics.ConversionsValue), cur),
		})
	}
	return out, nil
}

func (g *googleProvider) scRequest(ctx context.Context, tok *oauth2.Token, method, path string, body any) (*http.Request, error) {
	req, err := jsonRequest(ctx, method, strings.TrimRight(g.cfg.SearchConsoleURL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	tok.SetAuthHeader(req)
	return req, nil
}

func (g *googleProvider) Sites(ctx context.Context, tok *oauth2.Token) ([]Site, error) {
	req, err := g.scRequest(ctx, tok, http.MethodGet, "/sites", nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		SiteEntry []struct {
			SiteURL         string `json:"siteUrl"`
			PermissionLevel string `json:"permissionLevel"`
		} `json:"siteEntry"`
	}
	if err := g.api.do(req, &list); err != nil {
		return nil, err
	}
	var out []Site
	for _, s := range list.SiteEntry {
		if s.PermissionLevel == "siteUnverifiedUser" {
			continue
		}
		out = append(out, Site{URL: s.SiteURL, Permission: s.PermissionLevel})
	}
	return out, nil
}

// escapeSite escapes a property ("https://shop.example.com/",
// "sc-domain:example.com") as one path segment.
func escapeSite(site string) string {
	return strings.ReplaceAll(url.PathEscape(site), ":", "%3A")
}

func (g *googleProvider) SearchRows(ctx context.Context, tok *oauth2.Token, site, from, to string) ([]SearchRow, error) {
	var out []SearchRow
	for start := 0; ; start += g.pageSize {
		body := map[string]any{
			"startDate": from, "endDate": to,
			"dimensions": []string{"date", "query", "page", "country", "device"},
			"rowLimit":   g.pageSize, "startRow": start, "type": "web",
		}
		req, err := g.scRequest(ctx, tok, http.MethodPost, "/sites/"+escapeSite(site)+"/searchAnalytics/query", body)
		if err != nil {
			return nil, err
		}
		var page struct {
			Rows []struct {
				Keys        []string `json:"keys"`
				Clicks      float64  `json:"clicks"`
				Impressions float64  `json:"impressions"`
				Position    float64  `json:"position"`
			} `json:"rows"`
		}
		if err := g.api.do(req, &page); err != nil {
			return nil, err
		}
		for _, r := range page.Rows {
			if len(r.Keys) != 5 {
				return nil, fmt.Errorf("google search console: row with %d keys, want 5", len(r.Keys))
			}
			out = append(out, SearchRow{Date: r.Keys[0], Query: r.Keys[1], Page: r.Keys[2], Country: r.Keys[3], Device: strings.ToLower(r.Keys[4]),
				Clicks: int64(r.Clicks), Impressions: int64(r.Impressions), Position: r.Position})
		}
		if len(page.Rows) < g.pageSize {
			return out, nil
		}
	}
}

// isDate checks a YYYY-MM-DD date.
func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
