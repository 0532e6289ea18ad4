package collect

import (
	"regexp"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/analytics"
)

// The hand-written format checks agree with the rules as regexps.
func TestFormatChecks(t *testing.T) {
	cases := []struct {
		name  string
		check func(string) bool
		re    *regexp.Regexp
		in    []string
	}{
		{"hit id", validHitID, regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`),
			[]string{"", "a", "abc-DEF_1.2:3", "has space", "é", string(make([]byte, 65)), "x/y", "0123456789012345678901234567890123456789012345678901234567890123", "01234567890123456789012345678901234567890123456789012345678901234"}},
		{"token", validToken, regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`),
			[]string{"", "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcde!", "AZaz09_-AZaz09_-AZaz09_-AZaz09_-", "0123456789abcdef0123456789abcdef0"}},
		{"account", ValidAccountToken, regexp.MustCompile(`^c-a-[a-z][a-z0-9]{1,29}-[a-z]{2}$`),
			[]string{"c-a-shop-gb", "c-a-s-gb", "c-a-sh-gb", "c-a-1shop-gb", "c-a-shop1-gb", "c-a-shop-GB", "c-a-shop-g", "c-a-shop-gbr", "c-a-Shop-gb",
				"c-a-abcdefghijabcdefghijabcdefghij-gb", "c-a-abcdefghijabcdefghijabcdefghijk-gb", "c-b-shop-gb", "c-a--gb", "c-a-sh_p-gb", "5", ""}},
		{"country", validCountry, regexp.MustCompile(`^[A-Za-z]{2}$`), []string{"", "gb", "GB", "g1", "gbr", "@@", "[]", "g"}},
	}
	for _, c := range cases {
		for _, in := range c.in {
			if got, want := c.check(in), c.re.MatchString(in); got != want {
				t.Errorf("%s %q: %v, want %v", c.name, in, got, want)
			}
		}
	}
}

func TestLanding(t *testing.T) {
	l := landing("https://shop.example/p?UTM_Source=News&utm_source=second&utm_medium=%20email%20&fbclid=f&gclid=g&utm_campaign=a%2Bb&bad=%zz&utm_term=" + strings.Repeat("x", 300))
	want := analytics.Campaign{UTMSource: "News", UTMMedium: "email", UTMCampaign: "a+b", UTMTerm: strings.Repeat("x", 255), ClickIDType: "gclid", ClickID: "g"}
	if l != want {
		t.Errorf("got %+v, want %+v", l, want)
	}
}

func TestParseAgent(t *testing.T) {
	cases := map[string]agent{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1": {"mobile", "Safari", "iOS"},
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0":           {"desktop", "Edge", "Windows"},
		"Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36":                          {"tablet", "Chrome", "Android"},
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Gecko/20100101 Firefox/127.0":                                                            {"desktop", "Firefox", "macOS"},
		"": {},
	}
	for ua, want := range cases {
		if got := parseAgent(ua); got != want {
			t.Errorf("%q: %+v, want %+v", ua, got, want)
		}
	}
}

func TestMinorUnits(t *testing.T) {
	cases := []struct {
		in, cur string
		want    int64
		bad     bool
	}{
		{"59.99", "GBP", 5999, false}, {"0.1", "GBP", 10, false}, {"1e2", "GBP", 10000, false}, {"1000", "JPY", 1000, false},
		{"1.2345", "KWD", 1235, false}, {"-1", "GBP", 0, true}, {"abc", "GBP", 0, true}, {"1e20", "GBP", 0, true},
	}
	for _, c := range cases {
		got, reason := minorUnits(c.in, c.cur)
		if (reason != "") != c.bad || (!c.bad && got != c.want) {
			t.Errorf("%s %s: %d %q", c.in, c.cur, got, reason)
		}
	}
}
