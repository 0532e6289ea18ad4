package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestClientDatabaseLost: one account's database is lost while Cubed
// runs (PostgreSQL: the database is dropped, its connections killed;
// SQLite: the file is overwritten, as a failed disk would leave it). That
// account's requests fail with the error envelope, a request id and no
// SQL or file paths; the other account keeps working, reads and writes.
// The long version with load is scripts/load/fault.
func TestClientDatabaseLost(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{UserPerMinute: 1 << 30})
		ctx := context.Background()
		other := "/api/v1/channel/?account=" + f.Other.Token
		demo := "/api/v1/channel/?account=" + f.Demo.Token
		if rec := f.Do(apitest.Request{URL: other, Auth: "olga"}); rec.Code != 200 {
			t.Fatalf("before: other account %d %s", rec.Code, rec.Body.String())
		}
		dsn := f.App.Tenants.ClientDSN(f.Other)
		switch tg.Dialect {
		case db.Postgres:
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			name := strings.TrimPrefix(u.Path, "/")
			admin, err := sql.Open("pgx", os.Getenv("CUBED_TEST_POSTGRES_URL"))
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			if _, err := admin.ExecContext(ctx, `DROP DATABASE `+db.QuoteIdent(name)+` WITH (FORCE)`); err != nil {
				t.Fatal(err)
			}
		default:
			junk := []byte(strings.Repeat("this is not a database page ", 4096))
			for _, p := range []string{dsn, dsn + "-wal"} {
				if err := os.WriteFile(p, junk, 0o600); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
		}
		for i := 0; i < 3; i++ {
			// A filter never asked before, so no response cache answers.
			rec := f.Do(apitest.Request{URL: other + "&name=lost" + strconv.Itoa(i), Auth: "olga"})
			var env struct {
				Error struct {
					Code      string `json:"code"`
					Message   string `json:"message"`
					RequestID string `json:"request_id"`
				} `json:"error"`
			}
			body := rec.Body.String()
			if rec.Code != 503 || json.Unmarshal(rec.Body.Bytes(), &env) != nil || env.Error.Code != "unavailable" || env.Error.Message == "" || env.Error.RequestID == "" {
				t.Fatalf("lost database, request %d: %d %s", i, rec.Code, body)
			}
			for _, leak := range []string{"SELECT", "sqlite", "pq:", "SQLSTATE", dsn, tg.DataDir} {
				if leak != "" && strings.Contains(body, leak) {
					t.Fatalf("answer leaks %q: %s", leak, body)
				}
			}
			t.Logf("lost database answers %d %s", rec.Code, strings.TrimSpace(body))
			// The other account is unaffected, for reads and writes.
			if rec := f.Do(apitest.Request{URL: demo}); rec.Code != 200 {
				t.Fatalf("demo account read after the loss: %d %s", rec.Code, rec.Body.String())
			}
		}
		rec := f.Do(apitest.Request{Method: "POST", URL: "/api/v1/channel/?account=" + f.Demo.Token, Body: `{"name": "After the loss"}`})
		if rec.Code != 201 {
			t.Fatalf("demo account write after the loss: %d %s", rec.Code, rec.Body.String())
		}
	})
}
