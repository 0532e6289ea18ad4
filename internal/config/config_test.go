package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/config"
)

// clearEnv unsets every CUBED_* variable Defaults reads, for this test
// (t.Setenv restores them afterwards).
func clearEnv(t *testing.T) {
	for _, name := range []string{"CUBED_DATA", "CUBED_CONTROL_DSN", "CUBED_ADDR", "CUBED_LOG_FORMAT", "CUBED_LOG_LEVEL",
		"CUBED_MIGRATIONS_DIR", "CUBED_PG_DATABASE_PREFIX", "CUBED_API_RATE_PER_MINUTE", "CUBED_MAX_OPEN_CLIENTS"} {
		t.Setenv(name, "")
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(c *config.Config)
		field string // "" = valid
	}{
		{"defaults", func(c *config.Config) {}, ""},
		{"postgres control", func(c *config.Config) { c.ControlDSN = "postgres://u:p@db:5432/cubed" }, ""},
		{"postgresql scheme", func(c *config.Config) { c.ControlDSN = "postgresql://db/cubed" }, ""},
		{"any port", func(c *config.Config) { c.Addr = ":0" }, ""},
		{"json logs at debug", func(c *config.Config) { c.LogFormat, c.LogLevel = "json", "debug" }, ""},
		{"no rate limit", func(c *config.Config) { c.APIRatePerMinute = 0 }, ""},
		{"empty data dir", func(c *config.Config) { c.DataDir = "" }, "--data"},
		{"blank data dir", func(c *config.Config) { c.DataDir = "   " }, "--data"},
		{"mysql control", func(c *config.Config) { c.ControlDSN = "mysql://db/cubed" }, "--control-dsn"},
		{"file as control", func(c *config.Config) { c.ControlDSN = "/data/control.db" }, "--control-dsn"},
		{"address without port", func(c *config.Config) { c.Addr = "localhost" }, "--addr"},
		{"empty address", func(c *config.Config) { c.Addr = "" }, "--addr"},
		{"xml logs", func(c *config.Config) { c.LogFormat = "xml" }, "--log-format"},
		{"log level in capitals", func(c *config.Config) { c.LogLevel = "INFO" }, "--log-level"},
		{"unknown log level", func(c *config.Config) { c.LogLevel = "trace" }, "--log-level"},
		{"negative rate", func(c *config.Config) { c.APIRatePerMinute = -5 }, "CUBED_API_RATE_PER_MINUTE"},
		{"no client handles", func(c *config.Config) { c.MaxOpenClients = 0 }, "CUBED_MAX_OPEN_CLIENTS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clearEnv(t)
			cfg := config.Defaults()
			c.edit(&cfg)
			err := cfg.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("valid config rejected: %v", err)
				}
				return
			}
			var inv *apperr.Invalid
			if !errors.As(err, &inv) || inv.Field != c.field {
				t.Fatalf("err %v, want an invalid %s", err, c.field)
			}
			if !apperr.IsInput(err) {
				t.Fatal("a config error must count as bad input")
			}
		})
	}
}

func TestValidateCleansDataDir(t *testing.T) {
	clearEnv(t)
	cfg := config.Defaults()
	cfg.DataDir = "data//sub/../clients/"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != filepath.Join("data", "clients") || cfg.ControlPath() != filepath.Join("data", "clients", "control.db") {
		t.Fatalf("data dir %q, control %q", cfg.DataDir, cfg.ControlPath())
	}
}

func TestDefaultsFromEnv(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		check func(c config.Config) bool
		field string // Validate's complaint, "" = valid
	}{
		{"built-in defaults", nil, func(c config.Config) bool {
			return c.DataDir == "./cubed-data" && c.Addr == "127.0.0.1:8080" && c.LogFormat == "text" && c.LogLevel == "info" &&
				c.MaxOpenClients == 64 && c.APIRatePerMinute == 1200 && c.ControlDSN == ""
		}, ""},
		{"every variable", map[string]string{
			"CUBED_DATA": "/srv/cubed", "CUBED_CONTROL_DSN": "postgres://db/cubed", "CUBED_ADDR": "0.0.0.0:9000",
			"CUBED_LOG_FORMAT": "json", "CUBED_LOG_LEVEL": "warn", "CUBED_MIGRATIONS_DIR": "/m", "CUBED_PG_DATABASE_PREFIX": "t1_",
			"CUBED_API_RATE_PER_MINUTE": "0", "CUBED_MAX_OPEN_CLIENTS": "8",
		}, func(c config.Config) bool {
			return c.DataDir == "/srv/cubed" && c.ControlDSN == "postgres://db/cubed" && c.Addr == "0.0.0.0:9000" && c.LogFormat == "json" &&
				c.LogLevel == "warn" && c.MigrationsDir == "/m" && c.PGDatabasePrefix == "t1_" && c.APIRatePerMinute == 0 && c.MaxOpenClients == 8
		}, ""},
		{"rate not a number", map[string]string{"CUBED_API_RATE_PER_MINUTE": "lots"}, nil, "CUBED_API_RATE_PER_MINUTE"},
		{"handles not a number", map[string]string{"CUBED_MAX_OPEN_CLIENTS": "many"}, nil, "CUBED_MAX_OPEN_CLIENTS"},
		{"empty data variable", map[string]string{"CUBED_DATA": ""}, nil, "--data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg := config.Defaults()
			if c.check != nil && !c.check(cfg) {
				t.Fatalf("config %+v", cfg)
			}
			err := cfg.Validate()
			var inv *apperr.Invalid
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case c.field != "" && (!errors.As(err, &inv) || inv.Field != c.field):
				t.Fatalf("err %v, want an invalid %s", err, c.field)
			}
		})
	}
}
