package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/secrets"
)

func openVault(ctx context.Context, cfg *config.Config, log *slog.Logger) (secrets.Provider, error) {
	return nil, errors.New("vault provider not wired yet")
}
