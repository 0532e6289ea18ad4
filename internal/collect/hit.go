package collect

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/analytics"
	"github.com/cubedhq/cubed/internal/money"
	"github.com/cubedhq/cubed/internal/tenant"
)

// Hit is one hit of a /collect batch (spec/domain.md §7). UTM parameters
// and click ids are read from URL by the server.
type Hit struct {
	ID       string            `json:"id"`
	Type     string            `json:"type"` // pageview or event
	Account  string            `json:"account"`
	Visitor  string            `json:"visitor"`
	Session  string            `json:"session"`
	TS       string            `json:"ts"` // RFC 3339
	URL      string            `json:"url"`
	Referrer string            `json:"referrer,omitempty"`
	Title    string            `json:"title,omitempty"`
	Event    *Event            `json:"event,omitempty"`
	Labels   map[string]any    `json:"labels,omitempty"`
	Sync     map[string]string `json:"sync,omitempty"`

	// Set by the server from the request, never read from the body.
	UserAgent string `json:"-"`
	Country   string `json:"-"`
}

// Event is the event of a hit of type event. Money is in major units of
// Currency (59.99); it is stored in minor units.
type Event struct {
	Name          string `json:"name"`
	Revenue       Amount `json:"revenue,omitempty"`
	Currency      string `json:"currency,omitempty"`
	TransactionID string `json:"transaction_id,omitempty"`
	Items         []Item `json:"items,omitempty"`
}

// Amount is a money amount as sent: a JSON number, or a string holding
// one, kept as its text. Anything else (true, an object...) is kept too
// and rejected by validation, which names the field: json.Number rejected
// it in the decoder, but since Go 1.27 encoding/json no longer says which
// field such an error is about, and a hit's rejection must.
type Amount string

// UnmarshalJSON keeps the amount's text (a string's content).
func (a *Amount) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Amount(s)
	default:
		*a = Amount(b)
	}
	return nil
}

// MarshalJSON writes a numeric amount as a JSON number, anything else as
// a string.
func (a Amount) MarshalJSON() ([]byte, error) {
	if a.number() {
		return []byte(a), nil
	}
	return json.Marshal(string(a))
}

// number reports whether the amount is a JSON number literal.
func (a Amount) number() bool {
	return a != "" && (a[0] == '-' || (a[0] >= '0' && a[0] <= '9')) && json.Valid([]byte(a))
}

// amountTypes rejects an event whose money amounts are not JSON numbers
// (see Amount).
func amountTypes(e *Event) *rejectErr {
	if e == nil {
		return nil
	}
	if e.Revenue != "" && !e.Revenue.number() {
		return reject("event.revenue", "must be a number")
	}
	for i, it := range e.Items {
		if it.UnitPrice != "" && !it.UnitPrice.number() {
			return reject("event.items["+strconv.Itoa(i)+"].unit_price", "must be a number")
		}
	}
	return nil
}

// Item is one line of an event.
type Item struct {
	SKU       string `json:"sku"`
	Name      string `json:"name,omitempty"`
	Category  string `json:"category,omitempty"`
	Quantity  *int64 `json:"quantity,omitempty"`
	UnitPrice Amount `json:"unit_price,omitempty"`
}

// Impression is one ad impression (the pixel).
type Impression struct {
	ID       string // empty: the server makes one
	TS       time.Time
	Medium   string
	Source   string
	Campaign string
	Content  string
	SyncHash string
}

// Rejection names a rejected hit, the field at fault and the rule.
type Rejection struct {
	Index  int    `json:"index"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Result is /collect's answer: accepted counts hits committed (or already
// stored); rejected lists the others.
type Result struct {
	Accepted int         `json:"accepted"`
	Rejected []Rejection `json:"rejected"`
}

// Limits of one hit (spec/domain.md §7).
const (
	MaxURL      = 2000
	MaxLabels   = 50
	MaxItems    = 100
	MaxPast     = 7 * 24 * time.Hour
	MaxAhead    = 5 * time.Minute
	maxTitle    = 500
	maxLabelKey = 64
	maxLabelVal = 1000
	maxMinor    = 1e13
)

// Formats, checked by hand (a regexp per field costs more than the rest
// of a hit's validation).

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// validHitID: 1-64 of [A-Za-z0-9._:-].
func validHitID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

// validToken: exactly 32 of [A-Za-z0-9_-].
func validToken(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validCountry: two ASCII letters.
func validCountry(s string) bool {
	return len(s) == 2 && alnum(s[0]) && alnum(s[1]) && s[0] > '9' && s[1] > '9'
}

// ValidAccountToken tells whether s looks like an account token,
// c-a-<name>-<cc>: name 2-30 of [a-z0-9] starting with a letter, cc two
// lower-case letters.
func ValidAccountToken(s string) bool {
	if len(s) < 4+2+1+2 || len(s) > 4+30+1+2 || s[:4] != "c-a-" || s[len(s)-3] != '-' {
		return false
	}
	lower := func(c byte) bool { return c >= 'a' && c <= 'z' }
	name := s[4 : len(s)-3]
	if !lower(name[0]) || !lower(s[len(s)-2]) || !lower(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !lower(c) && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Hit kinds.
const (
	kindPageView = iota + 1
	kindEvent
	kindImpression
)

// hit is a validated hit, ready to write.
type hit struct {
	kind     int
	id       string
	visitor  string
	session  string
	ts       time.Time
	url      string
	path     string
	title    string
	referrer string
	refHost  string
	land     analytics.Campaign
	agent    agent
	country  string
	event    *event
	labels   []label
	sync     []syncPair
	imp      *Impression
}

type event struct {
	name         string
	revenueMinor int64
	currency     string
	transaction  string
	items        []item
}

type item struct {
	sku, name, category string
	quantity            int64
	unitPriceMinor      int64
}

type label struct{ key, typ, value string }

type syncPair struct{ kind, value string }

type rejectErr struct{ field, reason string }

func reject(field, format string, args ...any) *rejectErr {
	return &rejectErr{field: field, reason: fmt.Sprintf(format, args...)}
}

// validator checks hits of one batch against one account.
type validator struct {
	account tenant.Account
	events  map[string]bool
	now     time.Time
	anyTS   bool
	country string
	agents  map[string]agent
}

func (v *validator) agent(ua string) agent {
	if a, ok := v.agents[ua]; ok {
		return a
	}
	a := parseAgent(ua)
	if len(v.agents) < 64 {
		v.agents[ua] = a
	}
	return a
}

// check validates one hit into out; it never panics on any input.
func (v *validator) check(h *Hit, out *hit) *rejectErr {
	if r := amountTypes(h.Event); r != nil {
		return r // a wrong JSON type, reported first as the decoder's are
	}
	if !validHitID(h.ID) {
		if h.ID == "" {
			return reject("id", "is required")
		}
		return reject("id", "must be 1-64 letters, digits or . _ : -")
	}
	out.id = h.ID
	switch h.Type {
	case "pageview":
		out.kind = kindPageView
	case "event":
		out.kind = kindEvent
	case "":
		return reject("type", "is required (pageview or event)")
	default:
		return reject("type", "must be pageview or event")
	}
	if h.Account == "" {
		return reject("account", "is required")
	}
	if h.Account != v.account.Token {
		return reject("account", "every hit of a batch must name the same account (%s)", v.account.Token)
	}
	if !validToken(h.Visitor) {
		return reject("visitor", "must be a 32-character token of letters, digits, - or _")
	}
	if !validToken(h.Session) {
		return reject("session", "must be a 32-character token of letters, digits, - or _")
	}
	out.visitor, out.session = h.Visitor, h.Session
	if h.TS == "" {
		return reject("ts", "is required (RFC 3339)")
	}
	ts, err := time.Parse(time.RFC3339Nano, h.TS)
	if err != nil {
		return reject("ts", "must be an RFC 3339 time such as 2025-01-31T12:00:00Z")
	}
	ts = ts.UTC().Truncate(time.Microsecond)
	if !v.anyTS {
		if ts.Before(v.now.Add(-MaxPast)) {
			return reject("ts", "is more than 7 days in the past")
		}
		if ts.After(v.now.Add(MaxAhead)) {
			return reject("ts", "is more than 5 minutes in the future")
		}
	}
	if ts.Year() < 2000 || ts.Year() > 9999 {
		return reject("ts", "is out of range")
	}
	out.ts = ts
	if h.URL == "" && out.kind == kindPageView {
		return reject("url", "is required")
	}
	if h.URL != "" {
		u, r := checkURL("url", h.URL, true)
		if r != nil {
			return r
		}
		out.url = clean(h.URL)
		out.path = clip(u.EscapedPath(), MaxURL)
		if out.path == "" {
			out.path = "/"
		}
		out.land = landing(h.URL)
	}
	if h.Referrer != "" {
		u, r := checkURL("referrer", h.Referrer, false)
		if r != nil {
			return r
		}
		out.referrer = clean(h.Referrer)
		out.refHost = clip(strings.ToLower(u.Hostname()), 253)
	}
	out.title = clip(h.Title, maxTitle)
	out.agent = v.agent(h.UserAgent)
	if c := h.Country; c != "" {
		if validCountry(c) {
			out.country = strings.ToUpper(c)
		}
	} else if v.country != "" {
		out.country = v.country
	}
	if out.kind == kindEvent {
		if h.Event == nil {
			return reject("event", "is required for hits of type event")
		}
		ev, r := v.checkEvent(h.Event)
		if r != nil {
			return r
		}
		out.event = ev
	}
	if len(h.Labels) > MaxLabels {
		return reject("labels", "at most %d labels", MaxLabels)
	}
	if len(h.Labels) > 0 {
		keys := make([]string, 0, len(h.Labels))
		for k := range h.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			l, r := checkLabel(k, h.Labels[k])
			if r != nil {
				return r
			}
			if l != nil {
				out.labels = append(out.labels, *l)
			}
		}
	}
	if len(h.Sync) > 0 {
		if len(h.Sync) > 3 {
			return reject("sync", "at most one value per kind (email_hash, order_id, impression)")
		}
		for _, kind := range [...]string{"email_hash", "order_id", "impression"} {
			val, ok := h.Sync[kind]
			if !ok {
				continue
			}
			if val == "" || len(val) > 128 || strings.IndexByte(val, 0) >= 0 {
				return reject("sync."+kind, "must be 1-128 characters")
			}
			out.sync = append(out.sync, syncPair{kind: kind, value: clean(val)})
		}
		if len(out.sync) != len(h.Sync) {
			for k := range h.Sync {
				if k != "email_hash" && k != "order_id" && k != "impression" {
					return reject("sync."+clip(k, 32), "unknown kind; use email_hash, order_id or impression")
				}
			}
		}
	}
	return nil
}

// checkURL parses an absolute URL of at most MaxURL characters; web
// requires http or https.
func checkURL(field, raw string, web bool) (*url.URL, *rejectErr) {
	if len(raw) > MaxURL {
		return nil, reject(field, "longer than %d characters", MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return nil, reject(field, "must be an absolute URL")
	}
	if web && u.Scheme != "http" && u.Scheme != "https" {
		return nil, reject(field, "must be an http or https URL")
	}
	return u, nil
}

func (v *validator) checkEvent(e *Event) (*event, *rejectErr) {
	out := &event{}
	if e.Name == "" {
		return nil, reject("event.name", "is required")
	}
	if len(e.Name) > 128 || !v.events[e.Name] {
		return nil, reject("event.name", "unknown event %q: define it in event-definition first", clip(e.Name, 128))
	}
	out.name = e.Name
	if e.Currency != "" {
		c := strings.ToUpper(e.Currency)
		if !tenant.ValidCurrency(c) {
			return nil, reject("event.currency", "must be an ISO 4217 code such as GBP")
		}
		out.currency = c
	}
	if e.Revenue != "" {
		if out.currency == "" {
			return nil, reject("event.currency", "is required when revenue is set")
		}
		m, err := minorUnits(string(e.Revenue), out.currency)
		if err != "" {
			return nil, reject("event.revenue", "%s", err)
		}
		out.revenueMinor = m
	}
	if len(e.TransactionID) > 128 {
		return nil, reject("event.transaction_id", "longer than 128 characters")
	}
	out.transaction = clean(e.TransactionID)
	if len(e.Items) > MaxItems {
		return nil, reject("event.items", "at most %d items", MaxItems)
	}
	cur := out.currency
	if cur == "" {
		cur = v.account.Currency
	}
	for i, it := range e.Items {
		f := func(name string) string { return "event.items[" + strconv.Itoa(i) + "]." + name }
		if len(it.SKU) > 64 {
			return nil, reject(f("sku"), "longer than 64 characters")
		}
		x := item{sku: clean(it.SKU), name: clip(it.Name, 255), category: clip(it.Category, 128), quantity: 1}
		if it.Quantity != nil {
			if *it.Quantity < 1 || *it.Quantity > 1_000_000 {
				return nil, reject(f("quantity"), "must be a whole number from 1 to 1,000,000")
			}
			x.quantity = *it.Quantity
		}
		if it.UnitPrice != "" {
			m, err := minorUnits(string(it.UnitPrice), cur)
			if err != "" {
				return nil, reject(f("unit_price"), "%s", err)
			}
			x.unitPriceMinor = m
		}
		out.items = append(out.items, x)
	}
	return out, nil
}

func checkLabel(key string, val any) (*label, *rejectErr) {
	field := "labels." + clip(key, maxLabelKey)
	if key == "" || len(key) > maxLabelKey {
		return nil, reject("labels", "keys must be 1-%d characters", maxLabelKey)
	}
	l := &label{key: clean(key)}
	switch x := val.(type) {
	case nil:
		return nil, nil
	case bool:
		l.typ, l.value = "bool", strconv.FormatBool(x)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, reject(field, "must be a finite number")
		}
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			l.typ, l.value = "int", strconv.FormatInt(int64(x), 10)
		} else {
			l.typ, l.value = "float", strconv.FormatFloat(x, 'g', -1, 64)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			l.typ, l.value = "int", strconv.FormatInt(i, 10)
		} else if f, err := x.Float64(); err == nil {
			l.typ, l.value = "float", strconv.FormatFloat(f, 'g', -1, 64)
		} else {
			return nil, reject(field, "must be a finite number")
		}
	case int:
		l.typ, l.value = "int", strconv.Itoa(x)
	case int64:
		l.typ, l.value = "int", strconv.FormatInt(x, 10)
	case string:
		if len(x) > maxLabelVal {
			return nil, reject(field, "longer than %d characters", maxLabelVal)
		}
		l.typ, l.value = "string", clean(x)
		if len(x) >= 20 && len(x) <= 35 && x[4] == '-' {
			if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
				l.typ, l.value = "datetime", t.UTC().Format(time.RFC3339Nano)
			}
		}
	case time.Time:
		l.typ, l.value = "datetime", x.UTC().Format(time.RFC3339Nano)
	default:
		return nil, reject(field, "must be a string, number or boolean")
	}
	return l, nil
}

// minorUnits converts a decimal amount in major units to minor units,
// rounding half away from zero past the currency's digits. It returns a
// reason when the amount is not a non-negative finite number.
func minorUnits(s, currency string) (int64, string) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, "must be a number"
	}
	if f < 0 {
		return 0, "must be 0 or more"
	}
	m := math.Round(f * math.Pow10(money.Exponent(currency)))
	if m >= maxMinor {
		return 0, "is too large"
	}
	return int64(m), ""
}
