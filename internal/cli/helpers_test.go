package cli

import (
	"log/slog"

	"github.com/cubedhq/cubed/internal/config"
)

type appConfig = config.Config

func defaultsForTest() config.Config { return config.Defaults() }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
