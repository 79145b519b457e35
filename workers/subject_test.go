package workers_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/skyfly/skyfly/activities/authact"
	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/temporal/codec"
	"github.com/skyfly/skyfly/workflows/bookingsaga"
	"github.com/skyfly/skyfly/workflows/cancelsaga"
	"github.com/skyfly/skyfly/workflows/changesaga"
)

// TestPayloadTypes_G2_PersonalDataIsEncryptedUnderTheCustomersKey: every
// workflow and activity payload that carries a customer's passengers,
// email or phone is encrypted under that customer's data key, so erasure's
// ShredCustomerKey makes it unreadable; payloads without personal data keep
// the shared key.
func TestPayloadTypes_G2_PersonalDataIsEncryptedUnderTheCustomersKey(t *testing.T) {
	keys, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), time.Now)
	require.NoError(t, err)
	c, err := codec.New(keys)
	require.NoError(t, err)
	dc := c.DataConverter()
	contact := booking.Contact{Email: "ada@example.com", Phone: "+447700900123"}
	const cus = "cus-7"

	tests := []struct {
		name  string
		value any
		want  string
	}{
		{"the cancel saga's input (contact)", cancelsaga.Input{CustomerID: cus, Contact: contact}, "subject-cus-7/v1"},
		{"the change saga's input (contact)", changesaga.Input{CustomerID: cus, Contact: contact}, "subject-cus-7/v1"},
		{"the booking record's input (passengers, contact)", bookingact.CreateBookingInput{CustomerID: cus, Contact: contact}, "subject-cus-7/v1"},
		{"the booking snapshot a change loads (contact)", bookingact.BookingSnapshot{CustomerID: cus, Contact: contact}, "subject-cus-7/v1"},
		{"a notification (email, phone)", customeract.SendBookingNotificationInput{CustomerID: cus, Email: contact.Email}, "subject-cus-7/v1"},
		{"the booking saga's state (no personal data) keeps the shared key", bookingsaga.State{CustomerID: cus}, "temporal-codec/v1"},
		{"the shred activity's own input keeps the shared key", authact.ShredCustomerKeyInput{CustomerID: cus}, "temporal-codec/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := dc.ToPayload(tt.value)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(p.Metadata[codec.MetadataKeyID]))
		})
	}

	t.Run("the reserve update's passengers and contact, named by the client call's context", func(t *testing.T) {
		withCus := dc.(converter.ContextAware).WithContext(codec.WithSubject(context.Background(), cus))
		p, err := withCus.ToPayload(bookingsaga.ReserveRequest{Contact: contact})
		require.NoError(t, err)
		require.Equal(t, "subject-cus-7/v1", string(p.Metadata[codec.MetadataKeyID]))
	})
}
