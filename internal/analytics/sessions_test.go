package analytics

import (
	"testing"
	"time"
)

func TestParseLanding(t *testing.T) {
	l := ParseLanding("https://shop.example.com/shoes/red?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc&fbclid=zzz")
	if l.Path != "/shoes/red" || l.UTMSource != "google" || l.UTMMedium != "cpc" || l.UTMCampaign != "spring" || l.ClickIDType != "gclid" || l.ClickID != "abc" {
		t.Fatalf("%+v", l)
	}
	if l := ParseLanding("https://shop.example.com"); l.Path != "/" || l.HasCampaign() {
		t.Fatalf("%+v", l)
	}
}

func TestSessionize(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 23, 50, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	hits := []Hit{
		{at(0), "https://s.example/?utm_source=news&utm_medium=email"},
		{at(5), "https://s.example/a"},
		{at(20), "https://s.example/b?utm_source=news&utm_medium=email"}, // same campaign: same visit
		{at(60), "https://s.example/c"},                                  // 40 min gap: new visit
		{at(61), "https://s.example/d?gclid=x1"},                         // new campaign: new visit
		{at(62), "https://s.example/e"},
		{at(63), "https://s.example/f?gclid=x2"}, // another click id: new visit
	}
	vs := Sessionize(hits, 30*time.Minute)
	want := []struct{ first, last, pv int }{{0, 2, 3}, {3, 3, 1}, {4, 5, 2}, {6, 6, 1}}
	if len(vs) != len(want) {
		t.Fatalf("%d visits: %+v", len(vs), vs)
	}
	for i, w := range want {
		v := vs[i]
		if v.First != w.first || v.Last != w.last || v.PageViews != w.pv || v.IsBounce != (w.pv == 1) {
			t.Errorf("visit %d: %+v, want %+v", i, v, w)
		}
	}
	if !vs[0].EndedAt.Equal(at(20)) || vs[0].Landing.UTMMedium != "email" || vs[2].Landing.ClickID != "x1" {
		t.Errorf("visit details: %+v", vs)
	}
	// Across midnight the visit continues (dates are the pipeline's business).
	if vs[0].StartedAt.Day() != 1 || vs[0].EndedAt.Day() != 2 {
		t.Errorf("midnight: %+v", vs[0])
	}
}
