package auth

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length limits (ACCEPTANCE B1, after NIST SP 800-63B): at least
// MinPasswordLength characters, and long passphrases of at least 64 allowed.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

//go:embed common_passwords.txt
var commonPasswordsTxt []byte

// PasswordPolicy checks new passwords: length only, no composition rules,
// and refusal of passwords on the shipped common/breached list.
type PasswordPolicy struct {
	common map[string]struct{}
}

// NewPasswordPolicy returns the policy with the embedded list of common
// passwords.
func NewPasswordPolicy() *PasswordPolicy {
	common := make(map[string]struct{}, 12000)
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordsTxt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		common[strings.ToLower(line)] = struct{}{}
	}
	return &PasswordPolicy{common: common}
}

// Len is the number of entries on the common-password list.
func (p *PasswordPolicy) Len() int { return len(p.common) }

// PasswordError explains why a password was refused; it wraps
// ErrWeakPassword.
type PasswordError struct{ Reason string }

func (e *PasswordError) Error() string { return "auth: password refused: " + e.Reason }

// Unwrap makes errors.Is(err, ErrWeakPassword) true.
func (e *PasswordError) Unwrap() error { return ErrWeakPassword }

// Check returns nil for an acceptable password or a *PasswordError.
func (p *PasswordPolicy) Check(password string) error {
	if !utf8.ValidString(password) {
		return &PasswordError{Reason: "must be valid UTF-8 text"}
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength {
		return &PasswordError{Reason: fmt.Sprintf("must be at least %d characters", MinPasswordLength)}
	}
	if n > MaxPasswordLength {
		return &PasswordError{Reason: fmt.Sprintf("must be at most %d characters", MaxPasswordLength)}
	}
	if _, ok := p.common[strings.ToLower(password)]; ok {
		return &PasswordError{Reason: "is on the list of common or breached passwords"}
	}
	return nil
}

// Argon2Params are the argon2id cost parameters (RFC 9106, OWASP: 19 MiB,
// 2 passes, 1 lane as the minimum; SkyFly uses 64 MiB and 1 pass, RFC 9106's
// second recommended option).
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 is the production cost.
func DefaultArgon2() Argon2Params { return Argon2Params{Memory: 64 * 1024, Time: 1, Threads: 2} }

// HashPassword returns an argon2id PHC string ($argon2id$v=19$m=..,t=..,p=..$salt$hash).
func HashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: salt: %w", err)
	}
	sum := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(sum)), nil
}

// VerifyPassword reports whether password matches a PHC string made by
// HashPassword, comparing in constant time.
func VerifyPassword(password, phc string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("verify password: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("verify password: unsupported version %q", parts[2])
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("verify password: parameters %q: %w", parts[3], err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("verify password: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("verify password: hash: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
