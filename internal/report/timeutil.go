package report

import (
	"time"

	"github.com/cubedhq/cubed/internal/db"
)

// Dates are civil dates held as time.Time at UTC midnight; hour buckets
// are instants.

func parseDay(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

func dayString(t time.Time) string { return t.Format("2006-01-02") }

// localDay is the civil date of instant t in loc.
func localDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// bucketOf returns the bucket start containing civil date d (unit day and
// coarser) or instant t (hour).
func bucketOf(unit Grain, t time.Time, loc *time.Location) time.Time {
	if unit == Hour {
		s, _ := db.Bucket("hour", t, loc)
		h, _ := time.Parse("2006-01-02 15:04:05-07:00", s)
		return h.UTC()
	}
	s, _ := db.Bucket(string(unit), t, time.UTC)
	d, _ := parseDay(s)
	return d
}

// nextBucket returns the start of the bucket after the one starting at b.
func nextBucket(unit Grain, b time.Time) time.Time {
	switch unit {
	case Hour:
		return b.Add(time.Hour)
	case Day:
		return b.AddDate(0, 0, 1)
	case Week:
		return b.AddDate(0, 0, 7)
	case Month:
		return b.AddDate(0, 1, 0)
	case Quarter:
		return b.AddDate(0, 3, 0)
	}
	return b.AddDate(1, 0, 0)
}

// previousYear is the same date a year earlier; 29 February gives 28.
func previousYear(d time.Time) time.Time {
	if d.Month() == time.February && d.Day() == 29 {
		return time.Date(d.Year()-1, time.February, 28, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(d.Year()-1, d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

func formatDateTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000-07:00")
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}
