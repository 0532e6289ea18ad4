package fake

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/money"
)

// rng is a generator seeded by its key, so the same account, campaign and
// date always give the same figures.
func rng(parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	sum := h.Sum64()
	return rand.New(rand.NewPCG(sum, sum^0x9e3779b97f4a7c15))
}

// dayRow is one campaign's day, money in minor units.
type dayRow struct {
	date                string
	campaign            Campaign
	impressions, clicks int64
	costMinor           int64
	conversions         int64
	valueMinor          int64
}

// weekday factor: weekends are quieter.
func weekday(d time.Time) float64 {
	switch d.Weekday() {
	case time.Saturday:
		return 0.8
	case time.Sunday:
		return 0.75
	}
	return 1
}

// campaignDay is a campaign's deterministic figures on a date.
func campaignDay(acct Account, c Campaign, date time.Time) dayRow {
	day := date.Format(time.DateOnly)
	r := rng(acct.ID, c.ID, day)
	imps := int64(math.Round(float64(c.Impressions) * (0.7 + 0.6*r.Float64()) * weekday(date)))
	clicks := int64(math.Round(float64(imps) * c.CTR * (0.8 + 0.4*r.Float64())))
	cost := int64(0)
	for range clicks {
		cost += int64(math.Round(float64(c.CPCMinor) * (0.6 + 0.8*r.Float64())))
	}
	conv := int64(0)
	value := int64(0)
	for range clicks {
		if r.Float64() < c.ConvRate {
			conv++
			value += int64(math.Round(float64(c.AOVMinor) * (0.5 + r.Float64())))
		}
	}
	return dayRow{date: day, campaign: c, impressions: imps, clicks: clicks, costMinor: cost, conversions: conv, valueMinor: value}
}

// costRows returns an account's rows for [from, to] (at most 400 days).
func costRows(acct Account, from, to string) ([]dayRow, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil || t.Before(f) || t.Sub(f) > 400*24*time.Hour {
		return nil, fmt.Errorf("bad date range %q..%q", from, to)
	}
	var out []dayRow
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		for _, c := range acct.Campaigns {
			out = append(out, campaignDay(acct, c, d))
		}
	}
	return out, nil
}

// minorToMicros converts minor units to millionths of the currency unit.
func minorToMicros(minor int64, currency string) int64 {
	m := minor
	for range 6 - money.Exponent(currency) {
		m *= 10
	}
	return m
}

// major converts minor units to a float amount (Google's doubles).
func major(minor int64, currency string) float64 {
	v := float64(minor)
	for range money.Exponent(currency) {
		v /= 10
	}
	return v
}

// decimal formats minor units as a decimal string ("12.34").
func decimal(minor int64, currency string) string {
	exp := money.Exponent(currency)
	if exp == 0 {
		return fmt.Sprint(minor)
	}
	p := int64(1)
	for range exp {
		p *= 10
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%0*d", sign, minor/p, exp, minor%p)
}

// searchRow is one fake Search Console row (all five dimensions).
type searchRow struct {
	keys                [5]string // date, query, page, country, device
	clicks, impressions int64
	position            float64
}

// siteBase is the site's URL prefix for pages.
func siteBase(site string) string {
	if d, ok := strings.CutPrefix(site, "sc-domain:"); ok {
		return "https://" + d
	}
	return strings.TrimRight(site, "/")
}

// searchRows returns a site's deterministic rows for [from, to].
func (s *Server) searchRows(site, from, to string) ([]searchRow, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil || t.Before(f) || t.Sub(f) > 500*24*time.Hour {
		return nil, fmt.Errorf("bad date range %q..%q", from, to)
	}
	base := siteBase(site)
	pages := []string{"/", "/teapots", "/mugs", "/tea", "/gifts"}
	countries := []struct {
		code   string
		weight float64
	}{{"gbr", 1}, {"usa", 0.3}, {"irl", 0.1}}
	devices := []struct {
		name   string
		weight float64
		offset float64
	}{{"DESKTOP", 0.45, 0}, {"MOBILE", 0.5, 0.6}, {"TABLET", 0.05, 0.3}}
	var out []searchRow
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		for qi, q := range s.opt.Queries {
			qr := rng(site, q)
			basePos := 1 + qr.Float64()*2
			volume := 40 + qr.Float64()*400
			if qi >= 3 {
				basePos = 3 + qr.Float64()*25
			}
			page := pages[qr.IntN(len(pages))]
			dr := rng(site, q, day)
			for _, c := range countries {
				for _, dv := range devices {
					imps := int64(math.Round(volume * c.weight * dv.weight * weekday(d) * (0.6 + 0.8*dr.Float64())))
					if imps == 0 {
						continue
					}
					pos := math.Max(1, basePos+dv.offset+dr.NormFloat64()*0.4)
					ctr := expectedCTR(pos) * (0.7 + 0.6*dr.Float64())
					clicks := int64(math.Round(float64(imps) * ctr))
					out = append(out, searchRow{keys: [5]string{day, q, base + page, c.code, dv.name}, clicks: clicks, impressions: imps,
						position: math.Round(pos*100) / 100})
				}
			}
		}
	}
	return out, nil
}

// expectedCTR is a rough organic click-through curve by position.
func expectedCTR(pos float64) float64 {
	switch {
	case pos < 1.5:
		return 0.3
	case pos < 2.5:
		return 0.16
	case pos < 3.5:
		return 0.1
	case pos < 5.5:
		return 0.06
	case pos < 10.5:
		return 0.025
	case pos < 20.5:
		return 0.008
	}
	return 0.002
}

// aggregate groups rows by the requested dimensions (a subset of date,
// query, page, country, device) and sorts by clicks, then keys.
func aggregate(rows []searchRow, dims []string) ([]map[string]any, error) {
	idx := map[string]int{"date": 0, "query": 1, "page": 2, "country": 3, "device": 4}
	var pick []int
	for _, d := range dims {
		i, ok := idx[d]
		if !ok {
			return nil, fmt.Errorf("unknown dimension %q", d)
		}
		pick = append(pick, i)
	}
	type acc struct {
		keys                []string
		clicks, impressions int64
		posSum              float64
	}
	groups := map[string]*acc{}
	var order []string
	for _, r := range rows {
		keys := make([]string, len(pick))
		for j, i := range pick {
			keys[j] = r.keys[i]
		}
		k := strings.Join(keys, "\x00")
		a, ok := groups[k]
		if !ok {
			a = &acc{keys: keys}
			groups[k] = a
			order = append(order, k)
		}
		a.clicks += r.clicks
		a.impressions += r.impressions
		a.posSum += r.position * float64(r.impressions)
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := groups[order[i]], groups[order[j]]
		if a.clicks != b.clicks {
			return a.clicks > b.clicks
		}
		return order[i] < order[j]
	})
	out := make([]map[string]any, 0, len(order))
	for _, k := range order {
		a := groups[k]
		ctr := 0.0
		if a.impressions > 0 {
			ctr = float64(a.clicks) / float64(a.impressions)
		}
		out = append(out, map[string]any{"keys": a.keys, "clicks": a.clicks, "impressions": a.impressions, "ctr": ctr,
			"position": a.posSum / float64(max(a.impressions, 1))})
	}
	return out, nil
}
