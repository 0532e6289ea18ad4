// Package command declares Cubed's data commands and derives their
// dependencies.
//
// An app declares each of its commands as a Command value and registers it
// in the registry built by package app:
//
//	r.Commands.Add(command.Command{
//		Name:      "update_agg_channel_daily",
//		App:       "agg",
//		ReadsFrom: []string{"visit_channel", "sale_attribution", "ad_cost_daily"},
//		WritesTo:  []string{"agg_channel_daily"},
//		Frequency: command.Daily,
//		Run: func(ctx context.Context, env *command.Env) error {
//			return env.DB.InTx(ctx, func(tx *db.Tx) error { ... }) // replace [env.Start, env.End)
//		},
//	})
//
// Dependencies are never declared: B depends on A when B reads a table that
// A writes (Registry.Graph). Conductor (package conductor) schedules the
// commands per account and period; `cubed run` runs them inline.
//
// A command is idempotent per slot: running it again for the same account
// and period replaces exactly that period's output. Run honours ctx; a panic
// inside Run is recovered by the caller and recorded as a failed run.
package command

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"time"

	"github.com/cubedhq/cubed/internal/db"
)

// Frequency is how often a command is scheduled: one slot per period.
type Frequency string

// Frequencies.
const (
	Hourly  Frequency = "hourly"
	Daily   Frequency = "daily"
	Weekly  Frequency = "weekly"  // ISO weeks, Monday to Monday
	Monthly Frequency = "monthly" // calendar months
	// Manual commands are never scheduled; they run when triggered or run
	// by hand, with daily periods.
	Manual Frequency = "manual"
)

// Matrix says what a command runs over.
type Matrix string

// Matrices.
const (
	// PerAccount: one slot per account and period, periods in the
	// account's time zone (the default).
	PerAccount Matrix = "account"
	// None: one slot per period for the whole installation (control-level
	// housekeeping), periods in UTC.
	None Matrix = "none"
)

// RetryPolicy is how a failed or timed-out attempt is retried: after
// attempt n fails, the next one starts Base × 4^(n−1) later, at most Cap,
// varied by ±Jitter (a fraction), until MaxAttempts attempts were made.
type RetryPolicy struct {
	MaxAttempts int
	Base, Cap   time.Duration
	Jitter      float64
}

// Defaults of a Command's optional fields.
const (
	DefaultMaxAttempts = 3
	DefaultRetryBase   = 30 * time.Second
	DefaultRetryCap    = 30 * time.Minute
	DefaultJitter      = 0.1
	DefaultTimeout     = 30 * time.Minute
)

// DefaultRetry is the spec's policy: 3 attempts, 30 s × 4^(n−1) capped at
// 30 min, ±10 %.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{MaxAttempts: DefaultMaxAttempts, Base: DefaultRetryBase, Cap: DefaultRetryCap, Jitter: DefaultJitter}
}

// Backoff is the delay before the attempt that follows failed attempt n
// (n ≥ 1). u in [0, 1) picks the point in the jitter band; callers derive it
// from the run id so the delay is the same however often it is computed.
func (p RetryPolicy) Backoff(n int, u float64) time.Duration {
	if n < 1 {
		n = 1
	}
	d := float64(p.Base) * math.Pow(4, float64(n-1))
	if p.Cap > 0 && d > float64(p.Cap) {
		d = float64(p.Cap)
	}
	d *= 1 + p.Jitter*(2*u-1)
	return time.Duration(d)
}

// Command is one data command as an app declares it.
type Command struct {
	// Name is snake_case and unique across all apps.
	Name string
	// App is the declaring app ("attrib", "agg", ...).
	App string
	// ReadsFrom and WritesTo name tables of the client database, or
	// "control.<table>" for tables of the control database. They define
	// the dependencies: nothing else does.
	ReadsFrom, WritesTo []string
	// Frequency defaults to Daily.
	Frequency Frequency
	// Matrix defaults to PerAccount.
	Matrix Matrix
	// Retry: zero fields take DefaultRetry's values.
	Retry RetryPolicy
	// Timeout per attempt; default 30 min.
	Timeout time.Duration
	// Group is an optional concurrency group ("api:google_ads",
	// "dbhost:db1"); limits per group live in command_limit (see
	// Registry.AddGroup).
	Group string
	// StartsOn: no slot for a period before this date (a date; its time of
	// day is ignored). Zero: from the day the account joined Conductor.
	StartsOn time.Time
	// Sequential (default true) makes a slot wait for the previous slot of
	// the same command and account. Set it to new(false) for commands whose
	// periods are independent.
	Sequential *bool
	// Run does the work for env's account and period [env.Start, env.End).
	Run func(ctx context.Context, env *Env) error
}

// IsSequential reports the effective Sequential setting.
func (c *Command) IsSequential() bool { return c.Sequential == nil || *c.Sequential }

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)
var tableRe = regexp.MustCompile(`^(control\.)?[a-z][a-z0-9_]{0,62}$`)

// complete fills defaults.
func (c *Command) complete() {
	if c.Frequency == "" {
		c.Frequency = Daily
	}
	if c.Matrix == "" {
		c.Matrix = PerAccount
	}
	d := DefaultRetry()
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = d.MaxAttempts
	}
	if c.Retry.Base == 0 {
		c.Retry.Base = d.Base
	}
	if c.Retry.Cap == 0 {
		c.Retry.Cap = d.Cap
	}
	if c.Retry.Jitter == 0 {
		c.Retry.Jitter = d.Jitter
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if !c.StartsOn.IsZero() {
		y, m, dd := c.StartsOn.Date()
		c.StartsOn = time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
}

func (c *Command) validate() error {
	if !nameRe.MatchString(c.Name) {
		return fmt.Errorf("name %q must be snake_case (lower-case letters, digits, underscores)", c.Name)
	}
	if c.App == "" {
		return fmt.Errorf("command %s: App is required", c.Name)
	}
	switch c.Frequency {
	case Hourly, Daily, Weekly, Monthly, Manual:
	default:
		return fmt.Errorf("command %s: frequency %q must be hourly, daily, weekly, monthly or manual", c.Name, c.Frequency)
	}
	switch c.Matrix {
	case PerAccount, None:
	default:
		return fmt.Errorf("command %s: matrix %q must be account or none", c.Name, c.Matrix)
	}
	for _, t := range append(append([]string{}, c.ReadsFrom...), c.WritesTo...) {
		if !tableRe.MatchString(t) {
			return fmt.Errorf("command %s: table name %q is not a table (or control.<table>)", c.Name, t)
		}
	}
	if c.Retry.MaxAttempts < 1 || c.Retry.Base < 0 || c.Retry.Cap < 0 || c.Retry.Jitter < 0 || c.Retry.Jitter >= 1 {
		return fmt.Errorf("command %s: retry policy needs MaxAttempts ≥ 1, Base, Cap ≥ 0 and 0 ≤ Jitter < 1", c.Name)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("command %s: timeout must be positive", c.Name)
	}
	if c.Run == nil {
		return fmt.Errorf("command %s: Run is required", c.Name)
	}
	return nil
}

// Account is what a command learns about the account it runs for. It
// mirrors tenant.Account (package tenant imports package registry, which
// holds this package's Registry, so this package cannot import tenant).
type Account struct {
	ID                    int64
	Token                 string
	Name                  string
	Country               string
	Domain                string
	DBName                string
	TimeZone              string
	Currency              string
	LookbackDays          int
	SessionTimeoutMinutes int
	// Location is the account's time zone (UTC for matrix-none slots).
	Location *time.Location
}

// Env is what Run receives: the account, its database, the period and the
// run's logger, progress and heartbeat.
type Env struct {
	// Account is the zero Account (with Location UTC) for matrix-none slots.
	Account Account
	// DB is the account's client database; nil for matrix-none slots.
	DB *db.DB
	// Control is the control database (for control.<table> reads).
	Control *db.DB
	// Start and End are the period's UTC instants: [Start, End) is one
	// local hour, day, ISO week or month of the account's time zone.
	Start, End time.Time
	// Date is the period's first local date, "2006-01-02".
	Date string
	// Log carries account, command, slot and run attributes; its lines are
	// kept with the run (the last 1,000).
	Log *slog.Logger
	// SlotID, RunID and Attempt identify the run (RunID 0 in unit tests).
	SlotID, RunID int64
	Attempt       int

	progress  func(done, total int64)
	heartbeat func()
}

// NewEnv builds an Env; progress and heartbeat may be nil (tests).
func NewEnv(e Env, progress func(done, total int64), heartbeat func()) *Env {
	e.progress, e.heartbeat = progress, heartbeat
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	if e.Account.Location == nil {
		e.Account.Location = time.UTC
	}
	return &e
}

// Progress records how far the run is (shown by `cubed conductor status`).
func (e *Env) Progress(done, total int64) {
	if e.progress != nil {
		e.progress(done, total)
	}
}

// Heartbeat tells Conductor the run is alive. Conductor heartbeats on its
// own every interval; a command need only call this to report that a long
// step is making progress.
func (e *Env) Heartbeat() {
	if e.heartbeat != nil {
		e.heartbeat()
	}
}

// LocalDate returns Date as a time at midnight UTC, for date columns.
func (e *Env) LocalDate() time.Time {
	t, _ := time.Parse(time.DateOnly, e.Date)
	return t
}
