package authn

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// JWK is one public key of a JSON Web Key Set (RFC 7517, OKP keys of RFC 8037).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// NewJWK describes an Ed25519 signing key.
func NewJWK(kid string, pub ed25519.PublicKey) JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: kid, Alg: Algorithm, Use: "sig"}
}

// StaticKeys is a KeySource over a fixed set of keys (tests, in-process use).
type StaticKeys map[string]ed25519.PublicKey

// PublicKey implements KeySource.
func (s StaticKeys) PublicKey(_ context.Context, kid string) (ed25519.PublicKey, error) {
	k, ok := s[kid]
	if !ok {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return k, nil
}

// RemoteJWKS fetches and caches a JWKS over HTTP. An unknown kid triggers a
// refetch (at most once per MinRefresh, once a second while no set was ever
// fetched) so rotated keys are picked up. Fetches run outside the lock and
// are shared by concurrent callers, so a slow issuer never serialises
// requests for keys already known.
type RemoteJWKS struct {
	url        string
	client     *http.Client
	ttl        time.Duration
	minRefresh time.Duration
	now        func() time.Time
	group      singleflight.Group

	mu          sync.Mutex
	keys        map[string]ed25519.PublicKey
	fetchedAt   time.Time
	lastAttempt time.Time
}

// NewRemoteJWKS returns a cached JWKS client for url.
func NewRemoteJWKS(url string, client *http.Client) *RemoteJWKS {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	return &RemoteJWKS{url: url, client: client, ttl: 5 * time.Minute, minRefresh: 10 * time.Second, now: time.Now}
}

// PublicKey implements KeySource.
func (r *RemoteJWKS) PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	now := r.now()
	r.mu.Lock()
	k, known := r.keys[kid]
	fresh := now.Sub(r.fetchedAt) < r.ttl
	wait := r.minRefresh
	if r.keys == nil {
		wait = time.Second
	}
	mayFetch := now.Sub(r.lastAttempt) >= wait
	r.mu.Unlock()
	if known && fresh {
		return k, nil
	}
	var fetchErr error
	if mayFetch {
		_, fetchErr, _ = r.group.Do("jwks", func() (any, error) {
			keys, err := r.fetch(context.WithoutCancel(ctx))
			r.mu.Lock()
			defer r.mu.Unlock()
			r.lastAttempt = now
			if err != nil {
				return nil, err
			}
			r.keys, r.fetchedAt = keys, now
			return nil, nil
		})
	}
	r.mu.Lock()
	k, known = r.keys[kid]
	r.mu.Unlock()
	if known {
		return k, nil // a stale key still verifies while the issuer is unreachable
	}
	if fetchErr != nil {
		return nil, fetchErr
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
}

func (r *RemoteJWKS) fetch(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, fmt.Errorf("authn: jwks request: %w", err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("authn: fetch jwks %s: %w", r.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("authn: fetch jwks %s: status %d", r.url, resp.StatusCode)
	}
	var set JWKS
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return nil, fmt.Errorf("authn: decode jwks: %w", err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" || (k.Alg != "" && k.Alg != Algorithm) {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			continue
		}
		keys[k.Kid] = ed25519.PublicKey(x)
	}
	return keys, nil
}
