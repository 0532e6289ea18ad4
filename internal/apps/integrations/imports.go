package integrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/report"
)

// ImportStats says what an import did.
type ImportStats struct {
	Connections int // connections imported
	Rows        int // rows written
	From, To    string
}

// Platform is the campaign.platform value of a provider's campaigns.
func Platform(provider string) string {
	switch provider {
	case Google:
		return "google_ads"
	case MicrosoftAds:
		return "microsoft_ads"
	case MetaAds:
		return "meta_ads"
	}
	return "other"
}

// defaultChannel is the channel a campaign created by an import joins
// (by name, when the account has it).
func defaultChannel(provider string) string {
	if provider == MetaAds {
		return "Paid Social"
	}
	return "PPC"
}

// window is [day − restatement, day] as dates.
func (s *Service) window(day time.Time) (string, string) {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -s.cfg.Restatement()).Format(time.DateOnly), d.Format(time.DateOnly)
}

// ImportAdCosts imports one provider's daily campaign costs for the
// account's live connections: day (the account's local date) and the
// restatement window before it.
//
// Reads control.integration_connection (and the provider's API); writes
// ad_cost_daily (replacing, per connection, every row of the window) and
// campaign (a row per new provider campaign, in the PPC or Paid Social
// channel). Idempotent: running it again for the same day writes the same
// rows. A broken connection is skipped and reported in the error; the
// account's other connections are still imported. A rate limit returns a
// *RetryAfterError at once.
func (s *Service) ImportAdCosts(ctx context.Context, provider string, acct command.Account, client *db.DB, day time.Time) (ImportStats, error) {
	from, to := s.window(day)
	return s.importAdCosts(ctx, provider, acct, client, from, to)
}

// ImportAdCostsRange is ImportAdCosts for the dates [from, to] (a
// backfill, such as `cubed demo` runs after connecting).
func (s *Service) ImportAdCostsRange(ctx context.Context, provider string, acct command.Account, client *db.DB, from, to time.Time) (ImportStats, error) {
	return s.importAdCosts(ctx, provider, acct, client, from.Format(time.DateOnly), to.Format(time.DateOnly))
}

func (s *Service) importAdCosts(ctx context.Context, provider string, acct command.Account, client *db.DB, from, to string) (ImportStats, error) {
	st := ImportStats{From: from, To: to}
	p, ok := s.providers[provider]
	if !ok {
		return st, fmt.Errorf("the %s integration is not configured", provider)
	}
	conns, err := s.Connections(ctx, acct.ID, provider)
	if err != nil {
		return st, err
	}
	var errs []error
	for _, c := range conns {
		if c.ExternalAccountID == "" {
			continue // no ad account picked yet
		}
		if c.Status == "broken" {
			errs = append(errs, brokenErr(c, c.StatusDetail))
			continue
		}
		var rows []CostRow
		err := s.withToken(ctx, c, func(tok *oauth2.Token) error {
			var err error
			rows, err = p.DailyCosts(ctx, tok, c.Account(), from, to)
			return err
		})
		var ra *RetryAfterError
		if errors.As(err, &ra) {
			return st, err
		}
		if err == nil && acct.Currency != "" {
			for _, r := range rows {
				if r.Currency != "" && !strings.EqualFold(r.Currency, acct.Currency) {
					err = fmt.Errorf("%s connection %d: the ad account reports in %s but the account's currency is %s; costs were not imported (no exchange rates)",
						provider, c.ID, r.Currency, acct.Currency)
					break
				}
			}
		}
		if err == nil {
			var n int
			n, err = writeAdCosts(ctx, client, c, from, to, rows, s.ts())
			st.Rows += n
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s connection %d: %w", provider, c.ID, err))
			continue
		}
		st.Connections++
	}
	return st, errors.Join(errs...)
}

func writeAdCosts(ctx context.Context, client *db.DB, c Connection, from, to string, rows []CostRow, now time.Time) (int, error) {
	n := 0
	err := client.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM "ad_cost_daily" WHERE "provider" = ? AND "external_account_id" = ? AND "date" >= ? AND "date" <= ?`,
			c.Provider, c.ExternalAccountID, from, to); err != nil {
			return err
		}
		campaigns := map[string]int64{}
		for _, r := range rows {
			if r.Date < from || r.Date > to || r.CampaignID == "" {
				continue
			}
			cid, ok := campaigns[r.CampaignID]
			if !ok {
				var err error
				if cid, err = ensureCampaign(ctx, tx, c.Provider, r.CampaignID, r.CampaignName); err != nil {
					return fmt.Errorf("campaign %s: %w", r.CampaignID, err)
				}
				campaigns[r.CampaignID] = cid
			}
			if _, err := tx.Exec(ctx, `INSERT INTO "ad_cost_daily" ("date", "provider", "external_account_id", "campaign_id", "campaign_external_id", "campaign_name",
					"impressions", "clicks", "cost_minor", "platform_conversions", "platform_conversion_value_minor", "imported")
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT ("date", "provider", "campaign_external_id") DO UPDATE SET "external_account_id" = excluded."external_account_id",
					"campaign_id" = excluded."campaign_id", "campaign_name" = excluded."campaign_name", "impressions" = excluded."impressions",
					"clicks" = excluded."clicks", "cost_minor" = excluded."cost_minor", "platform_conversions" = excluded."platform_conversions",
					"platform_conversion_value_minor" = excluded."platform_conversion_value_minor", "imported" = excluded."imported"`,
				r.Date, c.Provider, c.ExternalAccountID, cid, truncate(r.CampaignID, 128), truncate(r.CampaignName, 255),
				r.Impressions, r.Clicks, r.CostMinor, r.Conversions, r.ConversionValueMinor, now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// ensureCampaign returns the account's campaign row for a provider
// campaign, creating it (in the provider's default channel) when missing.
func ensureCampaign(ctx context.Context, tx *db.Tx, provider, externalID, name string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT "id" FROM "campaign" WHERE "platform" = ? AND "external_id" = ? ORDER BY "active" DESC, "id" LIMIT 1`,
		Platform(provider), externalID).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	var channel sql.NullInt64
	err = tx.QueryRow(ctx, `SELECT "id" FROM "channel" WHERE "name" = ? ORDER BY "active" DESC, "id" LIMIT 1`, defaultChannel(provider)).Scan(&channel)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if name == "" {
		name = externalID
	}
	return db.InsertID(ctx, tx, `INSERT INTO "campaign" ("channel_id", "platform", "external_id", "name", "utm_campaign", "status", "active") VALUES (?, ?, ?, ?, '', 'active', TRUE)`,
		channel, Platform(provider), truncate(externalID, 128), truncate(name, 255))
}

// scKey identifies a search_console_daily row.
type scKey struct{ date, query, page, country, device string }

type scSum struct {
	clicks, impressions int64
	positionSum         float64
}

// ImportSearchConsole imports Search Console rows (by date, query, page,
// country and device) of the account's Google connections that have a
// property: day and the restatement window before it (Search Console
// data settles over 2-3 days).
//
// Reads control.integration_connection (and the Search Console API);
// writes search_console_daily, replacing the window's rows in one
// transaction, only when every connection answered (a broken connection
// or a failure keeps the previous rows). Idempotent per day.
func (s *Service) ImportSearchConsole(ctx context.Context, acct command.Account, client *db.DB, day time.Time) (ImportStats, error) {
	from, to := s.window(day)
	return s.importSearchConsole(ctx, acct, client, from, to)
}

// ImportSearchConsoleRange is ImportSearchConsole for the dates [from, to].
func (s *Service) ImportSearchConsoleRange(ctx context.Context, acct command.Account, client *db.DB, from, to time.Time) (ImportStats, error) {
	return s.importSearchConsole(ctx, acct, client, from.Format(time.DateOnly), to.Format(time.DateOnly))
}

func (s *Service) importSearchConsole(ctx context.Context, acct command.Account, client *db.DB, from, to string) (ImportStats, error) {
	st := ImportStats{From: from, To: to}
	p, ok := s.providers[Google]
	if !ok {
		return st, errors.New("the google integration is not configured")
	}
	sc, ok := p.(SearchConsole)
	if !ok {
		return st, errors.New("the google provider has no Search Console")
	}
	conns, err := s.Connections(ctx, acct.ID, Google)
	if err != nil {
		return st, err
	}
	sums := map[scKey]*scSum{}
	var order []scKey
	found := false
	for _, c := range conns {
		if c.SiteURL == "" {
			continue
		}
		found = true
		if c.Status == "broken" {
			return st, brokenErr(c, c.StatusDetail)
		}
		var rows []SearchRow
		err := s.withToken(ctx, c, func(tok *oauth2.Token) error {
			var err error
			rows, err = sc.SearchRows(ctx, tok, c.SiteURL, from, to)
			return err
		})
		if err != nil {
			return st, fmt.Errorf("google connection %d (%s): search console: %w", c.ID, c.SiteURL, err)
		}
		for _, r := range rows {
			if r.Date < from || r.Date > to {
				continue
			}
			k := scKey{r.Date, truncate(r.Query, 512), truncate(r.Page, 1500), strings.ToLower(truncate(r.Country, 3)), truncate(r.Device, 16)}
			sum, ok := sums[k]
			if !ok {
				sum = &scSum{}
				sums[k] = sum
				order = append(order, k)
			}
			sum.clicks += r.Clicks
			sum.impressions += r.Impressions
			sum.positionSum += r.Position * float64(r.Impressions)
		}
		st.Connections++
	}
	if !found {
		return st, nil
	}
	err = client.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM "search_console_daily" WHERE "date" >= ? AND "date" <= ?`, from, to); err != nil {
			return err
		}
		rows := make([][]any, len(order))
		for i, k := range order {
			sum := sums[k]
			rows[i] = []any{k.date, k.query, k.page, k.country, k.device, sum.clicks, sum.impressions, sum.positionSum}
		}
		if err := db.InsertRows(ctx, tx, "search_console_daily", []string{"date", "query", "page", "country", "device", "clicks", "impressions", "position_sum"}, rows); err != nil {
			return err
		}
		// report-search-console reads this table directly: new data version.
		if err := report.Bump(ctx, tx, "search_console_daily"); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	st.Rows = len(order)
	return st, nil
}
