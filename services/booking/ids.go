package booking

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"math/big"
)

// PNRAlphabet is the record-locator alphabet: letters and digits without the
// look-alikes 0/O and 1/I.
const PNRAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// PNRLength is the length of a record locator.
const PNRLength = 6

// NewPNR draws a random record locator. Uniqueness is the store's unique
// index; Service.Create retries on ErrDuplicatePNR.
func NewPNR() (string, error) {
	b := make([]byte, PNRLength)
	max := big.NewInt(int64(len(PNRAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("new pnr: %w", err)
		}
		b[i] = PNRAlphabet[n.Int64()]
	}
	return string(b), nil
}

// ValidPNR reports whether s is a well-formed record locator.
func ValidPNR(s string) bool {
	if len(s) != PNRLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		ok := false
		for j := 0; j < len(PNRAlphabet); j++ {
			if s[i] == PNRAlphabet[j] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// NewTicketNumber draws a 13-digit e-ticket number: the 3-digit airline
// prefix and a 10-digit serial.
func NewTicketNumber(prefix string) (string, error) {
	if len(prefix) != 3 {
		return "", fmt.Errorf("new ticket number: prefix %q: want 3 digits", prefix)
	}
	for _, c := range prefix {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("new ticket number: prefix %q: want 3 digits", prefix)
		}
	}
	n, err := rand.Int(rand.Reader, big.NewInt(10_000_000_000))
	if err != nil {
		return "", fmt.Errorf("new ticket number: %w", err)
	}
	return fmt.Sprintf("%s%010d", prefix, n.Int64()), nil
}

// ValidTicketNumber reports whether s is 13 digits starting with prefix.
func ValidTicketNumber(s, prefix string) bool {
	if len(s) != 13 || s[:3] != prefix {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// idEncoding spells identifiers in lower-case base32: letters and the
// digits 2–7 only, so an id never contains a long run of digits that a
// card-number detector (Luhn check on 13–19 digits) could mistake for a
// PAN when the id travels inside idempotency keys.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random 128-bit identifier with a type prefix (e.g.
// "bk_…", "cq_…").
func NewID(prefix string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return IDFromBytes(prefix, b), nil
}

// IDFromBytes spells an identifier from bytes (e.g. a hash, for ids
// derived from a business key).
func IDFromBytes(prefix string, b []byte) string {
	return prefix + "_" + idEncoding.EncodeToString(b)
}
