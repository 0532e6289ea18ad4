package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// metaProvider is Meta (Facebook) Ads through the Graph API.
//
//   - OAuth2: the Facebook Login dialog (auth_url
//     https://www.facebook.com/v21.0/dialog/oauth) and
//     {graph}/oauth/access_token for the code (PKCE S256 supported).
//   - Meta has no refresh tokens: the short-lived user token is exchanged
//     at once for a long-lived one (grant_type=fb_exchange_token, about 60
//     days), and "refresh" exchanges the current long-lived token again
//     before it expires. Once it has expired, or the user removed the app,
//     the connection is broken and must be connected again.
//   - GET {graph}/me/adaccounts and GET {graph}/act_{id}/insights with
//     level=campaign and time_increment=1; spend is a decimal string.
//
// Tokens go in the Authorization header, never in URLs.
type metaProvider struct {
	cfg   *ProviderConfig
	oauth *oauth2.Config
	api   *apiClient
	hc    *http.Client
	now   func() time.Time
}

func newMeta(cfg *ProviderConfig, redirect string, hc *http.Client, now func() time.Time) *metaProvider {
	m := &metaProvider{cfg: cfg, oauth: newOAuthConfig(cfg, redirect), hc: hc, now: now}
	m.api = &apiClient{provider: MetaAds, http: hc, now: now, decodeErr: m.graphError}
	return m
}

func (m *metaProvider) Name() string { return MetaAds }

func (m *metaProvider) AuthCodeURL(state, verifier string) string {
	var opts []oauth2.AuthCodeOption
	if m.cfg.UsesPKCE() {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return m.oauth.AuthCodeURL(state, opts...)
}

// metaToken is the Graph API's token answer.
type metaToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

func (m *metaProvider) Exchange(ctx context.Context, code, verifier string) (*oauth2.Token, error) {
	var opts []oauth2.AuthCodeOption
	if m.cfg.UsesPKCE() {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	short, err := m.oauth.Exchange(oauthContext(ctx, m.hc), code, opts...)
	if err != nil {
		return nil, oauthError(MetaAds, "exchange", err, m.now())
	}
	return m.longLived(ctx, short.AccessToken)
}

// longLived exchanges a user token for a long-lived one.
func (m *metaProvider) longLived(ctx context.Context, token string) (*oauth2.Token, error) {
	q := url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {m.cfg.ClientID},
		"client_secret": {m.cfg.ClientSecret}, "fb_exchange_token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.cfg.TokenURL, strings.NewReader(q.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var t metaToken
	if err := m.api.do(req, &t); err != nil {
		return nil, err
	}
	if t.AccessToken == "" {
		return nil, fmt.Errorf("meta_ads: the long-lived token exchange returned no token")
	}
	tok := &oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer"}
	if t.ExpiresIn > 0 {
		tok.Expiry = m.now().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return tok, nil
}

func (m *metaProvider) Refresh(ctx context.Context, tok *oauth2.Token) (*oauth2.Token, error) {
	if tok.AccessToken == "" || (!tok.Expiry.IsZero() && !m.now().Before(tok.Expiry)) {
		return nil, fmt.Errorf("meta_ads: the long-lived token expired: %w", ErrRevoked)
	}
	nt, err := m.longLived(ctx, tok.AccessToken)
	if errors.Is(err, ErrUnauthorized) {
		return nil, fmt.Errorf("meta_ads: the token exchange was refused: %w", ErrRevoked)
	}
	return nt, err
}

func (m *metaProvider) Revoke(ctx context.Context, tok *oauth2.Token) error {
	req, err := jsonRequest(ctx, http.MethodDelete, strings.TrimRight(m.cfg.APIBaseURL, "/")+"/me/permissions", nil)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	return m.api.do(req, nil)
}

// graphError maps Graph API errors: code 190 is an invalid or expired
// token; 4, 17, 32, 613 and 80000-80014 are rate limits (Meta answers them
// with HTTP 400 and no Retry-After).
func (m *metaProvider) graphError(status int, body []byte) error {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    int    `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Code == 0 {
		return nil
	}
	switch c := e.Error.Code; {
	case c == 190:
		return fmt.Errorf("meta_ads API: %s: %w", shorten(e.Error.Message), ErrUnauthorized)
	case c == 4 || c == 17 || c == 32 || c == 613 || (c >= 80000 && c <= 80014):
		return &RetryAfterError{Provider: MetaAds, After: 5 * time.Minute}
	}
	return &APIError{Provider: MetaAds, Status: status, Message: fmt.Sprintf("%s (code %d)", shorten(e.Error.Message), e.Error.Code)}
}

// graphGet follows Graph API paging; each page's data is handed to add.
// A next URL must stay on the configured host (the token is not sent
// elsewhere).
func (m *metaProvider) graphGet(ctx context.Context, tok *oauth2.Token, path string, q url.Values, add func(json.RawMessage) error) error {
	base := strings.TrimRight(m.cfg.APIBaseURL, "/")
	baseURL, err := url.Parse(base)
	if err != nil {
		return err
	}
	next := base + path + "?" + q.Encode()
	for pages := 0; next != ""; pages++ {
		if pages > 1000 {
			return fmt.Errorf("meta_ads API: more than 1,000 pages from %s", path)
		}
		req, err := jsonRequest(ctx, http.MethodGet, next, nil)
		if err != nil {
			return err
		}
		tok.SetAuthHeader(req)
		var page struct {
			Data   json.RawMessage `json:"data"`
			Paging struct {
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := m.api.do(req, &page); err != nil {
			return err
		}
		if err := add(page.Data); err != nil {
			return err
		}
		next = ""
		if page.Paging.Next != "" {
			u, err := url.Parse(page.Paging.Next)
			if err != nil || u.Host != baseURL.Host || u.Scheme != baseURL.Scheme {
				return fmt.Errorf("meta_ads API: paging link leaves %s", baseURL.Host)
			}
			uq := u.Query()
			uq.Del("access_token")
			u.RawQuery = uq.Encode()
			next = u.String()
		}
	}
	return nil
}

func (m *metaProvider) ExternalAccounts(ctx context.Context, tok *oauth2.Token) ([]ExternalAccount, error) {
	var out []ExternalAccount
	err := m.graphGet(ctx, tok, "/me/adaccounts", url.Values{"fields": {"account_id,name,currency"}, "limit": {"100"}}, func(raw json.RawMessage) error {
		var accts []struct {
			AccountID string `json:"account_id"`
			Name      string `json:"name"`
			Currency  string `json:"currency"`
		}
		if err := json.Unmarshal(raw, &accts); err != nil {
			return fmt.Errorf("meta_ads API: ad accounts: %w", err)
		}
		for _, a := range accts {
			out = append(out, ExternalAccount{ID: a.AccountID, Name: a.Name, Currency: a.Currency})
		}
		return nil
	})
	return out, err
}

// metaAction is an entry of actions / action_values.
type metaAction struct {
	ActionType string `json:"action_type"`
	Value      string `json:"value"`
}

// metaConversionAction is the action counted as a platform conversion.
const metaConversionAction = "purchase"

func (m *metaProvider) DailyCosts(ctx context.Context, tok *oauth2.Token, acct ExternalAccount, from, to string) ([]CostRow, error) {
	if !isDate(from) || !isDate(to) {
		return nil, fmt.Errorf("meta_ads: dates must be YYYY-MM-DD, got %q..%q", from, to)
	}
	tr, _ := json.Marshal(map[string]string{"since": from, "until": to})
	q := url.Values{
		"level": {"campaign"}, "time_increment": {"1"}, "time_range": {string(tr)}, "limit": {"500"},
		"fields": {"campaign_id,campaign_name,account_currency,impressions,clicks,spend,actions,action_values"},
	}
	var out []CostRow
	err := m.graphGet(ctx, tok, "/act_"+url.PathEscape(acct.ID)+"/insights", q, func(raw json.RawMessage) error {
		var rows []struct {
			CampaignID      string       `json:"campaign_id"`
			CampaignName    string       `json:"campaign_name"`
			AccountCurrency string       `json:"account_currency"`
			Impressions     flexInt      `json:"impressions"`
			Clicks          flexInt      `json:"clicks"`
			Spend           string       `json:"spend"`
			DateStart       string       `json:"date_start"`
			Actions         []metaAction `json:"actions"`
			ActionValues    []metaAction `json:"action_values"`
		}
		if err := json.Unmarshal(raw, &rows); err != nil {
			return fmt.Errorf("meta_ads API: insights: %w", err)
		}
		for _, r := range rows {
			cur := r.AccountCurrency
			if cur == "" {
				cur = acct.Currency
			}
			cost, err := DecimalToMinor(r.Spend, cur)
			if err != nil {
				return fmt.Errorf("meta_ads API: campaign %s on %s: spend: %w", r.CampaignID, r.DateStart, err)
			}
			row := CostRow{Date: r.DateStart, CampaignID: r.CampaignID, CampaignName: r.CampaignName, Currency: cur,
				Impressions: int64(r.Impressions), Clicks: int64(r.Clicks), CostMinor: cost}
			for _, a := range r.Actions {
				if a.ActionType == metaConversionAction {
					var n flexFloat
					if err := n.UnmarshalJSON([]byte(a.Value)); err == nil {
						row.Conversions += float64(n)
					}
				}
			}
			for _, a := range r.ActionValues {
				if a.ActionType == metaConversionAction {
					v, err := DecimalToMinor(a.Value, cur)
					if err != nil {
						return fmt.Errorf("meta_ads API: campaign %s on %s: action value: %w", r.CampaignID, r.DateStart, err)
					}
					row.ConversionValueMinor += v
				}
			}
			out = append(out, row)
		}
		return nil
	})
	return out, err
}
