package attrib

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/registry"
)

// DefaultsVersion is bumped whenever the defaults below change.
const DefaultsVersion = 1

type defaultChannel struct {
	Name           string
	Colour         string
	Paid, IsDirect bool
}

// DefaultChannels are loaded into every new account, in sort order.
var DefaultChannels = []defaultChannel{
	{"Direct", "#34495e", false, true},
	{"SEO", "#27ae60", false, false},
	{"PPC", "#2980b9", true, false},
	{"Paid Social", "#8e44ad", true, false},
	{"Organic Social", "#e67e22", false, false},
	{"Email", "#f1c40f", false, false},
	{"Affiliate", "#16a085", true, false},
	{"Display", "#c0392b", true, false},
	{"Referral", "#7f8c8d", false, false},
	{"Offline", "#95a5a6", false, false},
	{"Impression", "#bdc3c7", true, false},
}

type defaultPattern struct {
	Channel, Pattern, MatchOn string
}

// DefaultPatterns map well-known referrer hosts to channels.
var DefaultPatterns = []defaultPattern{
	// Search engines -> SEO.
	{"SEO", `(^|\.)google\.[a-z.]+$`, "referrer"},
	{"SEO", `(^|\.)bing\.com$`, "referrer"},
	{"SEO", `(^|\.)search\.yahoo\.(com|co\.jp|[a-z.]+)$`, "referrer"},
	{"SEO", `(^|\.)duckduckgo\.com$`, "referrer"},
	{"SEO", `(^|\.)yandex\.[a-z.]+$`, "referrer"},
	{"SEO", `(^|\.)baidu\.com$`, "referrer"},
	{"SEO", `(^|\.)ecosia\.org$`, "referrer"},
	{"SEO", `(^|\.)search\.brave\.com$`, "referrer"},
	{"SEO", `(^|\.)qwant\.com$`, "referrer"},
	{"SEO", `(^|\.)naver\.com$`, "referrer"},
	{"SEO", `(^|\.)seznam\.cz$`, "referrer"},
	{"SEO", `(^|\.)startpage\.com$`, "referrer"},
	{"SEO", `(^|\.)ask\.com$`, "referrer"},
	{"SEO", `(^|\.)search\.aol\.com$`, "referrer"},
	// Social networks -> Organic Social.
	{"Organic Social", `(^|\.)facebook\.com$`, "referrer"},
	{"Organic Social", `(^|\.)fb\.me$`, "referrer"},
	{"Organic Social", `(^|\.)instagram\.com$`, "referrer"},
	{"Organic Social", `(^|\.)(twitter|x)\.com$`, "referrer"},
	{"Organic Social", `(^|\.)t\.co$`, "referrer"},
	{"Organic Social", `(^|\.)linkedin\.com$`, "referrer"},
	{"Organic Social", `(^|\.)lnkd\.in$`, "referrer"},
	{"Organic Social", `(^|\.)pinterest\.[a-z.]+$`, "referrer"},
	{"Organic Social", `(^|\.)reddit\.com$`, "referrer"},
	{"Organic Social", `(^|\.)youtube\.com$`, "referrer"},
	{"Organic Social", `(^|\.)tiktok\.com$`, "referrer"},
	{"Organic Social", `(^|\.)threads\.net$`, "referrer"},
	{"Organic Social", `(^|\.)bsky\.app$`, "referrer"},
	{"Organic Social", `(^|\.)snapchat\.com$`, "referrer"},
	{"Organic Social", `(^|\.)whatsapp\.com$`, "referrer"},
	{"Organic Social", `(^|\.)tumblr\.com$`, "referrer"},
	// Web mail -> Email.
	{"Email", `(^|\.)mail\.google\.com$`, "referrer"},
	{"Email", `(^|\.)outlook\.(live|office|office365)\.com$`, "referrer"},
	{"Email", `(^|\.)mail\.yahoo\.com$`, "referrer"},
	{"Email", `(^|\.)mail\.aol\.com$`, "referrer"},
	{"Email", `(^|\.)mail\.proton\.me$`, "referrer"},
	{"Email", `(^|\.)icloud\.com$`, "referrer"},
	{"Email", `(^|\.)mail\.zoho\.[a-z.]+$`, "referrer"},
	{"Email", `(^|\.)gmx\.[a-z.]+$`, "referrer"},
	{"Email", `(^|\.)web\.de$`, "referrer"},
	{"Email", `^(?i)(newsletter|email)$`, "utm_source"},
}

type defaultModel struct {
	Code, Name string
	Params     map[string]float64
}

// DefaultModels are the seven attribution models; last_click is the default.
var DefaultModels = []defaultModel{
	{"last_click", "Last click", nil},
	{"last_non_direct", "Last non-direct click", nil},
	{"first_click", "First click", nil},
	{"linear", "Linear", nil},
	{"time_decay", "Time decay (7-day half-life)", map[string]float64{"half_life_days": 7}},
	{"position_based", "Position based (40/20/40)", map[string]float64{"first": 0.4, "last": 0.4}},
	{"data_driven", "Data-driven (Markov)", nil},
}

// DefaultPaymentReferrers never start a touch.
var DefaultPaymentReferrers = []string{
	"paypal.com", "stripe.com", "checkout.stripe.com", "klarna.com", "clearpay.co.uk", "afterpay.com",
	"adyen.com", "worldpay.com", "sagepay.com", "opayo.co.uk", "pay.google.com", "amazonpay.com",
	"3dsecure.io", "secure5.arcot.com", "checkout.com", "mollie.com", "braintreegateway.com",
}

// SeedDefaults loads the default channels, patterns, models and payment
// referrers into a new client database.
func SeedDefaults(ctx context.Context, tx *db.Tx, _ registry.NewAccount) error {
	now := time.Now().UTC()
	ids := map[string]int64{}
	for i, c := range DefaultChannels {
		id, err := db.InsertID(ctx, tx, `INSERT INTO "channel" ("name", "colour", "is_paid", "is_direct", "sort", "active", "created", "updated") VALUES (?, ?, ?, ?, ?, TRUE, ?, ?)`,
			c.Name, c.Colour, c.Paid, c.IsDirect, i+1, now, now)
		if err != nil {
			return fmt.Errorf("channel %s: %w", c.Name, err)
		}
		ids[c.Name] = id
	}
	for i, p := range DefaultPatterns {
		if _, err := tx.Exec(ctx, `INSERT INTO "pattern" ("channel_id", "pattern", "match_on", "priority", "is_default", "active", "created", "updated") VALUES (?, ?, ?, ?, TRUE, TRUE, ?, ?)`,
			ids[p.Channel], p.Pattern, p.MatchOn, 1000+10*i, now, now); err != nil {
			return fmt.Errorf("pattern %s: %w", p.Pattern, err)
		}
	}
	for i, m := range DefaultModels {
		var params any
		if m.Params != nil {
			raw, _ := json.Marshal(m.Params)
			params = string(raw)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO "attribution_model" ("code", "name", "params", "is_default", "active") VALUES (?, ?, ?, ?, TRUE)`,
			m.Code, m.Name, params, i == 0); err != nil {
			return fmt.Errorf("model %s: %w", m.Code, err)
		}
	}
	for _, d := range DefaultPaymentReferrers {
		if _, err := tx.Exec(ctx, `INSERT INTO "payment_referrer" ("domain") VALUES (?)`, d); err != nil {
			return fmt.Errorf("payment referrer %s: %w", d, err)
		}
	}
	return nil
}

// Register declares the app's models and seeders.
func Register(r *registry.Registry) {
	models := ConfigModels()
	r.Models.Add(models...)
	r.AddResources(configResources(models)...)
	r.Models.Add(ProcessedModels()...)
	raw := RawModels()
	r.Models.Add(raw...)
	r.AddResources(uploadResources(raw)...)
	r.AddSeeder(registry.Seeder{Name: "attrib.defaults", Seed: SeedDefaults})
	r.Commands.Add(Commands()...)
}
