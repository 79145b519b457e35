package payment_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/payment"
)

func TestVerifySignature_W1(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1","type":"payment.authorized","data":{"paymentId":"pay_1","status":"authorized"}}`)
	secret := bytes.Repeat([]byte{7}, 32)
	oldSecret := bytes.Repeat([]byte{9}, 32)
	wrong := bytes.Repeat([]byte{1}, 32)
	changed := bytes.Clone(body)
	changed[10] ^= 1

	tests := []struct {
		name    string
		header  string
		body    []byte
		secrets [][]byte
		wantErr error
	}{
		{"a valid signature passes", payment.Sign(now, body, secret), body, [][]byte{secret}, nil},
		{"one changed byte of the body fails", payment.Sign(now, body, secret), changed, [][]byte{secret}, payment.ErrSignature},
		{"a missing header fails", "", body, [][]byte{secret}, payment.ErrSignature},
		{"the wrong secret fails", payment.Sign(now, body, wrong), body, [][]byte{secret}, payment.ErrSignature},
		{"two signatures during rotation, one valid, pass", payment.Sign(now, body, wrong, secret), body, [][]byte{secret}, nil},
		{"a signature with the previous secret passes while it is live", payment.Sign(now, body, oldSecret), body, [][]byte{secret, oldSecret}, nil},
		{"a header without v1 fails", "t=1800000000", body, [][]byte{secret}, payment.ErrSignature},
		{"a malformed signature fails", "t=1800000000,v1=zz", body, [][]byte{secret}, payment.ErrSignature},
		{"no live secret fails", payment.Sign(now, body, secret), body, nil, payment.ErrSignature},
		{"a signature over another timestamp fails", strings.Replace(payment.Sign(now, body, secret), "t=1800000000", "t=1800000001", 1), body, [][]byte{secret}, payment.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := payment.VerifySignature(tt.header, tt.body, tt.secrets, now)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestVerifySignature_W2_TimestampTolerance(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{}`)
	secret := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name     string
		signedAt time.Time
		ok       bool
	}{
		{"signed now", now, true},
		{"signed 299 s ago", now.Add(-299 * time.Second), true},
		{"signed 300 s ago", now.Add(-300 * time.Second), true},
		{"signed 301 s ago", now.Add(-301 * time.Second), false},
		{"signed an hour ago", now.Add(-time.Hour), false},
		{"signed 59 s in the future", now.Add(59 * time.Second), true},
		{"signed 61 s in the future", now.Add(61 * time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := payment.VerifySignature(payment.Sign(tt.signedAt, body, secret), body, [][]byte{secret}, now)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, payment.ErrTimestamp)
		})
	}
}
