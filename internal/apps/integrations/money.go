package integrations

import (
	"fmt"
	"math"
	"strings"

	"github.com/cubedhq/cubed/internal/money"
)

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// MicrosToMinor converts millionths of a currency unit (Google's
// cost_micros) to minor units, rounding half away from zero: 1,234,567
// GBP micros are 123 pence (micros / 10,000).
func MicrosToMinor(micros int64, currency string) int64 {
	d := pow10(6 - money.Exponent(currency))
	q, r := micros/d, micros%d
	if r < 0 {
		r = -r
	}
	if 2*r >= d {
		if micros < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// DecimalToMinor parses a decimal string ("123.45", "-0.5", "7") exactly,
// without floating point, into minor units, rounding extra digits half
// away from zero.
func DecimalToMinor(s, currency string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" && fp == "" {
		return 0, fmt.Errorf("money %q is not a decimal number", orig)
	}
	for _, part := range []string{ip, fp} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("money %q is not a decimal number", orig)
			}
		}
	}
	if len(ip) > 15 {
		return 0, fmt.Errorf("money %q is out of range", orig)
	}
	exp := money.Exponent(currency)
	var v int64
	for _, c := range ip {
		v = v*10 + int64(c-'0')
	}
	for i := range exp {
		v *= 10
		if i < len(fp) {
			v += int64(fp[i] - '0')
		}
	}
	if len(fp) > exp && fp[exp] >= '5' {
		v++
	}
	if neg {
		v = -v
	}
	return v, nil
}

// FloatToMinor converts an amount the provider sends as a floating-point
// number (conversion values) to minor units.
func FloatToMinor(v float64, currency string) int64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return int64(math.Round(v * float64(pow10(money.Exponent(currency)))))
}
