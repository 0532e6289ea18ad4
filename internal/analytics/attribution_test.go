package analytics

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

const day = 86400

// workedExample is spec/domain.md §10: a sale on day 0 with touches SEO
// day −10, PPC −5, Email −2 and Direct day 0.
var workedExample = []Touch{
	{ChannelID: idSEO, SecondsBeforeSale: 10 * day},
	{ChannelID: idPPC, SecondsBeforeSale: 5 * day},
	{ChannelID: idEmail, SecondsBeforeSale: 2 * day},
	{ChannelID: idDirect, IsDirect: true, SecondsBeforeSale: 0},
}

// markovExample is the Markov example of spec/domain.md §10.
var markovExample = []Path{
	{Channels: []int64{idSEO, idPPC}, Converted: true},
	{Channels: []int64{idSEO}},
	{Channels: []int64{idPPC, idEmail}, Converted: true},
	{Channels: []int64{idEmail}},
	{Channels: []int64{idDirect}, Converted: true},
}

// sumLeftToRight sums credits in order, as a checker would.
func sumLeftToRight(c []float64) float64 {
	s := 0.0
	for _, x := range c {
		s += x
	}
	return s
}

func mustModel(t testing.TB, code string, p Params, w *MarkovWeights) Model {
	t.Helper()
	m, err := NewModel(code, p, w)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ptr(f float64) *float64 { return &f }

func assertCredits(t *testing.T, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("credits %v, want %v", got, want)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("credits %v, want %v (touch %d off by %g)", got, want, i, got[i]-want[i])
		}
	}
	if s := sumLeftToRight(got); s != 1 {
		t.Fatalf("credits %v sum to %v, not exactly 1", got, s)
	}
}

func TestWorkedExample(t *testing.T) {
	tests := []struct {
		code string
		want []float64
	}{
		{ModelLastClick, []float64{0, 0, 0, 1}},
		{ModelLastNonDirect, []float64{0, 0, 1, 0}},
		{ModelFirstClick, []float64{1, 0, 0, 0}},
		{ModelLinear, []float64{0.25, 0.25, 0.25, 0.25}},
		{ModelTimeDecay, []float64{0.132615, 0.217577, 0.292837, 0.356972}},
		{ModelPositionBased, []float64{0.4, 0.1, 0.1, 0.4}},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			got := mustModel(t, tc.code, Params{}, nil).Credits(workedExample)
			assertCredits(t, got, tc.want, 1e-6)
			// Revenue credit of the £100.00 sale adds up to the sale.
			rev := 0.0
			for _, c := range got {
				rev += c * 10000
			}
			if math.Abs(rev-10000) > 1e-6 {
				t.Fatalf("revenue credited %v", rev)
			}
		})
	}
}

func TestMarkovExample(t *testing.T) {
	w := TrainMarkov(markovExample)
	t.Run("weights", func(t *testing.T) {
		want := map[int64]float64{idSEO: 0.176471, idPPC: 0.352941, idEmail: 0.235294, idDirect: 0.235294}
		for ch, v := range want {
			if got := w.Weight(ch); math.Abs(got-v) > 1e-6 {
				t.Errorf("channel %d: weight %v, want %v", ch, got, v)
			}
		}
		if got := w.Channels(); !slices.Equal(got, []int64{idDirect, idSEO, idPPC, idEmail}) {
			t.Errorf("channels %v", got)
		}
		if got := w.Weights(); len(got) != 4 || got[idSEO] != w.Weight(idSEO) {
			t.Errorf("weights %v", got)
		}
	})
	t.Run("removal effects", func(t *testing.T) {
		// By hand: P(conv) = 3/5; without SEO 0.45, PPC 0.3, Email 0.4, Direct 0.4.
		if p := w.ConversionProbability(); math.Abs(p-0.6) > 1e-12 {
			t.Errorf("P(conversion) %v, want 0.6", p)
		}
		want := map[int64]float64{idSEO: 0.25, idPPC: 0.5, idEmail: 1.0 / 3, idDirect: 1.0 / 3}
		for ch, v := range want {
			if got := w.RemovalEffect(ch); math.Abs(got-v) > 1e-12 {
				t.Errorf("channel %d: removal effect %v, want %v", ch, got, v)
			}
		}
	})
	t.Run("credits of the worked example", func(t *testing.T) {
		// Every channel once: the credits are the weights.
		got := mustModel(t, ModelDataDriven, Params{}, w).Credits(workedExample)
		assertCredits(t, got, []float64{0.176471, 0.352941, 0.235294, 0.235294}, 1e-6)
	})
}

func TestDataDrivenCredits(t *testing.T) {
	w := TrainMarkov(markovExample)
	seo, ppc := w.Weight(idSEO), w.Weight(idPPC)
	tests := []struct {
		name    string
		w       *MarkovWeights
		touches []Touch
		want    []float64
	}{
		{"repeated channel splits its weight", w, []Touch{{ChannelID: idSEO}, {ChannelID: idPPC}, {ChannelID: idSEO}},
			[]float64{seo / 2 / (seo + ppc), ppc / (seo + ppc), seo / 2 / (seo + ppc)}},
		{"one channel", w, []Touch{{ChannelID: idPPC}, {ChannelID: idPPC}}, []float64{0.5, 0.5}},
		{"unseen channel gets nothing", w, []Touch{{ChannelID: idPPC}, {ChannelID: 99}}, []float64{1, 0}},
		{"all unseen: channels share equally", w, []Touch{{ChannelID: 98}, {ChannelID: 99}, {ChannelID: 99}}, []float64{0.5, 0.25, 0.25}},
		{"nil weights", nil, []Touch{{ChannelID: 1}, {ChannelID: 2}, {ChannelID: 2}, {ChannelID: 2}}, []float64{0.5, 1.0 / 6, 1.0 / 6, 1.0 / 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertCredits(t, mustModel(t, ModelDataDriven, Params{}, tc.w).Credits(tc.touches), tc.want, 1e-12)
		})
	}
}

func TestModelEdges(t *testing.T) {
	direct := Touch{ChannelID: idDirect, IsDirect: true}
	// Half-life 5 over PPC −5, Email −2, Direct 0: weights 2^−1, 2^−0.4, 1.
	hw := []float64{0.5, math.Exp2(-0.4), 1}
	hs := hw[0] + hw[1] + hw[2]
	tests := []struct {
		name    string
		code    string
		p       Params
		touches []Touch
		want    []float64
	}{
		{"last non-direct, all direct", ModelLastNonDirect, Params{}, []Touch{direct, direct}, []float64{0, 1}},
		{"last non-direct skips trailing directs", ModelLastNonDirect, Params{}, []Touch{workedExample[0], direct, direct}, []float64{1, 0, 0}},
		{"position based, one touch", ModelPositionBased, Params{}, workedExample[:1], []float64{1}},
		{"position based, two touches", ModelPositionBased, Params{}, workedExample[:2], []float64{0.5, 0.5}},
		{"position based, three touches", ModelPositionBased, Params{}, workedExample[:3], []float64{0.4, 0.2, 0.4}},
		{"position based, custom", ModelPositionBased, Params{First: ptr(0.3), Last: ptr(0.5)}, workedExample, []float64{0.3, 0.1, 0.1, 0.5}},
		{"position based, custom, two touches", ModelPositionBased, Params{First: ptr(0.3), Last: ptr(0.5)}, workedExample[:2], []float64{0.375, 0.625}},
		{"position based, first only given", ModelPositionBased, Params{First: ptr(0.6)}, workedExample, []float64{0.6, 0, 0, 0.4}},
		{"position based, zero ends", ModelPositionBased, Params{First: ptr(0), Last: ptr(0)}, workedExample[:2], []float64{0.5, 0.5}},
		{"time decay, custom half-life", ModelTimeDecay, Params{HalfLifeDays: ptr(5)}, workedExample[1:], []float64{hw[0] / hs, hw[1] / hs, hw[2] / hs}},
		{"time decay, same day", ModelTimeDecay, Params{}, []Touch{direct, direct}, []float64{0.5, 0.5}},
		{"time decay, negative seconds count as 0", ModelTimeDecay, Params{}, []Touch{{SecondsBeforeSale: -500}, {}}, []float64{0.5, 0.5}},
		{"time decay, years apart does not underflow", ModelTimeDecay, Params{HalfLifeDays: ptr(0.001)},
			[]Touch{{SecondsBeforeSale: 800 * 365 * day}, {SecondsBeforeSale: 900 * 365 * day}}, []float64{1, 0}},
		{"linear, three", ModelLinear, Params{}, workedExample[:3], []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{"first click, one", ModelFirstClick, Params{}, workedExample[:1], []float64{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertCredits(t, mustModel(t, tc.code, tc.p, nil).Credits(tc.touches), tc.want, 1e-12)
		})
	}
	t.Run("no touches", func(t *testing.T) {
		for _, code := range ModelCodes() {
			if c := mustModel(t, code, Params{}, nil).Credits(nil); c != nil {
				t.Fatalf("%s: %v", code, c)
			}
		}
	})
}

func TestNewModelErrors(t *testing.T) {
	tests := []struct {
		name  string
		code  string
		p     Params
		param string
	}{
		{"unknown code", "u_shaped", Params{}, "code"},
		{"zero half-life", ModelTimeDecay, Params{HalfLifeDays: ptr(0)}, "half_life_days"},
		{"negative half-life", ModelTimeDecay, Params{HalfLifeDays: ptr(-1)}, "half_life_days"},
		{"NaN half-life", ModelTimeDecay, Params{HalfLifeDays: ptr(math.NaN())}, "half_life_days"},
		{"infinite half-life", ModelTimeDecay, Params{HalfLifeDays: ptr(math.Inf(1))}, "half_life_days"},
		{"first above 1", ModelPositionBased, Params{First: ptr(1.5)}, "first"},
		{"negative last", ModelPositionBased, Params{Last: ptr(-0.1)}, "last"},
		{"NaN first", ModelPositionBased, Params{First: ptr(math.NaN())}, "first"},
		{"first + last above 1", ModelPositionBased, Params{First: ptr(0.7), Last: ptr(0.5)}, "first+last"},
		{"first above 1 minus default last", ModelPositionBased, Params{First: ptr(0.7)}, "first+last"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewModel(tc.code, tc.p, nil)
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Param != tc.param {
				t.Fatalf("error %v, want a ParamError on %s", err, tc.param)
			}
		})
	}
	t.Run("unused params are ignored", func(t *testing.T) {
		if _, err := NewModel(ModelLastClick, Params{HalfLifeDays: ptr(-1), First: ptr(9)}, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// randomPaths returns n journeys over channels 1..k with fixed seeds.
func randomPaths(r *rand.Rand, n, k int) []Path {
	paths := make([]Path, n)
	for i := range paths {
		m := 1 + r.IntN(6)
		for range m {
			paths[i].Channels = append(paths[i].Channels, int64(1+r.IntN(k)))
		}
		paths[i].Converted = r.IntN(4) == 0
	}
	return paths
}

// Invariant 2 of spec/domain.md §14: for random touches every model's
// credits sum to 1 within 1e-9 (in fact exactly, left to right) and each
// is in [0, 1].
func TestCreditsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	w := TrainMarkov(randomPaths(r, 500, 8))
	models := map[string]Model{}
	for _, code := range ModelCodes() {
		models[code] = mustModel(t, code, Params{}, w)
	}
	models["time_decay h=0.01"] = mustModel(t, ModelTimeDecay, Params{HalfLifeDays: ptr(0.01)}, nil)
	models["time_decay h=1000"] = mustModel(t, ModelTimeDecay, Params{HalfLifeDays: ptr(1000)}, nil)
	models["position_based 0.1/0.7"] = mustModel(t, ModelPositionBased, Params{First: ptr(0.1), Last: ptr(0.7)}, nil)
	models["position_based 0.5/0.5"] = mustModel(t, ModelPositionBased, Params{First: ptr(0.5), Last: ptr(0.5)}, nil)
	models["data_driven untrained"] = mustModel(t, ModelDataDriven, Params{}, nil)
	names := make([]string, 0, len(models))
	for name := range models {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		m := models[name]
		t.Run(name, func(t *testing.T) {
			for i := range 3000 {
				n := 1 + r.IntN(15)
				touches := make([]Touch, n)
				for j := range touches {
					ch := int64(1 + r.IntN(10)) // 9 and 10 are unseen in training
					secs := int64(n-j) * r.Int64N(30*day)
					if i%10 == 0 {
						secs = r.Int64N(1 << 40) // extreme ages
					}
					touches[j] = Touch{ChannelID: ch, IsDirect: ch == 1, SecondsBeforeSale: secs}
				}
				c := m.Credits(touches)
				if len(c) != n {
					t.Fatalf("%d credits for %d touches", len(c), n)
				}
				s := sumLeftToRight(c)
				if math.Abs(s-1) > 1e-9 {
					t.Fatalf("credits %v sum to %v", c, s)
				}
				if s != 1 {
					t.Fatalf("credits %v sum to %v, not exactly 1", c, s)
				}
				for _, x := range c {
					if !(x >= 0 && x <= 1) {
						t.Fatalf("credit %v out of [0, 1] in %v", x, c)
					}
				}
			}
		})
	}
}

// referenceConversion computes P(conversion) from (start) by value
// iteration over maps, independently of the solver.
func referenceConversion(paths []Path, removed int64) float64 {
	const start, conv, null = int64(-1), int64(-2), int64(-3)
	count := map[int64]map[int64]float64{}
	for _, p := range paths {
		prev := start
		for _, ch := range append(slices.Clone(p.Channels), map[bool]int64{true: conv, false: null}[p.Converted]) {
			if count[prev] == nil {
				count[prev] = map[int64]float64{}
			}
			count[prev][ch]++
			prev = ch
		}
	}
	states := make([]int64, 0, len(count))
	for s := range count {
		states = append(states, s)
	}
	slices.Sort(states)
	p := map[int64]float64{conv: 1}
	for range 1_000_000 {
		delta := 0.0
		for _, s := range states {
			if s == removed {
				continue
			}
			total, v := 0.0, 0.0
			for _, n := range count[s] {
				total += n
			}
			for to, n := range count[s] {
				if to != removed {
					v += n / total * p[to]
				}
			}
			delta = max(delta, math.Abs(v-p[s]))
			p[s] = v
		}
		if delta < 1e-15 {
			break
		}
	}
	return p[start]
}

func TestTrainMarkov(t *testing.T) {
	t.Run("matches value iteration", func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for trial := range 20 {
			paths := randomPaths(r, 50+r.IntN(200), 2+r.IntN(8))
			w := TrainMarkov(paths)
			base := referenceConversion(paths, 0)
			if math.Abs(w.ConversionProbability()-base) > 1e-12 {
				t.Fatalf("trial %d: P(conversion) %v, reference %v", trial, w.ConversionProbability(), base)
			}
			for _, ch := range w.Channels() {
				want := 1 - referenceConversion(paths, ch)/base
				if got := w.RemovalEffect(ch); math.Abs(got-want) > 1e-10 {
					t.Fatalf("trial %d channel %d: removal effect %v, reference %v", trial, ch, got, want)
				}
			}
		}
	})
	t.Run("path order does not matter, bit for bit", func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		paths := randomPaths(r, 300, 6)
		a := TrainMarkov(paths)
		r.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
		b := TrainMarkov(paths)
		for _, ch := range a.Channels() {
			if a.Weight(ch) != b.Weight(ch) {
				t.Fatalf("channel %d: %v vs %v", ch, a.Weight(ch), b.Weight(ch))
			}
		}
	})
	tests := []struct {
		name  string
		paths []Path
		want  map[int64]float64
	}{
		{"no paths", nil, map[int64]float64{}},
		{"no conversions: equal", []Path{{Channels: []int64{1, 2}}, {Channels: []int64{3}}}, map[int64]float64{1: 1.0 / 3, 2: 1.0 / 3, 3: 1.0 / 3}},
		{"one channel", []Path{{Channels: []int64{4}, Converted: true}, {Channels: []int64{4}}}, map[int64]float64{4: 1}},
		{"self loops do not change weights", []Path{{Channels: []int64{1, 1, 1, 2}, Converted: true}, {Channels: []int64{2}}},
			TrainMarkov([]Path{{Channels: []int64{1, 2}, Converted: true}, {Channels: []int64{2}}}).Weights()},
		{"empty converting path", []Path{{Converted: true}, {Channels: []int64{1}, Converted: true}}, map[int64]float64{1: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := TrainMarkov(tc.paths)
			got := w.Weights()
			if len(got) != len(tc.want) {
				t.Fatalf("weights %v, want %v", got, tc.want)
			}
			sum := 0.0
			for ch, v := range tc.want {
				if math.Abs(got[ch]-v) > 1e-12 {
					t.Fatalf("weights %v, want %v", got, tc.want)
				}
				sum += got[ch]
			}
			if len(got) > 0 && math.Abs(sum-1) > 1e-12 {
				t.Fatalf("weights sum to %v", sum)
			}
		})
	}
	t.Run("nil weights", func(t *testing.T) {
		var w *MarkovWeights
		if w.Weight(1) != 0 || w.RemovalEffect(1) != 0 || w.ConversionProbability() != 0 || w.Channels() != nil || len(w.Weights()) != 0 {
			t.Fatal("nil MarkovWeights not empty")
		}
	})
}

func BenchmarkTrainMarkov10k(b *testing.B) {
	paths := randomPaths(rand.New(rand.NewPCG(3, 4)), 10_000, 11)
	b.ReportAllocs()
	for b.Loop() {
		TrainMarkov(paths)
	}
}

func BenchmarkCreditsTimeDecay(b *testing.B) {
	m, _ := NewModel(ModelTimeDecay, Params{}, nil)
	b.ReportAllocs()
	for b.Loop() {
		m.Credits(workedExample)
	}
}
