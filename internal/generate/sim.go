package generate

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/collect"
	"github.com/cubedhq/cubed/internal/money"
	"github.com/cubedhq/cubed/internal/tenant"
)

// channel is how a visit arrives, with its behaviour.
type channel struct {
	name   string
	weight float64 // share of visits (spec/domain.md §13)
	bounce float64 // probability of a one-page visit
	conv   float64 // probability a visit converts
}

var channels = []channel{
	{"SEO", 35, 0.45, 0.020},
	{"PPC", 25, 0.50, 0.025}, // brand PPC converts at 4.5 %, see landing
	{"Direct", 20, 0.40, 0.040},
	{"Email", 6, 0.35, 0.035},
	{"Paid Social", 6, 0.55, 0.012},
	{"Affiliate", 4, 0.40, 0.025},
	{"Referral", 3, 0.45, 0.015},
	{"Display", 1, 0.55, 0.010},
}

// hourWeights shape the time of day of visit starts (local time).
var hourWeights = []float64{1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3, 3.2, 3.3, 3.5, 3.3, 3.2, 3.2, 3.3, 3.6, 4, 4.5, 4.8, 4.2, 3, 1.8}

// weekdayWeights from Sunday: a little quieter at weekends.
var weekdayWeights = []float64{0.85, 1, 1, 1, 1, 0.95, 0.8}

var agents = []struct {
	weight float64
	ua     string
}{
	{30, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"},
	{8, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"},
	{4, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"},
	{8, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"},
	{25, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"},
	{17, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"},
	{5, "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"},
	{3, "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"},
}

var otherCountries = []string{"US", "IE", "FR", "DE", "NL", "ES", "AU", "CA"}

var referralSites = []string{"https://www.teaforum.example/threads/best-mugs", "https://news.example.org/gift-guide",
	"https://blog.kitchenlife.example/", "https://www.reddit.com/r/tea/", "https://lnkd.in/abc"}

var seoEngines = []struct {
	weight float64
	ref    string
}{{80, "https://www.google.co.uk/"}, {12, "https://www.bing.com/"}, {5, "https://duckduckgo.com/"}, {3, "https://www.ecosia.org/"}}

var affiliates = []string{"https://www.vouchercodes.example/shop", "https://www.topcashback.example/shop", "https://www.quidco.example/shop"}

var blogPosts = []string{"how-to-brew-green-tea", "best-mugs-for-coffee", "teapot-care", "gift-ideas", "loose-leaf-vs-bags"}

// sim produces the hits of one seed. Each visitor draws from its own PCG
// stream (seed, index), so the data do not depend on batching or order.
type sim struct {
	acct        tenant.Account
	seed        uint64
	seedTag     string // the seed in base 36, part of every id
	from, to    time.Time
	days        int
	base        string // https://<domain>
	cat         *catalogue
	country     string
	exp         int
	chanCum     []float64
	agentCum    []float64
	hourCum     []float64
	engineCum   []float64
	hits        []collect.Hit
	imps        []collect.Impression
	repeatNext  *collect.Hit
	synced      []int // visitors whose email hash was sent (offline matches)
	visits      int
	pageViews   int
	events      int
	sales       int
	impressions int
	repeated    int
}

func cumulative(ws []float64) []float64 {
	out := make([]float64, len(ws))
	sum := 0.0
	for i, w := range ws {
		sum += w
		out[i] = sum
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

func pick(r *rand.Rand, cum []float64) int {
	x := r.Float64()
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

func newSim(acct tenant.Account, seed uint64, from, to time.Time, cat *catalogue) *sim {
	domain := acct.Domain
	if domain == "" {
		domain = "shop.example.com"
	}
	g := &sim{acct: acct, seed: seed, seedTag: strconv.FormatUint(seed, 36), from: from, to: to, base: "https://" + domain, cat: cat,
		country: strings.ToUpper(acct.Country), exp: money.Exponent(acct.Currency)}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		g.days++
	}
	ws := make([]float64, len(channels))
	for i, c := range channels {
		ws[i] = c.weight
	}
	g.chanCum = cumulative(ws)
	ws = ws[:0]
	for _, a := range agents {
		ws = append(ws, a.weight)
	}
	g.agentCum = cumulative(ws)
	g.hourCum = cumulative(hourWeights)
	ws = nil
	for _, e := range seoEngines {
		ws = append(ws, e.weight)
	}
	g.engineCum = cumulative(ws)
	return g
}

func (g *sim) rng(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(g.seed, stream)) }

func (g *sim) take() []collect.Hit {
	h := g.hits
	g.hits = nil
	return h
}

func (g *sim) takeImps() []collect.Impression {
	im := g.imps
	g.imps = nil
	return im
}

func token(r *rand.Rand) string {
	return fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64())
}

func (g *sim) emailHash(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("customer-%d-%s@example.com", i, g.seedTag)))
	return hex.EncodeToString(sum[:])
}

// person is one visitor's fixed traits.
type person struct {
	index    int
	r        *rand.Rand
	token    string
	idPrefix string
	visitN   int
	ua       string
	country  string
	hitN     int
	synced   bool
}

func (g *sim) newPerson(i int, stream uint64) *person {
	r := g.rng(stream)
	p := &person{index: i, r: r, ua: agents[pick(r, g.agentCum)].ua, country: g.country}
	// Tokens and hit ids begin with the visitor's number, so the rows of
	// a run arrive in key order and the unique indexes grow at their
	// right edge (a bulk load of history, unlike live tags' random ids).
	p.token = fmt.Sprintf("%010x%016x%06x", i, r.Uint64(), r.Uint64()&0xffffff)
	p.idPrefix = "g" + g.seedTag + "-" + pad36(i, 6) + "-"
	if r.Float64() < 0.2 {
		p.country = otherCountries[r.IntN(len(otherCountries))]
	}
	return p
}

// sessionToken is the visitor's number, a visit number and random hex.
func (g *sim) sessionToken(p *person) string {
	p.visitN++
	return fmt.Sprintf("%010x%02x%016x%04x", p.index, p.visitN&0xff, p.r.Uint64(), p.r.Uint64()&0xffff)
}

// pad36 writes n in base 36, zero-padded to width.
func pad36(n, width int) string {
	s := strconv.FormatInt(int64(n), 36)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// visit is one session being written.
type visit struct {
	p       *person
	session string
	ts      time.Time
	url     string
	ref     string
	labels  map[string]any
	sync    map[string]string
	first   bool
	pvCount int
}

func (g *sim) hitID(p *person) string {
	p.hitN++
	return p.idPrefix + pad36(p.hitN, 3)
}

func (g *sim) newHit(v *visit, typ string) collect.Hit {
	return collect.Hit{ID: g.hitID(v.p), Type: typ, Account: g.acct.Token, Visitor: v.p.token, Session: v.session,
		TS: v.ts.UTC().Format(time.RFC3339Nano), URL: v.url, UserAgent: v.p.ua, Country: v.p.country}
}

// page records a page view at v.ts.
func (g *sim) page(v *visit, path, title string) {
	if v.first {
		// The landing URL keeps its query (UTM, click id) and the referrer.
		v.first = false
	} else {
		v.url = g.base + path
		v.ref = ""
	}
	h := g.newHit(v, "pageview")
	h.Referrer, h.Title = v.ref, title
	if v.pvCount == 0 {
		h.Labels, h.Sync = v.labels, v.sync
	}
	v.pvCount++
	g.pageViews++
	g.hits = append(g.hits, h)
	if v.p.index%500 == 7 && v.pvCount == 1 {
		// A client retry: the same hit again in a later batch.
		dup := h
		g.repeatNext = &dup
	} else if g.repeatNext != nil {
		g.hits = append(g.hits, *g.repeatNext)
		g.repeatNext = nil
		g.repeated++
	}
}

// step moves v on by a think time (5 s + exponential, under 20 minutes).
func (g *sim) step(v *visit) {
	d := 5 + v.p.r.ExpFloat64()*45
	v.ts = v.ts.Add(time.Duration(math.Min(d, 1200) * float64(time.Second))).Truncate(time.Millisecond)
}

func (g *sim) money(minor int64) collect.Amount {
	if g.exp == 0 {
		return collect.Amount(strconv.FormatInt(minor, 10))
	}
	p := int64(math.Pow10(g.exp))
	return collect.Amount(fmt.Sprintf("%d.%0*d", minor/p, g.exp, minor%p))
}

func (g *sim) productPath(r *rand.Rand) (string, product) {
	pr := g.cat.products[r.IntN(len(g.cat.products))]
	return "/products/" + strings.ToLower(pr.sku), pr
}

// landing builds a visit's landing URL and referrer for a channel.
func (g *sim) landing(r *rand.Rand, ch string, day time.Time) (url, ref string, conv float64, display bool) {
	prodPath, _ := g.productPath(r)
	q := func(path, query string) string { return g.base + path + "?" + query }
	switch ch {
	case "SEO":
		ref = seoEngines[pick(r, g.engineCum)].ref
		switch x := r.Float64(); {
		case x < 0.5:
			url = g.base + prodPath
		case x < 0.8:
			url = g.base + "/blog/" + blogPosts[r.IntN(len(blogPosts))]
		default:
			url = g.base + "/"
		}
	case "PPC":
		camp, c := "generic", 0.02
		switch x := r.Float64(); {
		case x < 0.4:
			camp, c = "brand", 0.045
		case x < 0.6:
			camp, c = "shopping", 0.025
		}
		path := prodPath
		if camp == "brand" {
			path = "/"
		}
		if r.Float64() < 0.85 {
			url = q(path, "gclid="+token(r)[:24]+"&utm_source=google&utm_medium=cpc&utm_campaign="+camp)
			ref = "https://www.google.co.uk/"
		} else {
			url = q(path, "msclkid="+token(r)[:24]+"&utm_source=bing&utm_medium=cpc&utm_campaign=bing-generic")
			ref = "https://www.bing.com/"
		}
		return url, ref, c, false
	case "Direct":
		url = g.base + "/"
		if r.Float64() < 0.3 {
			url = g.base + prodPath
		}
	case "Email":
		week := day.AddDate(0, 0, -int(day.Weekday())).Format("2006-01-02")
		url = q("/offers/weekly", "utm_source=newsletter&utm_medium=email&utm_campaign=newsletter&utm_content="+week)
		if r.Float64() < 0.4 {
			ref = "https://mail.google.com/"
		}
	case "Paid Social":
		if r.Float64() < 0.7 {
			url = q(prodPath, "fbclid="+token(r)[:24]+"&utm_source=facebook&utm_medium=paid_social&utm_campaign=fb-prospecting")
			ref = "https://m.facebook.com/"
		} else {
			url = q(prodPath, "ttclid="+token(r)[:24]+"&utm_source=tiktok&utm_medium=paid_social&utm_campaign=tiktok-spring")
			ref = "https://www.tiktok.com/"
		}
	case "Affiliate":
		ref = affiliates[r.IntN(len(affiliates))]
		url = q(prodPath, "utm_source=awin&utm_medium=affiliate&utm_campaign=awin&utm_content=pub-"+strconv.Itoa(1000+r.IntN(50)))
	case "Referral":
		ref = referralSites[r.IntN(len(referralSites))]
		url = g.base + prodPath
	case "Display":
		url = q(prodPath, "utm_source=gdn&utm_medium=display&utm_campaign=gdn-retargeting&utm_content=banner-"+strconv.Itoa(1+r.IntN(6)))
		ref = "https://googleads.g.doubleclick.net/"
		display = true
	}
	for _, c := range channels {
		if c.name == ch {
			conv = c.conv
		}
	}
	return url, ref, conv, display
}

// startTime picks a local time of day on day.
func (g *sim) startTime(r *rand.Rand, day time.Time) time.Time {
	h := pick(r, g.hourCum)
	return time.Date(day.Year(), day.Month(), day.Day(), h, r.IntN(60), r.IntN(60), 0, day.Location())
}

// pickDay draws a day of the range, a little quieter at weekends.
func (g *sim) pickDay(r *rand.Rand) time.Time {
	for {
		d := g.from.AddDate(0, 0, r.IntN(g.days))
		if r.Float64() < weekdayWeights[d.Weekday()] {
			return d
		}
	}
}

// visitor simulates ordinary visitor i: 1-8 visits (geometric) over up to
// 60 days, each from the channel mix, some converting.
func (g *sim) visitor(i int) {
	p := g.newPerson(i, uint64(i))
	r := p.r
	n := 1
	for n < 8 && r.Float64() < 0.45 {
		n++
	}
	day := g.pickDay(r)
	at := g.startTime(r, day)
	first, last := at, at
	for k := 0; k < n; k++ {
		if k > 0 {
			gap := time.Duration((2 + r.ExpFloat64()*5*24) * float64(time.Hour))
			next := last.Add(gap)
			// Later visits keep a time of day people browse at, after the last one.
			local := next.In(g.from.Location())
			at = g.startTime(r, time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, local.Location()))
			if at.Before(last.Add(time.Hour)) {
				at = last.Add(time.Hour + time.Duration(r.IntN(3600))*time.Second)
			}
			if at.Sub(first) > 60*24*time.Hour || !at.Before(g.to) {
				break
			}
		}
		ch := channels[pick(r, g.chanCum)].name
		if k > 0 && r.Float64() < 0.35 {
			ch = "Direct" // returning visitors often type the address
		}
		last = g.visit(p, at, ch, k)
	}
}

// visit writes one session of p starting at at; it returns when it ended.
func (g *sim) visit(p *person, at time.Time, ch string, k int) time.Time {
	r := p.r
	url, ref, conv, display := g.landing(r, ch, at)
	v := &visit{p: p, session: g.sessionToken(p), ts: at.Truncate(time.Millisecond), url: url, ref: ref, first: true}
	g.visits++
	if k > 0 && r.Float64() < 0.25 {
		// Logged in: the site sends the customer's email hash.
		v.sync = map[string]string{"email_hash": g.emailHash(p.index)}
		v.labels = map[string]any{"logged_in": true}
		g.markSynced(p)
	}
	if r.Float64() < 0.15 {
		if v.labels == nil {
			v.labels = map[string]any{}
		}
		v.labels["ab_test"] = []string{"A", "B"}[r.IntN(2)]
	}
	if display {
		g.impressionsFor(v)
	}
	if k > 0 {
		conv *= 1.2
	}
	converts := r.Float64() < conv
	pages := 1
	bounce := 0.45
	for _, c := range channels {
		if c.name == ch {
			bounce = c.bounce
		}
	}
	if converts || r.Float64() >= bounce {
		pages = 2 + int(math.Min(25, math.Floor(math.Exp(math.Log(2.5)+0.7*r.NormFloat64()))))
	}
	g.page(v, landingPath(v.url, g.base), "Landing")
	for j := 1; j < pages; j++ {
		g.step(v)
		path, _ := g.productPath(r)
		if r.Float64() < 0.2 {
			path = "/category/" + categories[r.IntN(len(categories))]
		}
		g.page(v, path, "Browse")
	}
	if converts {
		g.purchase(v, "T"+g.seedTag+"-"+strconv.FormatInt(int64(p.index), 36)+"-"+strconv.Itoa(k), false)
		return v.ts
	}
	if r.Float64() < 0.008 {
		g.step(v)
		g.page(v, "/account/register", "Register")
		h := g.newHit(v, "event")
		h.Event = &collect.Event{Name: evSignUp}
		h.Sync = map[string]string{"email_hash": g.emailHash(p.index)}
		g.markSynced(p)
		g.events++
		g.hits = append(g.hits, h)
	}
	return v.ts
}

func landingPath(url, base string) string {
	path := strings.TrimPrefix(url, base)
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return path
}

func (g *sim) markSynced(p *person) {
	if !p.synced {
		p.synced = true
		g.synced = append(g.synced, p.index)
	}
}

// purchase adds to cart, checks out and buys 1-3 products.
func (g *sim) purchase(v *visit, txn string, reload bool) {
	r := v.p.r
	n := 1
	if x := r.Float64(); x > 0.9 {
		n = 3
	} else if x > 0.6 {
		n = 2
	}
	var items []collect.Item
	var total int64
	for j := 0; j < n; j++ {
		path, pr := g.productPath(r)
		qty := int64(1)
		if r.Float64() < 0.15 {
			qty = 2
		}
		g.step(v)
		g.page(v, path, pr.name)
		h := g.newHit(v, "event")
		h.Event = &collect.Event{Name: evAddToCart, Currency: g.acct.Currency, Revenue: g.money(pr.priceMinor * qty),
			Items: []collect.Item{{SKU: pr.sku, Name: pr.name, Category: pr.category, Quantity: &qty, UnitPrice: g.money(pr.priceMinor)}}}
		g.events++
		g.hits = append(g.hits, h)
		items = append(items, collect.Item{SKU: pr.sku, Name: pr.name, Category: pr.category, Quantity: &qty, UnitPrice: g.money(pr.priceMinor)})
		total += pr.priceMinor * qty
	}
	for _, step := range []struct{ path, title string }{{"/cart", "Cart"}, {"/checkout", "Checkout"}, {"/checkout/complete", "Thank you"}} {
		g.step(v)
		g.page(v, step.path, step.title)
	}
	times := 1
	if reload {
		times = 2 // the thank-you page reloaded: a duplicate transaction id
	}
	for t := 0; t < times; t++ {
		if t > 0 {
			v.ts = v.ts.Add(20 * time.Second)
		}
		h := g.newHit(v, "event")
		h.Event = &collect.Event{Name: evPurchase, Revenue: g.money(total), Currency: g.acct.Currency, TransactionID: txn, Items: items}
		h.Sync = map[string]string{"email_hash": g.emailHash(v.p.index)}
		if r.Float64() < 0.1 {
			h.Labels = map[string]any{"coupon": "SPRING10"}
		}
		g.events++
		g.sales++
		g.hits = append(g.hits, h)
	}
	g.markSynced(v.p)
}

// impressionsFor adds the display impressions a visitor saw in the three
// days before a display visit; the landing hit carries their sync hash.
func (g *sim) impressionsFor(v *visit) {
	r := v.p.r
	hash := "imp-" + v.p.token
	if v.sync == nil {
		v.sync = map[string]string{}
	}
	v.sync["impression"] = hash
	n := 3 + r.IntN(8)
	for j := 0; j < n; j++ {
		ts := v.ts.Add(-time.Duration(r.Float64() * 72 * float64(time.Hour))).Truncate(time.Millisecond)
		g.imps = append(g.imps, collect.Impression{ID: g.hitID(v.p), TS: ts, Medium: "display", Source: "gdn",
			Campaign: "gdn-retargeting", Content: "banner-" + strconv.Itoa(1+r.IntN(6)), SyncHash: hash})
		g.impressions++
	}
}

// Edge cases (spec/domain.md §13), always present.
const edgeCases = 7

func (g *sim) edgeCount() int { return edgeCases }

// edge writes edge case k as visitor i.
func (g *sim) edge(i, k int) {
	p := g.newPerson(i, 1<<40+uint64(k))
	r := p.r
	mid := g.from.AddDate(0, 0, g.days/2)
	switch k {
	case 0: // a direct-only journey: three Direct visits, the last buys
		for j := 0; j < 3; j++ {
			day := g.from.AddDate(0, 0, min(g.days-1, j*g.days/3))
			v := &visit{p: p, session: g.sessionToken(p), ts: g.startTime(r, day), url: g.base + "/", first: true}
			g.visits++
			g.page(v, "/", "Home")
			g.step(v)
			g.page(v, "/category/tea", "Tea")
			if j == 2 {
				g.purchase(v, "T"+g.seedTag+"-direct", false)
			}
		}
	case 1: // back from a payment provider after the session expired
		at := g.startTime(r, mid)
		v := &visit{p: p, session: g.sessionToken(p), ts: at, url: g.base + "/?gclid=" + token(r)[:24] + "&utm_source=google&utm_medium=cpc&utm_campaign=brand",
			ref: "https://www.google.co.uk/", first: true}
		g.visits++
		g.page(v, "/", "Home")
		for _, s := range []string{"/products/sku-001", "/cart", "/checkout"} {
			g.step(v)
			g.page(v, s, "Checkout")
		}
		w := &visit{p: p, session: g.sessionToken(p), ts: v.ts.Add(35 * time.Minute), first: true,
			url: g.base + "/checkout/complete?order=" + token(r)[:8], ref: "https://www.paypal.com/checkoutnow?token=EC-" + token(r)[:17]}
		g.visits++
		g.page(w, "/checkout/complete", "Thank you")
		h := g.newHit(w, "event")
		h.Event = &collect.Event{Name: evPurchase, Revenue: g.money(4599), Currency: g.acct.Currency, TransactionID: "T" + g.seedTag + "-paypal"}
		g.events++
		g.sales++
		g.hits = append(g.hits, h)
	case 2: // a duplicate transaction id: thank-you page reloaded, and reused a day later
		v := &visit{p: p, session: g.sessionToken(p), ts: g.startTime(r, mid), url: g.base + "/", first: true}
		g.visits++
		g.page(v, "/", "Home")
		g.purchase(v, "T"+g.seedTag+"-dup", true)
		v2 := &visit{p: p, session: g.sessionToken(p), ts: g.startTime(r, mid.AddDate(0, 0, 1)), url: g.base + "/", first: true}
		if !v2.ts.Before(g.to) {
			v2.ts = v.ts.Add(2 * time.Hour)
		}
		g.visits++
		g.page(v2, "/", "Home")
		g.purchase(v2, "T"+g.seedTag+"-dup", false)
	case 3: // a sale with no prior visit: an event-only session
		v := &visit{p: p, session: g.sessionToken(p), ts: g.startTime(r, mid), url: g.base + "/checkout/complete", first: true}
		g.visits++
		h := g.newHit(v, "event")
		h.Event = &collect.Event{Name: evPurchase, Revenue: g.money(1999), Currency: g.acct.Currency, TransactionID: "T" + g.seedTag + "-novisit"}
		g.events++
		g.sales++
		g.hits = append(g.hits, h)
	case 4: // a visit across local midnight
		day := mid
		if g.days > 1 {
			day = g.from.AddDate(0, 0, g.days-2)
		}
		at := time.Date(day.Year(), day.Month(), day.Day(), 23, 52, 0, 0, day.Location())
		v := &visit{p: p, session: g.sessionToken(p), ts: at, url: g.base + "/?utm_source=newsletter&utm_medium=email&utm_campaign=newsletter", first: true}
		g.visits++
		for j := 0; j < 6; j++ {
			if j > 0 {
				v.ts = v.ts.Add(4 * time.Minute)
			}
			g.page(v, "/products/sku-00"+strconv.Itoa(j+1), "Midnight")
		}
	case 5: // a visit across a daylight-saving change
		at, ok := g.dstChange()
		if !ok {
			return // the zone has no DST
		}
		v := &visit{p: p, session: g.sessionToken(p), ts: at.Add(-30 * time.Minute), url: g.base + "/", ref: "https://www.google.co.uk/", first: true}
		g.visits++
		for j := 0; j < 7; j++ {
			if j > 0 {
				v.ts = v.ts.Add(10 * time.Minute)
			}
			g.page(v, "/blog/"+blogPosts[j%len(blogPosts)], "DST")
		}
	case 6: // a payment referrer mid-journey within the session
		v := &visit{p: p, session: g.sessionToken(p), ts: g.startTime(r, mid), url: g.base + "/products/sku-002", ref: "https://www.bing.com/", first: true}
		g.visits++
		g.page(v, "/products/sku-002", "Product")
		g.step(v)
		v.first, v.url, v.ref = true, g.base+"/checkout/complete", "https://www.klarna.com/uk/checkout"
		g.page(v, "/checkout/complete", "Back from Klarna")
	}
}

// dstChange finds the latest UTC instant, at or before the end of the
// range, where the account's zone changes its offset: inside the range
// when there is one, else the most recent before it (up to a year back).
func (g *sim) dstChange() (time.Time, bool) {
	loc := g.from.Location()
	end := g.to
	_, off := end.In(loc).Zone()
	for t := end; t.After(end.AddDate(-1, 0, -1)); t = t.Add(-time.Hour) {
		if _, o := t.In(loc).Zone(); o != off {
			return t.Add(time.Hour).Truncate(time.Hour), true
		}
	}
	return time.Time{}, false
}

// offlineCSV builds the offline sales file: 5-10 % of the online sales,
// most matching a visitor who sent an email hash, the rest unmatched.
func (g *sim) offlineCSV() ([]byte, string, int) {
	r := g.rng(1 << 48)
	n := int(math.Round(float64(g.sales) * (0.05 + 0.05*r.Float64())))
	if n == 0 && g.sales > 0 {
		n = 1
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(attrib.OfflineColumn)
	loc := g.from.Location()
	for j := 0; j < n; j++ {
		day := g.from.AddDate(0, 0, r.IntN(g.days))
		ts := time.Date(day.Year(), day.Month(), day.Day(), 9+r.IntN(9), r.IntN(60), r.IntN(60), 0, loc)
		pr := g.cat.products[r.IntN(len(g.cat.products))]
		qty := int64(1 + r.IntN(3))
		sync1 := fmt.Sprintf("%064x", r.Uint64()) // unknown customer
		if len(g.synced) > 0 && r.Float64() < 0.7 {
			sync1 = g.emailHash(g.synced[r.IntN(len(g.synced))])
		}
		pageURL := ""
		if r.Float64() < 0.3 {
			pageURL = g.base + "/stores/london"
		}
		_ = w.Write([]string{g.acct.Token, ts.Format("2006-01-02 15:04:05"), "OFF-" + g.seedTag + "-" + strconv.Itoa(j+1),
			string(g.money(pr.priceMinor * qty)), g.acct.Currency, "CUST-" + strconv.Itoa(100000+r.IntN(900000)), pr.sku,
			pageURL, "", sync1, "", ""})
	}
	w.Flush()
	return buf.Bytes(), "generated-offline-sales-" + g.seedTag + ".csv", n
}
