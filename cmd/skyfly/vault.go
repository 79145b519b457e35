package main

import (
	"context"
	"log/slog"

	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// openVault connects to Vault (token or AppRole auth, renewed in the
// background) for keys and secrets.
func openVault(ctx context.Context, cfg *config.Config, log *slog.Logger) (secrets.Provider, error) {
	return secrets.NewVault(ctx, secrets.VaultConfig{
		Addr: cfg.VaultAddr, Token: cfg.VaultToken, RoleID: cfg.VaultRoleID, SecretID: cfg.VaultSecretID,
		Mount: cfg.VaultMount, Prefix: cfg.VaultPrefix, Logger: log,
	})
}
