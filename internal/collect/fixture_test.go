package collect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/collect"
	"github.com/cubedhq/cubed/internal/config"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/tenant"
)

// fixture is an app with account c-a-shop-gb (events purchase and
// signup defined), a collector on a settable clock, and the real router.
type fixture struct {
	t       testing.TB
	app     *app.App
	acct    tenant.Account
	db      *db.DB
	col     *collect.Collector
	handler http.Handler

	mu  sync.Mutex
	now time.Time
}

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func newFixture(t testing.TB, tg dbtest.Target, opt collect.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.DataDir = tg.DataDir
	cfg.ControlDSN = tg.ControlDSN
	cfg.PGDatabasePrefix = tg.PGPrefix
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler), app.Registry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.MigrateControl(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, app: a, now: t0}
	if f.acct, err = a.Tenants.Create(ctx, tenant.CreateParams{Name: "shop", Country: "gb", TimeZone: "Europe/London", Currency: "GBP"}); err != nil {
		t.Fatal(err)
	}
	d, release, err := a.Tenants.Acquire(ctx, f.acct)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	f.db = d
	for _, n := range []string{"purchase", "signup"} {
		if _, err := d.Exec(ctx, `INSERT INTO "event_definition" ("name", "display_name", "active") VALUES (?, ?, TRUE)`, n, n); err != nil {
			t.Fatal(err)
		}
	}
	opt.Tenants = a.Tenants
	if opt.Now == nil {
		opt.Now = f.clock
	}
	f.col, err = collect.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f.col.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	f.handler, err = api.New(api.Deps{Log: slog.New(slog.DiscardHandler), Control: a.Control, Tenants: a.Tenants, Auth: a.Auth,
		Resources: a.Resources, Collect: f.col})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func vtok(n int) string { return fmt.Sprintf("v%031d", n) }
func stok(n int) string { return fmt.Sprintf("s%031d", n) }

// pv is a valid page view hit.
func pv(id string, visitor, session int, at time.Duration, url string) collect.Hit {
	return collect.Hit{ID: id, Type: "pageview", Account: "c-a-shop-gb", Visitor: vtok(visitor), Session: stok(session),
		TS: t0.Add(at).Format(time.RFC3339Nano), URL: url, Title: "Page " + id}
}

// purchase is a valid purchase event hit.
func purchase(id string, visitor, session int, at time.Duration, revenue string) collect.Hit {
	return collect.Hit{ID: id, Type: "event", Account: "c-a-shop-gb", Visitor: vtok(visitor), Session: stok(session),
		TS: t0.Add(at).Format(time.RFC3339Nano), URL: "https://shop.example/thanks",
		Event: &collect.Event{Name: "purchase", Revenue: collect.Amount(revenue), Currency: "GBP", TransactionID: "T-" + id,
			Items: []collect.Item{{SKU: "SKU-1", Name: "Mug", Quantity: ptr(int64(2)), UnitPrice: "5.00"}}}}
}

func ptr[T any](v T) *T { return &v }

// post sends hits (or a raw body) to /collect through the router.
func (f *fixture) post(body any, headers ...string) *httptest.ResponseRecorder {
	var raw []byte
	switch b := body.(type) {
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		raw, err = json.Marshal(map[string]any{"hits": body})
		if err != nil {
			f.t.Fatal(err)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/collect", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

type response struct {
	Accepted int                 `json:"accepted"`
	Rejected []collect.Rejection `json:"rejected"`
	Error    struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeResp(t *testing.T, rec *httptest.ResponseRecorder) response {
	t.Helper()
	var r response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", rec.Code, err, rec.Body.String())
	}
	return r
}

// count returns the rows of a table.
func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(context.Background(), `SELECT count(*) FROM `+db.QuoteIdent(table)).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// hitIDs returns the stored hit ids of a table.
func (f *fixture) hitIDs(table string) map[string]bool {
	f.t.Helper()
	rows, err := f.db.Query(context.Background(), `SELECT "hit_id" FROM `+db.QuoteIdent(table))
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			f.t.Fatal(err)
		}
		if out[id] {
			f.t.Fatalf("hit id %s stored twice", id)
		}
		out[id] = true
	}
	return out
}
