package booking_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/services/booking"
)

func intp(i int) *int { return &i }

func TestValidatePassengers(t *testing.T) {
	dep := testdate.At(5, 9, 30)
	infantDOB := testdate.ISO(dep.AddDate(0, -11, 0)) // about 11 months old on the travel date
	expired := testdate.ISO(dep.AddDate(0, 0, -1))    // the day before departure
	domestic := []booking.Segment{{FlightID: "f1", DepartureTime: dep}}
	intl := []booking.Segment{{FlightID: "f1", DepartureTime: dep, International: true}}
	adult := booking.Passenger{Type: booking.Adult, GivenName: "Ada", FamilyName: "Lovelace", DateOfBirth: "1990-05-01", Gender: "F"}
	passport := &booking.Document{Type: "PASSPORT", Number: "X1234567", IssuingCountry: "GB", Nationality: "GB", ExpiryDate: testdate.YearsFrom(testdate.Today(), 5)}
	withDoc := func(p booking.Passenger, d *booking.Document) booking.Passenger { p.Document = d; return p }
	tests := []struct {
		name      string
		ps        []booking.Passenger
		segs      []booking.Segment
		wantField string // "" = valid
	}{
		{"an adult on a domestic flight is valid", []booking.Passenger{adult}, domestic, ""},
		{"an adult needs a passport abroad", []booking.Passenger{adult}, intl, "passengers[0].document"},
		{"an adult with a passport abroad is valid", []booking.Passenger{withDoc(adult, passport)}, intl, ""},
		{"an expired passport is refused", []booking.Passenger{withDoc(adult, &booking.Document{Type: "PASSPORT", Number: "X1234567", IssuingCountry: "GB", Nationality: "GB", ExpiryDate: expired})}, intl, "passengers[0].document.expiryDate"},
		{"a child typed as adult is refused", []booking.Passenger{adult, {Type: booking.Adult, GivenName: "Kid", FamilyName: "L", DateOfBirth: testdate.YearsFrom(dep, -6), Gender: "M"}}, domestic, "passengers[1].type"},
		{"a child aged 11 on the travel date is CHD", []booking.Passenger{adult, {Type: booking.Child, GivenName: "Kid", FamilyName: "L", DateOfBirth: testdate.ISO(dep.AddDate(-12, 0, 1)), Gender: "M"}}, domestic, ""},
		{"turning 12 on the travel date makes an adult", []booking.Passenger{adult, {Type: booking.Child, GivenName: "Kid", FamilyName: "L", DateOfBirth: testdate.YearsFrom(dep, -12), Gender: "M"}}, domestic, "passengers[1].type"},
		{"an infant linked to an adult is valid", []booking.Passenger{adult, {Type: booking.Infant, GivenName: "Baby", FamilyName: "L", DateOfBirth: infantDOB, Gender: "F", InfantOf: intp(0)}}, domestic, ""},
		{"an infant without an adult link is refused", []booking.Passenger{adult, {Type: booking.Infant, GivenName: "Baby", FamilyName: "L", DateOfBirth: infantDOB, Gender: "F"}}, domestic, "passengers[1].infantOf"},
		{"two infants on one lap are refused", []booking.Passenger{adult,
			{Type: booking.Infant, GivenName: "A", FamilyName: "L", DateOfBirth: infantDOB, Gender: "F", InfantOf: intp(0)},
			{Type: booking.Infant, GivenName: "B", FamilyName: "L", DateOfBirth: infantDOB, Gender: "F", InfantOf: intp(0)}}, domestic, "passengers[2].infantOf"},
		{"a booking without adults is refused", []booking.Passenger{{Type: booking.Child, GivenName: "Kid", FamilyName: "L", DateOfBirth: testdate.YearsFrom(dep, -8), Gender: "M"}}, domestic, "passengers"},
		{"a birth date after travel is refused", []booking.Passenger{adult, {Type: booking.Infant, GivenName: "B", FamilyName: "L", DateOfBirth: testdate.ISO(dep.AddDate(0, 0, 1)), Gender: "F", InfantOf: intp(0)}}, domestic, "passengers[1].dateOfBirth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := booking.ValidatePassengers(tt.ps, tt.segs)
			if tt.wantField == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, booking.ErrInvalidBooking)
			var ve *booking.ValidationError
			require.True(t, errors.As(err, &ve))
			var fields []string
			for _, f := range ve.Fields {
				fields = append(fields, f.Field)
			}
			require.Contains(t, fields, tt.wantField, "got fields %v, want %s among them", fields, tt.wantField)
		})
	}
}

func TestValidateContact(t *testing.T) {
	require.NoError(t, booking.ValidateContact(booking.Contact{Email: "ada@example.com", Phone: "+447700900123"}))
	for _, c := range []booking.Contact{
		{Email: "not-an-email", Phone: "+447700900123"},
		{Email: "ada@example.com", Phone: "07700900123"},
		{Email: "Ada <ada@example.com>", Phone: "+447700900123"},
	} {
		require.ErrorIs(t, booking.ValidateContact(c), booking.ErrInvalidBooking, "contact %+v", c)
	}
}

func TestPNR_UnambiguousAlphabet(t *testing.T) {
	for i := 0; i < 2000; i++ {
		p, err := booking.NewPNR()
		require.NoError(t, err)
		require.True(t, booking.ValidPNR(p), "got %q, want a valid pnr", p)
		require.False(t, strings.ContainsAny(p, "0O1I"), "got %q, want no look-alikes", p)
	}
	require.False(t, booking.ValidPNR("ABC0EF"))
}

func TestTicketNumber_13DigitsWithPrefix(t *testing.T) {
	n, err := booking.NewTicketNumber("999")
	require.NoError(t, err)
	require.True(t, booking.ValidTicketNumber(n, "999"), "got %q, want 13 digits starting 999", n)
	_, err = booking.NewTicketNumber("99")
	require.Error(t, err)
}

func TestCanTransition(t *testing.T) {
	require.True(t, booking.CanTransition(booking.StatusHeld, booking.StatusConfirmed))
	require.True(t, booking.CanTransition(booking.StatusNeedsAttention, booking.StatusFailed))
	require.False(t, booking.CanTransition(booking.StatusCancelled, booking.StatusConfirmed))
	require.False(t, booking.CanTransition(booking.StatusExpired, booking.StatusHeld))
}

// TestNewID_NoLongDigitRuns: ids travel inside idempotency keys that the
// payment service scans for card numbers; they must never look like one.
func TestNewID_NoLongDigitRuns(t *testing.T) {
	for i := 0; i < 5000; i++ {
		id, err := booking.NewID("bk")
		require.NoError(t, err)
		run := 0
		for _, c := range id {
			if c >= '0' && c <= '9' {
				run++
				require.Less(t, run, 13, "got %q, want no 13-digit run", id)
			} else {
				run = 0
			}
		}
	}
}
