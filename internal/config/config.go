// Package config is Cubed's typed configuration: flags, CUBED_* environment
// variables and defaults, checked by Validate.
package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cubedhq/cubed/internal/apperr"
)

// Config is everything a Cubed process needs to start.
type Config struct {
	// DataDir holds control.db and clients/ in embedded mode (CUBED_DATA).
	DataDir string
	// ControlDSN, a postgres:// URL, moves the control database (and new
	// accounts' databases) to PostgreSQL (CUBED_CONTROL_DSN).
	ControlDSN string
	// Addr is where serve and demo listen (CUBED_ADDR).
	Addr string
	// LogFormat is text or json; LogLevel debug, info, warn or error.
	LogFormat string
	LogLevel  string
	// MaxOpenClients bounds cached client database handles.
	MaxOpenClients int
	// MigrationsDir, when set, reads migrations from this directory instead
	// of the set embedded in the binary (CUBED_MIGRATIONS_DIR).
	MigrationsDir string
	// PGDatabasePrefix prefixes physical PostgreSQL client database names
	// (CUBED_PG_DATABASE_PREFIX); for tests sharing one server.
	PGDatabasePrefix string
	// APIRatePerMinute throttles each authenticated user across the API
	// (CUBED_API_RATE_PER_MINUTE, default 1,200; 0 disables).
	APIRatePerMinute int
}

// Defaults returns the default configuration overlaid with CUBED_*
// environment variables.
func Defaults() Config {
	c := Config{
		DataDir:          "./cubed-data",
		Addr:             "127.0.0.1:8080",
		LogFormat:        "text",
		LogLevel:         "info",
		MaxOpenClients:   64,
		APIRatePerMinute: 1200,
	}
	env := func(name string, dst *string) {
		if v, ok := os.LookupEnv(name); ok {
			*dst = v
		}
	}
	env("CUBED_DATA", &c.DataDir)
	env("CUBED_CONTROL_DSN", &c.ControlDSN)
	env("CUBED_ADDR", &c.Addr)
	env("CUBED_LOG_FORMAT", &c.LogFormat)
	env("CUBED_LOG_LEVEL", &c.LogLevel)
	env("CUBED_MIGRATIONS_DIR", &c.MigrationsDir)
	env("CUBED_PG_DATABASE_PREFIX", &c.PGDatabasePrefix)
	if v, ok := os.LookupEnv("CUBED_API_RATE_PER_MINUTE"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			c.APIRatePerMinute = n
		} else {
			c.APIRatePerMinute = -1 // rejected by Validate
		}
	}
	if v, ok := os.LookupEnv("CUBED_MAX_OPEN_CLIENTS"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			c.MaxOpenClients = n
		} else {
			c.MaxOpenClients = -1 // rejected by Validate
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
