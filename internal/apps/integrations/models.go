package integrations

import (
	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/registry"
	s "github.com/cubedhq/cubed/internal/schema"
)

// Models returns the client tables the import commands write
// (spec/domain.md §5): ad platform costs per campaign and day, and Search
// Console rows.
func Models() []*s.Model {
	c := func(m *s.Model) *s.Model { m.DB = s.Client; m.App = "integrations"; return m }
	return []*s.Model{
		c(&s.Model{Name: "ad_cost_daily", Fields: []s.Field{
			s.DateF("date").Doc("date", "The ad account's reporting date."),
			s.TextF("provider", 32).OneOf(ProviderNames()...),
			s.TextF("external_account_id", 128).Doc("external account id", "The ad account at the provider."),
			s.BigIntF("campaign_id").Nullable().Doc("campaign", "The account's campaign row (platform and external_id match); created by the import when missing."),
			s.TextF("campaign_external_id", 128).Doc("campaign external id", "The campaign's id at the provider."),
			s.TextF("campaign_name", 255).Def(""),
			s.BigIntF("impressions").DefInt(0),
			s.BigIntF("clicks").DefInt(0),
			s.BigIntF("cost_minor").DefInt(0).Doc("cost", "Cost in minor units of the account currency."),
			s.FloatF("platform_conversions").Def("0").Doc("platform conversions", "Conversions as the ad platform counts them."),
			s.BigIntF("platform_conversion_value_minor").DefInt(0).Doc("platform conversion value", "Conversion value as the ad platform counts it, minor units."),
			s.DateTimeF("imported").Doc("imported", "When the row was last written."),
		},
			UniqueTogether: [][]string{{"date", "provider", "campaign_external_id"}},
			Indexes:        []s.Index{{Columns: []string{"provider", "external_account_id", "date"}}},
		}),
		c(&s.Model{Name: "search_console_daily", Fields: []s.Field{
			s.DateF("date"),
			s.TextF("query", 512),
			s.TextF("page", 2048),
			s.TextF("country", 3).Doc("country", "ISO 3166-1 alpha-3, lower case, as Search Console reports it."),
			s.TextF("device", 16).Doc("device", "desktop, mobile or tablet."),
			s.BigIntF("clicks").DefInt(0),
			s.BigIntF("impressions").DefInt(0),
			s.FloatF("position_sum").Def("0").Doc("position sum", "Average position × impressions, so sums average correctly."),
		},
			// The unique index leads with date and query: it serves the
			// window deletes and the per-day reads.
			UniqueTogether: [][]string{{"date", "query", "page", "country", "device"}},
		}),
	}
}

// resources are the read-only API resources over the imported tables.
func resources(models []*s.Model) []*resource.Resource {
	var out []*resource.Resource
	for _, m := range models {
		out = append(out, &resource.Resource{
			Name: map[string]string{"ad_cost_daily": "ad-cost-daily", "search_console_daily": "search-console-daily"}[m.Name], Model: m,
			Filtering: resource.AllFields(m), Ordering: resource.AllOrdering(m), DefaultOrder: []string{"-date", "id"},
			ListMethods: []string{"GET"}, DetailMethods: []string{"GET"},
		})
	}
	return out
}

// Register declares the app's models and API resources. The import
// commands need a configured Service: see RegisterCommands.
func Register(r *registry.Registry) {
	models := Models()
	r.Models.Add(models...)
	r.AddResources(resources(models)...)
}
