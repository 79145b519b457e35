package bookinggorm

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/skyfly/skyfly/services/booking"
)

var _ booking.PrivacyStore = (*Store)(nil)

// ErasePersonalData implements booking.PrivacyStore.
func (s *Store) ErasePersonalData(ctx context.Context, customerID string) (int, error) {
	var n int
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		n = 0
		var ids []string
		if err := tx.Model(&bookingRow{}).Where("customer_id = ?", customerID).Order("id").Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		res := tx.Model(&passengerRow{}).Where("booking_id IN ? AND NOT (given_name = ? AND family_name = ?)", ids, booking.ErasedName, booking.ErasedName).
			Updates(map[string]any{"title": "", "given_name": booking.ErasedName, "family_name": booking.ErasedName,
				"date_of_birth": "", "gender": "", "document_json": nil})
		if res.Error != nil {
			return res.Error
		}
		contact := tx.Model(&bookingRow{}).Where("id IN ? AND (contact_email <> '' OR contact_phone <> '')", ids).
			Updates(map[string]any{"contact_email": "", "contact_phone": ""})
		if contact.Error != nil {
			return contact.Error
		}
		if res.RowsAffected > 0 || contact.RowsAffected > 0 {
			n = len(ids)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("erase personal data of %s: %w", customerID, err)
	}
	return n, nil
}
