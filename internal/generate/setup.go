package generate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cubedhq/cubed/internal/db"
)

// product is a catalogue line.
type product struct {
	sku, name, category string
	priceMinor          int64
}

// catalogue is the configuration the simulation draws from.
type catalogue struct {
	products []product
}

// Event names the generator sends; they are defined when missing.
const (
	evPurchase  = "purchase"
	evAddToCart = "add_to_cart"
	evSignUp    = "sign_up"
)

var categories = []string{"mugs", "teapots", "tea", "coffee", "gifts", "accessories"}

// campaign rows the generated UTM campaigns match.
var campaigns = []struct{ channel, platform, external, name, utm string }{
	{"PPC", "google_ads", "1001", "Brand", "brand"},
	{"PPC", "google_ads", "1002", "Generic", "generic"},
	{"PPC", "google_ads", "1003", "Shopping", "shopping"},
	{"PPC", "microsoft_ads", "2001", "Bing generic", "bing-generic"},
	{"Paid Social", "meta_ads", "3001", "Facebook prospecting", "fb-prospecting"},
	{"Paid Social", "other", "4001", "TikTok spring", "tiktok-spring"},
	{"Display", "google_ads", "1004", "GDN retargeting", "gdn-retargeting"},
	{"Email", "email", "", "Newsletter", "newsletter"},
	{"Affiliate", "affiliate", "", "Awin", "awin"},
}

// setup adds the event definitions, goals, products and campaigns the
// generated data refer to, when missing, and returns the catalogue. The
// catalogue is fixed (not seeded), so every seed shares it.
func setup(ctx context.Context, d *db.DB) (*catalogue, error) {
	cat := &catalogue{}
	r := rand.New(rand.NewPCG(42, 4242))
	for i := 0; i < 60; i++ {
		c := categories[i%len(categories)]
		// Prices lognormal around £32, ending in .99 (.00 for currencies without minor units).
		major := math.Round(math.Exp(math.Log(32) + 0.55*r.NormFloat64()))
		price := int64(max(3, major))*100 - 1
		cat.products = append(cat.products, product{
			sku: fmt.Sprintf("SKU-%03d", i+1), name: fmt.Sprintf("%s item %d", c, i+1), category: c, priceMinor: price,
		})
	}
	err := d.InTx(ctx, func(tx *db.Tx) error {
		evIDs := map[string]int64{}
		for _, name := range []string{evPurchase, evAddToCart, evSignUp} {
			id, err := ensure(ctx, tx, `SELECT "id" FROM "event_definition" WHERE "name" = ?`, []any{name},
				`INSERT INTO "event_definition" ("name", "display_name", "active") VALUES (?, ?, TRUE)`, []any{name, name})
			if err != nil {
				return fmt.Errorf("event definition %s: %w", name, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE "event_definition" SET "active" = TRUE WHERE "id" = ?`, id); err != nil {
				return err
			}
			evIDs[name] = id
		}
		for _, g := range []struct {
			name, typ, event string
			macro            bool
		}{{"Purchase", "ecommerce", evPurchase, true}, {"Lead", "lead", evSignUp, true}, {"Add to cart", "micro", evAddToCart, false}} {
			id, err := ensure(ctx, tx, `SELECT "id" FROM "goal" WHERE "name" = ?`, []any{g.name},
				`INSERT INTO "goal" ("name", "type", "is_macro", "active") VALUES (?, ?, ?, TRUE)`, []any{g.name, g.typ, g.macro})
			if err != nil {
				return fmt.Errorf("goal %s: %w", g.name, err)
			}
			if _, err := ensure(ctx, tx, `SELECT "id" FROM "goal_event" WHERE "goal_id" = ? AND "event_definition_id" = ?`, []any{id, evIDs[g.event]},
				`INSERT INTO "goal_event" ("goal_id", "event_definition_id") VALUES (?, ?)`, []any{id, evIDs[g.event]}); err != nil {
				return fmt.Errorf("goal %s: %w", g.name, err)
			}
		}
		for _, p := range cat.products {
			if _, err := ensure(ctx, tx, `SELECT "id" FROM "product" WHERE "sku" = ?`, []any{p.sku},
				`INSERT INTO "product" ("sku", "name", "category", "price_minor", "margin_pct", "active") VALUES (?, ?, ?, ?, ?, TRUE)`,
				[]any{p.sku, p.name, p.category, p.priceMinor, 40}); err != nil {
				return fmt.Errorf("product %s: %w", p.sku, err)
			}
		}
		for _, c := range campaigns {
			var chID sql.NullInt64
			err := tx.QueryRow(ctx, `SELECT "id" FROM "channel" WHERE "name" = ?`, c.channel).Scan(&chID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			var ch any
			if chID.Valid {
				ch = chID.Int64
			}
			if _, err := ensure(ctx, tx, `SELECT "id" FROM "campaign" WHERE "utm_campaign" = ?`, []any{c.utm},
				`INSERT INTO "campaign" ("channel_id", "platform", "external_id", "name", "utm_campaign", "status", "active") VALUES (?, ?, ?, ?, ?, 'active', TRUE)`,
				[]any{ch, c.platform, c.external, c.name, c.utm}); err != nil {
				return fmt.Errorf("campaign %s: %w", c.utm, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cat, nil
}

// ensure returns the id the select finds, else inserts and returns the new id.
func ensure(ctx context.Context, tx *db.Tx, sel string, selArgs []any, ins string, insArgs []any) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, sel, selArgs...).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	return db.InsertID(ctx, tx, ins, insArgs...)
}
