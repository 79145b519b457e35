// Package money is the one representation of an amount SkyFly passes between
// domains: integer minor units and an ISO 4217 currency code.
package money

import (
	"errors"
	"fmt"
)

// Money is an amount in minor units (cents) of a currency.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// New returns amount minor units of currency.
func New(amount int64, currency string) Money { return Money{Amount: amount, Currency: currency} }

// ErrCurrencyMismatch is returned when adding or comparing different currencies.
var ErrCurrencyMismatch = errors.New("money: currency mismatch")

// Add returns m+o.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s + %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

// Sub returns m-o.
func (m Money) Sub(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s - %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	return Money{Amount: m.Amount - o.Amount, Currency: m.Currency}, nil
}

// IsZero reports a zero amount.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Valid reports a non-negative amount with a three-letter currency.
func (m Money) Valid() bool {
	if m.Amount < 0 || len(m.Currency) != 3 {
		return false
	}
	for _, c := range m.Currency {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// String formats as "459.90 EUR" (two minor digits).
func (m Money) String() string {
	sign := ""
	a := m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, m.Currency)
}
