package main

import (
	"context"
	"errors"
)

// wireAuth builds the auth domain. Owned by the auth domain work; until it lands
// the domain is not available.
func wireAuth(ctx context.Context, d deps) (*domain, error) {
	return nil, errors.New("auth domain is not built yet")
}

// migrateAuth applies the auth domain's migrations.
func migrateAuth(ctx context.Context, d deps) error {
	return errors.New("auth domain is not built yet")
}
