package report

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/db"
)

// FuzzParseQuery feeds arbitrary query strings to the report query parser
// (spec/api.md §10.2) of a declared report. Properties:
//   - it never panics;
//   - a refusal is a *resource.Error with status 400, a code and a message;
//   - an accepted query parses the same twice (same cache key);
//   - the SQL built from it, on both dialects, binds every value: the
//     number of ? placeholders equals the number of arguments, and no
//     statement separator or comment reaches the SQL text.
//
// Run longer with: go test -run XXX -fuzz FuzzParseQuery -fuzztime 10m ./internal/report/
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"group_by=channel,date&timeframe=date__week&channel__name=x%27%3B%20DROP%20TABLE%20channel%3B--&date__gte=2023-01-01&totals=true",
		"group_by=channel&channel__in=1,2,3&date__range=2023-01-01,2023-12-31&having=sales__gt=3&order_by=-revenue&totals=true",
		"graph=true&graph_group_by=date&graph_group_by_type=weekly",
		"group_by=date&selected_fields=date,visits,aov&top=5&limit=10&offset=20",
		"group_by=channel&compare=previous_period&date__gte=2024-01-01&date__lte=2024-01-31",
		"group_by=visits", "group_by=channel,channel", "format=xml", "top=0", "having=aov__lt=10",
		"channel__name__regex=%5E(a%7Cb)", "date__week_day=3", "order_by=conversion_rate&order_by=-channel",
		"limit=-1", "offset=abc", "timeframe=date__month", "date=2024-02-30", "channel__name__isnull=true",
	} {
		f.Add(seed)
	}
	r := fixture()
	if err := NewRegistry().Add(r); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := resource.ParseQuery(raw)
		if err != nil {
			return // the API answers 400 before the report sees it
		}
		qr, err := parseQuery(r, p, time.UTC)
		if err != nil {
			var re *resource.Error
			if !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Code == "" || re.Message == "" {
				t.Fatalf("query %q: refusal is not a 400 envelope: %#v", raw, err)
			}
			return
		}
		again, err := parseQuery(r, p, time.UTC)
		if err != nil || again.key(true) != qr.key(true) {
			t.Fatalf("query %q: second parse differs: %v", raw, err)
		}
		for _, dialect := range []string{db.SQLite, db.Postgres} {
			x := &exec{c: r.c, dialect: dialect, loc: time.UTC}
			atoms := qr.atomsFor(qr.needRow, false)
			tbl := r.c.plan(needs{groups: qr.groupCols(), filters: qr.filters, atoms: atoms})
			if tbl == nil {
				continue
			}
			sql, args := x.build(aggSpec{t: tbl, groups: qr.groupCols(), atoms: atoms, filters: qr.filters})
			if n := strings.Count(sql, "?"); n != len(args) {
				t.Fatalf("query %q, %s: %d placeholders for %d args:\n%s", raw, dialect, n, len(args), sql)
			}
			if strings.Contains(sql, ";") || strings.Contains(sql, "--") || strings.Contains(sql, "/*") {
				t.Fatalf("query %q, %s: SQL text carries a separator or comment:\n%s", raw, dialect, sql)
			}
		}
	})
}
