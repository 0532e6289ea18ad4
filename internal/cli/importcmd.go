package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/apps/attrib"
)

func (c *cli) importCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "import", Short: "Import data files into an account", Args: noArgs}
	cmd.AddCommand(c.importOfflineSalesCmd())
	return cmd
}

// maxPrintedErrors bounds the row errors printed (all are stored).
const maxPrintedErrors = 20

func (c *cli) importOfflineSalesCmd() *cobra.Command {
	var account, file string
	cmd := &cobra.Command{
		Use:   "offline-sales",
		Short: "Import an offline sales CSV into an account",
		Long: "Reads a CSV with the columns account_token, event_date_time, transaction_id, revenue,\n" +
			"currency, customer_id, event_item_sku, page_url, referrer, sync_id_1, sync_id_2, sync_id_3\n" +
			"(event_date_time, transaction_id and revenue required; times without a zone are in the\n" +
			"account's time zone; revenue in major units such as 59.99). Good rows are stored and every\n" +
			"bad row is reported with its line, column and reason; the import_offline_sales command turns\n" +
			"stored rows into sales. The same file is never imported twice.\n\n" +
			"Exit status: 0 when rows were stored (even if some were rejected), 2 when the file, the\n" +
			"account or every row is bad or the file was imported before, 1 on a system failure.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := required("account", account); err != nil {
				return err
			}
			if err := required("file", file); err != nil {
				return err
			}
			fh, err := os.Open(file)
			if err != nil {
				return apperr.Invalidf("--file", file, "cannot be read: %v", errors.Unwrap(err))
			}
			defer fh.Close()
			if st, err := fh.Stat(); err == nil && st.IsDir() {
				return apperr.Invalidf("--file", file, "is a directory")
			}
			a, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			defer a.Close()
			acct, err := a.Tenants.Get(ctx, account)
			if err != nil {
				return err
			}
			d, release, err := a.Tenants.Acquire(ctx, acct)
			if err != nil {
				return err
			}
			defer release()
			res, err := attrib.ImportOfflineSales(ctx, d, acct, filepath.Base(file), fh, 0)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.env.Stdout, "upload %d: %s into %s: %d rows, %d stored, %d rejected (status %s)\n",
				res.ID, res.Filename, acct.Token, res.RowsTotal, res.RowsOK, res.RowsFailed, res.Status)
			for i, e := range res.Errors {
				if i == maxPrintedErrors {
					fmt.Fprintf(c.env.Stdout, "  ... %d more (stored on upload %d)\n", len(res.Errors)-i, res.ID)
					break
				}
				col := e.Column
				if col == "" {
					col = "line"
				}
				fmt.Fprintf(c.env.Stdout, "  row %d, %s: %s\n", e.Row, col, e.Reason)
			}
			if res.RowsOK == 0 {
				return apperr.Invalidf("--file", file, "has no valid row (%d rejected)", res.RowsFailed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", "", "account token, e.g. c-a-shop-gb (required)")
	f.StringVar(&file, "file", "", "path of the CSV file (required)")
	return cmd
}
