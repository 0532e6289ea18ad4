package attrib

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/tenant"
)

// ConvertOptions tune ConvertOfflineSales.
type ConvertOptions struct {
	// EventName is the event name offline sales get (default "purchase");
	// build_sales counts them when it belongs to a goal.
	EventName string
	// Now stamps file_upload.processed_at; zero means time.Now.
	Now time.Time
	// BatchRows is the number of rows per transaction (default 1,000).
	BatchRows int
}

// ConvertResult counts what ConvertOfflineSales did.
type ConvertResult struct {
	Rows        int // rows turned into events
	Matched     int // of which joined to a known visitor by a sync id or customer id
	NewVisitors int // visitors (each with an Offline visit) created for the others
}

// ConvertOfflineSales is the work of the import_offline_sales command
// (spec/domain.md §7, §11): every unprocessed offline_sale_row becomes an
// event with is_offline = true. A row is joined to the visitor who last
// sent one of its sync ids (sync_id.value_hash), else to the visitor with
// its customer id; such events have no visit, so build_touchpoints uses
// the visitor's own visits. Otherwise a visitor and an "Offline" visit
// (utm_source = utm_medium = "offline", landing at page_url, started at
// the sale) are created, and its sync ids are recorded as email hashes so
// later rows join it. Rows are marked processed in the same transaction,
// so running again does nothing; an upload whose rows are all processed
// becomes "processed".
func ConvertOfflineSales(ctx context.Context, d *db.DB, acct tenant.Account, opt ConvertOptions) (ConvertResult, error) {
	if opt.EventName == "" {
		opt.EventName = "purchase"
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.BatchRows <= 0 {
		opt.BatchRows = 1000
	}
	var res ConvertResult
	for {
		n := 0
		err := d.InTx(ctx, func(tx *db.Tx) error {
			rows, err := pendingOfflineRows(ctx, tx, opt.BatchRows)
			if err != nil {
				return err
			}
			n = len(rows)
			for _, r := range rows {
				matched, err := convertRow(ctx, tx, r, opt.EventName)
				if err != nil {
					return fmt.Errorf("upload %d row %d: %w", r.uploadID, r.row, err)
				}
				res.Rows++
				if matched {
					res.Matched++
				} else {
					res.NewVisitors++
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("account %s: offline sales: %w", acct.Token, err)
		}
		if n < opt.BatchRows {
			break
		}
	}
	_, err := d.Exec(ctx, `UPDATE "file_upload" SET "status" = 'processed', "processed_at" = ? WHERE "status" = 'received'
		AND NOT EXISTS (SELECT 1 FROM "offline_sale_row" r WHERE r."upload_id" = "file_upload"."id" AND r."processed" = FALSE)`, opt.Now.UTC())
	if err != nil {
		return res, fmt.Errorf("account %s: offline uploads: %w", acct.Token, err)
	}
	return res, nil
}

type pendingRow struct {
	id, uploadID                       int64
	row                                int
	checksum                           string
	ts                                 time.Time
	transactionID, currency            string
	revenueMinor                       int64
	customerID, sku, pageURL, referrer string
	syncs                              []string
}

func pendingOfflineRows(ctx context.Context, tx *db.Tx, limit int) ([]pendingRow, error) {
	rows, err := tx.Query(ctx, `SELECT o."id", o."upload_id", o."row_number", u."checksum", o."event_date_time", o."transaction_id", o."revenue_minor",
		o."currency", o."customer_id", o."event_item_sku", o."page_url", o."referrer", o."sync_id_1", o."sync_id_2", o."sync_id_3"
		FROM "offline_sale_row" o JOIN "file_upload" u ON u."id" = o."upload_id"
		WHERE o."processed" = FALSE ORDER BY o."id" LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pendingRow
	for rows.Next() {
		var r pendingRow
		var s1, s2, s3 string
		if err := rows.Scan(&r.id, &r.uploadID, &r.row, &r.checksum, &r.ts, &r.transactionID, &r.revenueMinor, &r.currency,
			&r.customerID, &r.sku, &r.pageURL, &r.referrer, &s1, &s2, &s3); err != nil {
			return nil, err
		}
		r.ts = r.ts.UTC()
		for _, s := range []string{s1, s2, s3} {
			if s != "" {
				r.syncs = append(r.syncs, s)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func convertRow(ctx context.Context, tx *db.Tx, r pendingRow, eventName string) (bool, error) {
	var customerHash any
	if r.customerID != "" {
		customerHash = sha256Hex(r.customerID)
	}
	visitorID, err := findVisitor(ctx, tx, r, customerHash)
	if err != nil {
		return false, err
	}
	matched := visitorID != 0
	var visitID any
	key := r.checksum + ":" + fmt.Sprint(r.row)
	if matched {
		if customerHash != nil {
			if _, err := tx.Exec(ctx, `UPDATE "visitor" SET "customer_id_hash" = ? WHERE "id" = ? AND "customer_id_hash" IS NULL`, customerHash, visitorID); err != nil {
				return false, err
			}
		}
	} else {
		visitorID, err = db.InsertID(ctx, tx, `INSERT INTO "visitor" ("token", "first_seen", "last_seen", "customer_id_hash") VALUES (?, ?, ?, ?)
			ON CONFLICT ("token") DO UPDATE SET "last_seen" = excluded."last_seen"`, sha256Hex("offline-visitor:" + key)[:32], r.ts, r.ts, customerHash)
		if err != nil {
			return false, fmt.Errorf("visitor: %w", err)
		}
		for _, s := range r.syncs {
			if _, err := tx.Exec(ctx, `INSERT INTO "sync_id" ("visitor_id", "kind", "value_hash", "ts") VALUES (?, 'email_hash', ?, ?)
				ON CONFLICT ("visitor_id", "kind", "value_hash") DO NOTHING`, visitorID, s, r.ts); err != nil {
				return false, fmt.Errorf("sync id: %w", err)
			}
		}
		path, host := "", ""
		if u, err := url.Parse(r.pageURL); err == nil && r.pageURL != "" {
			path = u.EscapedPath()
			if path == "" {
				path = "/"
			}
		}
		if u, err := url.Parse(r.referrer); err == nil {
			host = strings.ToLower(u.Hostname())
		}
		id, err := db.InsertID(ctx, tx, `INSERT INTO "visit" ("visitor_id", "token", "started_at", "ended_at", "landing_url", "landing_path", "referrer", "referrer_host",
			"utm_source", "utm_medium", "page_views", "is_bounce") VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'offline', 'offline', 0, TRUE)
			ON CONFLICT ("token") DO UPDATE SET "ended_at" = excluded."ended_at"`,
			visitorID, sha256Hex("offline-visit:" + key)[:32], r.ts, r.ts, r.pageURL, path, r.referrer, host)
		if err != nil {
			return false, fmt.Errorf("visit: %w", err)
		}
		visitID = id
	}
	var eventID int64
	err = tx.WriteRow(ctx, `INSERT INTO "event" ("visit_id", "visitor_id", "hit_id", "ts", "name", "revenue_minor", "currency", "transaction_id", "is_offline")
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, TRUE) ON CONFLICT ("hit_id") DO NOTHING RETURNING "id"`,
		visitID, visitorID, "offline-"+r.checksum[:24]+"-"+fmt.Sprint(r.row), r.ts, eventName, r.revenueMinor, r.currency, r.transactionID).Scan(&eventID)
	switch {
	case errors.Is(err, sql.ErrNoRows): // converted before (the row's mark was lost); keep the first
	case err != nil:
		return false, fmt.Errorf("event: %w", err)
	case r.sku != "":
		if _, err := tx.Exec(ctx, `INSERT INTO "event_item" ("event_id", "sku", "quantity", "unit_price_minor") VALUES (?, ?, 1, ?)`, eventID, r.sku, r.revenueMinor); err != nil {
			return false, fmt.Errorf("event item: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE "offline_sale_row" SET "processed" = TRUE WHERE "id" = ?`, r.id); err != nil {
		return false, err
	}
	return matched, nil
}

// findVisitor returns the visitor who last sent one of the row's sync
// ids, else the first with its customer id, else 0.
func findVisitor(ctx context.Context, tx *db.Tx, r pendingRow, customerHash any) (int64, error) {
	var id int64
	if len(r.syncs) > 0 {
		q := `SELECT "visitor_id" FROM "sync_id" WHERE "value_hash" IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(r.syncs)), ", ") + `) ORDER BY "ts" DESC, "id" DESC LIMIT 1`
		args := make([]any, len(r.syncs))
		for i, s := range r.syncs {
			args[i] = s
		}
		err := tx.QueryRow(ctx, q, args...).Scan(&id)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return id, err
		}
	}
	if customerHash != nil {
		err := tx.QueryRow(ctx, `SELECT "id" FROM "visitor" WHERE "customer_id_hash" = ? ORDER BY "id" LIMIT 1`, customerHash).Scan(&id)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return id, err
		}
	}
	return 0, nil
}
