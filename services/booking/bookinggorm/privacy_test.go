package bookinggorm_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
)

// TestStore_G2_ErasePseudonymizesOnlyThatCustomer: passengers' names,
// documents and the contact go; ids, PNR, segments, tickets and amounts
// stay; another customer's booking is untouched; a second call is a no-op.
func TestStore_G2_ErasePseudonymizesOnlyThatCustomer(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres") {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t, dsn(t))
			now := testdate.At(0, 1, 0)
			mine, other := sampleBooking("bk_mine", now), sampleBooking("bk_other", now)
			mine.CustomerID, other.CustomerID = "cust_erased", "cust_kept"
			mine.PNR, other.PNR = "ERA234", "KEP234"
			mine.Tickets = []booking.Ticket{{Number: "9991234567801", PassengerID: mine.Passengers[0].ID, Status: booking.TicketIssued, IssuedAt: now}}
			require.NoError(t, s.Create(ctx, mine))
			require.NoError(t, s.Create(ctx, other))
			before, err := s.Get(ctx, "bk_mine")
			require.NoError(t, err)
			require.NotNil(t, before.Passengers[0].Document, "the sample carries a document")

			n, err := s.ErasePersonalData(ctx, "cust_erased")
			require.NoError(t, err)
			require.Equal(t, 1, n)

			got, err := s.Get(ctx, "bk_mine")
			require.NoError(t, err)
			for _, p := range got.Passengers {
				require.Equal(t, booking.ErasedName, p.GivenName)
				require.Equal(t, booking.ErasedName, p.FamilyName)
				require.Empty(t, p.DateOfBirth)
				require.Empty(t, p.Gender)
				require.Nil(t, p.Document)
			}
			require.Equal(t, booking.Contact{}, got.Contact)
			require.Equal(t, before.PNR, got.PNR, "the record kept by law stays")
			require.Equal(t, before.Total, got.Total)
			require.Equal(t, before.Segments, got.Segments)
			require.Len(t, got.Tickets, 1)
			byName, err := s.List(ctx, booking.ListFilter{FamilyName: mine.Passengers[0].FamilyName})
			require.NoError(t, err)
			for _, b := range byName.Bookings {
				require.NotEqual(t, "bk_mine", b.ID, "the erased name no longer finds the booking")
			}

			kept, err := s.Get(ctx, "bk_other")
			require.NoError(t, err)
			require.Equal(t, other.Passengers, kept.Passengers, "another customer's booking is untouched")
			require.Equal(t, other.Contact, kept.Contact)

			n, err = s.ErasePersonalData(ctx, "cust_erased")
			require.NoError(t, err)
			require.Zero(t, n, "a second erasure changes nothing")
		})
	}
}
