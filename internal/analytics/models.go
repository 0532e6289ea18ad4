// Package analytics holds Cubed's pure algorithms: channel matching,
// segmenter rules, sessionization and the attribution models. No I/O and no
// imports from the rest of the module, so every rule is unit-tested alone.
package analytics

import (
	"fmt"
	"math"
	"sort"
)

// Model codes.
const (
	LastClick     = "last_click"
	LastNonDirect = "last_non_direct"
	FirstClick    = "first_click"
	Linear        = "linear"
	TimeDecay     = "time_decay"
	PositionBased = "position_based"
	DataDriven    = "data_driven"
)

// Touch is one touchpoint of a sale, in time order.
type Touch struct {
	ChannelID         int64
	IsDirect          bool
	SecondsBeforeSale float64
}

// Params tune the models that have parameters.
type Params struct {
	HalfLifeDays float64 // time_decay, default 7
	First, Last  float64 // position_based, default 0.4 and 0.4
}

// Model computes credits for a sale's touches.
type Model struct {
	Code   string
	Params Params
	// Weights are the data-driven channel weights (TrainMarkov).
	Weights map[int64]float64
}

// NewModel validates a model code and its parameters, filling defaults.
func NewModel(code string, p Params, weights map[int64]float64) (Model, error) {
	switch code {
	case LastClick, LastNonDirect, FirstClick, Linear, DataDriven:
	case TimeDecay:
		if p.HalfLifeDays == 0 {
			p.HalfLifeDays = 7
		}
		if p.HalfLifeDays < 0 || math.IsNaN(p.HalfLifeDays) || math.IsInf(p.HalfLifeDays, 0) {
			return Model{}, fmt.Errorf("half_life_days: %v is not a positive number of days", p.HalfLifeDays)
		}
	case PositionBased:
		if p.First == 0 && p.Last == 0 {
			p.First, p.Last = 0.4, 0.4
		}
		if p.First < 0 || p.Last < 0 || p.First+p.Last > 1 {
			return Model{}, fmt.Errorf("first and last: %v and %v must be >= 0 and sum to at most 1", p.First, p.Last)
		}
	default:
		return Model{}, fmt.Errorf("unknown attribution model %q", code)
	}
	return Model{Code: code, Params: p, Weights: weights}, nil
}

// Credits returns one credit per touch, each in [0, 1], summing to exactly
// 1: computed in float64, then the last touch takes 1 − the others.
func (m Model) Credits(touches []Touch) []float64 {
	n := len(touches)
	if n == 0 {
		return nil
	}
	c := make([]float64, n)
	switch m.Code {
	case LastClick:
		c[n-1] = 1
	case FirstClick:
		c[0] = 1
	case LastNonDirect:
		i := n - 1
		for j := n - 1; j >= 0; j-- {
			if !touches[j].IsDirect {
				i = j
				break
			}
		}
		c[i] = 1
	case Linear:
		for i := range c {
			c[i] = 1 / float64(n)
		}
	case TimeDecay:
		sum := 0.0
		for i, t := range touches {
			c[i] = math.Exp2(-(t.SecondsBeforeSale / 86400) / m.Params.HalfLifeDays)
			sum += c[i]
		}
		for i := range c {
			c[i] /= sum
		}
	case PositionBased:
		switch n {
		case 1:
			c[0] = 1
		case 2:
			c[0], c[1] = 0.5, 0.5
		default:
			c[0], c[n-1] = m.Params.First, m.Params.Last
			mid := (1 - m.Params.First - m.Params.Last) / float64(n-2)
			for i := 1; i < n-1; i++ {
				c[i] = mid
			}
		}
	case DataDriven:
		m.dataDriven(touches, c)
	}
	return closeToOne(c)
}

// dataDriven: a touch gets its channel's weight ÷ the channel's touches in
// the path, renormalised over the channels present.
func (m Model) dataDriven(touches []Touch, c []float64) {
	count := map[int64]int{}
	for _, t := range touches {
		count[t.ChannelID]++
	}
	total := 0.0
	for ch := range count {
		total += m.Weights[ch]
	}
	for i, t := range touches {
		if total > 0 {
			c[i] = m.Weights[t.ChannelID] / float64(count[t.ChannelID]) / total
		} else {
			c[i] = 1 / float64(len(touches))
		}
	}
}

// closeToOne makes credits sum to exactly 1 by giving the last touch the
// remainder (clamping float noise into [0, 1]).
func closeToOne(c []float64) []float64 {
	sum := 0.0
	for _, x := range c[:len(c)-1] {
		sum += x
	}
	last := 1 - sum
	if last < 0 {
		last = 0
	}
	c[len(c)-1] = last
	return c
}

// Path is one journey for the Markov model: channels in order and whether
// it converted.
type Path struct {
	Channels  []int64
	Converted bool
}

const (
	stateStart = -1
	stateConv  = -2
	stateNull  = -3
)

// TrainMarkov fits a first-order Markov chain to the paths and returns each
// channel's removal effect, normalised to sum 1 (equal weights when every
// removal effect is zero).
func TrainMarkov(paths []Path) map[int64]float64 {
	trans := map[int64]map[int64]float64{}
	add := func(from, to int64) {
		if trans[from] == nil {
			trans[from] = map[int64]float64{}
		}
		trans[from][to]++
	}
	channels := map[int64]bool{}
	for _, p := range paths {
		prev := int64(stateStart)
		for _, ch := range p.Channels {
			channels[ch] = true
			add(prev, ch)
			prev = ch
		}
		end := int64(stateNull)
		if p.Converted {
			end = stateConv
		}
		add(prev, end)
	}
	base := conversionProbability(trans, nil)
	ids := make([]int64, 0, len(channels))
	for ch := range channels {
		ids = append(ids, ch)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := map[int64]float64{}
	sum := 0.0
	for _, ch := range ids {
		re := 0.0
		if base > 0 {
			re = 1 - conversionProbability(trans, map[int64]bool{ch: true})/base
		}
		if re < 0 {
			re = 0
		}
		out[ch] = re
		sum += re
	}
	for _, ch := range ids {
		if sum > 0 {
			out[ch] /= sum
		} else {
			out[ch] = 1 / float64(len(ids))
		}
	}
	return out
}

// conversionProbability is the probability of reaching (conversion) from
// (start), with removed channels turned into (null), by value iteration.
func conversionProbability(trans map[int64]map[int64]float64, removed map[int64]bool) float64 {
	states := make([]int64, 0, len(trans))
	for s := range trans {
		states = append(states, s)
	}
	sort.Slice(states, func(i, j int) bool { return states[i] < states[j] })
	totals := map[int64]float64{}
	for s, outs := range trans {
		for _, n := range outs {
			totals[s] += n
		}
	}
	p := map[int64]float64{}
	value := func(s int64) float64 {
		switch {
		case s == stateConv:
			return 1
		case s == stateNull || removed[s]:
			return 0
		}
		return p[s]
	}
	for iter := 0; iter < 100000; iter++ {
		delta := 0.0
		for _, s := range states {
			if removed[s] {
				continue
			}
			v := 0.0
			for to, n := range trans[s] {
				v += n / totals[s] * value(to)
			}
			delta = math.Max(delta, math.Abs(v-p[s]))
			p[s] = v
		}
		if delta < 1e-15 {
			break
		}
	}
	return p[stateStart]
}
