package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cubedhq/cubed/internal/config"
)

func (c *cli) configCmd() *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the configuration reference (every flag, environment variable and default)",
		Long:  "Print the configuration reference.\n\n" + config.Markdown(),
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if markdown {
				fmt.Fprint(c.env.Stdout, config.Markdown())
				return nil
			}
			tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FLAG\tENVIRONMENT\tDEFAULT\tMEANING")
			for _, f := range config.Reference() {
				flag := ""
				if f.Flag != "" {
					flag = "--" + f.Flag
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", flag, f.Env, f.Default, f.Help)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print docs/configuration.md")
	return cmd
}
