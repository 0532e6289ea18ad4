// Package config is Cubed's typed configuration: flags, CUBED_* environment
// variables and defaults, checked by Validate. The struct tags are the one
// source of the configuration reference (`cubed config`,
// docs/configuration.md).
package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/cubedhq/cubed/internal/apperr"
)

// Config is everything a Cubed process needs to start. Each field's tags
// name its flag (empty: environment only), its environment variable and its
// documentation.
type Config struct {
	DataDir          string `flag:"data" env:"CUBED_DATA" default:"./cubed-data" help:"Data directory: control.db and clients/<db_name>.db in embedded (SQLite) mode."`
	ControlDSN       string `flag:"control-dsn" env:"CUBED_CONTROL_DSN" help:"postgres:// URL of the control database; new accounts then get PostgreSQL databases on the same server. Empty: SQLite in the data directory."`
	Addr             string `flag:"addr" env:"CUBED_ADDR" default:"127.0.0.1:8080" help:"Listen address of serve and demo."`
	LogFormat        string `flag:"log-format" env:"CUBED_LOG_FORMAT" default:"text" help:"Log format: text or json."`
	LogLevel         string `flag:"log-level" env:"CUBED_LOG_LEVEL" default:"info" help:"Log level: debug, info, warn or error."`
	MigrationsDir    string `flag:"migrations-dir" env:"CUBED_MIGRATIONS_DIR" help:"Read migrations from this directory instead of the set embedded in the binary."`
	MaxOpenClients   int    `env:"CUBED_MAX_OPEN_CLIENTS" default:"64" help:"Client database handles kept open per process (least recently used are closed)."`
	APIRatePerMinute int    `env:"CUBED_API_RATE_PER_MINUTE" default:"1200" help:"Requests per minute per authenticated user across the API, per process; 0 disables."`
	PGDatabasePrefix string `env:"CUBED_PG_DATABASE_PREFIX" help:"Prefix for physical PostgreSQL client database names, so test runs can share one server. Empty in production."`
	// Integrations (docs/integrations.md).
	IntegrationsConfig string `flag:"integrations-config" env:"CUBED_INTEGRATIONS_CONFIG" help:"JSON file configuring the ad-platform integrations (OAuth2 clients, endpoints, scopes; see docs/integrations.md). Empty: integrations are off."`
	SecretKey          string `env:"CUBED_SECRET_KEY" help:"Base64 of 32 random bytes: the AES-256-GCM key that encrypts OAuth tokens at rest. Required when integrations are configured, unless a key file is given."`
	SecretKeyFile      string `flag:"secret-key-file" env:"CUBED_SECRET_KEY_FILE" help:"File holding the secret key (base64); wins over CUBED_SECRET_KEY. cubed demo creates <data>/secret.key."`
}

// Field describes one setting for the reference.
type Field struct {
	Name, Flag, Env, Default, Help, Type string
}

// Reference lists every setting in declaration order.
func Reference() []Field {
	t := reflect.TypeOf(Config{})
	out := make([]Field, t.NumField())
	for i := range out {
		f := t.Field(i)
		out[i] = Field{Name: f.Name, Flag: f.Tag.Get("flag"), Env: f.Tag.Get("env"), Default: f.Tag.Get("default"),
			Help: f.Tag.Get("help"), Type: f.Type.Kind().String()}
	}
	return out
}

// Defaults returns the declared defaults overlaid with CUBED_* environment
// variables. A malformed number is kept as -1 so Validate names it.
func Defaults() Config {
	var c Config
	v := reflect.ValueOf(&c).Elem()
	for i, f := range Reference() {
		raw := f.Default
		if e, ok := os.LookupEnv(f.Env); ok {
			raw = e
		}
		switch v.Field(i).Kind() {
		case reflect.String:
			v.Field(i).SetString(raw)
		case reflect.Int:
			n, err := strconv.Atoi(strings.TrimSpace(raw))
			if err != nil && raw != "" {
				n = -1
			}
			v.Field(i).SetInt(int64(n))
		}
	}
	return c
}

// Validate checks every field, naming the bad one.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return apperr.Invalidf("--data", c.DataDir, "must name a directory")
	}
	c.DataDir = filepath.Clean(c.DataDir)
	if c.ControlDSN != "" && !strings.HasPrefix(c.ControlDSN, "postgres://") && !strings.HasPrefix(c.ControlDSN, "postgresql://") {
		return apperr.Invalidf("--control-dsn", "", "must be a postgres:// URL (leave it empty for SQLite in the data directory)")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return apperr.Invalidf("--addr", c.Addr, "must be host:port, such as 127.0.0.1:8080")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return apperr.Invalidf("--log-format", c.LogFormat, "must be text or json")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return apperr.Invalidf("--log-level", c.LogLevel, "must be debug, info, warn or error")
	}
	if c.APIRatePerMinute < 0 {
		return apperr.Invalidf("CUBED_API_RATE_PER_MINUTE", fmt.Sprint(c.APIRatePerMinute), "must be 0 (no limit) or a positive integer")
	}
	if c.MaxOpenClients < 1 {
		return apperr.Invalidf("CUBED_MAX_OPEN_CLIENTS", fmt.Sprint(c.MaxOpenClients), "must be a positive integer")
	}
	return nil
}

// ControlPath is the SQLite control database file.
func (c *Config) ControlPath() string { return filepath.Join(c.DataDir, "control.db") }

// Markdown renders the configuration reference.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Configuration\n\n")
	b.WriteString("Generated from `internal/config` by `cubed config --markdown`; do not edit by hand.\n")
	b.WriteString("Flags win over environment variables, which win over defaults.\n\n")
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, f := range Reference() {
		flag := ""
		if f.Flag != "" {
			flag = "`--" + f.Flag + "`"
		}
		def := ""
		if f.Default != "" {
			def = "`" + f.Default + "`"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", flag, f.Env, def, f.Help)
	}
	return b.String()
}
