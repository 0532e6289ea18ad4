package integrations_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/apps/integrations/fake"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/internal/secret"
	"github.com/cubedhq/cubed/migrations"
)

// clock is a settable clock shared by the fake and the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is a control database, client databases, a fake provider and a
// service wired to them.
type world struct {
	t       *testing.T
	tg      dbtest.Target
	control *db.DB
	fake    *fake.Server
	svc     *integrations.Service
	box     *secret.Box
	clock   *clock
	user    int64
	suffix  string // keeps this world's database names apart
	logs    *syncBuffer
}

// syncBuffer collects log output from concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// noTokensLogged fails when the service logged anything token-like.
func (w *world) noTokensLogged() {
	w.t.Helper()
	out := w.logs.String()
	if out == "" {
		w.t.Fatal("expected some log output")
	}
	for _, bad := range []string{"fake-at-", "fake-rt-", "fake-code-", "v1:"} {
		if strings.Contains(out, bad) {
			w.t.Fatalf("log output contains %q:\n%s", bad, out)
		}
	}
}

type account struct {
	command.Account
	db *db.DB
}

func migrated(t *testing.T, d *db.DB, set string) {
	t.Helper()
	migs, err := migrate.Load(migrations.FS, set, d.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(context.Background(), d, migs); err != nil {
		t.Fatal(err)
	}
}

func newWorld(t *testing.T, tg dbtest.Target, opt fake.Options, restatement int) *world {
	t.Helper()
	w := &world{t: t, tg: tg, clock: &clock{t: time.Date(2024, 3, 12, 9, 0, 0, 0, time.UTC)}}
	w.suffix = strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	w.control = tg.Open(t, "control_"+w.suffix)
	migrated(t, w.control, "control")
	opt.Now = w.clock.Now
	w.fake = fake.New(opt)
	ts := httptest.NewServer(w.fake)
	t.Cleanup(ts.Close)
	cfg := fake.Config(ts.URL, "http://cubed.test")
	cfg.RestatementDays = &restatement
	var err error
	w.box, err = secret.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	w.logs = &syncBuffer{}
	log := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w.svc, err = integrations.New(integrations.Options{Config: cfg, Box: w.box, Control: w.control, Now: w.clock.Now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	w.user = w.newUser("alice@example.com")
	return w
}

func (w *world) exec(q string, args ...any) {
	w.t.Helper()
	if _, err := w.control.Exec(context.Background(), q, args...); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) newUser(email string) int64 {
	w.t.Helper()
	id, err := db.InsertID(context.Background(), w.control, `INSERT INTO "user" ("email") VALUES (?)`, email)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// newAccount creates an account row and its migrated client database.
func (w *world) newAccount(name, currency string) account {
	w.t.Helper()
	ctx := context.Background()
	id, err := db.InsertID(ctx, w.control, `INSERT INTO "account" ("token", "name", "country", "domain", "db_name", "currency") VALUES (?, ?, 'gb', 'shop.example.com', ?, ?)`,
		"c-a-"+name+"-gb", name, "cubed_a_"+name+"_gb", currency)
	if err != nil {
		w.t.Fatal(err)
	}
	d := w.tg.Open(w.t, "client_"+name+"_"+w.suffix)
	migrated(w.t, d, "client")
	return account{Account: command.Account{ID: id, Token: "c-a-" + name + "-gb", Name: name, Country: "gb", Domain: "shop.example.com",
		Currency: currency, TimeZone: "Europe/London", Location: time.UTC}, db: d}
}

// connect runs the flow against the fake and returns Complete's path and
// the new connection's id.
func (w *world) connect(provider string, a account) (string, int64) {
	w.t.Helper()
	dest, err := fake.Connect(context.Background(), w.svc, provider, a.ID, w.user)
	if err != nil {
		w.t.Fatalf("connect %s: %v", provider, err)
	}
	var id int64
	if err := w.control.QueryRow(context.Background(), `SELECT max("id") FROM "integration_connection" WHERE "account_id" = ? AND "provider" = ?`, a.ID, provider).Scan(&id); err != nil {
		w.t.Fatal(err)
	}
	return dest, id
}

func (w *world) status(id int64) (string, string) {
	w.t.Helper()
	var st, detail string
	if err := w.control.QueryRow(context.Background(), `SELECT "status", "status_detail" FROM "integration_connection" WHERE "id" = ?`, id).Scan(&st, &detail); err != nil {
		w.t.Fatal(err)
	}
	return st, detail
}

// rows dumps a table in a stable order (dates normalised).
func rows(t *testing.T, d *db.DB, q string, args ...any) []string {
	t.Helper()
	_, all := dbtest.Rows(t, d, q, args...)
	var out []string
	for _, vals := range all {
		var b strings.Builder
		for i, v := range vals {
			if i > 0 {
				b.WriteString("|")
			}
			switch x := v.(type) {
			case time.Time:
				b.WriteString(x.UTC().Format(time.DateOnly))
			case []byte:
				b.Write(x)
			default:
				b.WriteString(fmtAny(x))
			}
		}
		out = append(out, b.String())
	}
	return out
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// day is a date as the imports take it.
func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// looksSealed reports whether a stored value is a secret.Box value.
func looksSealed(v string) bool {
	raw, ok := strings.CutPrefix(v, "v1:")
	if !ok {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(raw)
	return err == nil
}
