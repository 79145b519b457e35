package secrets_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/temporal/codec"
)

type vaultCustomer struct {
	CustomerID string `json:"customerId"`
	Email      string `json:"email"`
}

func (c vaultCustomer) DataSubject() string { return c.CustomerID }

// TestVault_G2_ShredDestroysTheCustomersKeyInVault: with Vault as the
// provider, a customer's payloads are under a Vault key of their own; Shred
// destroys its material, KV history included, and leaves a tombstone, so
// the payload no longer decodes, no new key appears under the name, and
// another customer's payloads still decode.
func TestVault_G2_ShredDestroysTheCustomersKeyInVault(t *testing.T) {
	ctx := context.Background()
	f, ts := newFakeVault(t)
	v := newVault(t, secrets.VaultConfig{Addr: ts.URL, Token: "root-token"})
	c, err := codec.New(v)
	require.NoError(t, err)
	dc := c.DataConverter()

	mine, err := dc.ToPayload(vaultCustomer{CustomerID: "cus-1", Email: "ada@example.com"})
	require.NoError(t, err)
	require.Equal(t, "subject-cus-1/v1", string(mine.Metadata[codec.MetadataKeyID]))
	theirs, err := dc.ToPayload(vaultCustomer{CustomerID: "cus-2", Email: "bob@example.com"})
	require.NoError(t, err)
	key, err := v.Version(ctx, codec.SubjectKeyName("cus-1"), 1)
	require.NoError(t, err)
	require.Contains(t, f.storedMaterial(), base64.StdEncoding.EncodeToString(key.Material), "the customer's key lives in Vault")

	require.NoError(t, c.Shred(ctx, "cus-1"))

	require.NotContains(t, f.storedMaterial(), base64.StdEncoding.EncodeToString(key.Material), "no KV version keeps the material")
	var got vaultCustomer
	require.ErrorIs(t, dc.FromPayload(mine, &got), codec.ErrShredded)
	require.NoError(t, dc.FromPayload(theirs, &got))
	require.Equal(t, "bob@example.com", got.Email)
	_, err = dc.ToPayload(vaultCustomer{CustomerID: "cus-1", Email: "ada@example.com"})
	require.ErrorIs(t, err, codec.ErrShredded)
	_, err = v.Versions(ctx, codec.SubjectKeyName("cus-1"))
	require.ErrorIs(t, err, secrets.ErrNotFound, "no new key under the shredded name")
}
