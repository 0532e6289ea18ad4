package seopt

import (
	"strings"
)

// BrandTerms are the words that make a query a brand query: the account's
// name and its domain's registrable label ("shop.example.co.uk" →
// "example"), lower case, at least 3 characters.
func BrandTerms(name, domain string) []string {
	var out []string
	add := func(t string) {
		t = strings.ToLower(strings.TrimSpace(t))
		t = strings.Map(func(r rune) rune {
			if r == '-' || r == '_' || r == ' ' || r == '.' {
				return -1
			}
			return r
		}, t)
		if len([]rune(t)) < 3 {
			return
		}
		for _, x := range out {
			if x == t {
				return
			}
		}
		out = append(out, t)
	}
	add(name)
	d := strings.ToLower(strings.TrimSpace(domain))
	d = strings.TrimPrefix(strings.TrimPrefix(d, "https://"), "http://")
	d, _, _ = strings.Cut(d, "/")
	labels := strings.Split(strings.TrimPrefix(d, "www."), ".")
	switch {
	case len(labels) >= 3 && secondLevel(labels[len(labels)-2]):
		add(labels[len(labels)-3])
	case len(labels) >= 2:
		add(labels[len(labels)-2])
	case len(labels) == 1:
		add(labels[0])
	}
	return out
}

// secondLevel tells the common second-level labels of country domains
// (co.uk, com.au, ...).
func secondLevel(l string) bool {
	switch l {
	case "co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "ne", "or":
		return true
	}
	return false
}

// maxDistance is the edit distance a query word may be from a brand term
// and still count: exact up to 3 characters, 1 up to 9, 2 beyond (so
// "teashop" does not match "the shop", but "teashoo" does).
func maxDistance(term string) int {
	n := len([]rune(term))
	switch {
	case n <= 3:
		return 0
	case n <= 9:
		return 1
	}
	return 2
}

// IsBrand reports whether a query names the brand: one of its words, two
// adjacent words joined ("tea shop" → "teashop"), or the whole query
// without spaces is within maxDistance edits of a brand term, or starts or
// ends with a term of 4 characters or more and is at most 5 characters
// longer ("demoshop", not "demonstration"). Misspellings
// ("demp shop") count; unrelated words of similar length do not, because
// short terms allow few edits.
func IsBrand(query string, terms []string) bool {
	words := strings.Fields(strings.ToLower(query))
	cands := append([]string{}, words...)
	for i := 0; i+1 < len(words); i++ {
		cands = append(cands, words[i]+words[i+1])
	}
	cands = append(cands, strings.Join(words, ""))
	for _, t := range terms {
		limit := maxDistance(t)
		for _, c := range cands {
			if n := len([]rune(t)); n >= 4 && len([]rune(c)) <= n+5 && (strings.HasPrefix(c, t) || strings.HasSuffix(c, t)) {
				return true // "demoshop", "mydemo"; not "demonstration"
			}
			if abs(len([]rune(c))-len([]rune(t))) > limit {
				continue
			}
			if Levenshtein(c, t) <= limit {
				return true
			}
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Levenshtein is the edit distance between a and b (insertions,
// deletions, substitutions of runes).
func Levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// CTR is the share of searchers who click a result at an organic rank: a
// curve after published click-through studies (about 28 % at rank 1,
// 2.5 % at 10, well under 1 % on page two, nothing beyond 100).
func CTR(rank int) float64 {
	switch {
	case rank < 1:
		return 0
	case rank <= 10:
		return [...]float64{0.28, 0.157, 0.11, 0.08, 0.072, 0.051, 0.04, 0.032, 0.028, 0.025}[rank-1]
	case rank <= 20:
		return 0.012 - float64(rank-11)*0.0008
	case rank <= 100:
		return 0.002
	}
	return 0
}

// EstimatedTraffic is the daily visits a keyword with a monthly search
// volume earns at rank.
func EstimatedTraffic(monthlyVolume int64, rank int) float64 {
	return float64(monthlyVolume) / 30 * CTR(rank)
}
