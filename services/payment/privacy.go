package payment

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LegalBasisRetention is recorded with the erasure of a payment's card
// data: the intent itself (amounts, dates, status, the provider's
// reference and pseudonymous ids) is an accounting record kept by law.
const LegalBasisRetention = "accounting records kept by law (GDPR Art. 17(3)(b), Art. 6(1)(c)); card token and last digits removed"

// ExportedPayment is one payment in a data export (G1): what SkyFly keeps
// of a card is the provider's token, brand and last four digits.
type ExportedPayment struct {
	ID        string    `json:"paymentId"`
	BookingID string    `json:"bookingId"`
	Status    Status    `json:"status"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	Captured  int64     `json:"captured"`
	Refunded  int64     `json:"refunded"`
	Token     string    `json:"cardToken,omitempty"`
	Brand     string    `json:"cardBrand,omitempty"`
	Last4     string    `json:"cardLast4,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ExportPayments returns the customer's intents among ids (the booking
// domain names them); an id of another customer's payment is left out.
func (s *Service) ExportPayments(ctx context.Context, customerID string, ids []string) ([]ExportedPayment, error) {
	out := []ExportedPayment{}
	for _, id := range ids {
		in, err := s.store.GetIntent(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("export payments of %s: %w", customerID, err)
		}
		if in.CustomerID != customerID {
			continue
		}
		out = append(out, ExportedPayment{ID: in.ID, BookingID: in.BookingID, Status: in.Status, Amount: in.Amount.Amount,
			Currency: in.Amount.Currency, Captured: in.Captured, Refunded: in.Refunded, Token: in.Token, Brand: in.Brand,
			Last4: in.Last4, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt})
	}
	return out, nil
}

// ErasePersonalData removes the card token and last digits of the
// customer's intents among ids, recording each in the audit chain with the
// legal basis of what is kept. It returns how many changed; a second call
// changes none.
func (s *Service) ErasePersonalData(ctx context.Context, customerID string, ids []string) (int, error) {
	n := 0
	for _, id := range ids {
		changed := false
		_, err := s.mutate(ctx, id, "", "", "erasure", "payment.erase_personal_data", LegalBasisRetention, func(in *Intent) error {
			if in.CustomerID != customerID || (in.Token == "" && in.Last4 == "") {
				return nil
			}
			in.Token, in.Last4, changed = "", "", true
			return nil
		})
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("erase payments of %s: %w", customerID, err)
		}
		if changed {
			n++
		}
	}
	return n, nil
}
