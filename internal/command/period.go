package command

import (
	"time"
)

// Period is one local hour, day, ISO week or month of a time zone, as UTC
// instants [Start, End), with the local date it starts on.
type Period struct {
	Start, End time.Time
	Date       string // "2006-01-02", the local date of Start
}

// Duration is the period's length (23 or 25 hours for a local day with a
// DST change).
func (p Period) Duration() time.Duration { return p.End.Sub(p.Start) }

// localMidnight is the start of local date y-m-d in loc.
func localMidnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
}

// dayAt returns the local day [start, end) containing t.
func dayAt(t time.Time, loc *time.Location) (time.Time, time.Time) {
	y, m, d := t.In(loc).Date()
	return localMidnight(y, m, d, loc), localMidnight(y, m, d+1, loc)
}

// PeriodAt returns the period of frequency f (Manual: daily) that contains
// instant t in loc.
//
// A local day runs from local midnight to the next local midnight, so it
// lasts 23 or 25 hours on DST days. Hourly periods step one real hour from
// local midnight: a local hour that does not exist (spring forward) has no
// period, a repeated local hour (fall back) has two with distinct UTC starts.
func (f Frequency) PeriodAt(t time.Time, loc *time.Location) Period {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	y, m, d := lt.Date()
	switch f {
	case Hourly:
		ds, de := dayAt(t, loc)
		k := t.Sub(ds) / time.Hour
		s := ds.Add(k * time.Hour)
		e := s.Add(time.Hour)
		if e.After(de) {
			e = de
		}
		return Period{Start: s, End: e, Date: s.In(loc).Format(time.DateOnly)}
	case Weekly:
		back := (int(lt.Weekday()) + 6) % 7 // days since Monday
		s := localMidnight(y, m, d-back, loc)
		return Period{Start: s, End: localMidnight(y, m, d-back+7, loc), Date: s.In(loc).Format(time.DateOnly)}
	case Monthly:
		s := localMidnight(y, m, 1, loc)
		return Period{Start: s, End: localMidnight(y, m+1, 1, loc), Date: s.In(loc).Format(time.DateOnly)}
	default: // Daily, Manual
		s, e := dayAt(t, loc)
		return Period{Start: s, End: e, Date: lt.Format(time.DateOnly)}
	}
}

// Periods returns the periods of f that overlap [from, to), in order: the
// first is the one containing from.
func (f Frequency) Periods(from, to time.Time, loc *time.Location) []Period {
	var out []Period
	for p := f.PeriodAt(from, loc); p.Start.Before(to); p = f.PeriodAt(p.End, loc) {
		out = append(out, p)
	}
	return out
}

// DateRange returns the UTC instants of the local dates from..to
// (inclusive) in loc: [midnight of from, midnight after to).
func DateRange(from, to time.Time, loc *time.Location) (time.Time, time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	y1, m1, d1 := from.Date()
	y2, m2, d2 := to.Date()
	return localMidnight(y1, m1, d1, loc), localMidnight(y2, m2, d2+1, loc)
}

// ParseDate parses "2006-01-02" as a date (midnight UTC).
func ParseDate(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }
