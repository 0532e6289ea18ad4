package money

import "testing"

func TestExponent(t *testing.T) {
	for _, c := range []struct {
		code string
		want int
	}{{"GBP", 2}, {"usd", 2}, {"JPY", 0}, {"krw", 0}, {"BHD", 3}, {"KWD", 3}, {"CLF", 4}, {"", 2}, {"XXX", 2}} {
		if got := Exponent(c.code); got != c.want {
			t.Errorf("Exponent(%q) = %d, want %d", c.code, got, c.want)
		}
	}
}
