// Package secrets is SkyFly's single way to get key material and secrets:
// a local keyring file for the embedded default, or HashiCorp Vault. Keys are
// named and versioned so a new version signs/encrypts while older versions
// still verify/decrypt during a rotation overlap.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Well-known key names.
const (
	KeyJWTSigning    = "jwt-signing"     // Ed25519 seed for access tokens
	KeyWebhookSecret = "payment-webhook" // HMAC secret for provider webhooks
	KeyCodec         = "temporal-codec"  // AES-256 key for workflow payloads
	KeyTOTP          = "totp-encryption" // AES-256 key for TOTP secrets at rest
	KeyOTPHash       = "otp-hash"        // HMAC key for hashing one-time codes
)

// Key is one version of a named key: 32 random bytes.
type Key struct {
	Name      string
	Version   int
	Material  []byte
	CreatedAt time.Time
}

// ID is "name/vN", the identifier stored beside data the key protects.
func (k Key) ID() string { return k.Name + "/v" + strconv.Itoa(k.Version) }

// ParseKeyID splits a key id "name/vN" (Key.ID) into name and version.
func ParseKeyID(id string) (name string, version int, err error) {
	i := strings.LastIndex(id, "/v")
	if i <= 0 {
		return "", 0, fmt.Errorf("malformed key id %q", id)
	}
	version, err = strconv.Atoi(id[i+2:])
	if err != nil || version < 1 {
		return "", 0, fmt.Errorf("malformed key id %q", id)
	}
	return id[:i], version, nil
}

// Provider hands out versioned keys and static secrets.
type Provider interface {
	// Current returns the newest version of the named key, creating version 1
	// (32 random bytes) when the key does not exist yet.
	Current(ctx context.Context, name string) (Key, error)
	// Version returns one version of the named key, or ErrNotFound.
	Version(ctx context.Context, name string, version int) (Key, error)
	// Versions returns every live version, newest first (verification with
	// rotation overlap tries them all).
	Versions(ctx context.Context, name string) ([]Key, error)
	// Rotate adds a new version, which becomes Current; older ones remain.
	Rotate(ctx context.Context, name string) (Key, error)
	// Destroy deletes every version of the key (crypto-shredding).
	Destroy(ctx context.Context, name string) error
	// Secret reads a static secret (for example database credentials) stored
	// under name; ErrNotFound when absent.
	Secret(ctx context.Context, name string) (map[string]string, error)
}

// ErrNotFound is returned for a key, version or secret that does not exist.
var ErrNotFound = errors.New("secrets: not found")
