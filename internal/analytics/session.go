package analytics

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultSessionTimeout is the gap between page views that starts a new
// visit unless the account sets its own (account.session_timeout_minutes).
const DefaultSessionTimeout = 30 * time.Minute

// Campaign is the campaign a URL carries: its UTM parameters and click id.
type Campaign struct {
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	UTMTerm     string
	UTMContent  string
	ClickIDType string // gclid, gbraid, wbraid, msclkid, fbclid or ttclid
	ClickID     string
}

// IsZero tells whether the URL carried no campaign at all.
func (c Campaign) IsZero() bool { return c == Campaign{} }

// Landing is what a landing URL says about a visit: its path and campaign.
type Landing struct {
	Path string // escaped path, "/" when empty
	Campaign
}

// ParseLanding reads the path, UTM parameters and click id of a URL.
// Parameter names are case-insensitive (the first occurrence wins) and
// values are trimmed; of several click ids the first of gclid, gbraid,
// wbraid, msclkid, fbclid, ttclid wins. A URL that does not parse gives its
// best-effort path and the well-formed parameters.
func ParseLanding(rawURL string) Landing {
	raw := strings.TrimSpace(rawURL)
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	rest, query, _ := strings.Cut(raw, "?")
	var l Landing
	if u, err := url.Parse(rest); err == nil {
		l.Path = u.EscapedPath()
	} else {
		// Best effort: drop "scheme://host".
		if i := strings.Index(rest, "://"); i >= 0 {
			rest = rest[i+3:]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				rest = rest[j:]
			} else {
				rest = ""
			}
		}
		l.Path = rest
	}
	if l.Path == "" {
		l.Path = "/"
	}
	params := map[string]string{}
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		if _, seen := params[key]; !seen {
			params[key] = strings.TrimSpace(val)
		}
	}
	l.UTMSource = params["utm_source"]
	l.UTMMedium = params["utm_medium"]
	l.UTMCampaign = params["utm_campaign"]
	l.UTMTerm = params["utm_term"]
	l.UTMContent = params["utm_content"]
	// Click ids in precedence order, when a URL carries several.
	for _, k := range [...]string{ClickIDGclid, ClickIDGbraid, ClickIDWbraid, ClickIDMsclkid, ClickIDFbclid, ClickIDTtclid} {
		if v := params[k]; v != "" {
			l.ClickIDType, l.ClickID = k, v
			break
		}
	}
	return l
}

// Hit is one page view of a session token.
type Hit struct {
	TS      time.Time
	URL     string
	Landing Landing // ParseLanding(URL); NewHit fills it
}

// NewHit returns a hit with its URL parsed.
func NewHit(ts time.Time, rawURL string) Hit {
	return Hit{TS: ts, URL: rawURL, Landing: ParseLanding(rawURL)}
}

// SessionVisit is one visit cut from a session token's hits: hits
// [Start, End) of the input.
type SessionVisit struct {
	Start, End int
	StartedAt  time.Time // first hit's ts
	EndedAt    time.Time // last hit's ts
	PageViews  int
	IsBounce   bool // exactly one page view
	LandingURL string
	Landing    Landing // of the first hit; Landing.Path is landing_path
}

// Sessionize splits one session token's hits, in time order, into visits:
// a hit starts a new visit when it comes more than timeout after the
// previous hit (a gap of exactly timeout continues the visit), or when its
// URL carries a campaign (UTM parameters or a click id) different from the
// current visit's landing campaign. A hit without a campaign, or with the
// same one, continues the visit. timeout ≤ 0 means DefaultSessionTimeout.
// Hits out of time order are an error.
func Sessionize(hits []Hit, timeout time.Duration) ([]SessionVisit, error) {
	if timeout <= 0 {
		timeout = DefaultSessionTimeout
	}
	var out []SessionVisit
	for i, h := range hits {
		if len(out) > 0 {
			prev := hits[i-1].TS
			if h.TS.Before(prev) {
				return nil, fmt.Errorf("sessionize: hit %d (%s) is before hit %d (%s): hits must be in time order",
					i, h.TS.Format(time.RFC3339Nano), i-1, prev.Format(time.RFC3339Nano))
			}
			cur := &out[len(out)-1]
			newCampaign := !h.Landing.Campaign.IsZero() && h.Landing.Campaign != cur.Landing.Campaign
			if h.TS.Sub(prev) <= timeout && !newCampaign {
				cur.End = i + 1
				cur.EndedAt = h.TS
				cur.PageViews++
				cur.IsBounce = false
				continue
			}
		}
		out = append(out, SessionVisit{
			Start: i, End: i + 1, StartedAt: h.TS, EndedAt: h.TS, PageViews: 1, IsBounce: true,
			LandingURL: h.URL, Landing: h.Landing,
		})
	}
	return out, nil
}
