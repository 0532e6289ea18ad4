package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/cubedhq/cubed/internal/money"
)

// Values are formatted per spec/api.md §10.6: integer -> integer; money
// (minor units in tables) -> major units rounded to 2 decimals; float and
// percentage -> 6 decimals (percentages as fractions); duration_seconds ->
// 2 decimals; rounding half away from zero on the shortest decimal form of
// the value (so 1.005 -> 1.01); null stays null.

// minorFactor is how many minor units make one major unit.
func minorFactor(currency string) float64 {
	return math.Pow10(money.Exponent(currency))
}

// roundHalfAway rounds x to d decimals, half away from zero, on its
// shortest decimal representation.
func roundHalfAway(x float64, d int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return x
	}
	neg := x < 0
	s := strconv.FormatFloat(math.Abs(x), 'f', -1, 64)
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) <= d {
		return x
	}
	up := fp[d] >= '5'
	digits := []byte(ip + fp[:d])
	if up {
		i := len(digits) - 1
		for ; i >= 0; i-- {
			if digits[i] == '9' {
				digits[i] = '0'
				continue
			}
			digits[i]++
			break
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}
	out := string(digits[:len(digits)-d])
	if d > 0 {
		out += "." + string(digits[len(digits)-d:])
	}
	r, _ := strconv.ParseFloat(out, 64)
	if neg {
		r = -r
	}
	return r
}

// outNumber is a metric's value in output units, rounded as output.
func outNumber(t Type, v val, factor float64) (float64, bool) {
	if !v.ok {
		return 0, false
	}
	switch t {
	case Integer:
		return roundHalfAway(v.f, 0), true
	case Money:
		return roundHalfAway(v.f/factor, 2), true
	case DurationSeconds:
		return roundHalfAway(v.f, 2), true
	case Float, Percentage:
		return roundHalfAway(v.f, 6), true
	}
	return v.f, true
}

// jsonNumber is the value the JSON (and CSV) output carries.
func jsonNumber(t Type, v val, factor float64) any {
	f, ok := outNumber(t, v, factor)
	if !ok {
		return nil
	}
	if t == Integer || (f == math.Trunc(f) && math.Abs(f) < 1<<53) {
		return int64(f)
	}
	return f
}

// numText writes a number as JSON does: shortest form.
func numText(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		abs := math.Abs(x)
		if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
