package api_test

import (
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// Every catalogue report is listed, has a schema and answers on an account
// whose aggregates are still empty. (Values on generated data are checked
// with the pipeline's tests.)
func TestReportCatalogueServes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{UserPerMinute: 1 << 30})
		root := decode(t, f.Do(apitest.Request{URL: "/api/v1/", Auth: "none"}))
		n := 0
		for name := range root {
			if !strings.HasPrefix(name, "report-") {
				continue
			}
			n++
			if rec := f.Do(apitest.Request{URL: "/api/v1/" + name + "/schema/", Auth: "none"}); rec.Code != 200 {
				t.Errorf("%s schema: %d", name, rec.Code)
			}
			for _, q := range []string{"", "&totals=true", "&group_by=date&date__range=2026-01-01,2026-01-31&graph=true&graph_group_by=date", "&format=csv"} {
				rec := f.Do(get("/api/v1/" + name + "/" + A + q))
				if rec.Code != 200 {
					t.Errorf("%s%s: %d %s", name, q, rec.Code, rec.Body.String())
				}
			}
		}
		if n < 9 {
			t.Fatalf("only %d reports listed", n)
		}
	})
}
