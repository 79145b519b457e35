package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// TOTP parameters (RFC 6238 defaults, which every authenticator app supports).
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = otp.DigitsSix
	TOTPIssuer = "SkyFly"
)

// TOTPStep is the RFC 6238 time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// NewTOTPKey generates a fresh TOTP secret for account (its email); the key
// gives the base32 secret and the otpauth:// URI for authenticator apps.
func NewTOTPKey(account string) (*otp.Key, error) {
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: TOTPIssuer, AccountName: account, Period: uint(TOTPPeriod / time.Second),
		SecretSize: 20, Digits: TOTPDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("generate totp secret: %w", err)
	}
	return k, nil
}

// TOTPCode returns the code of secret (base32) for the step containing t.
func TOTPCode(secret string, t time.Time) (string, error) {
	code, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{
		Period: uint(TOTPPeriod / time.Second), Digits: TOTPDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", fmt.Errorf("totp code: %w", err)
	}
	return code, nil
}

// MatchTOTP returns the time step whose code equals code, trying only the
// current step and the previous one (ACCEPTANCE M1): a code from the future
// or older than one step is refused. ok is false when nothing matches.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool, err error) {
	code = strings.TrimSpace(code)
	if len(code) != TOTPDigits.Length() {
		return 0, false, nil
	}
	for _, back := range []time.Duration{0, TOTPPeriod} {
		at := now.Add(-back)
		want, err := TOTPCode(secret, at)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return TOTPStep(at), true, nil
		}
	}
	return 0, false, nil
}

// SecretBox encrypts TOTP secrets at rest with AES-256-GCM under the
// versioned secrets key secrets.KeyTOTP; the user id is the associated data,
// so a ciphertext cannot be moved to another account.
type SecretBox struct {
	keys secrets.Provider
}

// NewSecretBox returns a box over the secrets provider.
func NewSecretBox(keys secrets.Provider) *SecretBox { return &SecretBox{keys: keys} }

// Seal encrypts secret for userID with the current key version.
func (b *SecretBox) Seal(ctx context.Context, userID, secret string) (ciphertext []byte, keyID string, err error) {
	k, err := b.keys.Current(ctx, secrets.KeyTOTP)
	if err != nil {
		return nil, "", fmt.Errorf("seal totp secret: key: %w", err)
	}
	aead, err := newGCM(k.Material)
	if err != nil {
		return nil, "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", fmt.Errorf("seal totp secret: nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, []byte(secret), []byte(userID)), k.ID(), nil
}

// Open decrypts a secret sealed by Seal (any still-live key version).
func (b *SecretBox) Open(ctx context.Context, userID string, ciphertext []byte, keyID string) (string, error) {
	name, v, ok := strings.Cut(keyID, "/v")
	if !ok || name != secrets.KeyTOTP {
		return "", fmt.Errorf("open totp secret: unexpected key id %q", keyID)
	}
	version, err := strconv.Atoi(v)
	if err != nil {
		return "", fmt.Errorf("open totp secret: key id %q: %w", keyID, err)
	}
	k, err := b.keys.Version(ctx, name, version)
	if err != nil {
		return "", fmt.Errorf("open totp secret: key %s: %w", keyID, err)
	}
	aead, err := newGCM(k.Material)
	if err != nil {
		return "", err
	}
	if len(ciphertext) < aead.NonceSize() {
		return "", fmt.Errorf("open totp secret: ciphertext too short")
	}
	plain, err := aead.Open(nil, ciphertext[:aead.NonceSize()], ciphertext[aead.NonceSize():], []byte(userID))
	if err != nil {
		return "", fmt.Errorf("open totp secret of user %s: %w", userID, err)
	}
	return string(plain), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("totp secret cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("totp secret cipher: %w", err)
	}
	return aead, nil
}
