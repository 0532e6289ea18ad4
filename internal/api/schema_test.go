package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got (JSON) with testdata/name, indented for review.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n%s", name, buf.String())
	}
}

func TestSchemaGolden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		for _, name := range []string{"pattern", "channel", "segmenter-rule", "membership"} {
			rec := f.Do(apitest.Request{URL: "/api/v1/" + name + "/schema/", Auth: "none"})
			if rec.Code != 200 {
				t.Fatalf("%s schema: %d", name, rec.Code)
			}
			golden(t, "schema_"+name+".json", rec.Body.Bytes())
		}
		rec := f.Do(apitest.Request{URL: "/api/v1/pattern/1/" + A})
		golden(t, "pattern_1.json", rec.Body.Bytes())
		rec = f.Do(apitest.Request{URL: "/api/v1/pattern/" + A + "&limit=2&offset=4"})
		golden(t, "pattern_list_page.json", rec.Body.Bytes())
	})
}

func TestListQueriesAreBounded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		ctx := context.Background()
		d, release, err := f.App.Tenants.Acquire(ctx, f.Demo)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		for i := 0; i < 1000; i++ {
			if _, err := d.Exec(ctx, `INSERT INTO "pattern" ("channel_id", "pattern", "created", "updated") VALUES (?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`, i%4+1, fmt.Sprintf("bulk%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		cost := func(limit int) int64 {
			before := d.QueryCount()
			rec := f.Do(get(fmt.Sprintf("/api/v1/pattern/%s&limit=%d", A, limit)))
			if rec.Code != 200 {
				t.Fatalf("limit %d: %d", limit, rec.Code)
			}
			return d.QueryCount() - before
		}
		small, big := cost(10), cost(1000)
		if small != big || big > 2 {
			t.Fatalf("queries on the client database: %d for 10 rows, %d for 1000 rows; want the same small number", small, big)
		}
	})
}

func TestDatetimesInAccountZone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		ctx := context.Background()
		d, release, err := f.App.Tenants.Acquire(ctx, f.Demo)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		july := "2024-07-01 12:00:00.25+00:00"
		if _, err := d.Exec(ctx, `UPDATE "pattern" SET "created" = ? WHERE "id" = 1`, mustTime(t, july)); err != nil {
			t.Fatal(err)
		}
		run(t, f, []scenario{
			{req: get("/api/v1/pattern/1/" + A), status: 200, check: field("created", "2024-07-01T13:00:00.250000+01:00")},
			{req: get("/api/v1/pattern/" + A + "&created__date=2024-07-01"), status: 200, ids: []int64{1}, total: 1},
			{req: get("/api/v1/pattern/" + A + "&created=2024-07-01T13:00:00.25"), status: 200, ids: []int64{1}, total: 1},
			{req: get("/api/v1/pattern/" + A + "&created=2024-07-01T12:00:00.25Z"), status: 200, ids: []int64{1}, total: 1},
		})
	})
}
