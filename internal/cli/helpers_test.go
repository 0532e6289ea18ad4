package cli

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"

	"github.com/cubedhq/cubed/internal/config"
)

type appConfig = config.Config

func defaultsForTest() config.Config { return config.Defaults() }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// dbtestTarget points the harness at an existing SQLite directory whose
// data dir is <dir>/data... or, for the demo, <dir>/cubed-data.
func dbtestTarget(t *testing.T, dir string) dbtest.Target {
	t.Helper()
	if err := os.Symlink(filepath.Join(dir, "cubed-data"), filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	return dbtest.Target{Dialect: db.SQLite, DataDir: dir}
}
