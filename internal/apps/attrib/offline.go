package attrib

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/money"
	"github.com/cubedhq/cubed/internal/tenant"
)

// Limits of an offline sales file.
const (
	MaxUploadBytes  = 64 << 20
	MaxUploadRows   = 1_000_000
	MaxUploadErrors = 1000
)

// RowError is one problem of one row of an uploaded file. Row is the line
// of the file (the header is row 1); Column is empty for a malformed line.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// UploadResult describes a stored upload (file_upload): its counts and up
// to MaxUploadErrors row errors. Good rows are kept as offline_sale_row
// whatever happened to the others.
type UploadResult struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Filename   string     `json:"filename"`
	Checksum   string     `json:"checksum"`
	Status     string     `json:"status"`
	RowsTotal  int        `json:"rows_total"`
	RowsOK     int        `json:"rows_ok"`
	RowsFailed int        `json:"rows_failed"`
	Errors     []RowError `json:"errors"`
	UploadedAt time.Time  `json:"uploaded_at"`
	// Duplicate is set, with the earlier upload's figures, when the file
	// was uploaded before (the error is then an apperr.Conflict).
	Duplicate bool `json:"duplicate,omitempty"`
}

// ImportOptions tune ImportOfflineSalesWith.
type ImportOptions struct {
	// Now stamps uploaded_at; zero means time.Now (the generator passes a
	// time derived from its seed so its output is reproducible).
	Now time.Time
}

// ImportOfflineSales stores an offline sales CSV (spec/domain.md §7) for
// acct: it validates every row, keeps the good ones as offline_sale_row,
// records the upload with its row errors, and refuses a file whose
// checksum was already uploaded (apperr.Conflict, with the earlier upload
// in the result). A file that cannot be read as such a CSV at all is an
// apperr.Invalid naming "file" and stores nothing. uploadedBy is the
// uploading user's id, or 0 (command line).
//
// Rows become events in the import_offline_sales command; see
// ConvertOfflineSales.
func ImportOfflineSales(ctx context.Context, d *db.DB, acct tenant.Account, filename string, r io.Reader, uploadedBy int64) (UploadResult, error) {
	return ImportOfflineSalesWith(ctx, d, acct, filename, r, uploadedBy, ImportOptions{})
}

// offlineRow is a validated row.
type offlineRow struct {
	row                                    int
	ts                                     time.Time
	transactionID                          string
	revenueMinor                           int64
	currency, customerID, sku              string
	sync1, sync2, sync3, pageURL, referrer string
}

// ImportOfflineSalesWith is ImportOfflineSales with options.
func ImportOfflineSalesWith(ctx context.Context, d *db.DB, acct tenant.Account, filename string, r io.Reader, uploadedBy int64, opt ImportOptions) (UploadResult, error) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	filename = strings.TrimSpace(filename)
	if filename == "" {
		filename = "upload.csv"
	}
	if !utf8.ValidString(filename) || strings.ContainsRune(filename, 0) {
		return UploadResult{}, apperr.Invalidf("filename", "", "must be UTF-8 text")
	}
	if n := utf8.RuneCountInString(filename); n > 255 {
		filename = string([]rune(filename)[:255])
	}
	raw, err := io.ReadAll(io.LimitReader(r, MaxUploadBytes+1))
	if err != nil {
		return UploadResult{}, fmt.Errorf("read %s: %w", filename, err)
	}
	if len(raw) > MaxUploadBytes {
		return UploadResult{}, apperr.Invalidf("file", filename, "is larger than %d MiB", MaxUploadBytes>>20)
	}
	sum := sha256.Sum256(raw)
	res := UploadResult{Kind: "offline_sales", Filename: filename, Checksum: hex.EncodeToString(sum[:]), UploadedAt: now, Errors: []RowError{}}

	rows, err := parseOfflineCSV(raw, acct, &res)
	if err != nil {
		return UploadResult{}, apperr.Invalidf("file", filename, "%s", err.Error())
	}
	res.RowsOK = len(rows)
	res.Status = "received"
	if res.RowsOK == 0 {
		res.Status = "failed"
	}
	var errJSON any
	if len(res.Errors) > 0 {
		b, _ := json.Marshal(res.Errors)
		errJSON = string(b)
	}
	var by any
	if uploadedBy > 0 {
		by = uploadedBy
	}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		var prevID int64
		var prevStatus string
		err := tx.QueryRow(ctx, `SELECT "id", "status" FROM "file_upload" WHERE "checksum" = ?`, res.Checksum).Scan(&prevID, &prevStatus)
		switch {
		case err == nil && prevStatus != "failed":
			return errDuplicate{id: prevID}
		case err == nil:
			// A failed upload (no good row) may be tried again.
			if _, err := tx.Exec(ctx, `DELETE FROM "file_upload" WHERE "id" = ?`, prevID); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		id, err := db.InsertID(ctx, tx, `INSERT INTO "file_upload" ("kind", "filename", "checksum", "status", "rows_total", "rows_ok", "rows_failed", "errors", "uploaded_by", "uploaded_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			res.Kind, res.Filename, res.Checksum, res.Status, res.RowsTotal, res.RowsOK, res.RowsFailed, errJSON, by, now)
		if err != nil {
			return fmt.Errorf("record upload: %w", err)
		}
		res.ID = id
		return insertOfflineRows(ctx, tx, id, rows)
	})
	var dup errDuplicate
	if errors.As(err, &dup) {
		prev, gerr := GetUpload(ctx, d, dup.id)
		if gerr != nil {
			return UploadResult{}, gerr
		}
		prev.Duplicate = true
		return prev, &apperr.Conflict{Fields: []string{"file"},
			Msg: fmt.Sprintf("this file was already uploaded as upload %d (%s, %s)", prev.ID, prev.Filename, prev.UploadedAt.Format("2006-01-02 15:04 MST"))}
	}
	if err != nil {
		return UploadResult{}, fmt.Errorf("store %s: %w", filename, err)
	}
	return res, nil
}

type errDuplicate struct{ id int64 }

func (e errDuplicate) Error() string { return fmt.Sprintf("duplicate of upload %d", e.id) }

// GetUpload reads one upload with its stored errors.
func GetUpload(ctx context.Context, d *db.DB, id int64) (UploadResult, error) {
	var res UploadResult
	var errs sql.NullString
	err := d.QueryRow(ctx, `SELECT "id", "kind", "filename", "checksum", "status", "rows_total", "rows_ok", "rows_failed", "errors", "uploaded_at" FROM "file_upload" WHERE "id" = ?`, id).
		Scan(&res.ID, &res.Kind, &res.Filename, &res.Checksum, &res.Status, &res.RowsTotal, &res.RowsOK, &res.RowsFailed, &errs, &res.UploadedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return res, fmt.Errorf("upload %d: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return res, err
	}
	res.Errors = []RowError{}
	if errs.Valid && errs.String != "" {
		if err := json.Unmarshal([]byte(errs.String), &res.Errors); err != nil {
			return res, fmt.Errorf("upload %d: errors: %w", id, err)
		}
	}
	res.UploadedAt = res.UploadedAt.UTC()
	return res, nil
}

// parseOfflineCSV validates the file; it returns the good rows and fills
// res's counts and errors. An error means the file as a whole is unusable.
func parseOfflineCSV(raw []byte, acct tenant.Account, res *UploadResult) ([]offlineRow, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("is empty; the first line must name the columns")
	}
	if !utf8.Valid(raw) {
		return nil, errors.New("is not UTF-8 text")
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return nil, errors.New("contains NUL bytes; it is not a CSV file")
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %v", err)
	}
	col := map[string]int{}
	known := map[string]bool{}
	for _, c := range OfflineColumn {
		known[c] = true
	}
	for i, h := range header {
		name := strings.ToLower(strings.Join(strings.Fields(strings.TrimSpace(h)), "_"))
		if !known[name] {
			return nil, fmt.Errorf("unknown column %q; the columns are %s", clipText(h, 40), strings.Join(OfflineColumn, ", "))
		}
		if _, dup := col[name]; dup {
			return nil, fmt.Errorf("column %s appears twice", name)
		}
		col[name] = i
	}
	for _, need := range []string{"event_date_time", "transaction_id", "revenue"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("missing column %s; the columns are %s", need, strings.Join(OfflineColumn, ", "))
		}
	}
	loc := acct.Location()
	var out []offlineRow
	addErr := func(row int, column, reason string) {
		if len(res.Errors) < MaxUploadErrors {
			res.Errors = append(res.Errors, RowError{Row: row, Column: column, Reason: reason})
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line := 0
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
				if line == 0 {
					line = pe.Line
				}
			}
			res.RowsTotal++
			res.RowsFailed++
			addErr(line, "", "not a well-formed CSV line: "+errReason(err))
			if res.RowsFailed > MaxUploadRows {
				return nil, errors.New("too many malformed lines")
			}
			continue
		}
		// FieldPos panics after a failed Read, so it is asked only here.
		line, _ = cr.FieldPos(0)
		res.RowsTotal++
		if res.RowsTotal > MaxUploadRows {
			return nil, fmt.Errorf("has more than %d rows; split it", MaxUploadRows)
		}
		if len(rec) != len(header) {
			res.RowsFailed++
			addErr(line, "", fmt.Sprintf("has %d fields, the header has %d", len(rec), len(header)))
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := offlineRow{row: line}
		bad := false
		fail := func(column, reason string) {
			bad = true
			addErr(line, column, reason)
		}
		if tok := get("account_token"); tok != "" && tok != acct.Token {
			fail("account_token", fmt.Sprintf("is %s, but the file is being imported into %s", clipText(tok, 40), acct.Token))
		}
		if v := get("event_date_time"); v == "" {
			fail("event_date_time", "is required")
		} else if ts, ok := parseLocalTime(v, loc); !ok {
			fail("event_date_time", "must be a date and time such as 2025-01-31 14:05:00 (account time zone) or RFC 3339")
		} else {
			row.ts = ts
		}
		row.transactionID = get("transaction_id")
		switch {
		case row.transactionID == "":
			fail("transaction_id", "is required")
		case utf8.RuneCountInString(row.transactionID) > 128:
			fail("transaction_id", "is longer than 128 characters")
		}
		row.currency = strings.ToUpper(get("currency"))
		if row.currency == "" {
			row.currency = acct.Currency
		} else if !tenant.ValidCurrency(row.currency) {
			fail("currency", "must be an ISO 4217 code such as GBP")
		}
		if v := get("revenue"); v == "" {
			fail("revenue", "is required")
		} else if m, reason := ParseMoney(v, row.currency); reason != "" {
			fail("revenue", reason)
		} else {
			row.revenueMinor = m
		}
		for _, f := range []struct {
			name string
			dst  *string
			max  int
		}{{"customer_id", &row.customerID, 128}, {"event_item_sku", &row.sku, 64}, {"sync_id_1", &row.sync1, 128},
			{"sync_id_2", &row.sync2, 128}, {"sync_id_3", &row.sync3, 128}} {
			*f.dst = get(f.name)
			if utf8.RuneCountInString(*f.dst) > f.max {
				fail(f.name, fmt.Sprintf("is longer than %d characters", f.max))
			}
		}
		for _, f := range []struct {
			name string
			dst  *string
			web  bool
		}{{"page_url", &row.pageURL, true}, {"referrer", &row.referrer, false}} {
			*f.dst = get(f.name)
			if *f.dst == "" {
				continue
			}
			if reason := checkAbsURL(*f.dst, f.web); reason != "" {
				fail(f.name, reason)
			}
		}
		if bad {
			res.RowsFailed++
			continue
		}
		out = append(out, row)
	}
	return out, nil
}

func errReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func checkAbsURL(raw string, web bool) string {
	if len(raw) > 2000 {
		return "is longer than 2000 characters"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return "must be an absolute URL"
	}
	if web && u.Scheme != "http" && u.Scheme != "https" {
		return "must be an http or https URL"
	}
	return ""
}

// localLayouts are the accepted event_date_time forms without a zone
// (read in the account's time zone).
var localLayouts = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}

func parseLocalTime(v string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC().Truncate(time.Microsecond), t.Year() >= 2000 && t.Year() < 2100
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t.UTC(), t.Year() >= 2000 && t.Year() < 2100
		}
	}
	return time.Time{}, false
}

// ParseMoney reads a decimal amount in major units ("59.99") exactly into
// minor units of currency; reason is empty when it is valid.
func ParseMoney(v, currency string) (int64, string) {
	exp := money.Exponent(currency)
	if strings.HasPrefix(v, "-") {
		return 0, "must be 0 or more"
	}
	whole, frac, _ := strings.Cut(strings.TrimPrefix(v, "+"), ".")
	if whole == "" && frac == "" {
		return 0, "must be a number such as 59.99"
	}
	if whole == "" {
		whole = "0"
	}
	if !digits(whole) || (frac != "" && !digits(frac)) {
		return 0, "must be a number such as 59.99"
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exp {
		return 0, fmt.Sprintf("has more than %d decimal places for %s", exp, currency)
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 12 {
		return 0, "is too large"
	}
	n, err := strconv.ParseInt("0"+whole+frac+strings.Repeat("0", exp-len(frac)), 10, 64)
	if err != nil {
		return 0, "is too large"
	}
	return n, ""
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// insertOfflineRows writes rows with multi-row INSERTs.
func insertOfflineRows(ctx context.Context, tx *db.Tx, uploadID int64, rows []offlineRow) error {
	const cols = `"upload_id", "row_number", "event_date_time", "transaction_id", "revenue_minor", "currency", "customer_id", "event_item_sku", "sync_id_1", "sync_id_2", "sync_id_3", "page_url", "referrer"`
	const n = 13
	const per = 150
	for i := 0; i < len(rows); i += per {
		part := rows[i:min(i+per, len(rows))]
		var b strings.Builder
		b.WriteString(`INSERT INTO "offline_sale_row" (` + cols + `) VALUES `)
		args := make([]any, 0, len(part)*n)
		for j, r := range part {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")")
			args = append(args, uploadID, r.row, r.ts, r.transactionID, r.revenueMinor, r.currency, r.customerID, r.sku,
				r.sync1, r.sync2, r.sync3, r.pageURL, r.referrer)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("offline rows: %w", err)
		}
	}
	return nil
}
