package analytics

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Channel names the classifier knows by role (spec/domain.md §8).
const (
	ChDirect        = "Direct"
	ChSEO           = "SEO"
	ChPPC           = "PPC"
	ChPaidSocial    = "Paid Social"
	ChOrganicSocial = "Organic Social"
	ChEmail         = "Email"
	ChAffiliate     = "Affiliate"
	ChDisplay       = "Display"
	ChReferral      = "Referral"
	ChOffline       = "Offline"
)

// VisitSource is what classification reads from a visit.
type VisitSource struct {
	Referrer     string // full referrer URL
	ReferrerHost string // host of the referrer (derived from Referrer when empty)
	LandingURL   string
	UTMSource    string
	UTMMedium    string
	UTMCampaign  string
	UTMTerm      string
	UTMContent   string
	ClickIDType  string // gclid, gbraid, wbraid, msclkid, fbclid, ttclid
	ClickID      string
}

// Pattern is an active channel pattern.
type Pattern struct {
	ID, ChannelID int64
	Re            *regexp.Regexp
	MatchOn       string // referrer, landing_url, utm_source, utm_medium, utm_campaign, click_id
	Priority      int
}

// Result is a visit's channel.
type Result struct {
	ChannelID int64
	PatternID int64 // 0 when no pattern decided
	Reason    string
	// KeepPrevious: the referrer is a payment provider, so the visit takes
	// the visitor's previous channel (Direct if none).
	KeepPrevious bool
}

// Classifier applies §8's precedence; build it once per account and run.
type Classifier struct {
	channels map[string]int64
	patterns []Pattern
	domain   string
	payment  []string
}

// NewClassifier prepares a classifier. channels maps names to ids; the
// names of §8 that are missing map to 0.
func NewClassifier(channels map[string]int64, patterns []Pattern, domain string, paymentDomains []string) *Classifier {
	ps := append([]Pattern(nil), patterns...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Priority != ps[j].Priority {
			return ps[i].Priority < ps[j].Priority
		}
		return ps[i].ID < ps[j].ID
	})
	pay := make([]string, len(paymentDomains))
	for i, d := range paymentDomains {
		pay[i] = strings.ToLower(strings.TrimPrefix(d, "www."))
	}
	return &Classifier{channels: channels, patterns: ps, domain: strings.ToLower(strings.TrimPrefix(domain, "www.")), payment: pay}
}

// hostMatches tells whether host is d or a subdomain of it.
func hostMatches(host, d string) bool {
	return d != "" && (host == d || strings.HasSuffix(host, "."+d))
}

// Host returns the lower-cased host of a URL without "www.".
func Host(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

var (
	ppcMediums        = []string{"cpc", "ppc", "paid", "paidsearch"}
	paidSocialMediums = []string{"paid_social", "paidsocial", "social_paid"}
	displayMediums    = []string{"display", "banner", "cpm"}
	socialMediums     = []string{"social", "social-network"}
)

func in(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

func (c *Classifier) ch(name, reason string) Result {
	return Result{ChannelID: c.channels[name], Reason: reason}
}

// Classify returns the channel of one visit.
func (c *Classifier) Classify(v VisitSource) Result {
	host := strings.TrimPrefix(strings.ToLower(v.ReferrerHost), "www.")
	if host == "" {
		host = Host(v.Referrer)
	}
	medium := strings.ToLower(strings.TrimSpace(v.UTMMedium))
	// 1. Click ids.
	switch strings.ToLower(v.ClickIDType) {
	case "gclid", "gbraid", "wbraid", "msclkid":
		return c.ch(ChPPC, "click id "+v.ClickIDType)
	case "fbclid":
		if in(medium, ppcMediums) || in(medium, paidSocialMediums) {
			return c.ch(ChPaidSocial, "fbclid with a paid medium")
		}
		return c.ch(ChOrganicSocial, "fbclid")
	case "ttclid":
		return c.ch(ChPaidSocial, "click id ttclid")
	}
	// 2. UTM mediums.
	switch {
	case in(medium, ppcMediums):
		return c.ch(ChPPC, "utm_medium "+medium)
	case in(medium, paidSocialMediums):
		return c.ch(ChPaidSocial, "utm_medium "+medium)
	case medium == "email":
		return c.ch(ChEmail, "utm_medium email")
	case medium == "affiliate":
		return c.ch(ChAffiliate, "utm_medium affiliate")
	case in(medium, displayMediums):
		return c.ch(ChDisplay, "utm_medium "+medium)
	case in(medium, socialMediums):
		return c.ch(ChOrganicSocial, "utm_medium "+medium)
	}
	hasUTM := v.UTMSource != "" || v.UTMMedium != "" || v.UTMCampaign != "" || v.UTMTerm != "" || v.UTMContent != ""
	if hasUTM {
		for _, p := range c.patterns {
			var field string
			switch p.MatchOn {
			case "utm_source":
				field = v.UTMSource
			case "utm_medium":
				field = v.UTMMedium
			case "utm_campaign":
				field = v.UTMCampaign
			default:
				continue
			}
			if field != "" && p.Re.MatchString(field) {
				return Result{ChannelID: p.ChannelID, PatternID: p.ID, Reason: "pattern on " + p.MatchOn}
			}
		}
	}
	// Payment providers never start a channel.
	for _, d := range c.payment {
		if hostMatches(host, d) {
			return Result{ChannelID: c.channels[ChDirect], KeepPrevious: true, Reason: "payment provider referrer"}
		}
	}
	// 3. Patterns in priority order.
	for _, p := range c.patterns {
		var field string
		switch p.MatchOn {
		case "referrer":
			field = host
		case "landing_url":
			field = v.LandingURL
		case "click_id":
			field = v.ClickID
		default:
			continue // utm patterns only apply when UTMs are present (above)
		}
		if field != "" && p.Re.MatchString(field) {
			return Result{ChannelID: p.ChannelID, PatternID: p.ID, Reason: "pattern on " + p.MatchOn}
		}
	}
	// 4. Direct: no referrer or a self-referral, and no campaign.
	if (host == "" || hostMatches(host, c.domain)) && !hasUTM {
		return c.ch(ChDirect, "no referrer")
	}
	if host == "" || hostMatches(host, c.domain) {
		return c.ch(ChReferral, "campaign without a known medium")
	}
	// 5. Referral.
	return c.ch(ChReferral, "referrer "+host)
}

// ResolvePrevious applies the payment-provider rule over one visitor's
// visits in time order: a KeepPrevious result takes the previous visit's
// channel, or Direct when there is none.
func (c *Classifier) ResolvePrevious(results []Result) []Result {
	out := make([]Result, len(results))
	prev := c.channels[ChDirect]
	for i, r := range results {
		if r.KeepPrevious {
			r.ChannelID = prev
		}
		out[i] = r
		prev = r.ChannelID
	}
	return out
}
