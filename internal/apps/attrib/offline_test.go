package attrib_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/config"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/tenant"
)

// clientDB creates account c-a-shop-gb (Europe/London, GBP) and returns
// its database.
func clientDB(t *testing.T, tg dbtest.Target) (*db.DB, tenant.Account) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.DataDir, cfg.ControlDSN, cfg.PGDatabasePrefix = tg.DataDir, tg.ControlDSN, tg.PGPrefix
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler), app.Registry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.MigrateControl(ctx); err != nil {
		t.Fatal(err)
	}
	acct, err := a.Tenants.Create(ctx, tenant.CreateParams{Name: "shop", Country: "gb", TimeZone: "Europe/London", Currency: "GBP"})
	if err != nil {
		t.Fatal(err)
	}
	d, release, err := a.Tenants.Acquire(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return d, acct
}

const header = "account_token,event_date_time,transaction_id,revenue,currency,customer_id,event_item_sku,page_url,referrer,sync_id_1,sync_id_2,sync_id_3\n"

func TestImportKeepsGoodRowsAndReportsBadOnes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		d, acct := clientDB(t, tg)
		ctx := context.Background()
		file := "\ufeff" + header +
			"c-a-shop-gb,2025-03-01 10:00:00,T1,59.99,GBP,C1,SKU-1,https://shop.example/store,,abc,,\n" + // row 2 ok
			",2025-03-30T01:30:00Z,T2,10,,,,,,,,\n" + // row 3 ok (currency defaults, RFC 3339)
			"c-a-other-gb,2025-03-01 10:00:00,T3,5,GBP,,,,,,,\n" + // row 4 account
			"c-a-shop-gb,yesterday,T4,5,GBP,,,,,,,\n" + // row 5 date
			"c-a-shop-gb,2025-03-01,,5,GBP,,,,,,,\n" + // row 6 transaction id
			"c-a-shop-gb,2025-03-01,T6,5.999,GBP,,,,,,,\n" + // row 7 revenue decimals
			"c-a-shop-gb,2025-03-01,T7,-5,GBP,,,,,,,\n" + // row 8 negative
			"c-a-shop-gb,2025-03-01,T8,5,XXX,,,,,,,\n" + // row 9 currency
			"c-a-shop-gb,2025-03-01,T9,5,GBP,,,not a url,,,,\n" + // row 10 page_url
			"c-a-shop-gb,2025-03-01,T10,5,GBP\n" + // row 11 field count
			"c-a-shop-gb,2025-03-01,T11,abc,GBP,,,,,," + strings.Repeat("x", 129) + ",\n" + // row 12 revenue and sync_id_2
			"\n" + // blank lines are skipped
			"c-a-shop-gb,2025-07-01 12:00,T12,1000,JPY,,,,,,,\n" // row 14 ok, JPY has no minor unit
		res, err := attrib.ImportOfflineSales(ctx, d, acct, "sales.csv", strings.NewReader(file), 7)
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsTotal != 12 || res.RowsOK != 3 || res.RowsFailed != 9 || res.Status != "received" || res.ID == 0 {
			t.Errorf("result %+v", res)
		}
		type rc struct {
			row    int
			column string
		}
		var got []rc
		for _, e := range res.Errors {
			if e.Reason == "" {
				t.Errorf("row %d %s: no reason", e.Row, e.Column)
			}
			got = append(got, rc{e.Row, e.Column})
		}
		want := []rc{{4, "account_token"}, {5, "event_date_time"}, {6, "transaction_id"}, {7, "revenue"}, {8, "revenue"},
			{9, "currency"}, {10, "page_url"}, {11, ""}, {12, "revenue"}, {12, "sync_id_2"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("errors %v\nwant   %v", got, want)
		}
		// Stored: the good rows, in UTC and minor units; the upload with its errors.
		rows, err := d.Query(ctx, `SELECT "row_number", "event_date_time", "transaction_id", "revenue_minor", "currency", "sync_id_1" FROM "offline_sale_row" ORDER BY "row_number"`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var stored []string
		for rows.Next() {
			var n int
			var ts time.Time
			var txn, cur, sync string
			var rev int64
			if err := rows.Scan(&n, &ts, &txn, &rev, &cur, &sync); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, fmt.Sprintf("%d %s %s %d %s %s", n, ts.UTC().Format(time.RFC3339), txn, rev, cur, sync))
		}
		wantRows := []string{"2 2025-03-01T10:00:00Z T1 5999 GBP abc", "3 2025-03-30T01:30:00Z T2 1000 GBP ", "14 2025-07-01T11:00:00Z T12 1000 JPY "}
		if !reflect.DeepEqual(stored, wantRows) {
			t.Errorf("stored %q\nwant   %q", stored, wantRows)
		}
		again, err := attrib.GetUpload(ctx, d, res.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again.Errors, res.Errors) || again.RowsFailed != 9 {
			t.Errorf("stored upload %+v", again)
		}

		// The same file again is refused, naming the earlier upload.
		dup, err := attrib.ImportOfflineSales(ctx, d, acct, "renamed.csv", strings.NewReader(file), 7)
		if !errors.Is(err, apperr.ErrConflict) || !dup.Duplicate || dup.ID != res.ID || !strings.Contains(err.Error(), fmt.Sprint(res.ID)) {
			t.Errorf("duplicate: %+v %v", dup, err)
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM "offline_sale_row"`).Scan(&n); err != nil || n != 3 {
			t.Errorf("rows after duplicate %d %v", n, err)
		}
	})
}

func TestImportRejectsUnusableFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		d, acct := clientDB(t, tg)
		ctx := context.Background()
		cases := map[string]string{
			"empty":          "",
			"missing column": "event_date_time,revenue\n2025-01-01,5\n",
			"unknown column": "event_date_time,transaction_id,revenue,colour\n2025-01-01,T,5,red\n",
			"twice":          "event_date_time,transaction_id,revenue,revenue\n",
			"not utf-8":      "event_date_time,transaction_id,revenue\n2025-01-01,T\xff,5\n",
		}
		for name, body := range cases {
			_, err := attrib.ImportOfflineSales(ctx, d, acct, "f.csv", strings.NewReader(body), 0)
			var inv *apperr.Invalid
			if !errors.As(err, &inv) || inv.Field != "file" {
				t.Errorf("%s: %v", name, err)
			}
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM "file_upload"`).Scan(&n); err != nil || n != 0 {
			t.Errorf("uploads stored for unusable files: %d %v", n, err)
		}

		// A file with no good row is stored as failed, may be sent again,
		// and its errors stop at 1,000.
		var b strings.Builder
		b.WriteString("event_date_time,transaction_id,revenue\n")
		for i := 0; i < 1500; i++ {
			b.WriteString("2025-01-01,T,oops\n")
		}
		for round := 0; round < 2; round++ {
			res, err := attrib.ImportOfflineSales(ctx, d, acct, "bad.csv", strings.NewReader(b.String()), 0)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != "failed" || res.RowsFailed != 1500 || len(res.Errors) != attrib.MaxUploadErrors {
				t.Errorf("round %d: status %s, failed %d, errors %d", round, res.Status, res.RowsFailed, len(res.Errors))
			}
		}
		if err := d.QueryRow(ctx, `SELECT count(*) FROM "file_upload"`).Scan(&n); err != nil || n != 1 {
			t.Errorf("failed uploads %d %v, want 1", n, err)
		}
	})
}

func TestParseMoney(t *testing.T) {
	cases := []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"59.99", "GBP", 5999, true}, {"59.9", "GBP", 5990, true}, {"59", "GBP", 5900, true}, {"0", "GBP", 0, true},
		{".5", "GBP", 50, true}, {"5.", "GBP", 500, true}, {"+3.10", "GBP", 310, true}, {"1.500", "GBP", 150, true},
		{"1000", "JPY", 1000, true}, {"1.5", "JPY", 0, false}, {"1.234", "KWD", 1234, true},
		{"-1", "GBP", 0, false}, {"1,000", "GBP", 0, false}, {"1e3", "GBP", 0, false}, {"", "GBP", 0, false}, {".", "GBP", 0, false},
		{"9999999999999", "GBP", 0, false}, {"999999999999.99", "GBP", 99999999999999, true},
	}
	for _, c := range cases {
		got, reason := attrib.ParseMoney(c.in, c.cur)
		if (reason == "") != c.ok || got != c.want {
			t.Errorf("ParseMoney(%q, %s) = %d %q", c.in, c.cur, got, reason)
		}
	}
}

// Offline rows become offline events: joined to a known visitor by sync
// id or customer id, else with a new visitor and an Offline visit; a
// second run does nothing.
func TestConvertOfflineSales(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		d, acct := clientDB(t, tg)
		ctx := context.Background()
		t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
		known, err := db.InsertID(ctx, d, `INSERT INTO "visitor" ("token", "first_seen", "last_seen") VALUES (?, ?, ?)`, strings.Repeat("k", 32), t0, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `INSERT INTO "sync_id" ("visitor_id", "kind", "value_hash", "ts") VALUES (?, 'email_hash', 'hash-known', ?)`, known, t0); err != nil {
			t.Fatal(err)
		}
		file := header +
			"c-a-shop-gb,2025-03-02 10:00:00,T1,10.00,GBP,C1,SKU-1,,,,hash-known,\n" + // matched by sync id
			"c-a-shop-gb,2025-03-02 11:00:00,T2,20.00,GBP,C1,,,,,,\n" + // matched by customer id (set on the known visitor by T1)
			"c-a-shop-gb,2025-03-03 12:00:00,T3,30.00,GBP,C2,SKU-2,https://shop.example/stores/leeds,https://maps.example/x,hash-new,,\n" + // new
			"c-a-shop-gb,2025-03-04 12:00:00,T4,40.00,GBP,,,,,hash-new,,\n" // joins the visitor T3 created
		up, err := attrib.ImportOfflineSales(ctx, d, acct, "o.csv", strings.NewReader(file), 0)
		if err != nil || up.RowsOK != 4 {
			t.Fatalf("import: %+v %v", up, err)
		}
		res, err := attrib.ConvertOfflineSales(ctx, d, acct, attrib.ConvertOptions{BatchRows: 3})
		if err != nil {
			t.Fatal(err)
		}
		if res != (attrib.ConvertResult{Rows: 4, Matched: 3, NewVisitors: 1}) {
			t.Errorf("result %+v", res)
		}
		rows, err := d.Query(ctx, `SELECT e."transaction_id", e."visitor_id", COALESCE(v."utm_medium", '-'), COALESCE(v."landing_path", '-'), e."revenue_minor",
			CASE WHEN e."is_offline" THEN 1 ELSE 0 END, e."name", (SELECT count(*) FROM "event_item" i WHERE i."event_id" = e."id")
			FROM "event" e LEFT JOIN "visit" v ON v."id" = e."visit_id" ORDER BY e."transaction_id"`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		var newVisitor int64
		for rows.Next() {
			var txn, medium, path, name string
			var vid, rev int64
			var off, items int
			if err := rows.Scan(&txn, &vid, &medium, &path, &rev, &off, &name, &items); err != nil {
				t.Fatal(err)
			}
			who := "known"
			if vid != known {
				if newVisitor == 0 {
					newVisitor = vid
				}
				who = "new"
				if vid != newVisitor {
					who = "other"
				}
			}
			got = append(got, fmt.Sprintf("%s %s %s %s %d %d %s %d", txn, who, medium, path, rev, off, name, items))
		}
		want := []string{
			"T1 known - - 1000 1 purchase 1",
			"T2 known - - 2000 1 purchase 0",
			"T3 new offline /stores/leeds 3000 1 purchase 1",
			"T4 new - - 4000 1 purchase 0",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		again, err := attrib.ConvertOfflineSales(ctx, d, acct, attrib.ConvertOptions{})
		if err != nil || again.Rows != 0 {
			t.Errorf("second run: %+v %v", again, err)
		}
		u, err := attrib.GetUpload(ctx, d, up.ID)
		if err != nil || u.Status != "processed" {
			t.Errorf("upload status %q %v", u.Status, err)
		}
	})
}
