package secrets

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// keyringFormat is the version of the keyring file layout.
const keyringFormat = 1

// keySize is the length of every key version's material: 32 bytes, enough
// for AES-256, HMAC-SHA256 and an Ed25519 seed.
const keySize = 32

// Keyring is the local Provider: one JSON file (mode 0600 in a 0700
// directory) holding named, versioned keys and static secrets. It is the
// embedded default of `skyfly dev`; production uses Vault.
//
// A Keyring is safe for concurrent use by goroutines and by processes
// sharing the file: every change takes an exclusive lock on "<path>.lock",
// re-reads the file, and replaces it by an atomic rename, so readers never
// see a half-written file and no process overwrites another's rotation.
type Keyring struct {
	path string
	now  func() time.Time
	mu   sync.Mutex // serialises this process's writers; the file lock serialises processes
}

// keyringFile is the on-disk layout.
type keyringFile struct {
	Format  int                          `json:"format"`
	Keys    map[string]*keyringKey       `json:"keys"`
	Secrets map[string]map[string]string `json:"secrets"`
}

// keyringKey is a named key. Last is the highest version ever issued and
// survives Destroy, so a version id ("name/vN") never names two materials.
type keyringKey struct {
	Last     int              `json:"last"`
	Versions []keyringVersion `json:"versions"`
}

type keyringVersion struct {
	Version   int       `json:"version"`
	Material  []byte    `json:"material"` // base64 in JSON
	CreatedAt time.Time `json:"createdAt"`
}

// NewKeyring opens the keyring file at path, creating it (and its directory,
// mode 0700) on first start. now stamps the creation time of new versions;
// nil means time.Now.
func NewKeyring(path string, now func() time.Time) (*Keyring, error) {
	if path == "" {
		return nil, errors.New("secrets: keyring: empty path")
	}
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secrets: keyring %s: create directory: %w", path, err)
	}
	k := &Keyring{path: path, now: now}
	err := k.update(func(f *keyringFile) (bool, error) {
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil // written once by update, with mode 0600 from the start
		}
		if err != nil {
			return false, err
		}
		if st.Mode().Perm()&0o077 != 0 {
			return false, fmt.Errorf("mode %#o lets other users read the keys; chmod 600 it", st.Mode().Perm())
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Path is the keyring file's location.
func (k *Keyring) Path() string { return k.path }

// Current returns the newest version of the named key, creating version 1
// when the key has no live version.
func (k *Keyring) Current(ctx context.Context, name string) (Key, error) {
	if err := validName(name); err != nil {
		return Key{}, err
	}
	f, err := k.read()
	if err != nil {
		return Key{}, err
	}
	if key, ok := f.current(name); ok {
		return key, nil
	}
	var key Key
	err = k.update(func(f *keyringFile) (bool, error) {
		var ok bool
		if key, ok = f.current(name); ok { // another process created it meanwhile
			return false, nil
		}
		key, err = f.add(name, k.now())
		return true, err
	})
	if err != nil {
		return Key{}, fmt.Errorf("secrets: keyring: create key %s: %w", name, err)
	}
	return key, nil
}

// Version returns one version of the named key, or ErrNotFound.
func (k *Keyring) Version(ctx context.Context, name string, version int) (Key, error) {
	f, err := k.read()
	if err != nil {
		return Key{}, err
	}
	if e := f.Keys[name]; e != nil {
		for _, v := range e.Versions {
			if v.Version == version {
				return v.key(name), nil
			}
		}
	}
	return Key{}, fmt.Errorf("secrets: keyring: key %s/v%d: %w", name, version, ErrNotFound)
}

// Versions returns every live version of the named key, newest first, or
// ErrNotFound when it has none.
func (k *Keyring) Versions(ctx context.Context, name string) ([]Key, error) {
	f, err := k.read()
	if err != nil {
		return nil, err
	}
	e := f.Keys[name]
	if e == nil || len(e.Versions) == 0 {
		return nil, fmt.Errorf("secrets: keyring: key %s: %w", name, ErrNotFound)
	}
	keys := make([]Key, 0, len(e.Versions))
	for i := len(e.Versions) - 1; i >= 0; i-- {
		keys = append(keys, e.Versions[i].key(name))
	}
	return keys, nil
}

// Rotate adds a new version of the named key, which becomes Current; the
// older versions stay live until DestroyVersion or Destroy.
func (k *Keyring) Rotate(ctx context.Context, name string) (Key, error) {
	if err := validName(name); err != nil {
		return Key{}, err
	}
	var key Key
	err := k.update(func(f *keyringFile) (bool, error) {
		var err error
		key, err = f.add(name, k.now())
		return true, err
	})
	if err != nil {
		return Key{}, fmt.Errorf("secrets: keyring: rotate %s: %w", name, err)
	}
	return key, nil
}

// Destroy deletes every version of the named key (crypto-shredding): data
// they protected can no longer be decrypted. Destroying a missing key is
// not an error.
func (k *Keyring) Destroy(ctx context.Context, name string) error {
	err := k.update(func(f *keyringFile) (bool, error) {
		e := f.Keys[name]
		if e == nil || len(e.Versions) == 0 {
			return false, nil
		}
		wipe(e.Versions)
		e.Versions = nil
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("secrets: keyring: destroy %s: %w", name, err)
	}
	return nil
}

// DestroyVersion deletes one version of the named key, ending its rotation
// overlap window. It returns ErrNotFound when that version is not live.
func (k *Keyring) DestroyVersion(ctx context.Context, name string, version int) error {
	err := k.update(func(f *keyringFile) (bool, error) {
		e := f.Keys[name]
		if e == nil {
			return false, ErrNotFound
		}
		for i, v := range e.Versions {
			if v.Version == version {
				wipe(e.Versions[i : i+1])
				e.Versions = append(e.Versions[:i], e.Versions[i+1:]...)
				return true, nil
			}
		}
		return false, ErrNotFound
	})
	if err != nil {
		return fmt.Errorf("secrets: keyring: destroy %s/v%d: %w", name, version, err)
	}
	return nil
}

// Secret reads the static secret stored under name, or ErrNotFound.
func (k *Keyring) Secret(ctx context.Context, name string) (map[string]string, error) {
	f, err := k.read()
	if err != nil {
		return nil, err
	}
	s, ok := f.Secrets[name]
	if !ok || len(s) == 0 {
		return nil, fmt.Errorf("secrets: keyring: secret %s: %w", name, ErrNotFound)
	}
	out := make(map[string]string, len(s))
	for key, v := range s {
		out[key] = v
	}
	return out, nil
}

// PutSecret stores a static secret under name, replacing any previous value.
func (k *Keyring) PutSecret(ctx context.Context, name string, value map[string]string) error {
	if err := validName(name); err != nil {
		return err
	}
	err := k.update(func(f *keyringFile) (bool, error) {
		cp := make(map[string]string, len(value))
		for key, v := range value {
			cp[key] = v
		}
		f.Secrets[name] = cp
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("secrets: keyring: put secret %s: %w", name, err)
	}
	return nil
}

// read loads the file without locking: writers replace it atomically, so a
// reader sees either the old or the new content. A missing file reads as
// empty.
func (k *Keyring) read() (*keyringFile, error) {
	f, err := readKeyringFile(k.path)
	if err != nil {
		return nil, fmt.Errorf("secrets: keyring %s: %w", k.path, err)
	}
	return f, nil
}

// update runs fn on the freshest content under the in-process mutex and the
// cross-process file lock, and writes the result when fn reports a change.
func (k *Keyring) update(fn func(*keyringFile) (changed bool, err error)) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	unlock, err := lockFile(k.path + ".lock")
	if err != nil {
		return fmt.Errorf("secrets: keyring %s: lock: %w", k.path, err)
	}
	defer unlock()
	f, err := readKeyringFile(k.path)
	if err != nil {
		return fmt.Errorf("secrets: keyring %s: %w", k.path, err)
	}
	changed, err := fn(f)
	if err != nil || !changed {
		return err
	}
	if err := writeKeyringFile(k.path, f); err != nil {
		return fmt.Errorf("secrets: keyring %s: %w", k.path, err)
	}
	return nil
}

func readKeyringFile(path string) (*keyringFile, error) {
	f := &keyringFile{Format: keyringFormat}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read: %w", err)
	default:
		if err := json.Unmarshal(b, f); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		if f.Format != keyringFormat {
			return nil, fmt.Errorf("unsupported format %d", f.Format)
		}
	}
	if f.Keys == nil {
		f.Keys = map[string]*keyringKey{}
	}
	if f.Secrets == nil {
		f.Secrets = map[string]map[string]string{}
	}
	for name, e := range f.Keys {
		sort.Slice(e.Versions, func(i, j int) bool { return e.Versions[i].Version < e.Versions[j].Version })
		for _, v := range e.Versions {
			if len(v.Material) != keySize {
				return nil, fmt.Errorf("key %s/v%d: material is %d bytes, want %d", name, v.Version, len(v.Material), keySize)
			}
		}
	}
	return f, nil
}

// writeKeyringFile writes to a temporary file in the same directory, syncs
// it and renames it over path, so the file is never seen half-written.
func writeKeyringFile(path string, f *keyringFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write: rename: %w", err)
	}
	return nil
}

func (f *keyringFile) current(name string) (Key, bool) {
	e := f.Keys[name]
	if e == nil || len(e.Versions) == 0 {
		return Key{}, false
	}
	return e.Versions[len(e.Versions)-1].key(name), true
}

func (f *keyringFile) add(name string, now time.Time) (Key, error) {
	material, err := newMaterial()
	if err != nil {
		return Key{}, err
	}
	e := f.Keys[name]
	if e == nil {
		e = &keyringKey{}
		f.Keys[name] = e
	}
	e.Last++
	v := keyringVersion{Version: e.Last, Material: material, CreatedAt: now.UTC()}
	e.Versions = append(e.Versions, v)
	return v.key(name), nil
}

func (v keyringVersion) key(name string) Key {
	m := make([]byte, len(v.Material))
	copy(m, v.Material)
	return Key{Name: name, Version: v.Version, Material: m, CreatedAt: v.CreatedAt}
}

// newMaterial returns keySize random bytes.
func newMaterial() ([]byte, error) {
	b := make([]byte, keySize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("random key material: %w", err)
	}
	return b, nil
}

// wipe zeroes the material of destroyed versions still in memory.
func wipe(vs []keyringVersion) {
	for _, v := range vs {
		clear(v.Material)
	}
}

// validName accepts names usable as a file key and a Vault path segment.
func validName(name string) error {
	if name == "" {
		return errors.New("secrets: empty key name")
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return fmt.Errorf("secrets: key name %q: only letters, digits, '-', '_' and '.' are allowed", name)
		}
	}
	return nil
}
