package analytics

import (
	"math"
	"math/rand/v2"
	"testing"
)

const day = 86400.0

// The worked example of spec/domain.md §10: SEO day −10, PPC −5, Email −2,
// Direct day 0.
var example = []Touch{
	{ChannelID: 2, SecondsBeforeSale: 10 * day},
	{ChannelID: 3, SecondsBeforeSale: 5 * day},
	{ChannelID: 6, SecondsBeforeSale: 2 * day},
	{ChannelID: 1, IsDirect: true, SecondsBeforeSale: 0},
}

func TestWorkedExample(t *testing.T) {
	tests := []struct {
		code string
		want []float64
	}{
		{LastClick, []float64{0, 0, 0, 1}},
		{LastNonDirect, []float64{0, 0, 1, 0}},
		{FirstClick, []float64{1, 0, 0, 0}},
		{Linear, []float64{0.25, 0.25, 0.25, 0.25}},
		{TimeDecay, []float64{0.132615, 0.217577, 0.292837, 0.356972}},
		{PositionBased, []float64{0.4, 0.1, 0.1, 0.4}},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			m, err := NewModel(tc.code, Params{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := m.Credits(example)
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-6 {
					t.Fatalf("credits %v, want %v", got, tc.want)
				}
			}
			if s := sum(got); s != 1 {
				t.Fatalf("credits sum to %v, not exactly 1", s)
			}
		})
	}
}

func TestMarkovExample(t *testing.T) {
	const seo, ppc, email, direct = 2, 3, 6, 1
	w := TrainMarkov([]Path{
		{Channels: []int64{seo, ppc}, Converted: true},
		{Channels: []int64{seo}},
		{Channels: []int64{ppc, email}, Converted: true},
		{Channels: []int64{email}},
		{Channels: []int64{direct}, Converted: true},
	})
	want := map[int64]float64{seo: 0.176471, ppc: 0.352941, email: 0.235294, direct: 0.235294}
	for ch, v := range want {
		if math.Abs(w[ch]-v) > 1e-6 {
			t.Fatalf("weights %v, want %v", w, want)
		}
	}
	m, _ := NewModel(DataDriven, Params{}, w)
	// SEO > PPC > SEO: SEO's weight is split over its two touches, then the
	// path's channels renormalise.
	got := m.Credits([]Touch{{ChannelID: seo}, {ChannelID: ppc}, {ChannelID: seo}})
	total := w[seo] + w[ppc]
	wantC := []float64{w[seo] / 2 / total, w[ppc] / total, w[seo] / 2 / total}
	for i := range got {
		if math.Abs(got[i]-wantC[i]) > 1e-12 {
			t.Fatalf("data-driven credits %v, want %v", got, wantC)
		}
	}
}

func TestModelEdges(t *testing.T) {
	allDirect := []Touch{{ChannelID: 1, IsDirect: true}, {ChannelID: 1, IsDirect: true}}
	m, _ := NewModel(LastNonDirect, Params{}, nil)
	if c := m.Credits(allDirect); c[1] != 1 {
		t.Fatalf("all-direct last non-direct: %v", c)
	}
	pb, _ := NewModel(PositionBased, Params{}, nil)
	if c := pb.Credits(example[:2]); c[0] != 0.5 || c[1] != 0.5 {
		t.Fatalf("two touches: %v", c)
	}
	if c := pb.Credits(example[:1]); c[0] != 1 {
		t.Fatalf("one touch: %v", c)
	}
	if c := m.Credits(nil); c != nil {
		t.Fatalf("no touches: %v", c)
	}
	for _, bad := range []struct {
		code string
		p    Params
	}{{"nope", Params{}}, {TimeDecay, Params{HalfLifeDays: -1}}, {PositionBased, Params{First: 0.7, Last: 0.7}}} {
		if _, err := NewModel(bad.code, bad.p, nil); err == nil {
			t.Errorf("NewModel(%q, %+v) accepted", bad.code, bad.p)
		}
	}
	dd, _ := NewModel(DataDriven, Params{}, map[int64]float64{})
	if c := dd.Credits(example); math.Abs(c[0]-0.25) > 1e-12 {
		t.Fatalf("data-driven without weights falls back to linear: %v", c)
	}
}

// Every model's credits sum to 1 within 1e-9 and lie in [0, 1] on random
// paths.
func TestCreditsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var paths []Path
	for i := 0; i < 300; i++ {
		n := 1 + r.IntN(6)
		p := Path{Converted: r.IntN(3) == 0}
		for j := 0; j < n; j++ {
			p.Channels = append(p.Channels, int64(1+r.IntN(8)))
		}
		paths = append(paths, p)
	}
	w := TrainMarkov(paths)
	for _, code := range []string{LastClick, LastNonDirect, FirstClick, Linear, TimeDecay, PositionBased, DataDriven} {
		m, _ := NewModel(code, Params{}, w)
		for i := 0; i < 2000; i++ {
			n := 1 + r.IntN(12)
			touches := make([]Touch, n)
			for j := range touches {
				ch := int64(1 + r.IntN(8))
				touches[j] = Touch{ChannelID: ch, IsDirect: ch == 1, SecondsBeforeSale: float64(n-j) * r.Float64() * 30 * day}
			}
			c := m.Credits(touches)
			if math.Abs(sum(c)-1) > 1e-9 {
				t.Fatalf("%s: credits %v sum to %v", code, c, sum(c))
			}
			for _, x := range c {
				if x < 0 || x > 1 {
					t.Fatalf("%s: credit %v out of range", code, x)
				}
			}
		}
	}
}

func sum(c []float64) float64 {
	s := 0.0
	for _, x := range c {
		s += x
	}
	return s
}

func BenchmarkTrainMarkov(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	paths := make([]Path, 10000)
	for i := range paths {
		n := 1 + r.IntN(6)
		for j := 0; j < n; j++ {
			paths[i].Channels = append(paths[i].Channels, int64(1+r.IntN(10)))
		}
		paths[i].Converted = r.IntN(4) == 0
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		TrainMarkov(paths)
	}
}
