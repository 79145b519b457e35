package payment

import "fmt"

// LooksLikePAN reports whether s contains a card number: a run of 13 to 19
// digits, optionally grouped by single spaces or dashes, that passes the Luhn
// check (ACCEPTANCE C1).
func LooksLikePAN(s string) bool {
	digits := make([]byte, 0, 19)
	flush := func() bool {
		ok := len(digits) >= 13 && len(digits) <= 19 && luhn(digits)
		digits = digits[:0]
		return ok
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case (c == ' ' || c == '-') && len(digits) > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			// a group separator inside a number
		default:
			if flush() {
				return true
			}
		}
	}
	return flush()
}

func luhn(digits []byte) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// RejectCardData returns an error wrapping ErrCardData naming the first field
// whose value looks like a card number. fields alternates name, value.
func RejectCardData(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if LooksLikePAN(fields[i+1]) {
			return fmt.Errorf("%w (field %s)", ErrCardData, fields[i])
		}
	}
	return nil
}
