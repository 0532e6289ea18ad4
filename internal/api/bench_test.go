package api_test

import (
	"net/http/httptest"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// BenchmarkListPatterns is the API benchmark's request in-process: a
// 20-object list with one filter and ordering, API-key auth.
func BenchmarkListPatterns(b *testing.B) {
	t := &testing.T{}
	tg := dbtest.Target{Dialect: db.SQLite, DataDir: b.TempDir()}
	f := apitest.New(t, tg, api.Limits{UserPerMinute: -1})
	r := apitest.Request{URL: "/api/v1/pattern/?account=c-a-demo-gb&match_on=referrer&order_by=priority&limit=20"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var rec *httptest.ResponseRecorder = f.Do(r)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}
