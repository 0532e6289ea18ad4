package api_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// cacheCounts reads cubed_api_response_cache_total from /metrics.
func cacheCounts(t *testing.T, f *apitest.Fixture) (hits, misses int) {
	t.Helper()
	body := f.Do(apitest.Request{URL: "/metrics", Auth: "none"}).Body.String()
	for _, m := range regexp.MustCompile(`cubed_api_response_cache_total\{result="(hit|miss)"\} (\d+)`).FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		if m[1] == "hit" {
			hits = n
		} else {
			misses = n
		}
	}
	return hits, misses
}

// The response cache answers repeated GETs on SQLite and never serves a
// response older than the last commit: writes through the API, through
// another handle (another process) both show on the next GET. PostgreSQL answers are never cached.
func TestResponseCache(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		f := apitest.New(t, tg, api.Limits{UserPerMinute: -1})
		url := "/api/v1/pattern/?account=c-a-demo-gb&match_on=referrer&order_by=priority&limit=5"
		get := func() string {
			t.Helper()
			rec := f.Do(apitest.Request{URL: url})
			if rec.Code != 200 {
				t.Fatalf("GET: %d %s", rec.Code, rec.Body)
			}
			return rec.Body.String()
		}
		first := get()
		if again := get(); again != first {
			t.Fatalf("two GETs without a write differ:\n%s\n%s", first, again)
		}
		hits, misses := cacheCounts(t, f)
		if tg.Dialect == db.Postgres {
			if hits+misses != 0 {
				t.Fatalf("PostgreSQL answers went through the cache: %d hits, %d misses", hits, misses)
			}
		} else if hits != 1 || misses != 1 {
			t.Fatalf("cache after two GETs: %d hits, %d misses; want 1 and 1", hits, misses)
		}

		// A write through the API.
		rec := f.Do(apitest.Request{Method: "PATCH", URL: "/api/v1/pattern/14/?account=c-a-demo-gb", Body: `{"pattern": "patched.example"}`})
		if rec.Code != 200 {
			t.Fatalf("PATCH: %d %s", rec.Code, rec.Body)
		}
		if body := get(); !strings.Contains(body, "patched.example") {
			t.Fatalf("GET after PATCH served the old list: %s", body)
		}
		// A write by another handle on the same database (the CLI, Conductor).
		d, release, err := f.App.Tenants.Acquire(ctx, f.Demo)
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.Open(ctx, d.DSN(), db.Options{})
		release()
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if _, err := other.Exec(ctx, `UPDATE "pattern" SET "pattern" = 'elsewhere.example' WHERE "id" = 1`); err != nil {
			t.Fatal(err)
		}
		if body := get(); !strings.Contains(body, "elsewhere.example") {
			t.Fatalf("GET after another handle's write served the old list: %s", body)
		}
	})
}
