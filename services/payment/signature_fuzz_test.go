package payment_test

import (
	"errors"
	"testing"
	"time"

	"github.com/skyfly/skyfly/services/payment"
)

// FuzzVerifySignature (W1, W2): any header and body are answered with nil
// or a typed error, never a panic; a signature the provider made verifies,
// and the same header over any other body does not.
func FuzzVerifySignature(f *testing.F) {
	secret := []byte("whsec_fuzz")
	now := time.Now()
	f.Add(payment.Sign(now, []byte(`{"id":"evt_1"}`), secret), []byte(`{"id":"evt_1"}`))
	f.Add("t=1,v1=00", []byte("x"))
	f.Add("", []byte{})
	f.Add("t=,v1=,v1=zz,,=", []byte("{}"))
	f.Add("t=99999999999999999999999,v1=ab", []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := payment.VerifySignature(header, body, [][]byte{secret}, now)
		if err != nil && !errors.Is(err, payment.ErrSignature) && !errors.Is(err, payment.ErrTimestamp) {
			t.Fatalf("untyped error %v", err)
		}
		signed := payment.Sign(now, body, secret)
		if err := payment.VerifySignature(signed, body, [][]byte{secret}, now); err != nil {
			t.Fatalf("a genuine signature was refused: %v", err)
		}
		other := append([]byte{'x'}, body...)
		if err := payment.VerifySignature(signed, other, [][]byte{secret}, now); err == nil {
			t.Fatalf("a signature verified another body")
		}
	})
}
