package generate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/cubedhq/cubed/internal/db"
)

// TableSum is a table's row count and a checksum of its rows.
type TableSum struct {
	Rows int
	Sum  string
}

// checksumQueries read each raw table by a stable natural key, with
// foreign keys replaced by the natural keys they point at (tokens, hit
// ids), so two databases holding the same data agree whatever ids the
// rows got.
var checksumQueries = map[string]string{
	"visitor": `SELECT "token", "first_seen", "last_seen", COALESCE("customer_id_hash", '') FROM "visitor" ORDER BY "token"`,
	"visit": `SELECT v."token", r."token", v."started_at", v."ended_at", v."landing_url", v."landing_path", v."referrer", v."referrer_host",
		v."utm_source", v."utm_medium", v."utm_campaign", v."utm_term", v."utm_content", v."click_id_type", v."click_id",
		v."device", v."browser", v."os", v."country", v."page_views", CASE WHEN v."is_bounce" THEN 1 ELSE 0 END,
		COALESCE(v."channel_id", 0), COALESCE(v."pattern_id", 0), COALESCE(v."campaign_id", 0), v."segment"
		FROM "visit" v JOIN "visitor" r ON r."id" = v."visitor_id" ORDER BY v."token"`,
	"page_view": `SELECT p."hit_id", v."token", p."ts", p."url", p."path", p."title" FROM "page_view" p JOIN "visit" v ON v."id" = p."visit_id" ORDER BY p."hit_id"`,
	"event": `SELECT e."hit_id", COALESCE(v."token", ''), r."token", e."ts", e."name", e."revenue_minor", e."currency", e."transaction_id",
		CASE WHEN e."is_offline" THEN 1 ELSE 0 END
		FROM "event" e JOIN "visitor" r ON r."id" = e."visitor_id" LEFT JOIN "visit" v ON v."id" = e."visit_id" ORDER BY e."hit_id"`,
	"event_item": `SELECT e."hit_id", i."sku", i."name", i."category", i."quantity", i."unit_price_minor"
		FROM "event_item" i JOIN "event" e ON e."id" = i."event_id" ORDER BY 1, 2, 3, 4, 5, 6`,
	"label": `SELECT v."token", COALESCE(e."hit_id", ''), l."key", l."type", l."value"
		FROM "label" l JOIN "visit" v ON v."id" = l."visit_id" LEFT JOIN "event" e ON e."id" = l."event_id" ORDER BY 1, 2, 3, 4, 5`,
	"sync_id":    `SELECT r."token", s."kind", s."value_hash", s."ts" FROM "sync_id" s JOIN "visitor" r ON r."id" = s."visitor_id" ORDER BY 1, 2, 3`,
	"impression": `SELECT "hit_id", "ts", "sync_id_hash", "medium", "source", "campaign", "content" FROM "impression" ORDER BY "hit_id"`,
	"file_upload": `SELECT "kind", "filename", "checksum", "status", "rows_total", "rows_ok", "rows_failed", COALESCE("uploaded_by", 0), "uploaded_at"
		FROM "file_upload" ORDER BY "checksum"`,
	"offline_sale_row": `SELECT u."checksum", o."row_number", o."event_date_time", o."transaction_id", o."revenue_minor", o."currency", o."customer_id",
		o."event_item_sku", o."sync_id_1", o."sync_id_2", o."sync_id_3", o."page_url", o."referrer", CASE WHEN o."processed" THEN 1 ELSE 0 END
		FROM "offline_sale_row" o JOIN "file_upload" u ON u."id" = o."upload_id" ORDER BY 1, 2`,
}

// RawTables lists the tables TableChecksums covers.
var RawTables = []string{"visitor", "visit", "page_view", "event", "event_item", "label", "sync_id", "impression", "file_upload", "offline_sale_row"}

// TableChecksums returns the row count and a SHA-256 over the rows of
// every raw table, read in a stable order.
func TableChecksums(ctx context.Context, d *db.DB) (map[string]TableSum, error) {
	out := map[string]TableSum{}
	for _, table := range RawTables {
		s, err := checksum(ctx, d, checksumQueries[table])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", table, err)
		}
		out[table] = s
	}
	return out, nil
}

func checksum(ctx context.Context, d *db.DB, q string) (TableSum, error) {
	rows, err := d.Query(ctx, q)
	if err != nil {
		return TableSum{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return TableSum{}, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := sha256.New()
	n := 0
	buf := make([]byte, 0, 512)
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return TableSum{}, err
		}
		buf = buf[:0]
		for _, v := range vals {
			buf = appendValue(buf, v)
			buf = append(buf, 0x1f)
		}
		buf = append(buf, 0x1e)
		h.Write(buf)
		n++
	}
	if err := rows.Err(); err != nil {
		return TableSum{}, err
	}
	return TableSum{Rows: n, Sum: hex.EncodeToString(h.Sum(nil))}, nil
}

// appendValue renders a scanned value canonically: times in UTC, numbers
// in decimal.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "NULL"...)
	case time.Time:
		return x.UTC().AppendFormat(b, time.RFC3339Nano)
	case []byte:
		return append(b, x...)
	case string:
		return append(b, x...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case sql.RawBytes:
		return append(b, x...)
	default:
		return fmt.Append(b, x)
	}
}
