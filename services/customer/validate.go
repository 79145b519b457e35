package customer

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SeatPreferences are the seat preferences a customer may state.
func SeatPreferences() []string { return []string{"window", "aisle", "middle"} }

// MealPreferences are the IATA special meal codes a customer may state.
func MealPreferences() []string {
	return []string{"AVML", "BBML", "BLML", "CHML", "DBML", "FPML", "GFML", "HNML", "KSML", "LCML", "LFML", "LSML", "MOML", "NLML", "SFML", "VGML", "VJML", "VLML", "VOML"}
}

// Languages are the languages every template is written in.
func Languages() []string { return []string{"en", "de"} }

// Passenger data values.
func travellerTypes() []string { return []string{"ADT", "CHD", "INF"} }
func titles() []string         { return []string{"MR", "MRS", "MS", "MISS", "MSTR", "DR"} }
func genders() []string        { return []string{"M", "F", "X"} }
func documentTypes() []string  { return []string{"PASSPORT", "ID"} }

// MaxTravellers bounds the saved travellers of a profile.
const MaxTravellers = 10

var (
	e164      = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	isoAlpha2 = regexp.MustCompile(`^[A-Z]{2}$`)
	docNumber = regexp.MustCompile(`^[A-Z0-9]{5,20}$`)
)

// ValidPhone reports whether s is an E.164 phone number.
func ValidPhone(s string) bool { return e164.MatchString(s) }

// ValidEmail reports whether s is a bare email address.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

// Validate checks an edited profile; now bounds dates of birth. It returns a
// *ValidationError listing every bad field, or nil.
func (e Editable) Validate(now time.Time) error {
	v := &ValidationError{}
	checkName(v, "givenName", e.GivenName, false)
	checkName(v, "familyName", e.FamilyName, false)
	if e.Phone != "" && !ValidPhone(e.Phone) {
		v.add("phone", "must be an E.164 phone number such as +4915112345678")
	}
	p := e.Preferences
	if p.Seat != "" && !slices.Contains(SeatPreferences(), p.Seat) {
		v.add("preferences.seat", "must be one of "+strings.Join(SeatPreferences(), ", "))
	}
	if p.Meal != "" && !slices.Contains(MealPreferences(), p.Meal) {
		v.add("preferences.meal", "must be an IATA special meal code: "+strings.Join(MealPreferences(), ", "))
	}
	if !slices.Contains(Languages(), p.Language) {
		v.add("preferences.language", "must be one of "+strings.Join(Languages(), ", "))
	}
	for i, c := range p.Channels {
		if !c.Valid() {
			v.add(fmt.Sprintf("preferences.channels[%d]", i), "must be one of email, sms, push")
		} else if slices.Index(p.Channels, c) != i {
			v.add(fmt.Sprintf("preferences.channels[%d]", i), "is listed twice")
		}
	}
	for i, o := range p.OptOuts {
		if o != OptOutMarketing && !Channel(o).Valid() {
			v.add(fmt.Sprintf("preferences.optOuts[%d]", i), "must be one of marketing, email, sms, push")
		} else if slices.Index(p.OptOuts, o) != i {
			v.add(fmt.Sprintf("preferences.optOuts[%d]", i), "is listed twice")
		}
	}
	if len(e.Travellers) > MaxTravellers {
		v.add("travellers", fmt.Sprintf("must have at most %d entries", MaxTravellers))
	}
	ids := map[string]bool{}
	for i, t := range e.Travellers {
		f := fmt.Sprintf("travellers[%d].", i)
		if t.ID != "" {
			if ids[t.ID] {
				v.add(f+"id", "is not unique")
			}
			ids[t.ID] = true
		}
		if !slices.Contains(travellerTypes(), t.Type) {
			v.add(f+"type", "must be one of "+strings.Join(travellerTypes(), ", "))
		}
		if t.Title != "" && !slices.Contains(titles(), t.Title) {
			v.add(f+"title", "must be one of "+strings.Join(titles(), ", "))
		}
		checkName(v, f+"givenName", t.GivenName, true)
		checkName(v, f+"familyName", t.FamilyName, true)
		if dob, ok := checkDate(v, f+"dateOfBirth", t.DateOfBirth, true); ok && dob.After(now) {
			v.add(f+"dateOfBirth", "must not be in the future")
		}
		if t.Gender != "" && !slices.Contains(genders(), t.Gender) {
			v.add(f+"gender", "must be one of "+strings.Join(genders(), ", "))
		}
		if d := t.Document; d != nil {
			if !slices.Contains(documentTypes(), d.Type) {
				v.add(f+"document.type", "must be one of "+strings.Join(documentTypes(), ", "))
			}
			if !docNumber.MatchString(d.Number) {
				v.add(f+"document.number", "must be 5 to 20 upper-case letters and digits")
			}
			if !isoAlpha2.MatchString(d.IssuingCountry) {
				v.add(f+"document.issuingCountry", "must be an ISO 3166-1 alpha-2 code")
			}
			if d.Nationality != "" && !isoAlpha2.MatchString(d.Nationality) {
				v.add(f+"document.nationality", "must be an ISO 3166-1 alpha-2 code")
			}
			checkDate(v, f+"document.expiryDate", d.ExpiryDate, true)
		}
	}
	return v.orNil()
}

// checkName accepts letters (any script), marks, spaces, hyphens,
// apostrophes and periods, 1 to 60 characters, starting with a letter.
func checkName(v *ValidationError, field, s string, required bool) {
	if s == "" {
		if required {
			v.add(field, "is required")
		}
		return
	}
	if utf8.RuneCountInString(s) > 60 {
		v.add(field, "must be at most 60 characters")
		return
	}
	if strings.TrimSpace(s) != s {
		v.add(field, "must not start or end with spaces")
		return
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
		case i > 0 && (unicode.Is(unicode.M, r) || r == ' ' || r == '-' || r == '\'' || r == '.' || r == '’'):
		default:
			v.add(field, "must contain only letters, spaces, hyphens, apostrophes and periods")
			return
		}
	}
}

func checkDate(v *ValidationError, field, s string, required bool) (time.Time, bool) {
	if s == "" {
		if required {
			v.add(field, "is required")
		}
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.add(field, "must be a date YYYY-MM-DD")
		return time.Time{}, false
	}
	return d, true
}
