package integrations

import (
	"context"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/command"
)

// GroupName is the Conductor concurrency group of a provider's API calls
// ("api-google", "api-microsoft-ads", "api-meta-ads").
func GroupName(provider string) string { return "api-" + strings.ReplaceAll(provider, "_", "-") }

// CommandName is the import command of a provider
// ("import_ad_costs_google", ...).
func CommandName(provider string) string { return "import_ad_costs_" + provider }

// RegisterCommands declares the import commands of the configured
// providers and their concurrency groups. A nil svc (integrations off)
// declares nothing, so no account waits on imports that cannot run.
//
//	import_ad_costs_<provider>  reads control.integration_connection, writes ad_cost_daily
//	import_search_console       reads control.integration_connection, writes search_console_daily
//
// The imports also create campaign rows for provider campaigns the
// account lacks; campaign is deliberately not declared in WritesTo, so a
// failing import (a broken connection) never holds up the commands that
// read campaigns (classification) — only those reading ad_cost_daily.
func RegisterCommands(r *command.Registry, svc *Service) {
	if svc == nil {
		return
	}
	for _, provider := range svc.Providers() {
		pc := svc.cfg.Providers[provider]
		g := command.Group{Name: GroupName(provider), MaxRunning: pc.MaxRunning, RatePerMinute: pc.RatePerMinute}
		if g.MaxRunning == 0 {
			g.MaxRunning = 4
		}
		if g.RatePerMinute == 0 {
			g.RatePerMinute = 60
		}
		r.AddGroup(g)
		r.Add(command.Command{
			Name: CommandName(provider), App: "integrations",
			ReadsFrom: []string{"control.integration_connection"},
			WritesTo:  []string{"ad_cost_daily"},
			Frequency: command.Daily,
			Group:     g.Name,
			Timeout:   15 * time.Minute,
			Run: func(ctx context.Context, env *command.Env) error {
				if err := svc.Sweep(ctx, env.Account.ID); err != nil {
					env.Log.Warn("finishing disconnections", "err", err)
				}
				st, err := svc.ImportAdCosts(ctx, provider, env.Account, env.DB, env.LocalDate())
				env.Log.Info("ad costs imported", "provider", provider, "from", st.From, "to", st.To, "connections", st.Connections, "rows", st.Rows)
				return err
			},
		})
		if provider == Google {
			r.Add(command.Command{
				Name: "import_search_console", App: "integrations",
				ReadsFrom: []string{"control.integration_connection"},
				WritesTo:  []string{"search_console_daily"},
				Frequency: command.Daily,
				Group:     g.Name,
				Timeout:   15 * time.Minute,
				Run: func(ctx context.Context, env *command.Env) error {
					st, err := svc.ImportSearchConsole(ctx, env.Account, env.DB, env.LocalDate())
					env.Log.Info("search console imported", "from", st.From, "to", st.To, "connections", st.Connections, "rows", st.Rows)
					return err
				},
			})
		}
	}
}
