// Package e2e holds process-level tests: the real cubed binary, several
// processes, one PostgreSQL deployment.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

const accounts = 20

// The scale-out deployment of DESIGN.md: two `serve --no-conductor` web
// processes and two `conductor` processes on one PostgreSQL control
// database, 20 accounts with PostgreSQL client databases. Hits go in
// through both web processes; Conductor processes three days; one
// conductor is killed with SIGKILL mid-run. Every account's aggregates
// must equal those of a single-process SQLite deployment fed the same
// hits, and no slot may have succeeded twice.
func TestScaleOut(t *testing.T) {
	admin := os.Getenv(dbtest.EnvPostgres)
	if admin == "" {
		t.Skip("PostgreSQL scale-out test skipped: CUBED_TEST_POSTGRES_URL is not set (./scripts/test sets it)")
	}
	ctx := context.Background()
	bin := buildCubed(t)
	prefix := fmt.Sprintf("so%d_", os.Getpid())
	controlDSN := dbtest.CreateDatabase(t, admin, prefix+"control")
	pg := deployment{t: t, bin: bin, data: t.TempDir(), env: []string{"CUBED_PG_DATABASE_PREFIX=" + prefix, "CUBED_API_RATE_PER_MINUTE=0"},
		global: []string{"--control-dsn", controlDSN, "--log-level", "warn"}}
	lite := deployment{t: t, bin: bin, data: t.TempDir(), env: []string{"CUBED_API_RATE_PER_MINUTE=0"}, global: []string{"--log-level", "warn"}}
	// The same hits for both deployments: three days ending yesterday (the
	// collector takes the last 7 days).
	end := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	from := end.AddDate(0, 0, -2)
	for _, d := range []*deployment{&pg, &lite} {
		d.cubed("migrate")
		for i := range accounts {
			name := fmt.Sprintf("shop%02d", i)
			d.cubed("account", "create", "--name", name, "--country", "gb", "--timezone", "UTC")
			// The generator also defines the shop's events and goals; its few
			// hits are the same in both deployments (same seed and dates).
			d.cubed("generate", "--account", "c-a-"+name+"-gb", "--days", "1", "--visitors", "2", "--seed", "7", "--end-date", from.Format(time.DateOnly))
		}
	}
	batches := hits(from)

	web1, web2 := pg.serve(), pg.serve()
	for i, b := range batches {
		post(t, []string{web1.addr, web2.addr}[i%2], b)
	}
	web1.stop()
	web2.stop()
	liteWeb := lite.serve()
	for _, b := range batches {
		post(t, liteWeb.addr, b)
	}
	liteWeb.stop()

	days := []string{"--from", from.Format(time.DateOnly), "--to", end.Format(time.DateOnly)}
	// Reference: one SQLite process.
	lite.cubed(append([]string{"conductor", "trigger", "pipeline", "--all"}, days...)...)
	lite.cubed("conductor", "--once", "--concurrency", "2")

	// Scale-out: two conductor processes; one is killed mid-run.
	pg.cubed(append([]string{"conductor", "trigger", "pipeline", "--all"}, days...)...)
	control, err := db.Open(ctx, controlDSN, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer control.Close()
	// Heartbeats every second: a killed worker's run times out after three
	// missed ones, while a live worker on a loaded machine is not mistaken
	// for a dead one.
	flags := []string{"conductor", "--concurrency", "2", "--heartbeat", "1s", "--engine-interval", "300ms", "--poll-interval", "20ms"}
	c1, c2 := pg.start(flags...), pg.start(flags...)
	defer c2.stop()
	waitFor(t, 2*time.Minute, "runs to start succeeding", func() bool {
		return count(t, control, `SELECT COUNT(*) FROM "command_run" WHERE "status" = 4`) >= 20
	})
	c1.kill()
	// The triggered days' slots (the engine also keeps future days pending).
	inRange := ` "local_date" >= '` + from.Format(time.DateOnly) + `' AND "local_date" <= '` + end.Format(time.DateOnly) + `'`
	total := count(t, control, `SELECT COUNT(*) FROM "command_slot" WHERE`+inRange)
	failed := false
	if !within(4*time.Minute, func() bool {
		failed = count(t, control, `SELECT COUNT(*) FROM "command_slot" WHERE "status" IN ('failed', 'cancelled') AND`+inRange) > 0
		return failed || count(t, control, `SELECT COUNT(*) FROM "command_slot" WHERE "status" = 'success' AND`+inRange) == total
	}) || failed {
		rows, err := control.Query(ctx, `SELECT s."id", s."status", d."name", COALESCE(r."status", -1), COALESCE(r."waiting_reason", ''), COALESCE(r."error", '')
			FROM "command_slot" s JOIN "command_definition" d ON d."id" = s."definition_id"
			LEFT JOIN "command_run" r ON r."slot_id" = s."id" WHERE s."status" <> 'success' AND`+strings.ReplaceAll(inRange, `"local_date"`, `s."local_date"`)+` ORDER BY s."id" LIMIT 20`)
		if err == nil {
			for rows.Next() {
				var id, st int
				var sst, name, reason, msg string
				_ = rows.Scan(&id, &sst, &name, &st, &reason, &msg)
				t.Logf("slot %d %s %s: run status %d, waiting %q, error %q", id, name, sst, st, reason, msg)
			}
			rows.Close()
		}
		t.Logf("conductor 2 output:\n%s", c2.out)
		t.Fatalf("slots of the triggered days did not all succeed (failed: %v)", failed)
	}
	if n := count(t, control, `SELECT COUNT(*) FROM (SELECT "slot_id" FROM "command_run" WHERE "status" = 4 GROUP BY "slot_id" HAVING COUNT(*) > 1) x`); n != 0 {
		t.Errorf("%d slots succeeded more than once", n)
	}
	if n := count(t, control, `SELECT COUNT(*) FROM "command_slot" WHERE "status" IN ('failed', 'cancelled')`); n != 0 {
		t.Errorf("%d slots failed or cancelled", n)
	}
	t.Logf("%d slots, %d runs (%d timed out after the SIGKILL)", total, count(t, control, `SELECT COUNT(*) FROM "command_run"`),
		count(t, control, `SELECT COUNT(*) FROM "command_run" WHERE "status" = 2`))

	for i := range accounts {
		name := fmt.Sprintf("cubed_a_shop%02d_gb", i)
		pgDB, err := db.Open(ctx, withPath(controlDSN, prefix+name), db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		liteDB, err := db.Open(ctx, filepath.Join(lite.data, "clients", name+".db"), db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range comparedTables {
			want, got := dump(t, liteDB, table), dump(t, pgDB, table)
			if len(want) == 0 && table == "agg_channel_daily" {
				t.Errorf("%s: no %s rows in the SQLite reference", name, table)
			}
			if got != want {
				t.Errorf("%s.%s differs from the single-process SQLite run:\nPostgreSQL:\n%s\nSQLite:\n%s", name, table, got, want)
			}
		}
		pgDB.Close()
		liteDB.Close()
	}
}

// comparedTables are the aggregates whose keys are natural or seeded ids
// (campaign ids depend on the order campaigns are first seen).
var comparedTables = []string{"agg_channel_daily", "agg_channel_monthly", "agg_landing_page_daily", "agg_goal_daily",
	"agg_path_daily", "agg_product_daily", "agg_device_geo_daily"}

// dump renders a table's rows in a dialect-neutral text, sorted.
func dump(t *testing.T, d *db.DB, table string) string {
	t.Helper()
	_, rows := dbtest.Rows(t, d, `SELECT * FROM `+db.QuoteIdent(table))
	var lines []string
	for _, vals := range rows {
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case time.Time:
				parts[i] = x.Format(time.DateOnly)
			case string:
				if len(x) >= 10 && x[4] == '-' && x[7] == '-' {
					x = x[:10] // SQLite dates as text
				}
				parts[i] = x
			case []byte:
				parts[i] = string(x)
			case float64:
				parts[i] = fmt.Sprintf("%.6f", x)
			case int64:
				parts[i] = fmt.Sprintf("%.6f", float64(x))
			default:
				parts[i] = fmt.Sprint(x)
			}
		}
		lines = append(lines, strings.Join(parts, "|"))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// hits builds the deterministic traffic: per account, visitors landing
// from several sources over three days, some buying.
func hits(from time.Time) [][]byte {
	sources := []string{"?utm_source=google&utm_medium=cpc&utm_campaign=brand", "?gclid=abc", "?utm_source=news&utm_medium=email",
		"", "?utm_source=facebook&utm_medium=paid_social"}
	var out [][]byte
	for a := range accounts {
		acct := fmt.Sprintf("c-a-shop%02d-gb", a)
		var batch []map[string]any
		flush := func() {
			if len(batch) > 0 {
				b, _ := json.Marshal(map[string]any{"hits": batch})
				out = append(out, b)
				batch = nil
			}
		}
		for v := range 30 {
			visitor := fmt.Sprintf("%032x", a*1000+v+1)
			for s := range 2 {
				session := fmt.Sprintf("%032x", (a*1000+v+1)*10+s)
				at := from.Add(time.Duration((v*7+s*29)%72) * time.Hour).Add(time.Duration(v) * time.Minute)
				landing := "https://shop.example/p/" + fmt.Sprint(v%4) + sources[(v+s+a)%len(sources)]
				for p := range 3 {
					u := landing
					if p > 0 {
						u = fmt.Sprintf("https://shop.example/p/%d", (v+p)%6)
					}
					batch = append(batch, map[string]any{"id": fmt.Sprintf("h%d-%d-%d-%d", a, v, s, p), "type": "pageview", "account": acct,
						"visitor": visitor, "session": session, "ts": at.Add(time.Duration(p) * time.Minute).Format(time.RFC3339), "url": u})
				}
				if (v+s)%4 == 0 {
					batch = append(batch, map[string]any{"id": fmt.Sprintf("e%d-%d-%d", a, v, s), "type": "event", "account": acct,
						"visitor": visitor, "session": session, "ts": at.Add(4 * time.Minute).Format(time.RFC3339), "url": "https://shop.example/thanks",
						"event": map[string]any{"name": "purchase", "revenue": fmt.Sprintf("%d.50", 10+v), "currency": "GBP",
							"transaction_id": fmt.Sprintf("T%d-%d-%d", a, v, s), "items": []map[string]any{{"sku": fmt.Sprintf("SKU-%d", v%3), "quantity": 1, "unit_price": fmt.Sprintf("%d.50", 10+v)}}}})
				}
			}
			if len(batch) >= 100 {
				flush()
			}
		}
		flush()
	}
	return out
}

func post(t *testing.T, addr string, body []byte) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/collect", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Accepted int               `json:"accepted"`
		Rejected []json.RawMessage `json:"rejected"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(raw, &res) != nil || len(res.Rejected) != 0 {
		t.Fatalf("POST /collect to %s: %d %s", addr, resp.StatusCode, raw)
	}
}

// deployment runs the binary against one data directory / control database.
type deployment struct {
	t      *testing.T
	bin    string
	data   string
	env    []string
	global []string
}

func (d *deployment) command(args ...string) *exec.Cmd {
	cmd := exec.Command(d.bin, append(append([]string{"--data", d.data}, d.global...), args...)...)
	cmd.Env = append(os.Environ(), d.env...)
	return cmd
}

func (d *deployment) cubed(args ...string) string {
	d.t.Helper()
	out, err := d.command(args...).CombinedOutput()
	if err != nil {
		d.t.Fatalf("cubed %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	out  *bytes.Buffer
	done chan struct{}
}

func (d *deployment) start(args ...string) *proc {
	d.t.Helper()
	p := &proc{t: d.t, cmd: d.command(args...), out: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	d.t.Cleanup(p.kill)
	return p
}

// serve starts `serve --no-conductor` on a free port and waits for /healthz.
func (d *deployment) serve() *proc {
	d.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := d.start("serve", "--no-conductor", "--addr", addr)
	p.addr = addr
	waitFor(d.t, 30*time.Second, "serve on "+addr, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return p
}

// stop ends the process with SIGTERM (graceful) and waits.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
		p.t.Errorf("process did not stop within 30 s:\n%s", p.out)
	}
}

// kill ends the process with SIGKILL and waits.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	if !within(limit, ok) {
		t.Fatalf("timed out after %v waiting for %s", limit, what)
	}
}

// within polls ok until it holds or limit passes.
func within(limit time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
	return true
}

func count(t *testing.T, d *db.DB, q string) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func withPath(dsn, name string) string {
	u, _ := url.Parse(dsn)
	u.Path = "/" + name
	return u.String()
}

// buildCubed builds the binary once for the test.
func buildCubed(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cubed")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/cubed")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
