// Command cubed is Cubed's single binary: Control (the command line), the
// API server and, as later issues land, the collector, Conductor and the
// dash.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // account time zones work on machines without zoneinfo

	"github.com/cubedhq/cubed/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.Env{}, os.Args[1:])
	stop()
	os.Exit(code)
}
