package secrets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/testdate"
)

// Compile-time check that Keyring implements Provider.
var _ secrets.Provider = (*secrets.Keyring)(nil)

func fixedClock() func() time.Time {
	t := testdate.At(0, 1, 0)
	return func() time.Time { return t }
}

func newKeyring(t *testing.T) (*secrets.Keyring, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "keyring.json")
	k, err := secrets.NewKeyring(path, fixedClock())
	require.NoError(t, err)
	return k, path
}

func TestKeyring_FirstStartCreatesPrivateFile(t *testing.T) {
	_, path := newKeyring(t)

	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "file mode: got %#o, want 0600", st.Mode().Perm())
	dir, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), dir.Mode().Perm(), "dir mode: got %#o, want 0700", dir.Mode().Perm())
}

func TestKeyring_RefusesFileReadableByOthers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"format":1}`), 0o644))
	require.NoError(t, os.Chmod(path, 0o644))

	_, err := secrets.NewKeyring(path, nil)
	require.ErrorContains(t, err, "chmod 600")
}

func TestKeyring_RejectsCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"format":1,"keys":{"k":{"last":1,"versions":[{"version":1,"material":"AAAA"}]}}}`), 0o600))

	_, err := secrets.NewKeyring(path, nil)
	require.ErrorContains(t, err, "material is 3 bytes")
}

func TestKeyring_CurrentCreatesVersionOneOnce(t *testing.T) {
	ctx := context.Background()
	k, path := newKeyring(t)

	first, err := k.Current(ctx, secrets.KeyCodec)
	require.NoError(t, err)
	require.Equal(t, 1, first.Version)
	require.Len(t, first.Material, 32)
	require.Equal(t, "temporal-codec/v1", first.ID())
	require.Equal(t, fixedClock()(), first.CreatedAt)

	// A restart (a new Keyring on the same file) sees the same key.
	reopened, err := secrets.NewKeyring(path, nil)
	require.NoError(t, err)
	again, err := reopened.Current(ctx, secrets.KeyCodec)
	require.NoError(t, err)
	require.Equal(t, first, again)

	other, err := k.Current(ctx, secrets.KeyJWTSigning)
	require.NoError(t, err)
	require.NotEqual(t, first.Material, other.Material, "two key names must not share material")
}

func TestKeyring_V1_RotationKeepsOldVersionUntilDestroyed(t *testing.T) {
	ctx := context.Background()
	k, _ := newKeyring(t)
	v1, err := k.Current(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)

	v2, err := k.Rotate(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	require.Equal(t, 2, v2.Version)
	require.NotEqual(t, v1.Material, v2.Material)

	cur, err := k.Current(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	require.Equal(t, v2, cur, "the new version signs")

	old, err := k.Version(ctx, secrets.KeyWebhookSecret, 1)
	require.NoError(t, err)
	require.Equal(t, v1, old, "the old version still verifies during the overlap")

	all, err := k.Versions(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	require.Equal(t, []secrets.Key{v2, v1}, all, "versions newest first")

	require.NoError(t, k.DestroyVersion(ctx, secrets.KeyWebhookSecret, 1))
	_, err = k.Version(ctx, secrets.KeyWebhookSecret, 1)
	require.ErrorIs(t, err, secrets.ErrNotFound)
	all, err = k.Versions(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	require.Equal(t, []secrets.Key{v2}, all)

	err = k.DestroyVersion(ctx, secrets.KeyWebhookSecret, 1)
	require.ErrorIs(t, err, secrets.ErrNotFound)
}

func TestKeyring_G2_DestroyShredsEveryVersionAndNeverReusesIDs(t *testing.T) {
	ctx := context.Background()
	k, path := newKeyring(t)
	v1, err := k.Current(ctx, "user-42")
	require.NoError(t, err)
	_, err = k.Rotate(ctx, "user-42")
	require.NoError(t, err)

	require.NoError(t, k.Destroy(ctx, "user-42"))
	require.NoError(t, k.Destroy(ctx, "user-42"), "destroying twice is not an error")

	_, err = k.Versions(ctx, "user-42")
	require.ErrorIs(t, err, secrets.ErrNotFound)
	_, err = k.Version(ctx, "user-42", 1)
	require.ErrorIs(t, err, secrets.ErrNotFound)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(raw), mustJSON(t, v1.Material), "destroyed material must leave the file")

	fresh, err := k.Current(ctx, "user-42")
	require.NoError(t, err)
	require.Equal(t, 3, fresh.Version, "a recreated key gets a new id, so old ciphertexts never name it")
}

func TestKeyring_SecretReadsStaticSecrets(t *testing.T) {
	ctx := context.Background()
	k, path := newKeyring(t)

	_, err := k.Secret(ctx, "auth-db")
	require.ErrorIs(t, err, secrets.ErrNotFound)

	require.NoError(t, k.PutSecret(ctx, "auth-db", map[string]string{"username": "skyfly", "password": "s3cret"}))
	reopened, err := secrets.NewKeyring(path, nil)
	require.NoError(t, err)
	got, err := reopened.Secret(ctx, "auth-db")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"username": "skyfly", "password": "s3cret"}, got)

	require.NoError(t, k.PutSecret(ctx, "auth-db", map[string]string{}))
	_, err = k.Secret(ctx, "auth-db")
	require.ErrorIs(t, err, secrets.ErrNotFound, "an empty secret reads as absent")
}

func TestKeyring_RejectsUnsafeNames(t *testing.T) {
	k, _ := newKeyring(t)
	for _, name := range []string{"", "../etc", "a/b", "a b"} {
		_, err := k.Current(context.Background(), name)
		require.Error(t, err, "name %q", name)
	}
}

func TestKeyring_ConcurrentGoroutinesAndInstances(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keyring.json")
	instances := make([]*secrets.Keyring, 3)
	for i := range instances {
		k, err := secrets.NewKeyring(path, nil)
		require.NoError(t, err)
		instances[i] = k
	}

	// Every first Current on a fresh key, from any instance, sees one key.
	const perInstance = 10
	currents := make(chan secrets.Key, len(instances)*perInstance)
	var wg sync.WaitGroup
	for _, k := range instances {
		for range perInstance {
			wg.Go(func() {
				key, err := k.Current(ctx, "fresh")
				if err == nil {
					currents <- key
				}
			})
		}
	}
	wg.Wait()
	close(currents)
	var got []secrets.Key
	for key := range currents {
		got = append(got, key)
	}
	require.Len(t, got, len(instances)*perInstance)
	for _, key := range got {
		require.Equal(t, got[0], key)
	}

	// Concurrent rotations all land: none overwrites another.
	for _, k := range instances {
		for range perInstance {
			wg.Go(func() {
				_, err := k.Rotate(ctx, "fresh")
				if err != nil {
					t.Errorf("rotate: %v", err)
				}
			})
		}
	}
	wg.Wait()
	assertVersions(t, instances[0], "fresh", 1+len(instances)*perInstance)
}

// TestKeyring_ConcurrentProcesses rotates one key from several processes
// (this test binary re-executed) and checks that no rotation is lost.
func TestKeyring_ConcurrentProcesses(t *testing.T) {
	if os.Getenv("SKYFLY_KEYRING_HELPER") != "" {
		t.Skip("helper process")
	}
	path := filepath.Join(t.TempDir(), "keyring.json")
	const procs, rotations = 3, 15
	var wg sync.WaitGroup
	errs := make(chan error, procs)
	for range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestKeyringHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), "SKYFLY_KEYRING_HELPER="+path, "SKYFLY_KEYRING_ROTATIONS="+strconv.Itoa(rotations))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("helper: %w: %s", err, out)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	k, err := secrets.NewKeyring(path, nil)
	require.NoError(t, err)
	assertVersions(t, k, "shared", 1+procs*rotations)
}

// TestKeyringHelperProcess is the child of TestKeyring_ConcurrentProcesses.
func TestKeyringHelperProcess(t *testing.T) {
	path := os.Getenv("SKYFLY_KEYRING_HELPER")
	if path == "" {
		t.Skip("only run as a helper process")
	}
	n, err := strconv.Atoi(os.Getenv("SKYFLY_KEYRING_ROTATIONS"))
	require.NoError(t, err)
	k, err := secrets.NewKeyring(path, nil)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = k.Current(ctx, "shared")
	require.NoError(t, err)
	for range n {
		_, err := k.Rotate(ctx, "shared")
		require.NoError(t, err)
	}
}

func assertVersions(t *testing.T, k *secrets.Keyring, name string, want int) {
	t.Helper()
	all, err := k.Versions(context.Background(), name)
	require.NoError(t, err)
	require.Len(t, all, want, "live versions: got %d, want %d", len(all), want)
	seen := map[string]bool{}
	for i, key := range all {
		require.Equal(t, want-i, key.Version, "versions newest first without gaps")
		m := string(key.Material)
		require.False(t, seen[m], "material reused")
		seen[m] = true
	}
	cur, err := k.Current(context.Background(), name)
	require.NoError(t, err)
	require.Equal(t, want, cur.Version)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
