package analytics

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Channel ids of the test account.
const (
	idDirect int64 = iota + 1
	idSEO
	idPPC
	idPaidSocial
	idOrganicSocial
	idEmail
	idAffiliate
	idDisplay
	idReferral
	idOffline
	idImpression
)

func testChannels() []NamedChannel {
	return []NamedChannel{
		{idDirect, "Direct"}, {idSEO, "SEO"}, {idPPC, "PPC"}, {idPaidSocial, "Paid Social"},
		{idOrganicSocial, "Organic Social"}, {idEmail, "Email"}, {idAffiliate, "Affiliate"},
		{idDisplay, "Display"}, {idReferral, "Referral"}, {idOffline, "Offline"}, {idImpression, "Impression"},
	}
}

func mustPattern(t testing.TB, id, channelID int64, expr, matchOn string, priority int, active bool) Pattern {
	t.Helper()
	p, err := CompilePattern(id, channelID, expr, matchOn, priority, active)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testPatterns(t testing.TB) []Pattern {
	return []Pattern{
		mustPattern(t, 1, idSEO, `(^|\.)google\.[a-z.]+$`, "referrer", 100, true),
		mustPattern(t, 2, idOrganicSocial, `(^|\.)facebook\.com$`, "referrer", 100, true),
		mustPattern(t, 3, idEmail, `(?i)^newsletter$`, "utm_source", 50, true),
		mustPattern(t, 4, idAffiliate, `partner\.example`, "referrer", 10, true),
		mustPattern(t, 5, idDisplay, `/promo/`, "landing_url", 200, true),
		mustPattern(t, 6, idReferral, `google`, "referrer", 1, false), // inactive: would win otherwise
		mustPattern(t, 7, idSEO, `^seo-`, "utm_campaign", 60, true),
		mustPattern(t, 8, idDisplay, `(?i)news`, "utm_source", 70, true),
		mustPattern(t, 12, idEmail, `^mail\.`, "referrer", 100, true),
		mustPattern(t, 11, idAffiliate, `^mail\.yahoo\.`, "referrer", 100, true), // same priority, lower id
		mustPattern(t, 13, idAffiliate, `^aff-`, "click_id", 300, true),
		mustPattern(t, 14, idDisplay, `^dsp$`, "utm_medium", 80, true),
	}
}

func testClassifier(t testing.TB) *Classifier {
	t.Helper()
	cs, err := NewChannelSet(testChannels())
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClassifier(testPatterns(t), cs, "https://www.Shop.Example.com/", []string{"paypal.com", "www.stripe.com", ""})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassify(t *testing.T) {
	c := testClassifier(t)
	tests := []struct {
		name    string
		v       Visit
		channel int64
		pattern int64
		step    Step
	}{
		// 1. Click ids.
		{"gclid beats utm and referrer", Visit{ClickIDType: "gclid", ClickID: "x", UTMMedium: "email", Referrer: "https://www.facebook.com/"}, idPPC, 0, StepClickID},
		{"gbraid", Visit{ClickIDType: "gbraid", ClickID: "x"}, idPPC, 0, StepClickID},
		{"wbraid", Visit{ClickIDType: "wbraid", ClickID: "x"}, idPPC, 0, StepClickID},
		{"msclkid", Visit{ClickIDType: "msclkid", ClickID: "x"}, idPPC, 0, StepClickID},
		{"click id type case", Visit{ClickIDType: "GCLID", ClickID: "x"}, idPPC, 0, StepClickID},
		{"fbclid alone is organic", Visit{ClickIDType: "fbclid", ClickID: "x"}, idOrganicSocial, 0, StepClickID},
		{"fbclid with paid_social", Visit{ClickIDType: "fbclid", ClickID: "x", UTMMedium: "Paid_Social"}, idPaidSocial, 0, StepClickID},
		{"fbclid with cpc", Visit{ClickIDType: "fbclid", ClickID: "x", UTMMedium: "cpc"}, idPaidSocial, 0, StepClickID},
		{"fbclid with cpm", Visit{ClickIDType: "fbclid", ClickID: "x", UTMMedium: "cpm"}, idPaidSocial, 0, StepClickID},
		{"fbclid with email is organic", Visit{ClickIDType: "fbclid", ClickID: "x", UTMMedium: "email"}, idOrganicSocial, 0, StepClickID},
		{"ttclid", Visit{ClickIDType: "ttclid", ClickID: "x"}, idPaidSocial, 0, StepClickID},
		// 2. UTM mediums, case-insensitive.
		{"utm cpc beats referrer pattern", Visit{UTMMedium: "cpc", Referrer: "https://www.google.com/"}, idPPC, 0, StepUTMMedium},
		{"utm CPC upper", Visit{UTMMedium: "CPC"}, idPPC, 0, StepUTMMedium},
		{"utm ppc", Visit{UTMMedium: "ppc"}, idPPC, 0, StepUTMMedium},
		{"utm paid", Visit{UTMMedium: "Paid"}, idPPC, 0, StepUTMMedium},
		{"utm PaidSearch", Visit{UTMMedium: "PaidSearch"}, idPPC, 0, StepUTMMedium},
		{"utm paid_social", Visit{UTMMedium: "paid_social"}, idPaidSocial, 0, StepUTMMedium},
		{"utm PaidSocial", Visit{UTMMedium: "PaidSocial"}, idPaidSocial, 0, StepUTMMedium},
		{"utm social_paid", Visit{UTMMedium: "social_paid"}, idPaidSocial, 0, StepUTMMedium},
		{"utm email spaced", Visit{UTMMedium: " Email "}, idEmail, 0, StepUTMMedium},
		{"utm affiliate", Visit{UTMMedium: "AFFILIATE"}, idAffiliate, 0, StepUTMMedium},
		{"utm display", Visit{UTMMedium: "display"}, idDisplay, 0, StepUTMMedium},
		{"utm banner", Visit{UTMMedium: "Banner"}, idDisplay, 0, StepUTMMedium},
		{"utm cpm", Visit{UTMMedium: "cpm"}, idDisplay, 0, StepUTMMedium},
		{"utm social", Visit{UTMMedium: "Social"}, idOrganicSocial, 0, StepUTMMedium},
		{"utm social-network", Visit{UTMMedium: "social-network"}, idOrganicSocial, 0, StepUTMMedium},
		// 2. Other utm_* → utm patterns, in priority order.
		{"utm_source pattern, priority 50 before 70", Visit{UTMSource: "Newsletter", UTMMedium: "news"}, idEmail, 3, StepUTMPattern},
		{"utm_source lower-priority pattern", Visit{UTMSource: "daily-news"}, idDisplay, 8, StepUTMPattern},
		{"utm_campaign pattern", Visit{UTMCampaign: "seo-spring", Referrer: "https://blog.example.org/"}, idSEO, 7, StepUTMPattern},
		{"utm_medium pattern", Visit{UTMMedium: "dsp"}, idDisplay, 14, StepUTMPattern},
		{"utm pattern beats referrer pattern", Visit{UTMSource: "newsletter", Referrer: "https://www.google.com/"}, idEmail, 3, StepUTMPattern},
		{"unmatched utm falls to referrer pattern", Visit{UTMSource: "foo", Referrer: "https://www.google.com/"}, idSEO, 1, StepPattern},
		{"unmatched utm without referrer is referral", Visit{UTMTerm: "shoes"}, idReferral, 0, StepReferral},
		// 3. Patterns in priority order.
		{"referrer pattern on host", Visit{Referrer: "https://www.google.co.uk/search?q=x"}, idSEO, 1, StepPattern},
		{"referrer host given", Visit{Referrer: "ignored", ReferrerHost: "WWW.Google.com:443"}, idSEO, 1, StepPattern},
		{"referrer without scheme", Visit{Referrer: "google.de/search"}, idSEO, 1, StepPattern},
		{"priority 10 beats 100", Visit{Referrer: "https://partner.example.google.com/"}, idAffiliate, 4, StepPattern},
		{"equal priority: lower id", Visit{Referrer: "https://mail.yahoo.com/"}, idAffiliate, 11, StepPattern},
		{"equal priority: other id", Visit{Referrer: "https://mail.example.net/"}, idEmail, 12, StepPattern},
		{"landing url pattern", Visit{LandingURL: "https://shop.example.com/promo/x", Referrer: "https://blog.example.org/"}, idDisplay, 5, StepPattern},
		{"referrer pattern 100 before landing 200", Visit{LandingURL: "https://shop.example.com/promo/x", Referrer: "https://google.com/"}, idSEO, 1, StepPattern},
		{"click_id pattern for an unknown type", Visit{ClickID: "aff-123"}, idAffiliate, 13, StepPattern},
		// 4. Direct.
		{"no referrer", Visit{}, idDirect, 0, StepDirect},
		{"landing url alone", Visit{LandingURL: "https://shop.example.com/"}, idDirect, 0, StepDirect},
		{"self-referral", Visit{Referrer: "https://shop.example.com/basket"}, idDirect, 0, StepDirect},
		{"self-referral www", Visit{Referrer: "https://www.shop.example.com/"}, idDirect, 0, StepDirect},
		{"self-referral subdomain", Visit{Referrer: "https://m.shop.example.com/"}, idDirect, 0, StepDirect},
		{"self-referral with a campaign is not direct", Visit{Referrer: "https://shop.example.com/", UTMSource: "home-banner"}, idReferral, 0, StepReferral},
		// 5. Referral.
		{"referral", Visit{Referrer: "https://blog.example.org/post"}, idReferral, 0, StepReferral},
		{"look-alike domain is not self", Visit{Referrer: "https://notshop.example.com/"}, idReferral, 0, StepReferral},
		{"suffix trick is not self", Visit{Referrer: "https://shop.example.com.evil.org/"}, idReferral, 0, StepReferral},
		// Payment referrers.
		{"payment provider", Visit{Referrer: "https://www.paypal.com/checkout"}, idDirect, 0, StepPaymentReferrer},
		{"payment subdomain", Visit{Referrer: "https://checkout.stripe.com/pay"}, idDirect, 0, StepPaymentReferrer},
		{"payment beats landing pattern", Visit{Referrer: "https://paypal.com/", LandingURL: "https://shop.example.com/promo/x"}, idDirect, 0, StepPaymentReferrer},
		{"payment look-alike is referral", Visit{Referrer: "https://notpaypal.com/"}, idReferral, 0, StepReferral},
		{"campaign on a payment return wins", Visit{Referrer: "https://paypal.com/", UTMMedium: "email"}, idEmail, 0, StepUTMMedium},
		{"click id on a payment return wins", Visit{Referrer: "https://paypal.com/", ClickIDType: "gclid", ClickID: "x"}, idPPC, 0, StepClickID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Classify(tc.v)
			if got.ChannelID != tc.channel || got.PatternID != tc.pattern || got.Step != tc.step {
				t.Fatalf("got %+v, want channel %d pattern %d step %s", got, tc.channel, tc.pattern, tc.step)
			}
			if got.KeepPrevious != (tc.step == StepPaymentReferrer) {
				t.Fatalf("KeepPrevious = %v", got.KeepPrevious)
			}
			if got.Reason == "" {
				t.Fatal("empty reason")
			}
		})
	}
}

func TestClassifyMissingChannels(t *testing.T) {
	// An account without PPC or Email: those rules are skipped.
	var chans []NamedChannel
	for _, c := range testChannels() {
		if c.Name != "PPC" && c.Name != "Email" {
			chans = append(chans, c)
		}
	}
	cs, err := NewChannelSet(chans)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClassifier(testPatterns(t), cs, "shop.example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		v       Visit
		channel int64
		step    Step
	}{
		{"gclid falls to referrer pattern", Visit{ClickIDType: "gclid", ClickID: "x", Referrer: "https://google.com/"}, idSEO, StepPattern},
		{"utm email falls to referral", Visit{UTMMedium: "email"}, idReferral, StepReferral},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Classify(tc.v); got.ChannelID != tc.channel || got.Step != tc.step {
				t.Fatalf("got %+v, want channel %d step %s", got, tc.channel, tc.step)
			}
		})
	}
}

func TestClassifyVisitor(t *testing.T) {
	c := testClassifier(t)
	google := Visit{Referrer: "https://www.google.com/"}
	paypal := Visit{Referrer: "https://www.paypal.com/"}
	stripe := Visit{Referrer: "https://checkout.stripe.com/"}
	blog := Visit{Referrer: "https://blog.example.org/"}
	email := Visit{UTMMedium: "email"}
	tests := []struct {
		name     string
		visits   []Visit
		previous int64
		want     []int64
	}{
		{"payment first, no history: Direct", []Visit{paypal}, 0, []int64{idDirect}},
		{"payment first, earlier channel", []Visit{paypal, email}, idPPC, []int64{idPPC, idEmail}},
		{"chain of payment visits", []Visit{google, paypal, stripe, blog, paypal}, 0, []int64{idSEO, idSEO, idSEO, idReferral, idReferral}},
		{"no visits", nil, 0, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.ClassifyVisitor(tc.visits, tc.previous)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d results", len(got))
			}
			for i, r := range got {
				if r.ChannelID != tc.want[i] {
					t.Fatalf("visit %d: %+v, want channel %d", i, r, tc.want[i])
				}
				if r.KeepPrevious && r.PatternID != 0 {
					t.Fatalf("visit %d: kept channel with pattern %d", i, r.PatternID)
				}
			}
		})
	}
}

func TestNewChannelSet(t *testing.T) {
	tests := []struct {
		name    string
		in      []NamedChannel
		want    ChannelSet
		wantErr string
	}{
		{"defaults", testChannels(), ChannelSet{idDirect, idSEO, idPPC, idPaidSocial, idOrganicSocial, idEmail, idAffiliate, idDisplay, idReferral, idOffline}, ""},
		{"case and spaces", []NamedChannel{{7, " direct "}, {8, "PAID SOCIAL"}}, ChannelSet{Direct: 7, PaidSocial: 8}, ""},
		{"unknown names ignored", []NamedChannel{{1, "Podcasts"}}, ChannelSet{}, ""},
		{"duplicate", []NamedChannel{{1, "Direct"}, {2, "direct"}}, ChannelSet{}, `"Direct": named twice`},
		{"bad id", []NamedChannel{{0, "SEO"}}, ChannelSet{}, `"SEO": id must be positive`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewChannelSet(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestClassifierErrors(t *testing.T) {
	full, _ := NewChannelSet(testChannels())
	noDirect, noReferral := full, full
	noDirect.Direct, noReferral.Referral = 0, 0
	tests := []struct {
		name     string
		patterns []Pattern
		channels ChannelSet
		wantErr  string
	}{
		{"no Direct", nil, noDirect, "Direct is required"},
		{"no Referral", nil, noReferral, "Referral is required"},
		{"uncompiled pattern", []Pattern{{ID: 4, ChannelID: 1, MatchOn: MatchReferrer, Active: true}}, full, "pattern 4: pattern: not compiled"},
		{"bad match_on", []Pattern{{ID: 5, ChannelID: 1, MatchOn: "title", Regexp: regexp.MustCompile("x"), Active: true}}, full, `pattern 5: match_on`},
		{"inactive bad pattern ignored", []Pattern{{ID: 6}}, full, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewClassifier(tc.patterns, tc.channels, "x.com", nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestCompilePattern(t *testing.T) {
	tests := []struct {
		name    string
		channel int64
		expr    string
		matchOn string
		wantErr string
	}{
		{"ok", 2, `google\.`, "referrer", ""},
		{"every match_on", 2, `x`, "click_id", ""},
		{"bad regex", 2, `(`, "referrer", "pattern 9: pattern: invalid regular expression"},
		{"perl lookahead is not RE2", 2, `(?!x)`, "referrer", "pattern 9: pattern: invalid regular expression"},
		{"bad match_on", 2, `x`, "host", `pattern 9: match_on: unknown value "host"`},
		{"bad channel", 0, `x`, "referrer", "pattern 9: channel_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompilePattern(9, tc.channel, tc.expr, tc.matchOn, 1, true)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestStepString(t *testing.T) {
	for s, want := range map[Step]string{StepClickID: "click_id", StepReferral: "referral", Step(0): "Step(0)", Step(99): "Step(99)"} {
		t.Run(want, func(t *testing.T) {
			if got := s.String(); got != want {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestClassifyMemoAndConcurrency(t *testing.T) {
	visits := benchVisits(5000)
	want := make([]Result, len(visits))
	for i, v := range visits {
		want[i] = testClassifier(t).Classify(v) // fresh classifier: no memo
	}
	c := testClassifier(t)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 2 { // the second round is served from the memo
				for i, v := range visits {
					if got := c.Classify(v); got != want[i] {
						errs <- fmt.Sprintf("round %d visit %d: %+v, want %+v", round, i, got, want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestHostOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"https://WWW.Google.COM/search?q=1", "www.google.com"},
		{"https://blog.example.org:8443/x", "blog.example.org"},
		{"http://[2001:db8::1]:8080/", "2001:db8::1"},
		{"google.de/search", "google.de"},
		{"//cdn.example.com/x", "cdn.example.com"},
		{"android-app://com.google.android.gm/", "com.google.android.gm"},
		{"https://example.com./", "example.com"},
		{"about:blank", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := hostOf(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// benchVisits returns n visits in a realistic mix.
func benchVisits(n int) []Visit {
	r := rand.New(rand.NewPCG(7, 8))
	hosts := []string{"www.google.com", "www.bing.com", "www.facebook.com", "blog.example.org", "mail.yahoo.com",
		"shop.example.com", "www.paypal.com", "news.example.net", "duckduckgo.com", "t.co"}
	out := make([]Visit, n)
	for i := range out {
		v := Visit{LandingURL: fmt.Sprintf("https://shop.example.com/p/%d", r.IntN(500))}
		switch r.IntN(10) {
		case 0, 1:
			v.ClickIDType, v.ClickID = "gclid", "abc"
		case 2:
			v.UTMMedium, v.UTMSource = "email", "newsletter"
		case 3:
			v.UTMSource, v.UTMCampaign = "partner", "spring"
		case 4, 5:
			// direct
		default:
			v.Referrer = "https://" + hosts[r.IntN(len(hosts))] + "/some/path?q=1"
		}
		out[i] = v
	}
	return out
}

// benchPatterns returns about 40 referrer patterns, like the defaults.
func benchPatterns(b *testing.B) []Pattern {
	var ps []Pattern
	engines := []string{"google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia", "ask", "aol", "naver",
		"facebook", "instagram", "linkedin", "twitter", "t", "reddit", "pinterest", "tiktok", "youtube", "snapchat",
		"mail.google", "outlook.live", "mail.yahoo", "mail.aol", "gmx", "web", "protonmail", "zoho", "icloud", "yandex.mail"}
	for i, e := range engines {
		ps = append(ps, mustPattern(b, int64(i+1), idSEO+int64(i%3), `(^|\.)`+regexp.QuoteMeta(e)+`\.[a-z.]+$`, "referrer", 100, true))
	}
	for i := range 10 {
		ps = append(ps, mustPattern(b, int64(100+i), idAffiliate, fmt.Sprintf(`^aff%d`, i), "utm_source", 50, true))
	}
	return ps
}

func BenchmarkClassify100k(b *testing.B) {
	cs, _ := NewChannelSet(testChannels())
	c, err := NewClassifier(benchPatterns(b), cs, "shop.example.com", []string{"paypal.com", "stripe.com", "klarna.com"})
	if err != nil {
		b.Fatal(err)
	}
	visits := benchVisits(100_000)
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range visits {
			c.Classify(v)
		}
	}
}
