package customer_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/services/customer"
)

func TestEditable_Validate(t *testing.T) {
	now := testdate.Today()
	valid := func() customer.Editable {
		return customer.Editable{
			GivenName: "José-María", FamilyName: "O'Neill", Phone: "+14155550123",
			Preferences: customer.Preferences{Seat: "window", Meal: "VGML", Language: "de", Channels: []customer.Channel{"email", "sms"}, OptOuts: []string{"marketing", "push"}},
			Travellers: []customer.Traveller{{Type: "ADT", Title: "MS", GivenName: "Zoë", FamilyName: "Ĳsselmeer", DateOfBirth: "1990-05-17", Gender: "F",
				Document: &customer.TravelDocument{Type: "PASSPORT", Number: "C01X00T47", IssuingCountry: "DE", ExpiryDate: testdate.YearsFrom(now, 5)}}},
		}
	}
	tests := []struct {
		name   string
		edit   func(*customer.Editable)
		fields []string
	}{
		{"a complete profile is valid", func(*customer.Editable) {}, nil},
		{"empty names are allowed on the profile", func(e *customer.Editable) { e.GivenName, e.FamilyName = "", "" }, nil},
		{"a name with digits is refused", func(e *customer.Editable) { e.GivenName = "R2D2" }, []string{"givenName"}},
		{"a name with markup is refused", func(e *customer.Editable) { e.FamilyName = "<script>" }, []string{"familyName"}},
		{"a name longer than 60 characters is refused", func(e *customer.Editable) { e.GivenName = strings.Repeat("a", 61) }, []string{"givenName"}},
		{"a phone without + is refused", func(e *customer.Editable) { e.Phone = "015112345678" }, []string{"phone"}},
		{"a phone with spaces is refused", func(e *customer.Editable) { e.Phone = "+49 151 12345678" }, []string{"phone"}},
		{"an unknown seat is refused", func(e *customer.Editable) { e.Preferences.Seat = "cockpit" }, []string{"preferences.seat"}},
		{"an unknown meal code is refused", func(e *customer.Editable) { e.Preferences.Meal = "PIZZA" }, []string{"preferences.meal"}},
		{"an unsupported language is refused", func(e *customer.Editable) { e.Preferences.Language = "fr" }, []string{"preferences.language"}},
		{"an unknown channel is refused", func(e *customer.Editable) { e.Preferences.Channels = []customer.Channel{"fax"} }, []string{"preferences.channels[0]"}},
		{"a channel twice is refused", func(e *customer.Editable) { e.Preferences.Channels = []customer.Channel{"sms", "sms"} }, []string{"preferences.channels[1]"}},
		{"an unknown opt-out is refused", func(e *customer.Editable) { e.Preferences.OptOuts = []string{"everything"} }, []string{"preferences.optOuts[0]"}},
		{"a traveller needs names, a type and a birth date", func(e *customer.Editable) { e.Travellers = []customer.Traveller{{}} },
			[]string{"travellers[0].type", "travellers[0].givenName", "travellers[0].familyName", "travellers[0].dateOfBirth"}},
		{"a traveller born tomorrow is refused", func(e *customer.Editable) { e.Travellers[0].DateOfBirth = testdate.ISO(testdate.Day(1)) }, []string{"travellers[0].dateOfBirth"}},
		{"a bad document is refused", func(e *customer.Editable) {
			e.Travellers[0].Document = &customer.TravelDocument{Type: "VISA", Number: "x", IssuingCountry: "Germany", ExpiryDate: "soon"}
		}, []string{"travellers[0].document.type", "travellers[0].document.number", "travellers[0].document.issuingCountry", "travellers[0].document.expiryDate"}},
		{"more than 10 travellers are refused", func(e *customer.Editable) {
			for range 10 {
				e.Travellers = append(e.Travellers, customer.Traveller{Type: "ADT", GivenName: "A", FamilyName: "B", DateOfBirth: "1980-01-01"})
			}
		}, []string{"travellers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid()
			tt.edit(&e)
			err := e.Validate(now)
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			var ve *customer.ValidationError
			require.ErrorAs(t, err, &ve)
			require.ErrorIs(t, err, customer.ErrInvalid)
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
			}
			require.Equal(t, tt.fields, got, "got invalid fields, want")
		})
	}
}
