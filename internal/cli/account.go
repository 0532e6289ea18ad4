package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/tenant"
)

func (c *cli) accountCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "account", Short: "Create, list and disable client accounts", Args: noArgs}
	cmd.AddCommand(c.accountCreateCmd(), c.accountListCmd(), c.accountDisableCmd())
	return cmd
}

func (c *cli) accountCreateCmd() *cobra.Command {
	var p tenant.CreateParams
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an account with its own database, migrated and loaded with defaults",
		Long: "Creates account c-a-<name>-<cc> with database cubed_a_<name>_<cc>: a SQLite file in the data\n" +
			"directory, or with --control-dsn a PostgreSQL database on the same server (created when the\n" +
			"role may create databases; otherwise pass --db-dsn). The database is migrated and loaded with\n" +
			"the default channels, patterns, attribution models and payment referrers before the account\n" +
			"is recorded, so a failure leaves nothing half-created.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := required("name", p.Name); err != nil {
				return err
			}
			if err := required("country", p.Country); err != nil {
				return err
			}
			if err := p.Normalise(); err != nil {
				return err
			}
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			acct, err := a.Tenants.Create(ctx, p)
			if err != nil {
				return err
			}
			where := a.Tenants.ClientDSN(acct)
			if acct.DBDSN != "" {
				where = "PostgreSQL database " + acct.DBName
			}
			fmt.Fprintf(c.env.Stdout, "created account %s (id %d, %s, %s) in %s\n", acct.Token, acct.ID, acct.TimeZone, acct.Currency, where)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Name, "name", "", "short name: 2-30 lower-case letters or digits (required)")
	f.StringVar(&p.Country, "country", "", "two-letter country code, e.g. gb (required)")
	f.StringVar(&p.Domain, "domain", "", "the site's domain, e.g. shop.example.com")
	f.StringVar(&p.TimeZone, "timezone", "Europe/London", "IANA time zone for report dates")
	f.StringVar(&p.Currency, "currency", "GBP", "ISO 4217 currency")
	f.StringVar(&p.DBDSN, "db-dsn", "", "existing PostgreSQL database for this account (postgres:// URL)")
	return cmd
}

func (c *cli) accountListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			accts, err := a.Tenants.List(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTOKEN\tTIMEZONE\tCURRENCY\tDATABASE\tACTIVE")
			for _, x := range accts {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%t\n", x.ID, x.Token, x.TimeZone, x.Currency, x.DBName, x.Active)
			}
			return tw.Flush()
		},
	}
}

func (c *cli) accountDisableCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "disable TOKEN",
		Short: "Disable an account (its data stays; collection and processing stop)",
		Args:  exactArgs(1, "an account token"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			acct, err := a.Tenants.SetActive(ctx, args[0], false)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.env.Stdout, "disabled account %s\n", acct.Token)
			return nil
		},
	}
}
