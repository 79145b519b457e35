package booking

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// FieldError is one invalid field of a booking request.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every invalid field. It matches ErrInvalidBooking
// with errors.Is.
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + " " + f.Reason
	}
	return "booking: invalid: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalidBooking) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidBooking }

func (e *ValidationError) add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (e *ValidationError) errOrNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

var (
	e164     = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	country2 = regexp.MustCompile(`^[A-Z]{2}$`)
	docNum   = regexp.MustCompile(`^[A-Z0-9]{5,20}$`)
)

const dateLayout = "2006-01-02"

// ValidateContact checks the email address and the E.164 phone number.
func ValidateContact(c Contact) error {
	ve := &ValidationError{}
	validateContact(ve, c)
	return ve.errOrNil()
}

func validateContact(ve *ValidationError, c Contact) {
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || !strings.Contains(c.Email[strings.LastIndex(c.Email, "@")+1:], ".") {
		ve.add("contact.email", "must be a valid email address")
	}
	if !e164.MatchString(c.Phone) {
		ve.add("contact.phone", "must be an E.164 number like +447700900123")
	}
}

// ValidatePassengers checks passengers against the itinerary: the type must
// match the age on the travel date (the first departure, local date), each
// infant must be linked to a distinct adult, and international itineraries
// need passport fields valid on the travel date.
func ValidatePassengers(ps []Passenger, segments []Segment) error {
	ve := &ValidationError{}
	validatePassengers(ve, ps, segments)
	return ve.errOrNil()
}

func validatePassengers(ve *ValidationError, ps []Passenger, segments []Segment) {
	if len(ps) == 0 {
		ve.add("passengers", "must list at least one passenger")
		return
	}
	if len(ps) > 9 {
		ve.add("passengers", "must list at most 9 passengers")
	}
	var travel time.Time
	international := false
	if len(segments) > 0 {
		d := segments[0].DepartureTime
		travel = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		for _, s := range segments {
			international = international || s.International
		}
	}
	adults := 0
	for _, p := range ps {
		if p.Type == Adult {
			adults++
		}
	}
	if adults == 0 {
		ve.add("passengers", "must include at least one adult")
	}
	lapTaken := map[int]bool{}
	for i, p := range ps {
		f := func(name string) string { return fmt.Sprintf("passengers[%d].%s", i, name) }
		if strings.TrimSpace(p.GivenName) == "" || len(p.GivenName) > 60 {
			ve.add(f("givenName"), "is required (at most 60 characters)")
		}
		if strings.TrimSpace(p.FamilyName) == "" || len(p.FamilyName) > 60 {
			ve.add(f("familyName"), "is required (at most 60 characters)")
		}
		switch p.Gender {
		case "M", "F", "X":
		default:
			ve.add(f("gender"), "must be M, F or X")
		}
		switch p.Type {
		case Adult, Child, Infant:
		default:
			ve.add(f("type"), "must be ADT, CHD or INF")
		}
		dob, err := time.Parse(dateLayout, p.DateOfBirth)
		if err != nil {
			ve.add(f("dateOfBirth"), "must be a date YYYY-MM-DD")
		} else if !travel.IsZero() {
			if dob.After(travel) {
				ve.add(f("dateOfBirth"), "is after the travel date")
			} else if want := typeForAge(ageOn(dob, travel)); want != p.Type {
				ve.add(f("type"), "must be %s for a passenger aged %d on the travel date", want, ageOn(dob, travel))
			}
		}
		if p.Type == Infant {
			switch {
			case p.InfantOf == nil:
				ve.add(f("infantOf"), "must name the adult the infant travels with")
			case *p.InfantOf < 0 || *p.InfantOf >= len(ps) || ps[*p.InfantOf].Type != Adult:
				ve.add(f("infantOf"), "must be the index of an adult passenger")
			case lapTaken[*p.InfantOf]:
				ve.add(f("infantOf"), "names an adult who already carries an infant")
			default:
				lapTaken[*p.InfantOf] = true
			}
		} else if p.InfantOf != nil {
			ve.add(f("infantOf"), "is only for infants")
		}
		if international {
			validateDocument(ve, f, p.Document, travel)
		}
	}
}

func validateDocument(ve *ValidationError, f func(string) string, d *Document, travel time.Time) {
	if d == nil {
		ve.add(f("document"), "is required on international itineraries")
		return
	}
	if d.Type != "PASSPORT" {
		ve.add(f("document.type"), "must be PASSPORT")
	}
	if !docNum.MatchString(d.Number) {
		ve.add(f("document.number"), "must be 5 to 20 letters or digits")
	}
	if !country2.MatchString(d.IssuingCountry) {
		ve.add(f("document.issuingCountry"), "must be an ISO 3166-1 alpha-2 code")
	}
	if !country2.MatchString(d.Nationality) {
		ve.add(f("document.nationality"), "must be an ISO 3166-1 alpha-2 code")
	}
	exp, err := time.Parse(dateLayout, d.ExpiryDate)
	if err != nil {
		ve.add(f("document.expiryDate"), "must be a date YYYY-MM-DD")
	} else if !travel.IsZero() && !exp.After(travel) {
		ve.add(f("document.expiryDate"), "must be after the travel date")
	}
}

// ageOn is the age in whole years on day.
func ageOn(dob, day time.Time) int {
	age := day.Year() - dob.Year()
	if day.Month() < dob.Month() || (day.Month() == dob.Month() && day.Day() < dob.Day()) {
		age--
	}
	return age
}

// typeForAge applies the IATA age bands.
func typeForAge(age int) PassengerType {
	switch {
	case age < 2:
		return Infant
	case age < 12:
		return Child
	}
	return Adult
}
