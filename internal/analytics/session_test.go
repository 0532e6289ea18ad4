package analytics

import (
	"strings"
	"testing"
	"time"
)

func TestParseLanding(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want Landing
	}{
		{"plain", "https://shop.example.com/shoes/red", Landing{Path: "/shoes/red"}},
		{"no path", "https://shop.example.com", Landing{Path: "/"}},
		{"fragment ignored", "https://shop.example.com/a#utm_source=x", Landing{Path: "/a"}},
		{"utm set", "https://shop.example.com/s?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=red+shoes&utm_content=ad%201",
			Landing{Path: "/s", Campaign: Campaign{UTMSource: "google", UTMMedium: "cpc", UTMCampaign: "spring", UTMTerm: "red shoes", UTMContent: "ad 1"}}},
		{"upper-case names, first value wins", "https://s.example/?UTM_Source=a&utm_source=b",
			Landing{Path: "/", Campaign: Campaign{UTMSource: "a"}}},
		{"click id precedence", "https://s.example/x?fbclid=f1&gclid=g1",
			Landing{Path: "/x", Campaign: Campaign{ClickIDType: "gclid", ClickID: "g1"}}},
		{"each click id", "https://s.example/?ttclid=t1", Landing{Path: "/", Campaign: Campaign{ClickIDType: "ttclid", ClickID: "t1"}}},
		{"wbraid", "https://s.example/?wbraid=w1", Landing{Path: "/", Campaign: Campaign{ClickIDType: "wbraid", ClickID: "w1"}}},
		{"gbraid", "https://s.example/?gbraid=b1", Landing{Path: "/", Campaign: Campaign{ClickIDType: "gbraid", ClickID: "b1"}}},
		{"msclkid", "https://s.example/?msclkid=m1", Landing{Path: "/", Campaign: Campaign{ClickIDType: "msclkid", ClickID: "m1"}}},
		{"empty click id ignored", "https://s.example/?gclid=&fbclid=f", Landing{Path: "/", Campaign: Campaign{ClickIDType: "fbclid", ClickID: "f"}}},
		{"escaped path kept", "https://s.example/caf%C3%A9/a%2Fb", Landing{Path: "/caf%C3%A9/a%2Fb"}},
		{"bad escape in a value skips it", "https://s.example/p?utm_source=%zz&utm_medium=email", Landing{Path: "/p", Campaign: Campaign{UTMMedium: "email"}}},
		{"unparsable URL: best effort", "https://s.example/p%zz?utm_medium=email", Landing{Path: "/p%zz", Campaign: Campaign{UTMMedium: "email"}}},
		{"empty", "", Landing{Path: "/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseLanding(tc.url); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSessionize(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 23, 50, 0, 0, time.UTC)
	at := func(min float64) time.Time { return t0.Add(time.Duration(min * float64(time.Minute))) }
	type span struct{ start, end int }
	tests := []struct {
		name    string
		hits    []Hit
		timeout time.Duration
		want    []span
	}{
		{"no hits", nil, 0, nil},
		{"one hit is a bounce", []Hit{NewHit(at(0), "https://s.example/")}, 0, []span{{0, 1}}},
		{"within the timeout", []Hit{
			NewHit(at(0), "https://s.example/"), NewHit(at(29), "https://s.example/a"), NewHit(at(58), "https://s.example/b"),
		}, 0, []span{{0, 3}}},
		{"gap of exactly the timeout continues", []Hit{
			NewHit(at(0), "https://s.example/"), NewHit(at(30), "https://s.example/a"),
		}, 0, []span{{0, 2}}},
		{"gap just over the timeout splits", []Hit{
			NewHit(at(0), "https://s.example/"), NewHit(at(30.01), "https://s.example/a"),
		}, 0, []span{{0, 1}, {1, 2}}},
		{"account timeout", []Hit{
			NewHit(at(0), "https://s.example/"), NewHit(at(11), "https://s.example/a"), NewHit(at(20), "https://s.example/b"),
		}, 10 * time.Minute, []span{{0, 1}, {1, 3}}},
		{"same campaign again continues", []Hit{
			NewHit(at(0), "https://s.example/?utm_source=news&utm_medium=email"),
			NewHit(at(1), "https://s.example/a"),
			NewHit(at(2), "https://s.example/?utm_source=news&utm_medium=email"),
		}, 0, []span{{0, 3}}},
		{"new utm set splits", []Hit{
			NewHit(at(0), "https://s.example/?utm_source=news&utm_medium=email"),
			NewHit(at(1), "https://s.example/?utm_source=news&utm_medium=email&utm_content=b"),
		}, 0, []span{{0, 1}, {1, 2}}},
		{"campaign after a direct landing splits", []Hit{
			NewHit(at(0), "https://s.example/"), NewHit(at(1), "https://s.example/a"), NewHit(at(2), "https://s.example/?gclid=x1"),
		}, 0, []span{{0, 2}, {2, 3}}},
		{"new click id splits", []Hit{
			NewHit(at(0), "https://s.example/?gclid=x1"), NewHit(at(1), "https://s.example/?gclid=x1"), NewHit(at(2), "https://s.example/?gclid=x2"),
		}, 0, []span{{0, 2}, {2, 3}}},
		{"gap and campaign together split once", []Hit{
			NewHit(at(0), "https://s.example/"), NewHit(at(45), "https://s.example/?utm_medium=cpc"),
		}, 0, []span{{0, 1}, {1, 2}}},
		{"equal timestamps", []Hit{
			NewHit(at(0), "https://s.example/"), NewHit(at(0), "https://s.example/a"),
		}, 0, []span{{0, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sessionize(tc.hits, tc.timeout)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d visits %+v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				v := got[i]
				first, last := tc.hits[w.start], tc.hits[w.end-1]
				if v.Start != w.start || v.End != w.end || v.PageViews != w.end-w.start ||
					v.IsBounce != (v.PageViews == 1) || !v.StartedAt.Equal(first.TS) || !v.EndedAt.Equal(last.TS) ||
					v.LandingURL != first.URL || v.Landing != first.Landing {
					t.Fatalf("visit %d: %+v, want hits [%d, %d)", i, v, w.start, w.end)
				}
			}
		})
	}
}

func TestSessionizeDetails(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 23, 50, 0, 0, time.UTC)
	hits := []Hit{
		NewHit(t0, "https://s.example/landing/page?utm_source=news&utm_medium=email"),
		NewHit(t0.Add(20*time.Minute), "https://s.example/basket"),
	}
	t.Run("landing and midnight", func(t *testing.T) {
		vs, err := Sessionize(hits, 0)
		if err != nil {
			t.Fatal(err)
		}
		v := vs[0]
		if v.Landing.Path != "/landing/page" || v.Landing.UTMMedium != "email" || v.IsBounce || v.PageViews != 2 {
			t.Fatalf("%+v", v)
		}
		// A visit across midnight stays one visit; dates are the pipeline's business.
		if v.StartedAt.Day() != 1 || v.EndedAt.Day() != 2 {
			t.Fatalf("%+v", v)
		}
	})
	t.Run("out of order", func(t *testing.T) {
		_, err := Sessionize([]Hit{hits[1], hits[0]}, 0)
		if err == nil || !strings.Contains(err.Error(), "hit 1") {
			t.Fatalf("error %v", err)
		}
	})
}
