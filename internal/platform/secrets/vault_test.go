package secrets_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"

	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/temporal/codec"
)

// Compile-time check that Vault implements Provider.
var _ secrets.Provider = (*secrets.Vault)(nil)

// fakeVault answers the Vault HTTP API endpoints the provider uses, as
// Vault documents them: KV v2 under /v1/secret/{data,metadata,destroy}/,
// AppRole login, token lookup-self and renew-self. Every request except the
// login needs a valid X-Vault-Token.
type fakeVault struct {
	t *testing.T

	mu      sync.Mutex
	secrets map[string]*kvSecret // by path under the mount
	tokens  map[string]bool

	roleID, secretID string
	leaseSeconds     int  // lease of issued and renewed tokens
	renewable        bool // whether renew-self keeps the token renewable
	logins           int
	renewals         int
	lookups          int
	requests         []string // "METHOD path" of every request
}

type kvSecret struct {
	maxVersions int
	current     int
	versions    map[int]*kvVersion
}

type kvVersion struct {
	data      map[string]any
	created   time.Time
	destroyed bool
}

func newFakeVault(t *testing.T) (*fakeVault, *httptest.Server) {
	f := &fakeVault{
		t: t, secrets: map[string]*kvSecret{}, tokens: map[string]bool{"root-token": true},
		roleID: "skyfly-role", secretID: "skyfly-secret", leaseSeconds: 3600, renewable: true,
	}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, ts
}

func (f *fakeVault) errorf(w http.ResponseWriter, status int, msgs ...string) {
	if msgs == nil {
		msgs = []string{}
	}
	writeJSON(w, status, map[string]any{"errors": msgs})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "hvs." + hex.EncodeToString(b)
}

func (f *fakeVault) authBlock(token string) map[string]any {
	return map[string]any{
		"client_token":   token,
		"accessor":       "accessor-" + token[4:10],
		"policies":       []string{"default", "skyfly"},
		"token_policies": []string{"default", "skyfly"},
		"metadata":       map[string]string{"role_name": "skyfly"},
		"lease_duration": f.leaseSeconds,
		"renewable":      f.renewable,
		"entity_id":      "",
		"token_type":     "service",
		"orphan":         true,
	}
}

func (f *fakeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	var body map[string]any
	if r.Body != nil && (r.Method == http.MethodPost || r.Method == http.MethodPut) {
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil && err.Error() != "EOF" {
			f.errorf(w, http.StatusBadRequest, "failed to parse JSON input: "+err.Error())
			return
		}
	}

	if r.URL.Path == "/v1/auth/approle/login" && r.Method == http.MethodPost || r.Method == http.MethodPut && r.URL.Path == "/v1/auth/approle/login" {
		if body["role_id"] != f.roleID || body["secret_id"] != f.secretID {
			f.errorf(w, http.StatusBadRequest, "invalid role or secret ID")
			return
		}
		f.logins++
		tok := newToken()
		f.tokens[tok] = true
		writeJSON(w, http.StatusOK, map[string]any{"request_id": "r", "lease_id": "", "renewable": false, "lease_duration": 0, "data": nil, "auth": f.authBlock(tok)})
		return
	}
	token := r.Header.Get("X-Vault-Token")
	if !f.tokens[token] {
		f.errorf(w, http.StatusForbidden, "permission denied")
		return
	}
	switch {
	case r.URL.Path == "/v1/auth/token/lookup-self" && r.Method == http.MethodGet:
		f.lookups++
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
			"accessor": "acc", "creation_ttl": f.leaseSeconds, "display_name": "token", "id": token,
			"policies": []string{"skyfly"}, "renewable": f.renewable && token != "root-token", "ttl": f.leaseSeconds, "type": "service",
		}})
	case r.URL.Path == "/v1/auth/token/renew-self" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		f.renewals++
		writeJSON(w, http.StatusOK, map[string]any{"auth": f.authBlock(token)})
	case strings.HasPrefix(r.URL.Path, "/v1/secret/data/"):
		f.data(w, r, strings.TrimPrefix(r.URL.Path, "/v1/secret/data/"), body)
	case strings.HasPrefix(r.URL.Path, "/v1/secret/metadata/"):
		f.metadata(w, r, strings.TrimPrefix(r.URL.Path, "/v1/secret/metadata/"), body)
	case strings.HasPrefix(r.URL.Path, "/v1/secret/destroy/") && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		s := f.secrets[strings.TrimPrefix(r.URL.Path, "/v1/secret/destroy/")]
		vs, _ := body["versions"].([]any)
		for _, n := range vs {
			i, _ := strconv.Atoi(string(n.(json.Number)))
			if s != nil && s.versions[i] != nil {
				s.versions[i].destroyed = true
				s.versions[i].data = nil
			}
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		f.errorf(w, http.StatusNotFound)
	}
}

func versionMeta(n int, v *kvVersion) map[string]any {
	return map[string]any{"created_time": v.created.Format(time.RFC3339Nano), "custom_metadata": nil, "deletion_time": "", "destroyed": v.destroyed, "version": n}
}

func (f *fakeVault) data(w http.ResponseWriter, r *http.Request, path string, body map[string]any) {
	s := f.secrets[path]
	switch r.Method {
	case http.MethodGet:
		if s == nil || s.current == 0 {
			f.errorf(w, http.StatusNotFound)
			return
		}
		n := s.current
		if q := r.URL.Query().Get("version"); q != "" {
			n, _ = strconv.Atoi(q)
		}
		v := s.versions[n]
		if v == nil || v.destroyed {
			f.errorf(w, http.StatusNotFound)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"request_id": "r", "lease_id": "", "renewable": false, "lease_duration": 0,
			"data": map[string]any{"data": v.data, "metadata": versionMeta(n, v)}, "wrap_info": nil, "warnings": nil, "auth": nil})
	case http.MethodPost, http.MethodPut:
		if s == nil {
			s = &kvSecret{versions: map[int]*kvVersion{}}
			f.secrets[path] = s
		}
		if opts, ok := body["options"].(map[string]any); ok {
			if cas, ok := opts["cas"].(json.Number); ok {
				want, _ := cas.Int64()
				if int(want) != s.current {
					f.errorf(w, http.StatusBadRequest, "check-and-set parameter did not match the current version")
					return
				}
			}
		}
		data, ok := body["data"].(map[string]any)
		if !ok {
			f.errorf(w, http.StatusBadRequest, "no data provided")
			return
		}
		s.current++
		v := &kvVersion{data: data, created: time.Now().UTC()}
		s.versions[s.current] = v
		max := s.maxVersions
		if max == 0 {
			max = 10
		}
		for n := range s.versions {
			if n <= s.current-max {
				delete(s.versions, n) // permanently deleted beyond max_versions
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": versionMeta(s.current, v)})
	default:
		f.errorf(w, http.StatusMethodNotAllowed)
	}
}

func (f *fakeVault) metadata(w http.ResponseWriter, r *http.Request, path string, body map[string]any) {
	switch r.Method {
	case http.MethodPost, http.MethodPut:
		s := f.secrets[path]
		if s == nil {
			s = &kvSecret{versions: map[int]*kvVersion{}}
			f.secrets[path] = s
		}
		if n, ok := body["max_versions"].(json.Number); ok {
			m, _ := n.Int64()
			s.maxVersions = int(m)
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		delete(f.secrets, path)
		w.WriteHeader(http.StatusNoContent)
	default:
		f.errorf(w, http.StatusMethodNotAllowed)
	}
}

// storedMaterial lists every key material still present anywhere in the
// fake's KV history (live or older KV versions).
func (f *fakeVault) storedMaterial() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.secrets {
		for _, v := range s.versions {
			for field, val := range v.data {
				if m, ok := val.(map[string]any); ok && strings.HasPrefix(field, "v") {
					out = append(out, m["material"].(string))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func (f *fakeVault) put(path string, data map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[path] = &kvSecret{current: 1, versions: map[int]*kvVersion{1: {data: data, created: time.Now()}}}
}

func (f *fakeVault) counts() (logins, renewals int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.renewals
}

func newVault(t *testing.T, cfg secrets.VaultConfig) *secrets.Vault {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := secrets.NewVault(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, v.Close()) })
	return v
}

func TestVault_V1_SecretsAndKeysComeFromVault(t *testing.T) {
	ctx := context.Background()
	f, ts := newFakeVault(t)
	f.put("skyfly/auth-db", map[string]any{"username": "skyfly_auth", "password": "from-vault", "port": json.Number("5432")})
	v := newVault(t, secrets.VaultConfig{Addr: ts.URL, Token: "root-token"})

	got, err := v.Secret(ctx, "auth-db")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"username": "skyfly_auth", "password": "from-vault", "port": "5432"}, got)
	_, err = v.Secret(ctx, "payment-db")
	require.ErrorIs(t, err, secrets.ErrNotFound)

	jwt, err := v.Current(ctx, secrets.KeyJWTSigning)
	require.NoError(t, err)
	require.Equal(t, "jwt-signing/v1", jwt.ID())
	require.Len(t, jwt.Material, 32)
	stored := f.storedMaterial()
	require.Equal(t, []string{base64.StdEncoding.EncodeToString(jwt.Material)}, stored, "the key lives in Vault")

	// Another process (a second client) sees the same key.
	other := newVault(t, secrets.VaultConfig{Addr: ts.URL, Token: "root-token"})
	again, err := other.Current(ctx, secrets.KeyJWTSigning)
	require.NoError(t, err)
	require.Equal(t, jwt.Material, again.Material)
	require.Equal(t, jwt.Version, again.Version)
	require.True(t, jwt.CreatedAt.Equal(again.CreatedAt))

	f.mu.Lock()
	require.Contains(t, f.requests, "GET /v1/secret/data/skyfly/keys/jwt-signing")
	require.Contains(t, f.requests, "GET /v1/secret/data/skyfly/auth-db")
	f.mu.Unlock()
}

func TestVault_V1_RotationOverlapUntilDestroyed(t *testing.T) {
	ctx := context.Background()
	f, ts := newFakeVault(t)
	v := newVault(t, secrets.VaultConfig{Addr: ts.URL, Token: "root-token"})

	v1, err := v.Current(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	v2, err := v.Rotate(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	require.Equal(t, 2, v2.Version)

	cur, err := v.Current(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	require.Equal(t, v2.Material, cur.Material, "the new version signs")
	all, err := v.Versions(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, []int{2, 1}, []int{all[0].Version, all[1].Version}, "both verify during the overlap, newest first")
	old, err := v.Version(ctx, secrets.KeyWebhookSecret, 1)
	require.NoError(t, err)
	require.Equal(t, v1.Material, old.Material)

	require.NoError(t, v.DestroyVersion(ctx, secrets.KeyWebhookSecret, 1))
	_, err = v.Version(ctx, secrets.KeyWebhookSecret, 1)
	require.ErrorIs(t, err, secrets.ErrNotFound, "the overlap ends when the old version is destroyed")
	require.ErrorIs(t, v.DestroyVersion(ctx, secrets.KeyWebhookSecret, 1), secrets.ErrNotFound)
	require.NotContains(t, f.storedMaterial(), base64.StdEncoding.EncodeToString(v1.Material), "no KV version keeps the destroyed material")
	all, err = v.Versions(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	require.Len(t, all, 1)
	require.Equal(t, v2.Material, all[0].Material)
}

func TestVault_G2_DestroyShredsEveryVersion(t *testing.T) {
	ctx := context.Background()
	f, ts := newFakeVault(t)
	v := newVault(t, secrets.VaultConfig{Addr: ts.URL, Token: "root-token"})
	_, err := v.Current(ctx, "customer-42")
	require.NoError(t, err)
	_, err = v.Rotate(ctx, "customer-42")
	require.NoError(t, err)

	require.NoError(t, v.Destroy(ctx, "customer-42"))
	require.NoError(t, v.Destroy(ctx, "customer-42"), "destroying twice is not an error")

	_, err = v.Versions(ctx, "customer-42")
	require.ErrorIs(t, err, secrets.ErrNotFound)
	_, err = v.Version(ctx, "customer-42", 2)
	require.ErrorIs(t, err, secrets.ErrNotFound)
	require.Empty(t, f.storedMaterial(), "no material survives in Vault")

	fresh, err := v.Current(ctx, "customer-42")
	require.NoError(t, err)
	require.Equal(t, 3, fresh.Version, "a recreated key never reuses an old version id")
}

func TestVault_ConcurrentRotationsFromTwoClients(t *testing.T) {
	ctx := context.Background()
	_, ts := newFakeVault(t)
	a := newVault(t, secrets.VaultConfig{Addr: ts.URL, Token: "root-token"})
	b := newVault(t, secrets.VaultConfig{Addr: ts.URL, Token: "root-token"})
	_, err := a.Current(ctx, secrets.KeyCodec)
	require.NoError(t, err)

	const each = 8
	var wg sync.WaitGroup
	for _, v := range []*secrets.Vault{a, b} {
		for range each {
			wg.Go(func() {
				if _, err := v.Rotate(ctx, secrets.KeyCodec); err != nil {
					t.Errorf("rotate: %v", err)
				}
			})
		}
	}
	wg.Wait()

	all, err := b.Versions(ctx, secrets.KeyCodec)
	require.NoError(t, err)
	require.Len(t, all, 1+2*each, "check-and-set: no rotation overwrote another")
	seen := map[string]bool{}
	for i, k := range all {
		require.Equal(t, 1+2*each-i, k.Version)
		require.False(t, seen[string(k.Material)])
		seen[string(k.Material)] = true
	}
}

func TestVault_V1_AppRoleLoginAndRenewal(t *testing.T) {
	ctx := context.Background()
	f, ts := newFakeVault(t)
	f.leaseSeconds = 2
	f.put("skyfly/flight-db", map[string]any{"dsn": "mysql://skyfly@mysql:3306/flight"})

	v := newVault(t, secrets.VaultConfig{Addr: ts.URL, RoleID: "skyfly-role", SecretID: "skyfly-secret"})

	got, err := v.Secret(ctx, "flight-db")
	require.NoError(t, err, "requests carry the token the AppRole login issued")
	require.Equal(t, "mysql://skyfly@mysql:3306/flight", got["dsn"])
	logins, _ := f.counts()
	require.Equal(t, 1, logins)
	require.Eventually(t, func() bool {
		_, renewals := f.counts()
		return renewals >= 2
	}, 10*time.Second, 50*time.Millisecond, "the token is renewed through auth/token/renew-self before its lease ends")
}

func TestVault_AppRoleLogsInAgainWhenRenewalStops(t *testing.T) {
	f, ts := newFakeVault(t)
	f.leaseSeconds = 1
	f.renewable = false // tokens cannot be renewed: the provider must log in again

	newVault(t, secrets.VaultConfig{Addr: ts.URL, RoleID: "skyfly-role", SecretID: "skyfly-secret"})

	require.Eventually(t, func() bool {
		logins, _ := f.counts()
		return logins >= 2
	}, 10*time.Second, 50*time.Millisecond, "a token that cannot be renewed is replaced by a new login")
}

func TestVault_V1_TokenAuthRenewsARenewableToken(t *testing.T) {
	f, ts := newFakeVault(t)
	f.leaseSeconds = 2
	f.mu.Lock()
	f.tokens["service-token"] = true
	f.mu.Unlock()

	newVault(t, secrets.VaultConfig{Addr: ts.URL, Token: "service-token"})

	require.Eventually(t, func() bool {
		_, renewals := f.counts()
		return renewals >= 1
	}, 10*time.Second, 50*time.Millisecond)
	f.mu.Lock()
	require.Equal(t, 1, f.lookups, "token auth looks the token up once to learn its TTL")
	f.mu.Unlock()
}

func TestVault_RejectsBadCredentials(t *testing.T) {
	_, ts := newFakeVault(t)
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  secrets.VaultConfig
		want string
	}{
		{"a wrong AppRole secret id", secrets.VaultConfig{Addr: ts.URL, RoleID: "skyfly-role", SecretID: "wrong"}, "invalid role or secret ID"},
		{"an unknown token", secrets.VaultConfig{Addr: ts.URL, Token: "nope"}, "permission denied"},
		{"no credentials at all", secrets.VaultConfig{Addr: ts.URL}, "set a token"},
		{"no address", secrets.VaultConfig{Token: "root-token"}, "empty address"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" fails at start", func(t *testing.T) {
			_, err := secrets.NewVault(ctx, tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestVault_V1_CodecKeysComeFromVaultAndRotate(t *testing.T) {
	ctx := context.Background()
	f, ts := newFakeVault(t)
	v := newVault(t, secrets.VaultConfig{Addr: ts.URL, Token: "root-token"})
	dc, err := codec.NewDataConverter(v, codec.WithCacheTTL(0))
	require.NoError(t, err)

	before, err := dc.ToPayload("passport X1234567")
	require.NoError(t, err)
	require.Equal(t, "temporal-codec/v1", string(before.Metadata[codec.MetadataKeyID]))
	require.Len(t, f.storedMaterial(), 1, "the codec key was created in Vault")

	_, err = v.Rotate(ctx, secrets.KeyCodec)
	require.NoError(t, err)
	after, err := dc.ToPayload("passport X1234567")
	require.NoError(t, err)
	require.Equal(t, "temporal-codec/v2", string(after.Metadata[codec.MetadataKeyID]))

	for _, p := range []*commonpb.Payload{before, after} {
		var got string
		require.NoError(t, dc.FromPayload(p, &got), "payloads of both versions decode during the overlap")
		require.Equal(t, "passport X1234567", got)
	}
}
