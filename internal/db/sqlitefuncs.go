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
// SQLite lacks: REGEXP (RE2) and cubed_datepart(part, tz, value) for date
// parts in an IANA time zone. The driver's function table is process-wide,
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
