package api_test

import (
	"net/http"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// FuzzListQuery feeds arbitrary query strings (filters, ordering, paging)
// to a list on SQLite: the answer is 200 or a 4xx envelope, never a 500.
// Run longer with: go test -run XXX -fuzz FuzzListQuery -fuzztime 5m ./internal/api/
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"priority__range=100,200&limit=2", "channel__name=Email", "id__in=2&id__in=5,7", "order_by=-channel__name",
		"created__week_day=3", "pattern__regex=%5Esite", "created__date=2024-01-05", "foo=1", "limit=abc",
		"pattern__iregex=(%3Fi)x", "created=2024-01-01T00:00:00%2B05:00", "priority=none", "is_default=1",
		"channel__name__startswith=E&order_by=priority&offset=3", "updated__lt=2024-02-01T10:00",
	} {
		f.Add(seed)
	}
	t := &testing.T{}
	fx := apitest.New(t, dbtest.Target{Dialect: db.SQLite, DataDir: f.TempDir()}, api.Limits{UserPerMinute: 1 << 30})
	f.Fuzz(func(t *testing.T, q string) {
		rec := fx.Do(apitest.Request{URL: "/api/v1/pattern/?account=c-a-demo-gb&" + q})
		if rec.Code >= 500 || (rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest && rec.Code != http.StatusNotFound) {
			t.Fatalf("query %q: %d %s", q, rec.Code, rec.Body.String())
		}
	})
}
