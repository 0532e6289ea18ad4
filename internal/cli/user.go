package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/app"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/auth"
	"github.com/cubedhq/cubed/internal/tenant"
)

func (c *cli) userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Create users and grant them roles on accounts", Args: noArgs}
	cmd.AddCommand(c.userCreateCmd(), c.userGrantCmd())
	return cmd
}

func validRole(role string) error {
	switch role {
	case "viewer", "editor", "admin":
		return nil
	}
	return apperr.Invalidf("--role", role, "must be viewer, editor or admin")
}

// findAccount resolves --account as an input error when unknown.
func findAccount(cmd *cobra.Command, a *app.App, ref string) (tenant.Account, error) {
	acct, err := a.Tenants.Get(cmd.Context(), ref)
	if errors.Is(err, apperr.ErrNotFound) {
		return acct, apperr.Invalidf("--account", ref, "no such account")
	}
	return acct, err
}

func (c *cli) userCreateCmd() *cobra.Command {
	var email, name, account, role string
	var staff, pwStdin bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a user (password from stdin, or a generated one printed once)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := required("email", email); err != nil {
				return err
			}
			e, err := auth.NormaliseEmail(email)
			if err != nil {
				return err
			}
			if (account == "") != (role == "") {
				return apperr.Invalidf("--role", role, "--account and --role go together")
			}
			if role != "" {
				if err := validRole(role); err != nil {
					return err
				}
			}
			password, generated := "", false
			if pwStdin {
				line, err := bufio.NewReader(c.env.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return apperr.Invalidf("--password-stdin", "", "no password on standard input")
				}
				password = strings.TrimRight(line, "\r\n")
				if len(password) < auth.MinPasswordLength {
					return apperr.Invalidf("password", "", "must be at least %d characters", auth.MinPasswordLength)
				}
			} else {
				password, generated = auth.RandomToken(12), true
			}
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			var acct tenant.Account
			if account != "" {
				if acct, err = findAccount(cmd, a, account); err != nil {
					return err
				}
			}
			u, err := a.Auth.CreateUser(ctx, e, name, password, staff)
			if err != nil {
				return err
			}
			if account != "" {
				if err := a.Auth.Grant(ctx, u.ID, acct.ID, role); err != nil {
					return err
				}
			}
			fmt.Fprintf(c.env.Stdout, "created user %s (id %d%s)\n", u.Email, u.ID, map[bool]string{true: ", staff"}[staff])
			if account != "" {
				fmt.Fprintf(c.env.Stdout, "granted %s on %s\n", role, acct.Token)
			}
			if generated {
				fmt.Fprintf(c.env.Stdout, "password (shown once): %s\n", password)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&email, "email", "", "login email (required)")
	f.StringVar(&name, "name", "", "display name")
	f.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
	f.BoolVar(&staff, "staff", false, "staff users see and manage every account")
	f.StringVar(&account, "account", "", "grant a role on this account (token or id)")
	f.StringVar(&role, "role", "", "viewer, editor or admin (with --account)")
	return cmd
}

func (c *cli) userGrantCmd() *cobra.Command {
	var email, account, role string
	cmd := &cobra.Command{
		Use:   "grant",
		Short: "Give a user a role on an account (replacing any previous role)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			for _, r := range [][2]string{{"email", email}, {"account", account}, {"role", role}} {
				if err := required(r[0], r[1]); err != nil {
					return err
				}
			}
			if err := validRole(role); err != nil {
				return err
			}
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := a.Auth.UserByEmail(ctx, email)
			if errors.Is(err, apperr.ErrNotFound) {
				return apperr.Invalidf("--email", email, "no such user")
			} else if err != nil {
				return err
			}
			acct, err := findAccount(cmd, a, account)
			if err != nil {
				return err
			}
			if err := a.Auth.Grant(ctx, u.ID, acct.ID, role); err != nil {
				return err
			}
			fmt.Fprintf(c.env.Stdout, "granted %s on %s to %s\n", role, acct.Token, u.Email)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&email, "email", "", "user email (required)")
	f.StringVar(&account, "account", "", "account token or id (required)")
	f.StringVar(&role, "role", "", "viewer, editor or admin (required)")
	return cmd
}

func (c *cli) apikeyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "apikey", Short: "Manage API keys", Args: noArgs}
	var email string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key for a user; the key is printed once, alone on the last line",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := required("email", email); err != nil {
				return err
			}
			if _, err := auth.NormaliseEmail(email); err != nil {
				return err
			}
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := a.Auth.UserByEmail(ctx, email)
			if errors.Is(err, apperr.ErrNotFound) {
				return apperr.Invalidf("--email", email, "no such user")
			} else if err != nil {
				return err
			}
			key, err := a.Auth.CreateAPIKey(ctx, u.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.env.Stdout, "API key for %s (only its hash is stored; use header \"Authorization: ApiKey %s:<key>\"):\n%s\n", u.Email, u.Email, key)
			return nil
		},
	}
	create.Flags().StringVar(&email, "email", "", "user email (required)")
	cmd.AddCommand(create)
	return cmd
}
