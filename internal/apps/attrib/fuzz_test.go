package attrib

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cubedhq/cubed/internal/money"
	"github.com/cubedhq/cubed/internal/tenant"
)

// FuzzOfflineCSV feeds arbitrary files to the offline sales CSV parser
// (spec/domain.md §7). Properties:
//   - it never panics;
//   - a refused file has a message and yields no rows;
//   - otherwise every row is counted once: good rows + failed rows = total;
//   - at most MaxUploadErrors row errors, each with a line >= 2 and a reason,
//     a column that is empty or one of the declared columns;
//   - every good row satisfies the column rules (required fields, lengths,
//     currency, money >= 0, time within 2000-2099).
//
// Run longer with: go test -run XXX -fuzz FuzzOfflineCSV -fuzztime 10m ./internal/apps/attrib/
func FuzzOfflineCSV(f *testing.F) {
	for _, seed := range []string{
		"event_date_time,transaction_id,revenue\n2025-01-31 14:05:00,t1,59.99\n",
		"Event Date Time,Transaction ID,Revenue,Currency,Customer ID,page_url\n2025-01-31T14:05:00Z,t2,10,JPY,c1,https://shop.example/\n",
		"\xef\xbb\xbfevent_date_time,transaction_id,revenue,account_token\n2025-01-31,t3,1.005,c-a-other-gb\n",
		"event_date_time,transaction_id,revenue\n\"2025-01-31 14:05\",\"t\"\"4\",-1\n,,\n2025-01-31,t5\n",
		"event_date_time,transaction_id,revenue,referrer\n1999-01-01,t6,1e3,javascript:x\n2025-02-30,t7,9999999999999,http://x\n",
		"foo,bar\n1,2\n", "", "\x00", "event_date_time,event_date_time\n", "a\"b,c\n",
	} {
		f.Add([]byte(seed))
	}
	acct := tenant.Account{Token: "c-a-shop-gb", Currency: "GBP", TimeZone: "Europe/London"}
	known := map[string]bool{"": true}
	for _, c := range OfflineColumn {
		known[c] = true
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var res UploadResult
		rows, err := parseOfflineCSV(raw, acct, &res)
		if err != nil {
			if err.Error() == "" || len(rows) != 0 {
				t.Fatalf("refusal %q with %d rows", err, len(rows))
			}
			return
		}
		if len(rows)+res.RowsFailed != res.RowsTotal {
			t.Fatalf("%d good + %d failed != %d total", len(rows), res.RowsFailed, res.RowsTotal)
		}
		if len(res.Errors) > MaxUploadErrors || (res.RowsFailed > 0 && len(res.Errors) == 0) {
			t.Fatalf("%d errors for %d failed rows", len(res.Errors), res.RowsFailed)
		}
		for _, e := range res.Errors {
			if e.Row < 2 || e.Reason == "" || !known[e.Column] {
				t.Fatalf("malformed row error %+v", e)
			}
		}
		for _, r := range rows {
			if r.row < 2 || r.transactionID == "" || utf8.RuneCountInString(r.transactionID) > 128 {
				t.Fatalf("bad good row %+v", r)
			}
			if !tenant.ValidCurrency(r.currency) || r.revenueMinor < 0 {
				t.Fatalf("bad money in good row %+v", r)
			}
			if y := r.ts.Year(); y < 1999 || y > 2100 || r.ts.Location().String() != "UTC" {
				t.Fatalf("bad time in good row %+v", r)
			}
		}
	})
}

// FuzzParseMoney: a valid amount formats back to a string that parses to
// the same minor units; an invalid one has a reason and no value.
//
// Run longer with: go test -run XXX -fuzz FuzzParseMoney -fuzztime 10m ./internal/apps/attrib/
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"59.99", "0", ".5", "1.", "+3.10", "-1", "1e3", "0001.2300", "999999999999.99", "1000000000000", "1.001"} {
		for _, cur := range []string{"GBP", "JPY", "BHD"} {
			f.Add(s, cur)
		}
	}
	f.Fuzz(func(t *testing.T, v, cur string) {
		if !tenant.ValidCurrency(cur) {
			return
		}
		n, reason := ParseMoney(v, cur)
		if reason != "" {
			if n != 0 {
				t.Fatalf("%q %s: %d with reason %q", v, cur, n, reason)
			}
			return
		}
		if n < 0 {
			t.Fatalf("%q %s: negative %d", v, cur, n)
		}
		exp := money.Exponent(cur)
		s := fmt.Sprint(n)
		if exp > 0 {
			s = strings.Repeat("0", max(0, exp+1-len(s))) + s
			s = s[:len(s)-exp] + "." + s[len(s)-exp:]
		}
		back, reason := ParseMoney(s, cur)
		if reason != "" || back != n {
			t.Fatalf("%q %s = %d, formatted %q parses to %d (%s)", v, cur, n, s, back, reason)
		}
	})
}
