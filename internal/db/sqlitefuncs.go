package db

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// registerSQLiteFuncs adds the SQL functions PostgreSQL has built in and
// SQLite lacks: REGEXP (RE2), cubed_datepart(part, tz, value) for date
// parts in an IANA time zone and cubed_bucket(unit, tz, value) for report
// time buckets (see Bucket). The driver's function table is process-wide,
// so this runs once.
func registerSQLiteFuncs() error {
	sqliteFuncsOnce.Do(func() {
		var mu sync.Mutex
		cache := map[string]*regexp.Regexp{}
		compile := func(p string) (*regexp.Regexp, error) {
			mu.Lock()
			defer mu.Unlock()
			if re, ok := cache[p]; ok {
				return re, nil
			}
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, err
			}
			if len(cache) > 512 {
				cache = map[string]*regexp.Regexp{}
			}
			cache[p] = re
			return re, nil
		}
		sqliteFuncsErr = sqlite.RegisterDeterministicScalarFunction("regexp", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			pat, ok1 := asString(args[0])
			s, ok2 := asString(args[1])
			if !ok1 || !ok2 {
				return nil, nil
			}
			re, err := compile(pat)
			if err != nil {
				return nil, fmt.Errorf("regexp: %w", err)
			}
			return re.MatchString(s), nil
		})
		if sqliteFuncsErr != nil {
			return
		}
		var locMu sync.Mutex
		locs := map[string]*time.Location{}
		sqliteFuncsErr = sqlite.RegisterDeterministicScalarFunction("cubed_datepart", 3, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			part, _ := asString(args[0])
			tz, _ := asString(args[1])
			t, ok := asTime(args[2])
			if !ok {
				return nil, nil
			}
			locMu.Lock()
			loc, found := locs[tz]
			if !found {
				l, err := time.LoadLocation(tz)
				if err != nil {
					locMu.Unlock()
					return nil, err
				}
				locs[tz], loc = l, l
			}
			locMu.Unlock()
			t = t.In(loc)
			switch part {
			case "year":
				return int64(t.Year()), nil
			case "month":
				return int64(t.Month()), nil
			case "day":
				return int64(t.Day()), nil
			case "week_day":
				return int64(t.Weekday()) + 1, nil
			case "hour":
				return int64(t.Hour()), nil
			}
			return nil, fmt.Errorf("cubed_datepart: unknown part %q", part)
		})
		if sqliteFuncsErr != nil {
			return
		}
		sqliteFuncsErr = sqlite.RegisterDeterministicScalarFunction("cubed_bucket", 3, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			unit, _ := asString(args[0])
			tz, _ := asString(args[1])
			t, ok := asTime(args[2])
			if !ok {
				return nil, nil
			}
			locMu.Lock()
			loc, found := locs[tz]
			if !found {
				l, err := time.LoadLocation(tz)
				if err != nil {
					locMu.Unlock()
					return nil, err
				}
				locs[tz], loc = l, l
			}
			locMu.Unlock()
			return Bucket(unit, t, loc)
		})
	})
	return sqliteFuncsErr
}

var (
	sqliteFuncsOnce sync.Once
	sqliteFuncsErr  error
)

func asString(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

var storedLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02",
}

func asTime(v driver.Value) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case int64:
		return time.Unix(x, 0).UTC(), true
	}
	s, ok := asString(v)
	if !ok {
		return time.Time{}, false
	}
	for _, l := range storedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Bucket is cubed_bucket: the start of the local day, ISO week (Monday),
// month, quarter or year containing t in loc, as YYYY-MM-DD text, or for
// unit "hour" the instant the local hour starts, as UTC text in SQLite's
// stored layout ("2006-01-02 15:04:05+00:00"). Dates (YYYY-MM-DD values)
// are bucketed as they are with loc UTC.
func Bucket(unit string, t time.Time, loc *time.Location) (string, error) {
	l := t.In(loc)
	y, m, d := l.Date()
	var start time.Time
	switch unit {
	case "hour":
		h := l.Add(-time.Duration(l.Minute())*time.Minute - time.Duration(l.Second())*time.Second - time.Duration(l.Nanosecond()))
		return h.UTC().Format("2006-01-02 15:04:05-07:00"), nil
	case "day":
		start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case "week":
		wd := (int(l.Weekday()) + 6) % 7 // Monday = 0
		start = time.Date(y, m, d-wd, 0, 0, 0, 0, time.UTC)
	case "month":
		start = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case "quarter":
		start = time.Date(y, (m-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	case "year":
		start = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	default:
		return "", fmt.Errorf("cubed_bucket: unknown unit %q", unit)
	}
	return start.Format("2006-01-02"), nil
}
