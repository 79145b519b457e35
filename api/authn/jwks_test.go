package authn_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
)

func TestRemoteJWKS_FetchesOnceAndRefetchesForRotatedKeysAtMostEveryMinRefresh(t *testing.T) {
	pub1, _, _ := ed25519.GenerateKey(rand.Reader)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		_ = json.NewEncoder(w).Encode(authn.JWKS{Keys: []authn.JWK{authn.NewJWK("k1", pub1)}})
	}))
	defer srv.Close()
	j := authn.NewRemoteJWKS(srv.URL, nil)
	ctx := context.Background()
	for range 5 {
		k, err := j.PublicKey(ctx, "k1")
		require.NoError(t, err)
		require.Equal(t, ed25519.PublicKey(pub1), k)
	}
	require.Equal(t, int32(1), fetches.Load(), "a known key is served from the cache")
	for range 5 {
		_, err := j.PublicKey(ctx, "k-unknown")
		require.ErrorIs(t, err, authn.ErrUnknownKey)
	}
	require.Equal(t, int32(1), fetches.Load(), "unknown kids cannot force a fetch per request")
}

func TestRemoteJWKS_IssuerDownWithNoKeysFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	_, err := authn.NewRemoteJWKS(srv.URL, nil).PublicKey(context.Background(), "k1")
	require.Error(t, err)
}
