// Package money holds what every layer needs to know about currencies:
// how many minor units make a major one (money is stored in minor units).
package money

import "strings"

// minorDigits are the ISO 4217 currencies whose minor unit is not 1/100.
var minorDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// Exponent is the number of minor-unit digits of an ISO 4217
// currency (case-insensitive): 2 for most, 0 for JPY, KRW, ..., 3 for BHD,
// KWD, ..., 4 for CLF and UYW. Money is stored in these minor units.
func Exponent(code string) int {
	if d, ok := minorDigits[strings.ToUpper(code)]; ok {
		return d
	}
	return 2
}
