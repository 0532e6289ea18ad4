package analytics

import (
	"net/url"
	"strings"
	"time"
)

// Landing holds what a landing URL says about a visit's source.
type Landing struct {
	Path                                                   string
	UTMSource, UTMMedium, UTMCampaign, UTMTerm, UTMContent string
	ClickIDType, ClickID                                   string
}

// clickIDs in precedence order.
var clickIDs = []string{"gclid", "gbraid", "wbraid", "msclkid", "fbclid", "ttclid"}

// ParseLanding reads the path, UTM parameters and click id of a URL.
func ParseLanding(raw string) Landing {
	u, err := url.Parse(raw)
	if err != nil {
		return Landing{}
	}
	q := u.Query()
	l := Landing{
		Path:      u.EscapedPath(),
		UTMSource: q.Get("utm_source"), UTMMedium: q.Get("utm_medium"), UTMCampaign: q.Get("utm_campaign"),
		UTMTerm: q.Get("utm_term"), UTMContent: q.Get("utm_content"),
	}
	if l.Path == "" {
		l.Path = "/"
	}
	for _, k := range clickIDs {
		if v := q.Get(k); v != "" {
			l.ClickIDType, l.ClickID = k, v
			break
		}
	}
	return l
}

// HasCampaign tells whether the landing carries UTM parameters or a click id.
func (l Landing) HasCampaign() bool {
	return l.ClickID != "" || l.UTMSource != "" || l.UTMMedium != "" || l.UTMCampaign != "" || l.UTMTerm != "" || l.UTMContent != ""
}

func (l Landing) sameCampaign(o Landing) bool {
	return l.ClickIDType == o.ClickIDType && l.ClickID == o.ClickID && strings.EqualFold(l.UTMSource, o.UTMSource) &&
		strings.EqualFold(l.UTMMedium, o.UTMMedium) && l.UTMCampaign == o.UTMCampaign && l.UTMTerm == o.UTMTerm && l.UTMContent == o.UTMContent
}

// Hit is one page view of a session token, in time order.
type Hit struct {
	TS  time.Time
	URL string
}

// Visit is a sessionized visit: hits [First, Last] of the input.
type Visit struct {
	First, Last int
	StartedAt   time.Time
	EndedAt     time.Time
	PageViews   int
	IsBounce    bool
	LandingURL  string
	Landing     Landing
}

// Sessionize splits one session token's hits into visits: a gap longer
// than timeout, or a landing URL that carries a different campaign (new UTM
// set or click id), starts a new visit.
func Sessionize(hits []Hit, timeout time.Duration) []Visit {
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	var out []Visit
	for i, h := range hits {
		l := ParseLanding(h.URL)
		if len(out) > 0 {
			cur := &out[len(out)-1]
			gap := h.TS.Sub(hits[i-1].TS)
			newCampaign := l.HasCampaign() && !l.sameCampaign(cur.Landing)
			if gap <= timeout && !newCampaign {
				cur.Last = i
				cur.EndedAt = h.TS
				cur.PageViews++
				cur.IsBounce = false
				continue
			}
		}
		out = append(out, Visit{First: i, Last: i, StartedAt: h.TS, EndedAt: h.TS, PageViews: 1, IsBounce: true, LandingURL: h.URL, Landing: l})
	}
	return out
}
