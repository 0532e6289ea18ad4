package integrations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Provider is one ad platform: the OAuth2 dance, the external accounts a
// token can see, and daily cost rows. Implementations hold no state
// between calls besides their configuration; tokens are passed in.
type Provider interface {
	// Name is the provider as stored ("google", "microsoft_ads", "meta_ads").
	Name() string
	// AuthCodeURL is where the user's browser goes to consent. verifier
	// is the PKCE code verifier (its S256 challenge is sent when the
	// provider is configured for PKCE).
	AuthCodeURL(state, verifier string) string
	// Exchange trades an authorization code for tokens.
	Exchange(ctx context.Context, code, verifier string) (*oauth2.Token, error)
	// Refresh returns a fresh access token. A refresh token the provider
	// no longer accepts is an error matching ErrRevoked.
	Refresh(ctx context.Context, tok *oauth2.Token) (*oauth2.Token, error)
	// Revoke tells the provider to forget the grant (best effort; a
	// provider without a revocation endpoint returns nil).
	Revoke(ctx context.Context, tok *oauth2.Token) error
	// ExternalAccounts lists the ad accounts the token can report on.
	ExternalAccounts(ctx context.Context, tok *oauth2.Token) ([]ExternalAccount, error)
	// DailyCosts returns one row per campaign and day in [from, to]
	// (dates "2006-01-02", in the ad account's time zone), money in minor
	// units of the row's currency.
	DailyCosts(ctx context.Context, tok *oauth2.Token, acct ExternalAccount, from, to string) ([]CostRow, error)
}

// SearchConsole is implemented by providers that also serve organic
// search data (Google: one consent covers Ads and Search Console).
type SearchConsole interface {
	// Sites lists the verified Search Console properties.
	Sites(ctx context.Context, tok *oauth2.Token) ([]Site, error)
	// SearchRows returns rows by date, query, page, country and device for
	// [from, to].
	SearchRows(ctx context.Context, tok *oauth2.Token, site, from, to string) ([]SearchRow, error)
}

// ExternalAccount is an ad account at the provider.
type ExternalAccount struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Currency string `json:"currency"`
	// ParentID is the Microsoft Advertising customer that owns the
	// account (sent as the CustomerId header); empty elsewhere.
	ParentID string `json:"parent_id,omitempty"`
}

// Site is a Search Console property.
type Site struct {
	URL        string `json:"url"`
	Permission string `json:"permission"`
}

// CostRow is one campaign's day.
type CostRow struct {
	Date                 string
	CampaignID           string
	CampaignName         string
	Currency             string
	Impressions, Clicks  int64
	CostMinor            int64
	Conversions          float64
	ConversionValueMinor int64
}

// SearchRow is one Search Console row. Position is the average position
// over the row's impressions.
type SearchRow struct {
	Date, Query, Page, Country, Device string
	Clicks, Impressions                int64
	Position                           float64
}

// ErrRevoked means the provider no longer accepts the connection's grant
// (refresh token revoked or expired): the connection is broken until the
// user connects again.
var ErrRevoked = errors.New("the provider revoked the grant or it expired; connect the account again")

// ErrUnauthorized means the provider refused an access token.
var ErrUnauthorized = errors.New("the provider refused the access token")

// RetryAfterError is a rate limit: the same call may succeed after After.
// Conductor snoozes a run that fails with it (any error with a
// RetryAfter() time.Duration method) without using up an attempt.
type RetryAfterError struct {
	Provider string
	After    time.Duration
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%s: rate limited by the provider; retry after %s", e.Provider, e.After)
}

// RetryAfter is how long to wait before trying again.
func (e *RetryAfterError) RetryAfter() time.Duration { return e.After }

// APIError is a provider answer that is neither success nor a rate limit.
// Its message is the provider's, shortened; it never contains tokens.
type APIError struct {
	Provider string
	Status   int
	Message  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s API: HTTP %d: %s", e.Provider, e.Status, e.Message)
}

// Temporary reports a server-side failure worth retrying.
func (e *APIError) Temporary() bool { return e.Status >= 500 }

// DefaultRetryAfter is used when a 429 carries no usable Retry-After.
const DefaultRetryAfter = time.Minute

// parseRetryAfter reads Retry-After (seconds or an HTTP date).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultRetryAfter
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return time.Second
	}
	return DefaultRetryAfter
}

// maxBody bounds what is read from a provider (reports can be large).
const maxBody = 256 << 20

// apiClient makes authorised JSON calls to one provider.
type apiClient struct {
	provider string
	http     *http.Client
	now      func() time.Time
	// decodeErr extracts a provider's error message (and may classify it).
	decodeErr func(status int, body []byte) error
}

// do sends req and decodes a 2xx JSON answer into out (when non-nil).
func (c *apiClient) do(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s API: %w", c.provider, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s API: read answer: %w", c.provider, err)
	}
	if err := c.status(resp, body); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s API: unexpected answer from %s: %w", c.provider, req.URL.Path, err)
	}
	return nil
}

// status maps a non-2xx answer to an error.
func (c *apiClient) status(resp *http.Response, body []byte) error {
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return &RetryAfterError{Provider: c.provider, After: parseRetryAfter(resp.Header.Get("Retry-After"), c.now())}
	}
	if c.decodeErr != nil {
		if err := c.decodeErr(resp.StatusCode, body); err != nil {
			return err
		}
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%s API: %w", c.provider, ErrUnauthorized)
	}
	return &APIError{Provider: c.provider, Status: resp.StatusCode, Message: shorten(string(body))}
}

// jsonRequest builds a request with a JSON body (nil: no body).
func jsonRequest(ctx context.Context, method, u string, body any) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// shorten keeps error text short and on one line.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		s = "(empty answer)"
	}
	return s
}

// redactURLError drops the query string from a transport error's URL so
// no parameter ever reaches a log.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u := ue.URL
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return &url.Error{Op: ue.Op, URL: u, Err: ue.Err}
	}
	return err
}

// oauthContext hands the HTTP client to golang.org/x/oauth2.
func oauthContext(ctx context.Context, hc *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// oauthError classifies a token endpoint failure: invalid_grant (and a
// refused client on refresh) is ErrRevoked, 429 a RetryAfterError.
func oauthError(provider, op string, err error, now time.Time) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
			if status == http.StatusTooManyRequests {
				return &RetryAfterError{Provider: provider, After: parseRetryAfter(re.Response.Header.Get("Retry-After"), now)}
			}
		}
		if re.ErrorCode == "invalid_grant" || (op == "refresh" && status == http.StatusUnauthorized) {
			return fmt.Errorf("%s: %s: %w", provider, op, ErrRevoked)
		}
		code := re.ErrorCode
		if code == "" {
			code = fmt.Sprintf("HTTP %d", status)
		}
		if re.ErrorDescription != "" {
			code += ": " + shorten(re.ErrorDescription)
		}
		if status >= 500 {
			return &APIError{Provider: provider, Status: status, Message: op + ": " + code}
		}
		return fmt.Errorf("%s: %s refused: %s", provider, op, code)
	}
	return fmt.Errorf("%s: %s: %w", provider, op, redactURLError(err))
}

// newOAuthConfig builds the golang.org/x/oauth2 configuration.
func newOAuthConfig(p *ProviderConfig, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: redirect, Scopes: p.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
}

// withExpiry fixes a token's expiry from expires_in against now (the
// library uses the wall clock; the service may run on another clock).
func withExpiry(t *oauth2.Token, now time.Time) *oauth2.Token {
	if t.ExpiresIn > 0 {
		t.Expiry = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return t
}

// refreshWith runs a refresh_token grant.
func refreshWith(ctx context.Context, provider string, oc *oauth2.Config, hc *http.Client, tok *oauth2.Token, now time.Time) (*oauth2.Token, error) {
	if tok.RefreshToken == "" {
		return nil, fmt.Errorf("%s: no refresh token stored: %w", provider, ErrRevoked)
	}
	src := oc.TokenSource(oauthContext(ctx, hc), &oauth2.Token{RefreshToken: tok.RefreshToken})
	nt, err := src.Token()
	if err != nil {
		return nil, oauthError(provider, "refresh", err, now)
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = tok.RefreshToken
	}
	return withExpiry(nt, now), nil
}

// revokeForm posts token=... to a revocation endpoint (RFC 7009).
func revokeForm(ctx context.Context, c *apiClient, revokeURL string, tok *oauth2.Token) error {
	if revokeURL == "" {
		return nil
	}
	t := tok.RefreshToken
	if t == "" {
		t = tok.AccessToken
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, revokeURL, strings.NewReader(url.Values{"token": {t}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req, nil)
}

// flexInt decodes an integer sent as a JSON number or string (Google's
// JSON mapping sends int64 as strings).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("integer %q: %w", s, err)
	}
	*f = flexInt(n)
	return nil
}

// flexFloat decodes a number sent as a JSON number or string.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("number %q: %w", s, err)
	}
	*f = flexFloat(n)
	return nil
}
