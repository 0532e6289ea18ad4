package collect

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// landing is what a landing URL says about a visit's source. The rules
// match the sessionize command's: parameter names are case-insensitive
// (first occurrence wins), values trimmed, and of several click ids the
// first of gclid, gbraid, wbraid, msclkid, fbclid, ttclid wins.
type landing struct {
	utmSource, utmMedium, utmCampaign, utmTerm, utmContent string
	clickIDType, clickID                                   string
}

// clickIDParams in precedence order.
var clickIDParams = [...]string{"gclid", "gbraid", "wbraid", "msclkid", "fbclid", "ttclid"}

func parseLanding(rawQuery string) landing {
	var l landing
	if rawQuery == "" {
		return l
	}
	var clicks [len(clickIDParams)]string
	for rawQuery != "" {
		var kv string
		kv, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		key, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		key = strings.ToLower(key)
		var dst *string
		switch key {
		case "utm_source":
			dst = &l.utmSource
		case "utm_medium":
			dst = &l.utmMedium
		case "utm_campaign":
			dst = &l.utmCampaign
		case "utm_term":
			dst = &l.utmTerm
		case "utm_content":
			dst = &l.utmContent
		default:
			for i, name := range clickIDParams {
				if key == name {
					dst = &clicks[i]
				}
			}
		}
		if dst == nil || *dst != "" {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		*dst = clip(strings.TrimSpace(val), 255)
	}
	for i, v := range clicks {
		if v != "" {
			l.clickIDType, l.clickID = clickIDParams[i], v
			break
		}
	}
	return l
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
