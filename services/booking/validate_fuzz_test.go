package booking_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/services/booking"
)

// FuzzValidatePassengers: any passenger list a client can send is valid
// or answered with field errors naming what is wrong, never a panic, and
// the same list always gets the same answer.
func FuzzValidatePassengers(f *testing.F) {
	dep := testdate.At(30, 9, 0)
	segs := []booking.Segment{{FlightID: "SF1", Origin: "JFK", Destination: "LHR", DepartureTime: dep, ArrivalTime: dep.Add(7 * time.Hour)}}
	f.Add([]byte(`[{"type":"ADT","title":"MS","givenName":"Ada","familyName":"Lovelace","dateOfBirth":"1990-12-10","gender":"F",
		"document":{"type":"PASSPORT","number":"P9988776","issuingCountry":"GB","nationality":"GB","expiryDate":"` + testdate.YearsFrom(testdate.Today(), 5) + `"}}]`))
	f.Add(fmt.Appendf(nil, `[{"type":"INF","dateOfBirth":"%d-02-30"}]`, testdate.Today().Year())) // February 30 never exists
	f.Add([]byte(`[{"type":"CHD","givenName":"` + "\u0000\u202e" + `","dateOfBirth":"9999-99-99"}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ps []booking.Passenger
		if json.Unmarshal(data, &ps) != nil {
			return
		}
		err := booking.ValidatePassengers(ps, segs)
		if err != nil {
			var ve *booking.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("an invalid list without field errors: %v", err)
			}
			for _, fe := range ve.Fields {
				if fe.Field == "" || fe.Reason == "" {
					t.Fatalf("a field error without field or reason: %+v", fe)
				}
			}
		}
		again := booking.ValidatePassengers(ps, segs)
		if (err == nil) != (again == nil) {
			t.Fatalf("not deterministic")
		}
	})
}
