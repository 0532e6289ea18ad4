package integrations_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/apps/integrations/fake"
	"github.com/cubedhq/cubed/internal/secret"
)

func TestMoney(t *testing.T) {
	micros := []struct {
		micros   int64
		currency string
		want     int64
	}{
		{1_230_000, "GBP", 123}, {1_234_567, "GBP", 123}, {1_235_000, "GBP", 124}, {5_000, "GBP", 1}, {4_999, "GBP", 0},
		{-1_235_000, "EUR", -124}, {1_500_000, "JPY", 2}, {1_499_999, "JPY", 1}, {1_234_567, "KWD", 1235}, {0, "USD", 0},
	}
	for _, c := range micros {
		if got := integrations.MicrosToMinor(c.micros, c.currency); got != c.want {
			t.Errorf("MicrosToMinor(%d, %s) = %d, want %d", c.micros, c.currency, got, c.want)
		}
	}
	decimals := []struct {
		in, currency string
		want         int64
		bad          bool
	}{
		{"123.45", "GBP", 12345, false}, {"0.1", "GBP", 10, false}, {"7", "GBP", 700, false}, {"12.345", "GBP", 1235, false},
		{"12.344", "GBP", 1234, false}, {"-0.005", "GBP", -1, false}, {"1234", "JPY", 1234, false}, {"1234.5", "JPY", 1235, false},
		{"1.2345", "KWD", 1235, false}, {"", "GBP", 0, false}, {".5", "GBP", 50, false}, {"90071992547409.93", "USD", 9007199254740993, false},
		{"1e3", "GBP", 0, true}, {"12,50", "GBP", 0, true}, {"abc", "GBP", 0, true}, {".", "GBP", 0, true}, {"1.2.3", "GBP", 0, true},
	}
	for _, c := range decimals {
		got, err := integrations.DecimalToMinor(c.in, c.currency)
		if c.bad != (err != nil) || (!c.bad && got != c.want) {
			t.Errorf("DecimalToMinor(%q, %s) = %d, %v; want %d (bad %v)", c.in, c.currency, got, err, c.want, c.bad)
		}
	}
	if got := integrations.FloatToMinor(49.99, "GBP"); got != 4999 {
		t.Errorf("FloatToMinor = %d", got)
	}
}

func TestConfig(t *testing.T) {
	good, err := json.Marshal(fake.Config("http://127.0.0.1:9", "https://cubed.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := integrations.ParseConfig(good, "x.json")
	if err != nil {
		t.Fatalf("the fake's config must be valid: %v", err)
	}
	if got := cfg.RedirectURL("google"); got != "https://cubed.example.com/integrations/google/callback" {
		t.Errorf("redirect %q", got)
	}
	cases := []struct {
		name, json, field string
	}{
		{"unknown key", `{"public_url": "https://x", "providers": {}, "nope": 1}`, "--integrations-config"},
		{"no providers", `{"public_url": "https://x", "providers": {}}`, "integrations.providers"},
		{"bad public url", `{"public_url": "x", "providers": {}}`, "integrations.public_url"},
		{"unknown provider", `{"public_url": "https://x", "providers": {"tiktok": {}}}`, "integrations.providers"},
		{"no client id", `{"public_url": "https://x", "providers": {"meta_ads": {"client_secret": "s"}}}`, "integrations.providers.meta_ads.client_id"},
		{"google without developer token", `{"public_url": "https://x", "providers": {"google": {"client_id": "a", "client_secret": "b"}}}`, "integrations.providers.google.developer_token"},
		{"relative url", `{"public_url": "https://x", "providers": {"meta_ads": {"client_id": "a", "client_secret": "b", "auth_url": "/x", "token_url": "https://t", "api_base_url": "https://g", "scopes": ["ads_read"]}}}`, "integrations.providers.meta_ads.auth_url"},
		{"no scopes", `{"public_url": "https://x", "providers": {"meta_ads": {"client_id": "a", "client_secret": "b", "auth_url": "https://a", "token_url": "https://t", "api_base_url": "https://g"}}}`, "integrations.providers.meta_ads.scopes"},
		{"restatement", `{"public_url": "https://x", "restatement_days": 400, "providers": {}}`, "integrations.restatement_days"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := integrations.ParseConfig([]byte(c.json), "x.json")
			var inv *apperr.Invalid
			if !errors.As(err, &inv) || inv.Field != c.field {
				t.Fatalf("want an error naming %s, got %v", c.field, err)
			}
		})
	}
	// A secret file is read; Setup refuses a configuration without a key.
	dir := t.TempDir()
	var raw map[string]any
	_ = json.Unmarshal(good, &raw)
	meta := raw["providers"].(map[string]any)["meta_ads"].(map[string]any)
	delete(meta, "client_secret")
	meta["client_secret_file"] = filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withFile, _ := json.Marshal(raw)
	path := filepath.Join(dir, "integrations.json")
	if err := os.WriteFile(path, withFile, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = integrations.LoadConfig(path)
	if err != nil || cfg.Providers["meta_ads"].ClientSecret != "from-file" {
		t.Fatalf("client_secret_file: %v", err)
	}
	if svc, err := integrations.Setup(integrations.SetupOptions{}); svc != nil || err != nil {
		t.Fatalf("no configuration means integrations off: %v %v", svc, err)
	}
	_, err = integrations.Setup(integrations.SetupOptions{ConfigFile: path})
	if !errors.Is(err, secret.ErrNoKey) || !strings.Contains(err.Error(), "integrations are configured") {
		t.Fatalf("configured without a key must be refused: %v", err)
	}
}
