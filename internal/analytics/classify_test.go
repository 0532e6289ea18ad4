package analytics

import (
	"regexp"
	"testing"
)

var chans = map[string]int64{ChDirect: 1, ChSEO: 2, ChPPC: 3, ChPaidSocial: 4, ChOrganicSocial: 5, ChEmail: 6,
	ChAffiliate: 7, ChDisplay: 8, ChReferral: 9, ChOffline: 10}

func testClassifier() *Classifier {
	return NewClassifier(chans, []Pattern{
		{ID: 1, ChannelID: 2, Re: regexp.MustCompile(`(^|\.)google\.[a-z.]+$`), MatchOn: "referrer", Priority: 100},
		{ID: 2, ChannelID: 5, Re: regexp.MustCompile(`(^|\.)facebook\.com$`), MatchOn: "referrer", Priority: 100},
		{ID: 3, ChannelID: 6, Re: regexp.MustCompile(`^(?i)newsletter$`), MatchOn: "utm_source", Priority: 50},
		{ID: 4, ChannelID: 7, Re: regexp.MustCompile(`partner\.example`), MatchOn: "referrer", Priority: 10},
		{ID: 5, ChannelID: 8, Re: regexp.MustCompile(`/promo/`), MatchOn: "landing_url", Priority: 200},
	}, "shop.example.com", []string{"paypal.com", "stripe.com"})
}

func TestClassify(t *testing.T) {
	c := testClassifier()
	tests := []struct {
		name string
		v    VisitSource
		want int64
		pat  int64
		keep bool
	}{
		{"gclid beats everything", VisitSource{ClickIDType: "gclid", Referrer: "https://www.facebook.com/"}, 3, 0, false},
		{"msclkid", VisitSource{ClickIDType: "msclkid"}, 3, 0, false},
		{"fbclid organic", VisitSource{ClickIDType: "fbclid"}, 5, 0, false},
		{"fbclid paid", VisitSource{ClickIDType: "fbclid", UTMMedium: "paid_social"}, 4, 0, false},
		{"ttclid", VisitSource{ClickIDType: "ttclid"}, 4, 0, false},
		{"utm cpc case-insensitive", VisitSource{UTMMedium: "CPC", Referrer: "https://google.com/"}, 3, 0, false},
		{"utm email", VisitSource{UTMMedium: "email"}, 6, 0, false},
		{"utm affiliate", VisitSource{UTMMedium: "affiliate"}, 7, 0, false},
		{"utm display", VisitSource{UTMMedium: "banner"}, 8, 0, false},
		{"utm social", VisitSource{UTMMedium: "social"}, 5, 0, false},
		{"utm source pattern", VisitSource{UTMSource: "Newsletter", UTMMedium: "news"}, 6, 3, false},
		{"referrer pattern", VisitSource{Referrer: "https://www.google.co.uk/search?q=x"}, 2, 1, false},
		{"priority order", VisitSource{Referrer: "https://partner.example/"}, 7, 4, false},
		{"landing url pattern", VisitSource{LandingURL: "https://shop.example.com/promo/x", Referrer: "https://blog.example.org/"}, 8, 5, false},
		{"direct", VisitSource{}, 1, 0, false},
		{"self referral is direct", VisitSource{Referrer: "https://shop.example.com/basket"}, 1, 0, false},
		{"self referral subdomain", VisitSource{Referrer: "https://m.shop.example.com/"}, 1, 0, false},
		{"referral", VisitSource{Referrer: "https://blog.example.org/post"}, 9, 0, false},
		{"payment provider keeps previous", VisitSource{Referrer: "https://www.paypal.com/checkout"}, 1, 0, true},
		{"payment subdomain", VisitSource{Referrer: "https://checkout.stripe.com/"}, 1, 0, true},
		{"unknown utm without referrer is referral", VisitSource{UTMCampaign: "spring"}, 9, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Classify(tc.v)
			if got.ChannelID != tc.want || got.PatternID != tc.pat || got.KeepPrevious != tc.keep {
				t.Fatalf("got %+v, want channel %d pattern %d keep %v", got, tc.want, tc.pat, tc.keep)
			}
		})
	}
}

func TestResolvePrevious(t *testing.T) {
	c := testClassifier()
	rs := c.ResolvePrevious([]Result{{ChannelID: 1, KeepPrevious: true}, {ChannelID: 2}, {ChannelID: 1, KeepPrevious: true}, {ChannelID: 9}})
	want := []int64{1, 2, 2, 9}
	for i, r := range rs {
		if r.ChannelID != want[i] {
			t.Fatalf("resolved %+v, want %v", rs, want)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	c := testClassifier()
	vs := []VisitSource{{Referrer: "https://www.google.co.uk/"}, {UTMMedium: "cpc"}, {}, {Referrer: "https://blog.example.org/"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Classify(vs[i%len(vs)])
	}
}
