package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// TestProcessSecrets_OnlyAuthHoldsTheSigningKey (issue #14): a process
// other than the auth service cannot reach the access-token signing key or
// another process's client secret through its provider, so it has nothing
// to mint tokens with; it reads its own client secret and shared keys.
func TestProcessSecrets_OnlyAuthHoldsTheSigningKey(t *testing.T) {
	ctx := context.Background()
	keys, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), time.Now)
	require.NoError(t, err)
	for _, name := range []string{"gateway", "flight", "booking", "customer", "payment"} {
		t.Run(name+" holds no signing key and no other process's secret", func(t *testing.T) {
			p := processSecrets(keys, name)
			_, err := p.Current(ctx, secrets.KeyJWTSigning)
			require.ErrorIs(t, err, secrets.ErrNotHeld)
			_, err = p.Versions(ctx, secrets.KeyJWTSigning)
			require.ErrorIs(t, err, secrets.ErrNotHeld)
			_, err = p.Rotate(ctx, secrets.KeyJWTSigning)
			require.ErrorIs(t, err, secrets.ErrNotHeld)
			other := "auth"
			if name == "auth" {
				other = "flight"
			}
			_, err = authapi.ClientSecret(ctx, p, other)
			require.ErrorIs(t, err, secrets.ErrNotHeld)
			_, err = authapi.ClientSecret(ctx, p, name)
			require.NoError(t, err, "its own client secret")
			_, err = p.Current(ctx, secrets.KeyCodec)
			require.NoError(t, err, "the payload codec key is shared")
		})
	}
	t.Run("the auth service holds the signing key and every client secret", func(t *testing.T) {
		p := processSecrets(keys, "auth")
		_, err := p.Current(ctx, secrets.KeyJWTSigning)
		require.NoError(t, err)
		_, err = authapi.ClientSecret(ctx, p, "flight")
		require.NoError(t, err)
	})
}
