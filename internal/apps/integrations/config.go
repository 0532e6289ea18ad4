package integrations

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/cubedhq/cubed/internal/apperr"
)

// Provider names, as stored in integration_connection.provider.
const (
	Google       = "google"
	MicrosoftAds = "microsoft_ads"
	MetaAds      = "meta_ads"
)

// ProviderNames lists every provider this package implements.
func ProviderNames() []string { return []string{Google, MicrosoftAds, MetaAds} }

// Config is the integrations configuration file (CUBED_INTEGRATIONS_CONFIG,
// --integrations-config), documented in docs/integrations.md. Every
// endpoint, scope and credential comes from here: nothing in the code
// points at a live host.
type Config struct {
	// PublicURL is the origin users reach Cubed at
	// ("https://cubed.example.com"); redirect URIs are
	// PublicURL + "/integrations/<provider>/callback" and must be
	// registered with each provider exactly like that.
	PublicURL string `json:"public_url"`
	// RestatementDays: an import for day D also re-imports the N days
	// before it, because platforms restate costs and conversions
	// (default 3; 0 = D only).
	RestatementDays *int `json:"restatement_days,omitempty"`
	// Providers by name (google, microsoft_ads, meta_ads); a provider
	// that is absent is not offered.
	Providers map[string]*ProviderConfig `json:"providers"`
}

// ProviderConfig is one provider's OAuth2 client, endpoints and limits.
type ProviderConfig struct {
	ClientID string `json:"client_id"`
	// ClientSecret, or ClientSecretFile naming a file that holds it.
	ClientSecret     string `json:"client_secret,omitempty"`
	ClientSecretFile string `json:"client_secret_file,omitempty"`
	AuthURL          string `json:"auth_url"`
	TokenURL         string `json:"token_url"`
	// RevokeURL is optional (Microsoft has none).
	RevokeURL string   `json:"revoke_url,omitempty"`
	Scopes    []string `json:"scopes"`
	// DeveloperToken: Google Ads and Microsoft Advertising API developer
	// token (header developer-token / DeveloperToken).
	DeveloperToken string `json:"developer_token,omitempty"`
	// LoginCustomerID: Google Ads manager account to act through
	// (header login-customer-id); optional.
	LoginCustomerID string `json:"login_customer_id,omitempty"`
	// APIBaseURL: Google Ads ("https://googleads.googleapis.com/v21"),
	// Meta Graph API ("https://graph.facebook.com/v21.0"), Microsoft
	// Customer Management
	// ("https://clientcenter.api.bingads.microsoft.com/CustomerManagement/v13").
	APIBaseURL string `json:"api_base_url"`
	// SearchConsoleURL (Google only):
	// "https://www.googleapis.com/webmasters/v3".
	SearchConsoleURL string `json:"search_console_url,omitempty"`
	// ReportingURL (Microsoft only):
	// "https://reporting.api.bingads.microsoft.com/Reporting/v13".
	ReportingURL string `json:"reporting_url,omitempty"`
	// PKCE sends an S256 code challenge (default true).
	PKCE *bool `json:"pkce,omitempty"`
	// RatePerMinute and MaxRunning are the defaults of the provider's
	// Conductor concurrency group (api-<provider>); defaults 60 and 4.
	RatePerMinute float64 `json:"rate_per_minute,omitempty"`
	MaxRunning    int     `json:"max_running,omitempty"`
}

// UsesPKCE reports whether the provider gets a PKCE challenge.
func (p *ProviderConfig) UsesPKCE() bool { return p.PKCE == nil || *p.PKCE }

// Restatement is the effective restatement window in days.
func (c *Config) Restatement() int {
	if c.RestatementDays == nil {
		return 3
	}
	return *c.RestatementDays
}

// RedirectURL is the callback registered with the provider.
func (c *Config) RedirectURL(provider string) string {
	return strings.TrimRight(c.PublicURL, "/") + "/integrations/" + provider + "/callback"
}

// Enabled lists the configured providers, sorted.
func (c *Config) Enabled() []string {
	var out []string
	for name := range c.Providers {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// LoadConfig reads and validates a configuration file; errors name the
// file and the field.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, apperr.Invalidf("--integrations-config", path, "cannot be read: %v", err)
	}
	return ParseConfig(raw, path)
}

// ParseConfig decodes and validates a configuration (unknown keys are
// errors, so a typo does not silently disable a setting).
func ParseConfig(raw []byte, name string) (*Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, apperr.Invalidf("--integrations-config", name, "is not a valid integrations file: %v", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the configuration, naming the bad field; it also reads
// client_secret_file.
func (c *Config) Validate() error {
	bad := func(field, value, format string, args ...any) error {
		return apperr.Invalidf("integrations."+field, value, format, args...)
	}
	if err := checkURL(c.PublicURL); err != nil {
		return bad("public_url", c.PublicURL, "%v", err)
	}
	if c.RestatementDays != nil && (*c.RestatementDays < 0 || *c.RestatementDays > 90) {
		return bad("restatement_days", fmt.Sprint(*c.RestatementDays), "must be between 0 and 90")
	}
	if len(c.Providers) == 0 {
		return bad("providers", "", "must configure at least one of google, microsoft_ads, meta_ads")
	}
	for name, p := range c.Providers {
		f := "providers." + name + "."
		switch name {
		case Google, MicrosoftAds, MetaAds:
		default:
			return bad("providers", name, "unknown provider; use google, microsoft_ads or meta_ads")
		}
		if p == nil {
			return bad("providers."+name, "", "must be an object")
		}
		if p.ClientID == "" {
			return bad(f+"client_id", "", "is required")
		}
		if p.ClientSecretFile != "" {
			b, err := os.ReadFile(p.ClientSecretFile)
			if err != nil {
				return bad(f+"client_secret_file", p.ClientSecretFile, "cannot be read: %v", err)
			}
			p.ClientSecret = strings.TrimSpace(string(b))
		}
		if p.ClientSecret == "" {
			return bad(f+"client_secret", "", "is required (or client_secret_file)")
		}
		urls := map[string]string{"auth_url": p.AuthURL, "token_url": p.TokenURL, "api_base_url": p.APIBaseURL}
		switch name {
		case Google:
			urls["search_console_url"] = p.SearchConsoleURL
			if p.DeveloperToken == "" {
				return bad(f+"developer_token", "", "is required for the Google Ads API")
			}
		case MicrosoftAds:
			urls["reporting_url"] = p.ReportingURL
			if p.DeveloperToken == "" {
				return bad(f+"developer_token", "", "is required for the Microsoft Advertising API")
			}
		}
		for field, u := range urls {
			if err := checkURL(u); err != nil {
				return bad(f+field, u, "%v", err)
			}
		}
		if p.RevokeURL != "" {
			if err := checkURL(p.RevokeURL); err != nil {
				return bad(f+"revoke_url", p.RevokeURL, "%v", err)
			}
		}
		if len(p.Scopes) == 0 {
			return bad(f+"scopes", "", "must list the OAuth2 scopes to request")
		}
		if p.RatePerMinute < 0 || p.MaxRunning < 0 {
			return bad(f+"rate_per_minute", fmt.Sprint(p.RatePerMinute), "limits must not be negative")
		}
	}
	return nil
}

func checkURL(s string) error {
	if s == "" {
		return fmt.Errorf("is required")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("must be an absolute http(s) URL")
	}
	return nil
}
