package analytics

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Names of the fixed channels the classifier assigns by rule
// (spec/domain.md §3 defaults, §8 precedence).
const (
	ChannelDirect        = "Direct"
	ChannelSEO           = "SEO"
	ChannelPPC           = "PPC"
	ChannelPaidSocial    = "Paid Social"
	ChannelOrganicSocial = "Organic Social"
	ChannelEmail         = "Email"
	ChannelAffiliate     = "Affiliate"
	ChannelDisplay       = "Display"
	ChannelReferral      = "Referral"
	ChannelOffline       = "Offline"
)

// Click id types, as stored in visit.click_id_type.
const (
	ClickIDGclid   = "gclid"
	ClickIDGbraid  = "gbraid"
	ClickIDWbraid  = "wbraid"
	ClickIDMsclkid = "msclkid"
	ClickIDFbclid  = "fbclid"
	ClickIDTtclid  = "ttclid"
)

// Visit is what classification reads from one visit.
type Visit struct {
	Referrer     string // full referrer URL
	ReferrerHost string // referrer host; derived from Referrer when empty
	LandingURL   string
	UTMSource    string
	UTMMedium    string
	UTMCampaign  string
	UTMTerm      string
	UTMContent   string
	ClickIDType  string // gclid, gbraid, wbraid, msclkid, fbclid, ttclid
	ClickID      string
}

// hasUTM tells whether any utm_* parameter is present.
func (v *Visit) hasUTM() bool {
	return v.UTMSource != "" || v.UTMMedium != "" || v.UTMCampaign != "" || v.UTMTerm != "" || v.UTMContent != ""
}

// MatchOn names the visit field a pattern is matched against.
type MatchOn string

// The values of pattern.match_on.
const (
	MatchReferrer    MatchOn = "referrer" // the referrer host
	MatchLandingURL  MatchOn = "landing_url"
	MatchUTMSource   MatchOn = "utm_source"
	MatchUTMMedium   MatchOn = "utm_medium"
	MatchUTMCampaign MatchOn = "utm_campaign"
	MatchClickID     MatchOn = "click_id" // the click id value
)

// Valid tells whether m is one of the match_on values.
func (m MatchOn) Valid() bool {
	switch m {
	case MatchReferrer, MatchLandingURL, MatchUTMSource, MatchUTMMedium, MatchUTMCampaign, MatchClickID:
		return true
	}
	return false
}

func (m MatchOn) isUTM() bool {
	return m == MatchUTMSource || m == MatchUTMMedium || m == MatchUTMCampaign
}

// field returns the visit field m names; host is the visit's normalised
// referrer host.
func (m MatchOn) field(v *Visit, host string) string {
	switch m {
	case MatchReferrer:
		return host
	case MatchLandingURL:
		return v.LandingURL
	case MatchUTMSource:
		return v.UTMSource
	case MatchUTMMedium:
		return v.UTMMedium
	case MatchUTMCampaign:
		return v.UTMCampaign
	case MatchClickID:
		return v.ClickID
	}
	return ""
}

// Pattern is one row of the pattern table with its regular expression
// compiled (RE2). A pattern never matches an empty field.
type Pattern struct {
	ID        int64
	ChannelID int64
	Regexp    *regexp.Regexp
	MatchOn   MatchOn
	Priority  int // lower first; ties by ID
	Active    bool
}

// CompilePattern validates and compiles one pattern row. Errors name the
// pattern and the field (pattern, match_on, channel_id).
func CompilePattern(id, channelID int64, expr string, matchOn string, priority int, active bool) (Pattern, error) {
	p := Pattern{ID: id, ChannelID: channelID, MatchOn: MatchOn(matchOn), Priority: priority, Active: active}
	if channelID <= 0 {
		return Pattern{}, fmt.Errorf("pattern %d: channel_id: must be a channel id, got %d", id, channelID)
	}
	if !p.MatchOn.Valid() {
		return Pattern{}, fmt.Errorf("pattern %d: match_on: unknown value %q (want referrer, landing_url, utm_source, utm_medium, utm_campaign or click_id)", id, matchOn)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return Pattern{}, fmt.Errorf("pattern %d: pattern: invalid regular expression: %w", id, err)
	}
	p.Regexp = re
	return p, nil
}

// NamedChannel is a channel row's id and name.
type NamedChannel struct {
	ID   int64
	Name string
}

// ChannelSet holds the ids of the fixed channels; 0 means the account has
// no such (active) channel, and the rules that would assign it are skipped.
type ChannelSet struct {
	Direct        int64
	SEO           int64
	PPC           int64
	PaidSocial    int64
	OrganicSocial int64
	Email         int64
	Affiliate     int64
	Display       int64
	Referral      int64
	Offline       int64
}

// NewChannelSet picks the fixed channels out of an account's channels by
// name (case-insensitive, surrounding spaces ignored); other names are
// ignored. Two channels with the same fixed name, or a fixed name with an
// id ≤ 0, are errors.
func NewChannelSet(channels []NamedChannel) (ChannelSet, error) {
	var s ChannelSet
	slots := []struct {
		name string
		id   *int64
	}{
		{ChannelDirect, &s.Direct}, {ChannelSEO, &s.SEO}, {ChannelPPC, &s.PPC},
		{ChannelPaidSocial, &s.PaidSocial}, {ChannelOrganicSocial, &s.OrganicSocial},
		{ChannelEmail, &s.Email}, {ChannelAffiliate, &s.Affiliate}, {ChannelDisplay, &s.Display},
		{ChannelReferral, &s.Referral}, {ChannelOffline, &s.Offline},
	}
	for _, c := range channels {
		name := strings.TrimSpace(c.Name)
		for _, slot := range slots {
			if !strings.EqualFold(name, slot.name) {
				continue
			}
			if c.ID <= 0 {
				return ChannelSet{}, fmt.Errorf("channel %q: id must be positive, got %d", slot.name, c.ID)
			}
			if *slot.id != 0 {
				return ChannelSet{}, fmt.Errorf("channel %q: named twice (ids %d and %d)", slot.name, *slot.id, c.ID)
			}
			*slot.id = c.ID
		}
	}
	return s, nil
}

// Step is the §8 precedence step that decided a visit's channel.
type Step int

// The steps, in precedence order.
const (
	StepClickID         Step = iota + 1 // 1: a click id
	StepUTMMedium                       // 2: a known utm_medium
	StepUTMPattern                      // 2: a utm_* pattern
	StepPaymentReferrer                 // a payment provider's referrer: keep the previous channel
	StepPattern                         // 3: a referrer, landing_url or click_id pattern
	StepDirect                          // 4: no referrer or a self-referral, and no campaign
	StepReferral                        // 5: anything else
)

// String returns the step's name, e.g. "utm_medium".
func (s Step) String() string {
	switch s {
	case StepClickID:
		return "click_id"
	case StepUTMMedium:
		return "utm_medium"
	case StepUTMPattern:
		return "utm_pattern"
	case StepPaymentReferrer:
		return "payment_referrer"
	case StepPattern:
		return "pattern"
	case StepDirect:
		return "direct"
	case StepReferral:
		return "referral"
	}
	return fmt.Sprintf("Step(%d)", int(s))
}

// Result is the channel of one visit.
type Result struct {
	ChannelID int64
	PatternID int64 // the deciding pattern, 0 if none
	Step      Step
	Reason    string // human-readable, e.g. `utm_medium "cpc"`
	// KeepPrevious: the referrer is a payment provider, so the visit takes
	// the visitor's previous visit's channel (Direct if none); ChannelID is
	// Direct until resolved (see ClassifyVisitor).
	KeepPrevious bool
}

// forMedium returns the fixed channel a lower-cased utm_medium selects
// (spec/domain.md §8 step 2); ok is false for other mediums.
func (s ChannelSet) forMedium(m string) (id int64, ok bool) {
	switch m {
	case "cpc", "ppc", "paid", "paidsearch":
		return s.PPC, true
	case "paid_social", "paidsocial", "social_paid":
		return s.PaidSocial, true
	case "email":
		return s.Email, true
	case "affiliate":
		return s.Affiliate, true
	case "display", "banner", "cpm":
		return s.Display, true
	case "social", "social-network":
		return s.OrganicSocial, true
	}
	return 0, false
}

// isPaidMedium tells whether a lower-cased utm_medium marks paid traffic
// (for fbclid): the PPC, Paid Social and Display mediums.
func isPaidMedium(m string) bool {
	switch m {
	case "cpc", "ppc", "paid", "paidsearch", "paid_social", "paidsocial", "social_paid", "display", "banner", "cpm":
		return true
	}
	return false
}

// maxHostMemo bounds the referrer hosts a Classifier remembers.
const maxHostMemo = 1 << 14

// Classifier applies spec/domain.md §8 to visits. Build it once per account
// and classification run; it is safe for concurrent use. It remembers, for
// up to 16,384 referrer hosts, which referrer pattern matches first,
// since a day's visits come from few distinct hosts.
type Classifier struct {
	ch       ChannelSet
	utm      []Pattern // active utm_* patterns, priority then id
	other    []Pattern // active referrer / landing_url / click_id patterns, same order
	domain   string    // normalised account domain
	payments []string  // normalised payment-referrer domains

	hostMemo  sync.Map // referrer host -> index in other of its first matching referrer pattern, -1 if none
	hostMemoN atomic.Int64
}

// NewClassifier prepares a classifier from the account's patterns
// (inactive ones are dropped; the rest sorted by priority, then id), its
// fixed channels (Direct and Referral are required: they are the
// fallbacks), its domain (self-referrals from it or its subdomains count as
// Direct) and its payment-referrer domains (matching the host or any
// subdomain).
func NewClassifier(patterns []Pattern, channels ChannelSet, accountDomain string, paymentReferrers []string) (*Classifier, error) {
	if channels.Direct <= 0 {
		return nil, fmt.Errorf("channels: %s is required", ChannelDirect)
	}
	if channels.Referral <= 0 {
		return nil, fmt.Errorf("channels: %s is required", ChannelReferral)
	}
	c := &Classifier{ch: channels, domain: normaliseDomain(accountDomain)}
	for _, p := range patterns {
		if !p.Active {
			continue
		}
		switch {
		case p.Regexp == nil:
			return nil, fmt.Errorf("pattern %d: pattern: not compiled", p.ID)
		case !p.MatchOn.Valid():
			return nil, fmt.Errorf("pattern %d: match_on: unknown value %q", p.ID, p.MatchOn)
		case p.ChannelID <= 0:
			return nil, fmt.Errorf("pattern %d: channel_id: must be a channel id, got %d", p.ID, p.ChannelID)
		}
		if p.MatchOn.isUTM() {
			c.utm = append(c.utm, p)
		} else {
			c.other = append(c.other, p)
		}
	}
	byPriority := func(a, b Pattern) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.ID, b.ID))
	}
	slices.SortStableFunc(c.utm, byPriority)
	slices.SortStableFunc(c.other, byPriority)
	for _, d := range paymentReferrers {
		if d = normaliseDomain(d); d != "" && !slices.Contains(c.payments, d) {
			c.payments = append(c.payments, d)
		}
	}
	return c, nil
}

// Classify returns the channel of one visit, in spec/domain.md §8's
// order; first match wins:
//  1. click id: gclid/gbraid/wbraid/msclkid → PPC; fbclid → Paid Social
//     with a paid utm_medium (a PPC, Paid Social or Display medium), else
//     Organic Social; ttclid → Paid Social;
//  2. a known utm_medium (case-insensitive); failing that, when any utm_*
//     is present, the utm_source/utm_medium/utm_campaign patterns;
//     then a payment-provider referrer → KeepPrevious (campaign markers
//     above still win over it);
//  3. the referrer (host), landing_url and click_id patterns;
//  4. Direct: no referrer (or a self-referral) and no campaign;
//  5. Referral: anything else, including a campaign nothing recognised.
//
// A rule whose fixed channel is missing from the ChannelSet is skipped.
func (c *Classifier) Classify(v Visit) Result {
	host := v.ReferrerHost
	if host == "" {
		host = hostOf(v.Referrer)
	} else {
		host = normaliseHost(host)
	}
	medium := strings.ToLower(strings.TrimSpace(v.UTMMedium))

	// 1. Click ids.
	switch t := strings.ToLower(strings.TrimSpace(v.ClickIDType)); t {
	case ClickIDGclid, ClickIDGbraid, ClickIDWbraid, ClickIDMsclkid:
		if r, ok := c.fixed(c.ch.PPC, StepClickID, "click id "+t); ok {
			return r
		}
	case ClickIDFbclid:
		if isPaidMedium(medium) {
			if r, ok := c.fixed(c.ch.PaidSocial, StepClickID, fmt.Sprintf("click id fbclid with paid utm_medium %q", medium)); ok {
				return r
			}
		} else if r, ok := c.fixed(c.ch.OrganicSocial, StepClickID, "click id fbclid"); ok {
			return r
		}
	case ClickIDTtclid:
		if r, ok := c.fixed(c.ch.PaidSocial, StepClickID, "click id ttclid"); ok {
			return r
		}
	}

	// 2. UTM mediums, then utm_* patterns.
	if id, ok := c.ch.forMedium(medium); ok {
		if r, ok := c.fixed(id, StepUTMMedium, "utm_medium "+strconv.Quote(medium)); ok {
			return r
		}
	}
	hasUTM := v.hasUTM()
	if hasUTM {
		if r, ok := matchPatterns(c.utm, &v, host, StepUTMPattern); ok {
			return r
		}
	}

	// Payment providers never start a channel.
	for _, d := range c.payments {
		if hostWithin(host, d) {
			return Result{ChannelID: c.ch.Direct, Step: StepPaymentReferrer, Reason: "payment referrer " + d, KeepPrevious: true}
		}
	}

	// 3. Patterns in priority order.
	firstRef := c.firstReferrerMatch(host)
	for i := range c.other {
		p := &c.other[i]
		var ok bool
		if p.MatchOn == MatchReferrer {
			ok = i == firstRef
		} else {
			f := p.MatchOn.field(&v, host)
			ok = f != "" && p.Regexp.MatchString(f)
		}
		if ok {
			return patternResult(p, StepPattern)
		}
	}

	// 4. Direct; 5. Referral.
	self := host != "" && hostWithin(host, c.domain)
	campaign := hasUTM || v.ClickID != "" || v.ClickIDType != ""
	switch {
	case !campaign && host == "":
		return Result{ChannelID: c.ch.Direct, Step: StepDirect, Reason: "no referrer"}
	case !campaign && self:
		return Result{ChannelID: c.ch.Direct, Step: StepDirect, Reason: "self-referral from " + host}
	case host != "" && !self:
		return Result{ChannelID: c.ch.Referral, Step: StepReferral, Reason: "referrer " + host}
	}
	return Result{ChannelID: c.ch.Referral, Step: StepReferral, Reason: "campaign with no known medium or matching pattern"}
}

// fixed returns a result for a fixed channel, or false when the account
// lacks that channel.
func (c *Classifier) fixed(id int64, step Step, reason string) (Result, bool) {
	if id <= 0 {
		return Result{}, false
	}
	return Result{ChannelID: id, Step: step, Reason: reason}, true
}

// matchPatterns returns the first pattern matching its (non-empty) field.
func matchPatterns(ps []Pattern, v *Visit, host string, step Step) (Result, bool) {
	for i := range ps {
		p := &ps[i]
		if f := p.MatchOn.field(v, host); f != "" && p.Regexp.MatchString(f) {
			return patternResult(p, step), true
		}
	}
	return Result{}, false
}

func patternResult(p *Pattern, step Step) Result {
	return Result{
		ChannelID: p.ChannelID, PatternID: p.ID, Step: step,
		Reason: "pattern " + strconv.FormatInt(p.ID, 10) + " on " + string(p.MatchOn),
	}
}

// firstReferrerMatch returns the index in c.other of the first referrer
// pattern matching host, -1 if none (or host is empty).
func (c *Classifier) firstReferrerMatch(host string) int {
	if host == "" {
		return -1
	}
	if i, ok := c.hostMemo.Load(host); ok {
		return i.(int)
	}
	first := -1
	for i := range c.other {
		if p := &c.other[i]; p.MatchOn == MatchReferrer && p.Regexp.MatchString(host) {
			first = i
			break
		}
	}
	if c.hostMemoN.Load() < maxHostMemo {
		if _, loaded := c.hostMemo.LoadOrStore(host, first); !loaded {
			c.hostMemoN.Add(1)
		}
	}
	return first
}

// ClassifyVisitor classifies one visitor's visits, given in time order,
// and resolves the payment-referrer rule: a KeepPrevious visit takes the
// channel of the visit before it (after that one's own resolution), or
// previousChannelID for the first visit — the channel of the visitor's
// last visit before these, 0 if none, in which case Direct. Resolved
// results keep KeepPrevious set and have PatternID 0.
func (c *Classifier) ClassifyVisitor(visits []Visit, previousChannelID int64) []Result {
	prev := previousChannelID
	if prev <= 0 {
		prev = c.ch.Direct
	}
	out := make([]Result, len(visits))
	for i, v := range visits {
		r := c.Classify(v)
		if r.KeepPrevious {
			r.ChannelID, r.PatternID = prev, 0
			r.Reason += ": kept the previous channel"
		}
		out[i] = r
		prev = r.ChannelID
	}
	return out
}

// hostOf returns the normalised host of a referrer URL ("" if none). A URL
// without a scheme ("google.com/search") is read as host and path.
func hostOf(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") && !strings.HasPrefix(raw, "//") {
		raw = "//" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return normaliseHost(u.Hostname())
}

// normaliseHost lower-cases a host and drops a port, IPv6 brackets and a
// trailing dot.
func normaliseHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if strings.HasPrefix(h, "[") { // [v6] or [v6]:port
		if end := strings.IndexByte(h, ']'); end > 0 {
			h = h[1:end]
		}
	} else if i := strings.IndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		h = h[:i] // host:port
	}
	return strings.TrimSuffix(h, ".")
}

// normaliseDomain turns a configured domain ("https://www.Shop.com/") into
// a bare lower-case domain without "www." ("shop.com").
func normaliseDomain(d string) string {
	d = strings.TrimSpace(d)
	if d == "" {
		return ""
	}
	return strings.TrimPrefix(hostOf(d), "www.")
}

// hostWithin tells whether host is domain d or one of its subdomains.
func hostWithin(host, d string) bool {
	if d == "" || host == "" {
		return false
	}
	return host == d || (len(host) > len(d) && strings.HasSuffix(host, d) && host[len(host)-len(d)-1] == '.')
}
