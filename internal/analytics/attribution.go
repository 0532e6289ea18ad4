package analytics

import (
	"fmt"
	"math"
	"slices"
)

// Attribution model codes (attribution_model.code).
const (
	ModelLastClick     = "last_click"
	ModelLastNonDirect = "last_non_direct"
	ModelFirstClick    = "first_click"
	ModelLinear        = "linear"
	ModelTimeDecay     = "time_decay"
	ModelPositionBased = "position_based"
	ModelDataDriven    = "data_driven"
)

// ModelCodes returns the seven model codes.
func ModelCodes() []string {
	return []string{ModelLastClick, ModelLastNonDirect, ModelFirstClick, ModelLinear,
		ModelTimeDecay, ModelPositionBased, ModelDataDriven}
}

// Parameter defaults.
const (
	DefaultHalfLifeDays = 7.0 // time_decay
	DefaultFirst        = 0.4 // position_based
	DefaultLast         = 0.4 // position_based
)

// Touch is one touchpoint of a sale; a sale's touches are in time order.
type Touch struct {
	ChannelID         int64
	IsDirect          bool
	SecondsBeforeSale int64 // ≥ 0; negative counts as 0
}

// Params are attribution_model.params; nil means the default. Parameters a
// model does not use are ignored.
type Params struct {
	HalfLifeDays *float64 `json:"half_life_days,omitempty"` // time_decay, > 0, default 7
	First        *float64 `json:"first,omitempty"`          // position_based, [0, 1], default 0.4
	Last         *float64 `json:"last,omitempty"`           // position_based, [0, 1], default 0.4; first + last ≤ 1
}

// ParamError is an invalid model code or parameter; Param is "code",
// "half_life_days", "first", "last" or "first+last".
type ParamError struct {
	Param string
	Msg   string
}

// Error formats the error as "param: message".
func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// Model computes a sale's credits: one per touch, each in [0, 1], summing
// to exactly 1 (summed left to right); nil for no touches.
type Model interface {
	Credits(touches []Touch) []float64
}

// NewModel builds the model for code, validating and defaulting its
// parameters. weights are the data-driven channel weights (TrainMarkov);
// they are ignored by the other models, and nil gives every channel an
// equal weight.
func NewModel(code string, p Params, weights *MarkovWeights) (Model, error) {
	switch code {
	case ModelLastClick:
		return lastClick{}, nil
	case ModelLastNonDirect:
		return lastNonDirect{}, nil
	case ModelFirstClick:
		return firstClick{}, nil
	case ModelLinear:
		return linear{}, nil
	case ModelTimeDecay:
		h := DefaultHalfLifeDays
		if p.HalfLifeDays != nil {
			h = *p.HalfLifeDays
			if !(h > 0) || math.IsInf(h, 0) {
				return nil, &ParamError{"half_life_days", fmt.Sprintf("must be a positive number of days, got %v", h)}
			}
		}
		return timeDecay{halfLifeDays: h}, nil
	case ModelPositionBased:
		first, last := DefaultFirst, DefaultLast
		if p.First != nil {
			first = *p.First
			if !(first >= 0 && first <= 1) {
				return nil, &ParamError{"first", fmt.Sprintf("must be between 0 and 1, got %v", first)}
			}
		}
		if p.Last != nil {
			last = *p.Last
			if !(last >= 0 && last <= 1) {
				return nil, &ParamError{"last", fmt.Sprintf("must be between 0 and 1, got %v", last)}
			}
		}
		if first+last > 1+1e-12 {
			return nil, &ParamError{"first+last", fmt.Sprintf("must be at most 1, got %v + %v", first, last)}
		}
		return positionBased{first: first, last: last}, nil
	case ModelDataDriven:
		return dataDriven{weights: weights}, nil
	}
	return nil, &ParamError{"code", fmt.Sprintf("unknown attribution model %q", code)}
}

type (
	lastClick     struct{}
	lastNonDirect struct{}
	firstClick    struct{}
	linear        struct{}
	timeDecay     struct{ halfLifeDays float64 }
	positionBased struct{ first, last float64 }
	dataDriven    struct{ weights *MarkovWeights }
)

// Credits gives 1 to the last touch.
func (lastClick) Credits(ts []Touch) []float64 {
	return oneTo(len(ts), len(ts)-1)
}

// Credits gives 1 to the first touch.
func (firstClick) Credits(ts []Touch) []float64 {
	return oneTo(len(ts), 0)
}

// Credits gives 1 to the last touch that is not Direct, or to the last
// touch when all are Direct.
func (lastNonDirect) Credits(ts []Touch) []float64 {
	i := len(ts) - 1
	for j := len(ts) - 1; j >= 0; j-- {
		if !ts[j].IsDirect {
			i = j
			break
		}
	}
	return oneTo(len(ts), i)
}

func oneTo(n, i int) []float64 {
	if n == 0 {
		return nil
	}
	c := make([]float64, n)
	c[i] = 1
	return c
}

// Credits gives 1/n to each touch.
func (linear) Credits(ts []Touch) []float64 {
	if len(ts) == 0 {
		return nil
	}
	c := make([]float64, len(ts))
	for i := range c {
		c[i] = 1 / float64(len(c))
	}
	return exact(c)
}

// Credits weighs each touch 2^(−d/h), d = days before the sale, h the
// half-life, and normalises. Weights are taken relative to the most
// recent touch, which leaves the normalised credits unchanged but cannot
// underflow.
func (m timeDecay) Credits(ts []Touch) []float64 {
	if len(ts) == 0 {
		return nil
	}
	minD := math.Inf(1)
	for _, t := range ts {
		minD = math.Min(minD, days(t))
	}
	c := make([]float64, len(ts))
	sum := 0.0
	for i, t := range ts {
		c[i] = math.Exp2(-(days(t) - minD) / m.halfLifeDays)
		sum += c[i]
	}
	for i := range c {
		c[i] /= sum
	}
	return exact(c)
}

func days(t Touch) float64 {
	return float64(max(t.SecondsBeforeSale, 0)) / 86400
}

// Credits: 1 touch → 1; 2 → first/(first+last) and last/(first+last)
// (0.5/0.5 by default); n ≥ 3 → first, last, and 1 − first − last shared
// equally by the middle touches.
func (m positionBased) Credits(ts []Touch) []float64 {
	n := len(ts)
	switch n {
	case 0:
		return nil
	case 1:
		return []float64{1}
	case 2:
		if m.first+m.last == 0 {
			return exact([]float64{0.5, 0.5})
		}
		return exact([]float64{m.first / (m.first + m.last), m.last / (m.first + m.last)})
	}
	c := make([]float64, n)
	c[0], c[n-1] = m.first, m.last
	mid := max(1-m.first-m.last, 0) / float64(n-2)
	for i := 1; i < n-1; i++ {
		c[i] = mid
	}
	return exact(c)
}

// Credits gives each touch its channel's weight ÷ the number of touches of
// that channel in the path, renormalised over the channels present; when
// every channel present weighs 0 (or there are no weights), the channels
// share equally.
func (m dataDriven) Credits(ts []Touch) []float64 {
	if len(ts) == 0 {
		return nil
	}
	count := make(map[int64]int, len(ts))
	var present []int64 // first-appearance order, so sums are deterministic
	for _, t := range ts {
		if count[t.ChannelID] == 0 {
			present = append(present, t.ChannelID)
		}
		count[t.ChannelID]++
	}
	weight := func(ch int64) float64 { return m.weights.Weight(ch) }
	total := 0.0
	for _, ch := range present {
		total += weight(ch)
	}
	if !(total > 0) {
		weight = func(int64) float64 { return 1 }
		total = float64(len(present))
	}
	c := make([]float64, len(ts))
	for i, t := range ts {
		c[i] = weight(t.ChannelID) / float64(count[t.ChannelID]) / total
	}
	return exact(c)
}

// exact makes credits sum to exactly 1 when summed left to right: the last
// touch takes 1 − the sum of the others. Rounding can push the others'
// sum a few ulps above 1 when the last touch's true credit is (nearly) 0;
// then the excess is taken from the largest other credit rather than
// clamping the last one below 0. With the others summing to s ∈ [0, 1],
// s + (1 − s) rounds to exactly 1.
func exact(c []float64) []float64 {
	n := len(c)
	others := c[:n-1]
	sum := 0.0
	for i, x := range others {
		others[i] = min(max(x, 0), 1)
		sum += others[i]
	}
	if sum > 1 {
		k := 0
		for i, x := range others {
			if x > others[k] {
				k = i
			}
		}
		others[k] = max(others[k]-(sum-1), 0)
		for sum = sumOf(others); sum > 1 && others[k] > 0; sum = sumOf(others) {
			others[k] = math.Nextafter(others[k], 0)
		}
	}
	c[n-1] = min(max(1-sum, 0), 1)
	return c
}

func sumOf(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// Path is one journey for the Markov model: its channels in time order and
// whether it ended in a conversion.
type Path struct {
	Channels  []int64
	Converted bool
}

// MarkovWeights are the data-driven model's channel weights: removal
// effects of a first-order Markov chain over paths, normalised to sum 1.
// The zero value and nil have no channels (every weight 0).
type MarkovWeights struct {
	channels []int64 // ascending
	removal  []float64
	weights  []float64
	pConv    float64
}

// TrainMarkov fits a first-order Markov chain to the paths — every path
// starts at (start) and ends at (conversion) if converted, else (null) —
// and computes each channel's removal effect 1 − P(conversion without
// c)/P(conversion), where removing c sends the transitions into c to
// (null). Absorption probabilities are solved exactly (Gaussian
// elimination), so the result is deterministic for the same paths in any
// order of channels. Weights are the removal effects normalised to sum 1,
// or equal when every removal effect is 0 (for instance with no
// conversions).
func TrainMarkov(paths []Path) *MarkovWeights {
	// States: 0 = (start), 1..k = channels in ascending id order.
	var ids []int64
	for _, p := range paths {
		ids = append(ids, p.Channels...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	k := len(ids)
	state := make(map[int64]int, k)
	for i, id := range ids {
		state[id] = i + 1
	}
	n := k + 1
	// counts[i][j] for transient j; conv[i], null[i] to the absorbing states.
	counts := make([][]float64, n)
	for i := range counts {
		counts[i] = make([]float64, n)
	}
	conv := make([]float64, n)
	null := make([]float64, n)
	for _, p := range paths {
		from := 0
		for _, ch := range p.Channels {
			to := state[ch]
			counts[from][to]++
			from = to
		}
		if p.Converted {
			conv[from]++
		} else {
			null[from]++
		}
	}
	// Row-normalise into transition probabilities.
	trans := make([][]float64, n)
	toConv := make([]float64, n)
	for i := range counts {
		total := conv[i] + null[i]
		for _, x := range counts[i] {
			total += x
		}
		trans[i] = make([]float64, n)
		if total == 0 {
			continue // never left: absorbs into (null)
		}
		for j, x := range counts[i] {
			trans[i][j] = x / total
		}
		toConv[i] = conv[i] / total
	}

	w := &MarkovWeights{channels: ids, removal: make([]float64, k), weights: make([]float64, k)}
	w.pConv = conversionProbability(trans, toConv, -1)
	sum := 0.0
	for c := range k {
		re := 0.0
		if w.pConv > 0 {
			re = 1 - conversionProbability(trans, toConv, c+1)/w.pConv
		}
		re = min(max(re, 0), 1) // rounding noise
		w.removal[c] = re
		sum += re
	}
	for c := range k {
		if sum > 0 {
			w.weights[c] = w.removal[c] / sum
		} else {
			w.weights[c] = 1 / float64(k)
		}
	}
	return w
}

// conversionProbability returns the probability of absorption in
// (conversion) from (start), state 0, with state removed (≥ 1) turned into
// (null); removed < 0 removes nothing. It solves (I − Q)x = b over the
// transient states by Gaussian elimination with partial pivoting.
func conversionProbability(trans [][]float64, toConv []float64, removed int) float64 {
	n := len(trans)
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n+1) // augmented with b
		a[i][i] = 1
		if i == removed {
			continue // x_removed = 0
		}
		for j, p := range trans[i] {
			if j != removed {
				a[i][j] -= p
			}
		}
		a[i][n] = toConv[i]
	}
	for col := range n {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		if a[piv][col] == 0 {
			continue // cannot happen for an absorbing chain; leave x = 0
		}
		a[col], a[piv] = a[piv], a[col]
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			if f == 0 {
				continue
			}
			for j := col; j <= n; j++ {
				a[r][j] -= f * a[col][j]
			}
		}
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		if a[i][i] == 0 {
			continue
		}
		s := a[i][n]
		for j := i + 1; j < n; j++ {
			s -= a[i][j] * x[j]
		}
		x[i] = s / a[i][i]
	}
	return min(max(x[0], 0), 1)
}

// Channels returns the channel ids seen in training, ascending.
func (w *MarkovWeights) Channels() []int64 {
	if w == nil {
		return nil
	}
	return slices.Clone(w.channels)
}

func (w *MarkovWeights) find(ch int64) (int, bool) {
	if w == nil {
		return 0, false
	}
	return slices.BinarySearch(w.channels, ch)
}

// Weight returns channel ch's normalised weight (0 if unseen).
func (w *MarkovWeights) Weight(ch int64) float64 {
	if i, ok := w.find(ch); ok {
		return w.weights[i]
	}
	return 0
}

// RemovalEffect returns channel ch's raw removal effect (0 if unseen).
func (w *MarkovWeights) RemovalEffect(ch int64) float64 {
	if i, ok := w.find(ch); ok {
		return w.removal[i]
	}
	return 0
}

// ConversionProbability returns P(conversion) from (start) in the full
// chain.
func (w *MarkovWeights) ConversionProbability() float64 {
	if w == nil {
		return 0
	}
	return w.pConv
}

// Weights returns a copy of the channel weights by channel id.
func (w *MarkovWeights) Weights() map[int64]float64 {
	out := make(map[int64]float64, len(w.Channels()))
	for i, ch := range w.Channels() {
		out[ch] = w.weights[i]
	}
	return out
}
