package conductor

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/riverqueue/river"
	"riverqueue.com/riverui"

	"github.com/cubedhq/cubed/internal/db"
)

// RiverUIPrefix is where the API mounts River's UI (staff only).
const RiverUIPrefix = "/admin/river"

// RiverUI returns River's own web UI (riverqueue.com/riverui: jobs,
// queues, states) for the control database, served under prefix. It uses
// an insert-only River client (no workers), so it works in any process, a
// web node without Conductor included, on SQLite and PostgreSQL. Its
// background services (a query cache) run until ctx ends. The UI can
// retry, cancel and delete River jobs: the caller must restrict it to
// staff. Conductor's own state (runs, slots) is in the API; a River job
// changed here does not change its run, and the engine's guards keep the
// two consistent (a cancelled job's Waiting run is handed to River again).
func RiverUI(ctx context.Context, control *db.DB, logger *slog.Logger, prefix string) (http.Handler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	client, err := river.NewClient(driverFor(control), &river.Config{Logger: logger.With("component", "riverui")})
	if err != nil {
		return nil, fmt.Errorf("river ui client: %w", err)
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil),
		Logger:    logger.With("component", "riverui"),
		Prefix:    prefix,
	})
	if err != nil {
		return nil, fmt.Errorf("river ui: %w", err)
	}
	if err := h.Start(ctx); err != nil {
		return nil, fmt.Errorf("river ui: %w", err)
	}
	return h, nil
}
