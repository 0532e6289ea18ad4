package attrib

import (
	"database/sql"
	"time"
	"unicode/utf8"
)

// SQL helpers of the pipeline commands. Identifiers are constants of this
// package (or come from declarations); values are always bound.

// inChunk is the number of values of one IN (...) list.
const inChunk = 500

// eachChunk calls fn with consecutive slices of at most size ids.
func eachChunk[T any](ids []T, size int, fn func(part []T) error) error {
	for i := 0; i < len(ids); i += size {
		if err := fn(ids[i:min(i+size, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// nullID is an id column value: NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// idOf reads a nullable id column (0 for NULL).
func idOf(n sql.NullInt64) int64 {
	if n.Valid {
		return n.Int64
	}
	return 0
}

// utc normalises a scanned timestamp.
func utc(t time.Time) time.Time { return t.UTC() }

// clipRunes keeps at most n characters of s (VARCHAR(n) counts characters).
func clipRunes(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
