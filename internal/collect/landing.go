package collect

import (
	"strings"
	"unicode/utf8"

	"github.com/cubedhq/cubed/internal/analytics"
)

// landing is the campaign a landing URL carries, parsed by the same rules
// as the sessionize command (analytics.ParseLanding), clipped for storage.
func landing(rawURL string) analytics.Campaign {
	c := analytics.ParseLanding(rawURL).Campaign
	for _, f := range []*string{&c.UTMSource, &c.UTMMedium, &c.UTMCampaign, &c.UTMTerm, &c.UTMContent, &c.ClickID} {
		*f = clip(*f, 255)
	}
	return c
}

// clip cleans s for storage: valid UTF-8, no NUL (PostgreSQL refuses it),
// at most n characters (VARCHAR(n) counts characters).
func clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// clean is clip without a length bound.
func clean(s string) string { return clip(s, len(s)) }

// agent is what a User-Agent says about the device.
type agent struct{ device, browser, os string }

// parseAgent classifies a User-Agent with a few well-known markers; an
// empty or unknown agent gives empty fields.
func parseAgent(ua string) agent {
	if ua == "" {
		return agent{}
	}
	var a agent
	has := func(s string) bool { return strings.Contains(ua, s) }
	switch {
	case has("iPad") || has("Tablet") || (has("Android") && !has("Mobile")):
		a.device = "tablet"
	case has("Mobi") || has("iPhone") || has("Android"):
		a.device = "mobile"
	default:
		a.device = "desktop"
	}
	switch {
	case has("Edg/") || has("Edge/"):
		a.browser = "Edge"
	case has("OPR/") || has("Opera"):
		a.browser = "Opera"
	case has("SamsungBrowser"):
		a.browser = "Samsung Internet"
	case has("Firefox/") || has("FxiOS"):
		a.browser = "Firefox"
	case has("Chrome/") || has("CriOS"):
		a.browser = "Chrome"
	case has("Safari/"):
		a.browser = "Safari"
	default:
		a.browser = "Other"
	}
	switch {
	case has("Windows"):
		a.os = "Windows"
	case has("iPhone") || has("iPad") || has("iPod"):
		a.os = "iOS"
	case has("Mac OS X") || has("Macintosh"):
		a.os = "macOS"
	case has("Android"):
		a.os = "Android"
	case has("CrOS"):
		a.os = "ChromeOS"
	case has("Linux"):
		a.os = "Linux"
	default:
		a.os = "Other"
	}
	return a
}
