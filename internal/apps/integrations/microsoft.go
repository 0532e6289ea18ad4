package integrations

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// microsoftProvider is Microsoft Advertising (Bing Ads API v13, REST/JSON).
//
//   - OAuth2: the Microsoft identity platform (auth_url
//     https://login.microsoftonline.com/common/oauth2/v2.0/authorize, scopes
//     https://ads.microsoft.com/msads.manage and offline_access), PKCE S256,
//     refresh tokens (Microsoft rotates them: each refresh may return a new
//     one, which is stored).
//   - Customer Management ({api}): POST /User/Query (the user id), then
//     POST /Accounts/Search with a UserId predicate (accounts, their parent
//     customer and currency).
//   - Reporting ({reporting}): POST /GenerateReport/Submit with a
//     CampaignPerformanceReportRequest (daily, CSV without header and footer
//     rows), POST /GenerateReport/Poll until Status is Success, then GET
//     the ReportDownloadUrl (no credentials: it is a pre-signed link) and
//     read the CSV from the zip. An empty ReportDownloadUrl means no data.
//
// Every call carries the headers Authorization, DeveloperToken and, for
// account-level calls, CustomerId and CustomerAccountId.
type microsoftProvider struct {
	cfg   *ProviderConfig
	oauth *oauth2.Config
	api   *apiClient
	hc    *http.Client
	now   func() time.Time
	// poll is the first wait between report polls (doubling to 5 s).
	poll time.Duration
}

func newMicrosoft(cfg *ProviderConfig, redirect string, hc *http.Client, now func() time.Time) *microsoftProvider {
	return &microsoftProvider{cfg: cfg, oauth: newOAuthConfig(cfg, redirect), hc: hc, now: now, poll: 200 * time.Millisecond,
		api: &apiClient{provider: MicrosoftAds, http: hc, now: now}}
}

func (m *microsoftProvider) Name() string { return MicrosoftAds }

func (m *microsoftProvider) AuthCodeURL(state, verifier string) string {
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "select_account")}
	if m.cfg.UsesPKCE() {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return m.oauth.AuthCodeURL(state, opts...)
}

func (m *microsoftProvider) Exchange(ctx context.Context, code, verifier string) (*oauth2.Token, error) {
	var opts []oauth2.AuthCodeOption
	if m.cfg.UsesPKCE() {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	t, err := m.oauth.Exchange(oauthContext(ctx, m.hc), code, opts...)
	if err != nil {
		return nil, oauthError(MicrosoftAds, "exchange", err, m.now())
	}
	return withExpiry(t, m.now()), nil
}

func (m *microsoftProvider) Refresh(ctx context.Context, tok *oauth2.Token) (*oauth2.Token, error) {
	return refreshWith(ctx, MicrosoftAds, m.oauth, m.hc, tok, m.now())
}

// Revoke: the Microsoft identity platform has no token revocation
// endpoint; users remove the app's consent at https://myapps.microsoft.com.
// A configured revoke_url (the fake provider has one) is honoured.
func (m *microsoftProvider) Revoke(ctx context.Context, tok *oauth2.Token) error {
	return revokeForm(ctx, m.api, m.cfg.RevokeURL, tok)
}

func (m *microsoftProvider) request(ctx context.Context, tok *oauth2.Token, base, path string, body any, acct *ExternalAccount) (*http.Request, error) {
	req, err := jsonRequest(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, body)
	if err != nil {
		return nil, err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("DeveloperToken", m.cfg.DeveloperToken)
	if acct != nil {
		req.Header.Set("CustomerAccountId", acct.ID)
		if acct.ParentID != "" {
			req.Header.Set("CustomerId", acct.ParentID)
		}
	}
	return req, nil
}

func (m *microsoftProvider) ExternalAccounts(ctx context.Context, tok *oauth2.Token) ([]ExternalAccount, error) {
	req, err := m.request(ctx, tok, m.cfg.APIBaseURL, "/User/Query", map[string]any{"UserId": nil}, nil)
	if err != nil {
		return nil, err
	}
	var user struct {
		User struct {
			ID flexInt `json:"Id"`
		} `json:"User"`
	}
	if err := m.api.do(req, &user); err != nil {
		return nil, err
	}
	var out []ExternalAccount
	for page := 0; ; page++ {
		body := map[string]any{
			"Predicates": []map[string]string{{"Field": "UserId", "Operator": "Equals", "Value": strconv.FormatInt(int64(user.User.ID), 10)}},
			"Ordering":   nil,
			"PageInfo":   map[string]int{"Index": page, "Size": 1000},
		}
		req, err := m.request(ctx, tok, m.cfg.APIBaseURL, "/Accounts/Search", body, nil)
		if err != nil {
			return nil, err
		}
		var res struct {
			Accounts []struct {
				ID                     flexInt `json:"Id"`
				Name                   string  `json:"Name"`
				ParentCustomerID       flexInt `json:"ParentCustomerId"`
				CurrencyCode           string  `json:"CurrencyCode"`
				AccountLifeCycleStatus string  `json:"AccountLifeCycleStatus"`
			} `json:"Accounts"`
		}
		if err := m.api.do(req, &res); err != nil {
			return nil, err
		}
		for _, a := range res.Accounts {
			out = append(out, ExternalAccount{ID: strconv.FormatInt(int64(a.ID), 10), Name: a.Name, Currency: a.CurrencyCode,
				ParentID: strconv.FormatInt(int64(a.ParentCustomerID), 10)})
		}
		if len(res.Accounts) < 1000 {
			return out, nil
		}
	}
}

// msDate is the API's date object.
type msDate struct{ Day, Month, Year int }

func toMSDate(s string) msDate {
	t, _ := time.Parse(time.DateOnly, s)
	return msDate{Day: t.Day(), Month: int(t.Month()), Year: t.Year()}
}

// microsoftReportColumns are the CampaignPerformanceReport columns read.
func microsoftReportColumns() []string {
	return []string{"TimePeriod", "CampaignId", "CampaignName", "CurrencyCode", "Impressions", "Clicks", "Spend", "Conversions", "Revenue"}
}

func (m *microsoftProvider) DailyCosts(ctx context.Context, tok *oauth2.Token, acct ExternalAccount, from, to string) ([]CostRow, error) {
	if !isDate(from) || !isDate(to) {
		return nil, fmt.Errorf("microsoft_ads: dates must be YYYY-MM-DD, got %q..%q", from, to)
	}
	accountID, err := strconv.ParseInt(acct.ID, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("microsoft_ads: account id %q is not a number", acct.ID)
	}
	submit := map[string]any{"ReportRequest": map[string]any{
		"Type": "CampaignPerformanceReportRequest", "Format": "Csv", "FormatVersion": "2.0", "ReportName": "cubed campaign costs",
		"ExcludeColumnHeaders": false, "ExcludeReportHeader": true, "ExcludeReportFooter": true, "ReturnOnlyCompleteData": false,
		"Aggregation": "Daily", "Columns": microsoftReportColumns(),
		"Scope": map[string]any{"AccountIds": []int64{accountID}},
		"Time":  map[string]any{"CustomDateRangeStart": toMSDate(from), "CustomDateRangeEnd": toMSDate(to)},
	}}
	req, err := m.request(ctx, tok, m.cfg.ReportingURL, "/GenerateReport/Submit", submit, &acct)
	if err != nil {
		return nil, err
	}
	var sub struct {
		ReportRequestID string `json:"ReportRequestId"`
	}
	if err := m.api.do(req, &sub); err != nil {
		return nil, err
	}
	if sub.ReportRequestID == "" {
		return nil, errors.New("microsoft_ads API: report submitted without a ReportRequestId")
	}
	wait := m.poll
	for {
		req, err := m.request(ctx, tok, m.cfg.ReportingURL, "/GenerateReport/Poll", map[string]string{"ReportRequestId": sub.ReportRequestID}, &acct)
		if err != nil {
			return nil, err
		}
		var poll struct {
			ReportRequestStatus struct {
				ReportDownloadURL string `json:"ReportDownloadUrl"`
				Status            string `json:"Status"`
			} `json:"ReportRequestStatus"`
		}
		if err := m.api.do(req, &poll); err != nil {
			return nil, err
		}
		switch poll.ReportRequestStatus.Status {
		case "Success":
			if poll.ReportRequestStatus.ReportDownloadURL == "" {
				return nil, nil // no data in the range
			}
			return m.download(ctx, poll.ReportRequestStatus.ReportDownloadURL, acct)
		case "Pending":
		default:
			return nil, fmt.Errorf("microsoft_ads API: report %s ended with status %q", sub.ReportRequestID, poll.ReportRequestStatus.Status)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// download fetches the zipped CSV report (without credentials).
func (m *microsoftProvider) download(ctx context.Context, u string, acct ExternalAccount) ([]CostRow, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("microsoft_ads API: bad download link: %w", redactURLError(err))
	}
	resp, err := m.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("microsoft_ads API: download: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("microsoft_ads API: download: %w", err)
	}
	if err := m.api.status(resp, body); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, fmt.Errorf("microsoft_ads API: report is not a zip file: %w", err)
	}
	if len(zr.File) != 1 {
		return nil, fmt.Errorf("microsoft_ads API: report zip has %d files, want 1", len(zr.File))
	}
	f, err := zr.File[0].Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMicrosoftCSV(io.LimitReader(f, maxBody), acct.Currency)
}

// parseMicrosoftCSV reads the report rows by column name.
func parseMicrosoftCSV(r io.Reader, defaultCurrency string) ([]CostRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("microsoft_ads report: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	for _, c := range microsoftReportColumns() {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("microsoft_ads report: column %s missing", c)
		}
	}
	var out []CostRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("microsoft_ads report line %d: %w", line, err)
		}
		get := func(c string) string {
			if i := col[c]; i < len(rec) {
				return strings.ReplaceAll(strings.TrimSpace(rec[i]), ",", "")
			}
			return ""
		}
		cur := get("CurrencyCode")
		if cur == "" {
			cur = defaultCurrency
		}
		row := CostRow{Date: get("TimePeriod"), CampaignID: get("CampaignId"), CampaignName: strings.TrimSpace(rec[col["CampaignName"]]), Currency: cur}
		if !isDate(row.Date) {
			return nil, fmt.Errorf("microsoft_ads report line %d: TimePeriod %q is not a date", line, row.Date)
		}
		if row.Impressions, err = parseCount(get("Impressions")); err == nil {
			row.Clicks, err = parseCount(get("Clicks"))
		}
		if err == nil {
			row.CostMinor, err = DecimalToMinor(get("Spend"), cur)
		}
		if err == nil {
			row.ConversionValueMinor, err = DecimalToMinor(get("Revenue"), cur)
		}
		if err == nil && get("Conversions") != "" {
			row.Conversions, err = strconv.ParseFloat(get("Conversions"), 64)
		}
		if err != nil {
			return nil, fmt.Errorf("microsoft_ads report line %d: %w", line, err)
		}
		out = append(out, row)
	}
}

func parseCount(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("count %q is not an integer", s)
	}
	return n, nil
}
