package secrets

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	vault "github.com/hashicorp/vault/api"
)

// VaultConfig configures the Vault provider. Either Token or RoleID and
// SecretID (AppRole) must be set.
type VaultConfig struct {
	// Addr is Vault's address, e.g. https://vault:8200.
	Addr string
	// Token authenticates directly (token auth).
	Token string
	// RoleID and SecretID log in through auth/approle/login.
	RoleID   string
	SecretID string
	// Mount is the KV v2 mount (default "secret").
	Mount string
	// Prefix is the path under the mount (default "skyfly"): keys live at
	// <prefix>/keys/<name>, static secrets at <prefix>/<name>.
	Prefix string
	// Logger records logins and renewals (default: discarded).
	Logger *slog.Logger
	// Now stamps new key versions (default time.Now).
	Now func() time.Time
	// HTTPClient overrides the HTTP client (default: Vault's pooled client).
	HTTPClient *http.Client
}

// Vault is the Provider backed by HashiCorp Vault's KV v2 engine.
//
// Each named key is one KV secret at <mount>/data/<prefix>/keys/<name>
// whose fields are its live versions ("v1", "v2", ...: base64 material and
// creation time) plus "last", the highest version ever issued. One read
// therefore lists every live version, and every change is a check-and-set
// write, so concurrent rotations from several processes never overwrite each
// other. The secret's metadata keeps a single KV version (max_versions 1)
// and removing material also destroys the older KV versions, so a destroyed
// key version leaves no copy in Vault's history.
//
// The Vault token is kept alive with a LifetimeWatcher; an AppRole login is
// repeated when the token reaches its maximum TTL. Close stops the renewal.
type Vault struct {
	client *vault.Client
	kv     *vault.KVv2
	prefix string
	cfg    VaultConfig
	log    *slog.Logger
	now    func() time.Time

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// casRetries bounds the check-and-set loop of one change.
const casRetries = 20

// NewVault connects to Vault, authenticates (token or AppRole) and starts
// the token renewal. It fails when the login fails or the token is invalid.
func NewVault(ctx context.Context, cfg VaultConfig) (*Vault, error) {
	if cfg.Addr == "" {
		return nil, errors.New("secrets: vault: empty address")
	}
	if cfg.Token == "" && (cfg.RoleID == "" || cfg.SecretID == "") {
		return nil, errors.New("secrets: vault: set a token, or an AppRole role id and secret id")
	}
	if cfg.Mount == "" {
		cfg.Mount = "secret"
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "skyfly"
	}
	cfg.Prefix = strings.Trim(cfg.Prefix, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	vc := vault.DefaultConfig()
	if vc.Error != nil {
		return nil, fmt.Errorf("secrets: vault: config: %w", vc.Error)
	}
	vc.Address = cfg.Addr
	if cfg.HTTPClient != nil {
		vc.HttpClient = cfg.HTTPClient
	}
	client, err := vault.NewClient(vc)
	if err != nil {
		return nil, fmt.Errorf("secrets: vault: client: %w", err)
	}
	client.ClearToken() // never pick up VAULT_TOKEN from the environment implicitly
	v := &Vault{
		client: client,
		kv:     client.KVv2(cfg.Mount),
		prefix: cfg.Prefix,
		cfg:    cfg,
		log:    cfg.Logger.With("component", "vault"),
		now:    cfg.Now,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	auth, err := v.login(ctx)
	if err != nil {
		return nil, err
	}
	go v.keepAlive(auth)
	return v, nil
}

// Close stops the token renewal. It does not revoke the token.
func (v *Vault) Close() error {
	v.stopOnce.Do(func() { close(v.stop) })
	<-v.done
	return nil
}

// login authenticates and returns the token's auth block (nil when the token
// cannot be renewed).
func (v *Vault) login(ctx context.Context) (*vault.Secret, error) {
	if v.cfg.RoleID != "" && v.cfg.SecretID != "" {
		// Log in on a clone, so requests in flight keep the old token until
		// the new one is set.
		lc, err := v.client.Clone()
		if err != nil {
			return nil, fmt.Errorf("secrets: vault: approle login: %w", err)
		}
		lc.ClearToken()
		s, err := lc.Logical().WriteWithContext(ctx, "auth/approle/login", map[string]any{
			"role_id":   v.cfg.RoleID,
			"secret_id": v.cfg.SecretID,
		})
		if err != nil {
			return nil, fmt.Errorf("secrets: vault: approle login: %w", err)
		}
		if s == nil || s.Auth == nil || s.Auth.ClientToken == "" {
			return nil, errors.New("secrets: vault: approle login: no token in the response")
		}
		v.client.SetToken(s.Auth.ClientToken)
		v.log.Info("vault approle login", "lease_seconds", s.Auth.LeaseDuration, "renewable", s.Auth.Renewable)
		return s, nil
	}
	v.client.SetToken(v.cfg.Token)
	s, err := v.client.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("secrets: vault: token lookup: %w", err)
	}
	if s == nil || s.Data == nil {
		return nil, errors.New("secrets: vault: token lookup: empty response")
	}
	renewable, _ := s.TokenIsRenewable()
	ttl, _ := s.TokenTTL()
	v.log.Info("vault token auth", "ttl", ttl, "renewable", renewable)
	return &vault.Secret{Auth: &vault.SecretAuth{
		ClientToken:   v.cfg.Token,
		Renewable:     renewable,
		LeaseDuration: int(ttl / time.Second),
	}}, nil
}

// keepAlive renews the token until Close. When a token can no longer be
// renewed (maximum TTL reached, renewal refused) AppRole logs in again;
// token auth can do nothing but log.
func (v *Vault) keepAlive(auth *vault.Secret) {
	defer close(v.done)
	backoff := time.Second
	for {
		if auth != nil && auth.Auth != nil && auth.Auth.Renewable && auth.Auth.LeaseDuration > 0 {
			if !v.watch(auth) {
				return
			}
		} else if v.cfg.RoleID == "" {
			v.log.Debug("vault token is not renewable; no renewal")
			<-v.stop
			return
		} else if !v.waitLease(auth) {
			return
		}
		if v.cfg.RoleID == "" {
			v.log.Warn("vault token can no longer be renewed; requests will fail when it expires")
			<-v.stop
			return
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			var err error
			auth, err = v.login(ctx)
			cancel()
			if err == nil {
				backoff = time.Second
				break
			}
			v.log.Error("vault re-login failed", "err", err, "retry_in", backoff)
			select {
			case <-v.stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
		}
	}
}

// watch runs a LifetimeWatcher on auth; false means Close was called.
func (v *Vault) watch(auth *vault.Secret) bool {
	w, err := v.client.NewLifetimeWatcher(&vault.LifetimeWatcherInput{Secret: auth})
	if err != nil {
		v.log.Error("vault lifetime watcher", "err", err)
		return v.waitLease(auth)
	}
	go w.Start()
	defer w.Stop()
	for {
		select {
		case <-v.stop:
			return false
		case r := <-w.RenewCh():
			lease := 0
			if r.Secret != nil && r.Secret.Auth != nil {
				lease = r.Secret.Auth.LeaseDuration
			}
			v.log.Debug("vault token renewed", "lease_seconds", lease)
		case err := <-w.DoneCh():
			if err != nil {
				v.log.Warn("vault token renewal stopped", "err", err)
			}
			return true
		}
	}
}

// waitLease sleeps until most of a non-renewable lease has passed; false
// means Close was called.
func (v *Vault) waitLease(auth *vault.Secret) bool {
	d := time.Minute
	if auth != nil && auth.Auth != nil && auth.Auth.LeaseDuration > 0 {
		d = time.Duration(auth.Auth.LeaseDuration) * time.Second * 2 / 3
	}
	select {
	case <-v.stop:
		return false
	case <-time.After(d):
		return true
	}
}

// vaultKey is the decoded content of a key's KV secret.
type vaultKey struct {
	kvVersion int // the KV version read, for check-and-set
	last      int
	versions  map[int]vaultKeyVersion
}

type vaultKeyVersion struct {
	Material  string    `json:"material"` // base64
	CreatedAt time.Time `json:"created_at"`
}

func (v *Vault) keyPath(name string) string { return v.prefix + "/keys/" + name }

// readKey reads a key's secret; a missing secret reads as empty with
// kvVersion 0 (what check-and-set expects for a create).
func (v *Vault) readKey(ctx context.Context, name string) (*vaultKey, error) {
	k := &vaultKey{versions: map[int]vaultKeyVersion{}}
	s, err := v.kv.Get(ctx, v.keyPath(name))
	if errors.Is(err, vault.ErrSecretNotFound) {
		return k, nil
	}
	if err != nil {
		return nil, err
	}
	if s.VersionMetadata != nil {
		k.kvVersion = s.VersionMetadata.Version
	}
	if s.Data == nil { // latest KV version deleted: treat as empty
		return k, nil
	}
	raw, err := json.Marshal(s.Data)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	for f, val := range fields {
		switch {
		case f == "last":
			var n json.Number
			if err := json.Unmarshal(val, &n); err != nil {
				return nil, fmt.Errorf("field last: %w", err)
			}
			last, err := n.Int64()
			if err != nil {
				return nil, fmt.Errorf("field last: %w", err)
			}
			k.last = int(last)
		case strings.HasPrefix(f, "v"):
			n, err := strconv.Atoi(f[1:])
			if err != nil || n < 1 {
				continue // not a version field
			}
			var kv vaultKeyVersion
			if err := json.Unmarshal(val, &kv); err != nil {
				return nil, fmt.Errorf("field %s: %w", f, err)
			}
			m, err := base64.StdEncoding.DecodeString(kv.Material)
			if err != nil || len(m) != keySize {
				return nil, fmt.Errorf("field %s: material is not %d base64 bytes", f, keySize)
			}
			k.versions[n] = kv
			k.last = max(k.last, n)
		}
	}
	return k, nil
}

func (k *vaultKey) data() map[string]any {
	d := map[string]any{"last": k.last}
	for n, kv := range k.versions {
		d["v"+strconv.Itoa(n)] = kv
	}
	return d
}

func (k *vaultKey) sorted(name string) []Key {
	ns := make([]int, 0, len(k.versions))
	for n := range k.versions {
		ns = append(ns, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ns)))
	keys := make([]Key, 0, len(ns))
	for _, n := range ns {
		keys = append(keys, k.key(name, n))
	}
	return keys
}

func (k *vaultKey) key(name string, n int) Key {
	kv := k.versions[n]
	m, _ := base64.StdEncoding.DecodeString(kv.Material) // validated by readKey
	return Key{Name: name, Version: n, Material: m, CreatedAt: kv.CreatedAt}
}

// change applies fn to the freshest key with check-and-set, retrying when
// another writer got there first. fn returns false for "nothing to write".
// shredded reports that fn removed material: the older KV versions, which
// still hold it, are then destroyed.
func (v *Vault) change(ctx context.Context, name string, fn func(k *vaultKey) (write, shredded bool, err error)) (*vaultKey, error) {
	path := v.keyPath(name)
	for range casRetries {
		k, err := v.readKey(ctx, name)
		if err != nil {
			return nil, err
		}
		write, shredded, err := fn(k)
		if err != nil || !write {
			return k, err
		}
		if k.kvVersion == 0 {
			// First write: keep one KV version, so replaced material does
			// not linger in the secret's history.
			if err := v.kv.PutMetadata(ctx, path, vault.KVMetadataPutInput{MaxVersions: 1}); err != nil {
				return nil, err
			}
		}
		_, err = v.kv.Put(ctx, path, k.data(), vault.WithCheckAndSet(k.kvVersion))
		if isCASMismatch(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if shredded && k.kvVersion > 0 {
			older := make([]int, 0, k.kvVersion)
			for i := 1; i <= k.kvVersion; i++ {
				older = append(older, i)
			}
			if err := v.kv.Destroy(ctx, path, older); err != nil {
				return nil, fmt.Errorf("destroy old KV versions: %w", err)
			}
		}
		return k, nil
	}
	return nil, fmt.Errorf("check-and-set lost %d times in a row", casRetries)
}

// isCASMismatch reports Vault's answer to a stale check-and-set write.
func isCASMismatch(err error) bool {
	var re *vault.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest {
		return false
	}
	for _, e := range re.Errors {
		if strings.Contains(e, "check-and-set") {
			return true
		}
	}
	return false
}

func (v *Vault) newVersion(k *vaultKey) (int, error) {
	m, err := newMaterial()
	if err != nil {
		return 0, err
	}
	k.last++
	k.versions[k.last] = vaultKeyVersion{Material: base64.StdEncoding.EncodeToString(m), CreatedAt: v.now().UTC()}
	return k.last, nil
}

// Current returns the newest live version of the named key, creating
// version 1 when it has none.
func (v *Vault) Current(ctx context.Context, name string) (Key, error) {
	if err := validName(name); err != nil {
		return Key{}, err
	}
	var created int
	k, err := v.change(ctx, name, func(k *vaultKey) (bool, bool, error) {
		if len(k.versions) > 0 {
			return false, false, nil
		}
		n, err := v.newVersion(k)
		created = n
		return true, false, err
	})
	if err != nil {
		return Key{}, fmt.Errorf("secrets: vault: current key %s: %w", name, err)
	}
	if created > 0 {
		v.log.Info("vault key created", "key", name, "version", created)
	}
	return k.sorted(name)[0], nil
}

// Version returns one live version of the named key, or ErrNotFound.
func (v *Vault) Version(ctx context.Context, name string, version int) (Key, error) {
	k, err := v.readKey(ctx, name)
	if err != nil {
		return Key{}, fmt.Errorf("secrets: vault: key %s/v%d: %w", name, version, err)
	}
	if _, ok := k.versions[version]; !ok {
		return Key{}, fmt.Errorf("secrets: vault: key %s/v%d: %w", name, version, ErrNotFound)
	}
	return k.key(name, version), nil
}

// Versions returns every live version of the named key, newest first, or
// ErrNotFound when it has none.
func (v *Vault) Versions(ctx context.Context, name string) ([]Key, error) {
	k, err := v.readKey(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("secrets: vault: key %s: %w", name, err)
	}
	if len(k.versions) == 0 {
		return nil, fmt.Errorf("secrets: vault: key %s: %w", name, ErrNotFound)
	}
	return k.sorted(name), nil
}

// Rotate adds a new version of the named key, which becomes Current; the
// older versions stay live until DestroyVersion or Destroy.
func (v *Vault) Rotate(ctx context.Context, name string) (Key, error) {
	if err := validName(name); err != nil {
		return Key{}, err
	}
	var n int
	k, err := v.change(ctx, name, func(k *vaultKey) (bool, bool, error) {
		var err error
		n, err = v.newVersion(k)
		return true, false, err
	})
	if err != nil {
		return Key{}, fmt.Errorf("secrets: vault: rotate %s: %w", name, err)
	}
	v.log.Info("vault key rotated", "key", name, "version", n)
	return k.key(name, n), nil
}

// DestroyVersion removes one version of the named key, ending its rotation
// overlap; ErrNotFound when that version is not live.
func (v *Vault) DestroyVersion(ctx context.Context, name string, version int) error {
	_, err := v.change(ctx, name, func(k *vaultKey) (bool, bool, error) {
		if _, ok := k.versions[version]; !ok {
			return false, false, ErrNotFound
		}
		delete(k.versions, version)
		return true, true, nil
	})
	if err != nil {
		return fmt.Errorf("secrets: vault: destroy %s/v%d: %w", name, version, err)
	}
	v.log.Info("vault key version destroyed", "key", name, "version", version)
	return nil
}

// Destroy removes every version of the named key (crypto-shredding) and
// destroys the KV history holding them. The "last" counter stays, so a
// recreated key never reuses a version id. Destroying a missing key is not
// an error.
func (v *Vault) Destroy(ctx context.Context, name string) error {
	_, err := v.change(ctx, name, func(k *vaultKey) (bool, bool, error) {
		if len(k.versions) == 0 {
			return false, false, nil
		}
		clear(k.versions)
		return true, true, nil
	})
	if err != nil {
		return fmt.Errorf("secrets: vault: destroy %s: %w", name, err)
	}
	v.log.Info("vault key destroyed", "key", name)
	return nil
}

// Secret reads the static secret at <prefix>/<name> (for example database
// credentials written by an operator), or ErrNotFound. Non-string values
// are rendered as JSON.
func (v *Vault) Secret(ctx context.Context, name string) (map[string]string, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	s, err := v.kv.Get(ctx, v.prefix+"/"+name)
	if errors.Is(err, vault.ErrSecretNotFound) {
		return nil, fmt.Errorf("secrets: vault: secret %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: vault: secret %s: %w", name, err)
	}
	if len(s.Data) == 0 {
		return nil, fmt.Errorf("secrets: vault: secret %s: %w", name, ErrNotFound)
	}
	out := make(map[string]string, len(s.Data))
	for k, val := range s.Data {
		switch t := val.(type) {
		case string:
			out[k] = t
		case json.Number:
			out[k] = t.String()
		default:
			b, err := json.Marshal(t)
			if err != nil {
				return nil, fmt.Errorf("secrets: vault: secret %s field %s: %w", name, k, err)
			}
			out[k] = string(b)
		}
	}
	return out, nil
}
