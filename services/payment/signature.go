package payment

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the HTTP header carrying a webhook's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=<hex>...]". During a secret
// rotation the provider sends one v1 per live secret.
const SignatureHeader = "Skyfly-Signature"

// Webhook timestamp limits (ACCEPTANCE W2).
const (
	SignatureTolerance  = 300 * time.Second
	SignatureFutureSkew = 60 * time.Second
)

// Sign returns the signature header value for body sent at t, with one v1
// signature per secret (newest first).
func Sign(t time.Time, body []byte, secrets ...[]byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=" + ts)
	for _, s := range secrets {
		b.WriteString(",v1=" + hex.EncodeToString(mac(s, ts, body)))
	}
	return b.String()
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// VerifySignature checks header against the raw body with every live secret
// (ACCEPTANCE W1, W2): the timestamp must be at most 300 s old and at most
// 60 s in the future, and at least one v1 signature must equal the HMAC of
// "<t>.<body>" under one of the secrets. Comparisons are constant-time
// (hmac.Equal) and every pair is compared, so the time taken does not reveal
// which signature or secret matched. It returns an error wrapping
// ErrSignature or ErrTimestamp.
func VerifySignature(header string, body []byte, secrets [][]byte, now time.Time) error {
	if header == "" {
		return fmt.Errorf("%w: missing %s header", ErrSignature, SignatureHeader)
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return fmt.Errorf("%w: header needs t= and at least one v1=", ErrSignature)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp %q", ErrSignature, ts)
	}
	signedAt := time.Unix(unix, 0)
	if now.Sub(signedAt) > SignatureTolerance {
		return fmt.Errorf("%w: signed %s ago, tolerance %s", ErrTimestamp, now.Sub(signedAt).Truncate(time.Second), SignatureTolerance)
	}
	if signedAt.Sub(now) > SignatureFutureSkew {
		return fmt.Errorf("%w: signed %s in the future, skew allowed %s", ErrTimestamp, signedAt.Sub(now).Truncate(time.Second), SignatureFutureSkew)
	}
	match := false
	for _, secret := range secrets {
		want := mac(secret, ts, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				match = true
			}
		}
	}
	if !match {
		return fmt.Errorf("%w: no signature matches", ErrSignature)
	}
	return nil
}
