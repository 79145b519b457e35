package flight

import (
	"fmt"
	"math"
	"strings"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Currency is the currency SkyFly sells in.
const Currency = "EUR"

// Fare families.
const (
	FamilyLight    = "LIGHT"
	FamilyStandard = "STANDARD"
	FamilyFlex     = "FLEX"
)

// BookingClass is a reservation booking designator (RBD) of a cabin: a fare
// bucket that closes once the cabin has sold CloseAt of its seats.
type BookingClass struct {
	Code       string
	Cabin      Cabin
	Family     string
	CloseAt    float64 // fraction of the cabin's capacity sold at which the bucket closes
	Multiplier float64 // of the cabin's base fare
}

// MaxSold is the number of sold seats up to which the class sells.
func (b BookingClass) MaxSold(capacity int) int {
	if b.CloseAt >= 1 {
		return capacity
	}
	return int(math.Floor(float64(capacity) * b.CloseAt))
}

// SeatsLeft is how many seats the class can still sell given the cabin counter.
func (b BookingClass) SeatsLeft(c CabinAvailability) int {
	return max(0, min(c.Available, b.MaxSold(c.Capacity)-c.Sold()))
}

// BookingClasses returns the buckets of a cabin, cheapest first (a fresh
// slice each call; nil for an unknown cabin).
func BookingClasses(c Cabin) []BookingClass {
	switch c {
	case CabinEconomy:
		return []BookingClass{
			{"O", CabinEconomy, FamilyLight, 0.30, 0.55},
			{"Q", CabinEconomy, FamilyLight, 0.50, 0.70},
			{"K", CabinEconomy, FamilyStandard, 0.70, 0.90},
			{"M", CabinEconomy, FamilyStandard, 0.85, 1.15},
			{"B", CabinEconomy, FamilyFlex, 0.95, 1.50},
			{"Y", CabinEconomy, FamilyFlex, 1, 1.90},
		}
	case CabinPremium:
		return []BookingClass{
			{"N", CabinPremium, FamilyStandard, 0.60, 1.00},
			{"E", CabinPremium, FamilyStandard, 0.85, 1.20},
			{"W", CabinPremium, FamilyFlex, 1, 1.55},
		}
	case CabinBusiness:
		return []BookingClass{
			{"I", CabinBusiness, FamilyStandard, 0.50, 1.00},
			{"D", CabinBusiness, FamilyStandard, 0.80, 1.25},
			{"J", CabinBusiness, FamilyFlex, 1, 1.60},
		}
	case CabinFirst:
		return []BookingClass{
			{"A", CabinFirst, FamilyStandard, 0.60, 1.00},
			{"F", CabinFirst, FamilyFlex, 1, 1.40},
		}
	}
	return nil
}

// LookupClass returns the booking class of cabin c with code rbd.
func LookupClass(c Cabin, rbd string) (BookingClass, bool) {
	for _, b := range BookingClasses(c) {
		if b.Code == rbd {
			return b, true
		}
	}
	return BookingClass{}, false
}

// FareID names a fare option: cabin and booking class, e.g. "Y-M".
func FareID(c Cabin, rbd string) string { return string(c) + "-" + rbd }

// ParseFareID splits a fare id into its cabin and booking class.
func ParseFareID(id string) (BookingClass, error) {
	cabin, rbd, ok := strings.Cut(id, "-")
	if !ok || !Cabin(cabin).Valid() {
		return BookingClass{}, invalid("fareId", "is not a fare id of a search result")
	}
	b, ok := LookupClass(Cabin(cabin), rbd)
	if !ok {
		return BookingClass{}, invalid("fareId", "names an unknown booking class")
	}
	return b, nil
}

// FamilyConditions returns the conditions of a fare family in a cabin.
// Premium cabins include more bags.
func FamilyConditions(family string, c Cabin) Conditions {
	eur := func(units int64) money.Money { return money.New(units*100, Currency) }
	bagsExtra := 0
	if c == CabinBusiness || c == CabinFirst {
		bagsExtra = 1
	}
	switch family {
	case FamilyLight:
		return Conditions{Refundable: false, Changeable: false, ChangePenalty: eur(0), RefundPenalty: eur(0), CheckedBags: 0}
	case FamilyStandard:
		return Conditions{Refundable: true, Changeable: true, ChangePenalty: eur(75), RefundPenalty: eur(150), CheckedBags: 1 + bagsExtra}
	default:
		return Conditions{Refundable: true, Changeable: true, ChangePenalty: eur(0), RefundPenalty: eur(0), CheckedBags: 2 + bagsExtra}
	}
}

// cabinFactor scales the economy base fare per cabin.
func cabinFactor(c Cabin) float64 {
	switch c {
	case CabinPremium:
		return 1.7
	case CabinBusiness:
		return 4.0
	case CabinFirst:
		return 6.5
	}
	return 1
}

// baseFare is the one-way adult fare of a cabin's reference bucket for a
// distance, in euro cents, rounded to whole euros.
func baseFare(km int, c Cabin) int64 {
	eur := (45 + 0.085*float64(km)) * cabinFactor(c)
	return int64(math.Round(eur)) * 100
}

// airportTax is a departure charge of a country, per departing passenger.
type airportTax struct {
	code, description string
	short, long       int64 // euro cents, short-haul (< 3000 km) and long-haul
	infants           bool  // charged for infants too
}

// departureTaxes are the government and airport charges collected on
// departure from a country; countries not listed pay the generic charge.
func departureTaxes(country string) []airportTax {
	switch country {
	case "GB":
		return []airportTax{{"GB", "UK Air Passenger Duty", 1500, 9400, false}, {"UB", "UK Passenger Service Charge", 2950, 2950, true}}
	case "US":
		return []airportTax{{"US", "US Transportation Tax", 2250, 2250, false}, {"XF", "US Passenger Facility Charge", 450, 450, false}, {"AY", "US September 11th Security Fee", 560, 560, false}}
	case "DE":
		return []airportTax{{"DE", "German Air Passenger Tax", 1553, 7083, false}, {"RA", "German Airport Security Charge", 1000, 1000, true}}
	case "FR":
		return []airportTax{{"FR", "French Civil Aviation Tax", 460, 800, false}, {"QX", "French Airport Tax", 1290, 1290, true}}
	case "AE":
		return []airportTax{{"AE", "UAE Passenger Service Charge", 1950, 1950, false}, {"F6", "UAE Passenger Facility Charge", 1250, 1250, false}}
	case "SG":
		return []airportTax{{"SG", "Singapore Airport Development Levy", 1350, 1350, false}, {"OP", "Singapore Passenger Service Charge", 2200, 2200, true}}
	case "JP":
		return []airportTax{{"SW", "Japan Passenger Service Facility Charge", 1700, 1700, false}, {"OI", "Japan International Tourist Tax", 650, 650, false}}
	case "AU":
		return []airportTax{{"AU", "Australian Passenger Movement Charge", 4200, 4200, false}, {"WY", "Australian Passenger Services Charge", 2100, 2100, true}}
	}
	return []airportTax{{"XT", "Airport and government charges", 1200, 2500, false}}
}

// fuelSurcharge (YQ) per adult or child segment by distance, euro cents.
func fuelSurcharge(km int) int64 {
	switch {
	case km < 1500:
		return 1500
	case km < 4000:
		return 3500
	default:
		return 8000
	}
}

// priceSegment is the data pricing needs about one flight.
type priceSegment struct {
	DistanceKm    int
	OriginCountry string
	International bool
	taxes         []airportTax // departure charges of the origin country
}

// price computes the fare of a booking class over segments for passengers:
// base fare per passenger type (children 75 %, infants 10 % of the adult
// base), a connection discount, carrier surcharge and departure taxes by
// code. It returns the total and its breakdown.
func price(segs []priceSegment, class BookingClass, pax Passengers) (money.Money, []PriceLine) {
	var lines []PriceLine
	total := priceWith(segs, class, pax, func(code, desc string, cents int64) {
		for i := range lines {
			if lines[i].Code == code {
				lines[i].Amount.Amount += cents
				return
			}
		}
		lines = append(lines, PriceLine{Code: code, Description: desc, Amount: money.New(cents, Currency)})
	})
	return money.New(total, Currency), lines
}

// priceTotal is price without the breakdown (the search's hot path).
func priceTotal(segs []priceSegment, class BookingClass, pax Passengers) money.Money {
	return money.New(priceWith(segs, class, pax, nil), Currency)
}

// priceWith computes the total and reports each non-zero line to add
// (when not nil).
func priceWith(segs []priceSegment, class BookingClass, pax Passengers, add func(code, desc string, cents int64)) int64 {
	var legs int64
	for _, s := range segs {
		legs += legFare(s.DistanceKm, class)
	}
	adultBase := itineraryBase(legs, len(segs))
	childBase := adultBase * 75 / 100
	infantBase := adultBase * 10 / 100

	var total int64
	line := func(code string, desc func() string, cents int64) {
		if cents == 0 {
			return
		}
		total += cents
		if add != nil {
			add(code, desc(), cents)
		}
	}
	line("BASE-ADT", func() string { return fmt.Sprintf("Base fare, %d adult(s)", pax.Adults) }, adultBase*int64(pax.Adults))
	line("BASE-CHD", func() string { return fmt.Sprintf("Base fare, %d child(ren) at 75%%", pax.Children) }, childBase*int64(pax.Children))
	line("BASE-INF", func() string { return fmt.Sprintf("Base fare, %d infant(s) at 10%%", pax.Infants) }, infantBase*int64(pax.Infants))
	seated := int64(pax.Seats())
	for _, s := range segs {
		line("YQ", func() string { return "Carrier fuel surcharge" }, fuelSurcharge(s.DistanceKm)*seated)
		for _, t := range s.taxes {
			n := seated
			if t.infants {
				n += int64(pax.Infants)
			}
			line(t.code, func() string { return t.description }, t.amount(s.DistanceKm)*n)
		}
	}
	return total
}

// legFare is one leg's adult fare in a booking class, in euro cents.
func legFare(km int, class BookingClass) int64 {
	return int64(math.Round(float64(baseFare(km, class.Cabin)) * class.Multiplier))
}

// itineraryBase is the adult base fare of an itinerary from the sum of
// its legs' fares (legFare): a connection sells at 85 % of the sum, and
// the base is rounded to whole euros.
func itineraryBase(legs int64, nlegs int) int64 {
	if nlegs > 1 {
		legs = legs * 85 / 100 // connections sell below the sum of their legs
	}
	return (legs + 50) / 100 * 100 // whole euros
}

// amount is the charge per passenger on a leg of km.
func (t airportTax) amount(km int) int64 {
	if km >= 3000 {
		return t.long
	}
	return t.short
}

// legCharges are what priceWith adds on one leg besides the base fares:
// per seated passenger (the carrier surcharge and every departure tax) and
// per infant (the taxes infants pay too).
func legCharges(s priceSegment) (perSeat, perInfant int64) {
	perSeat = fuelSurcharge(s.DistanceKm)
	for _, t := range s.taxes {
		perSeat += t.amount(s.DistanceKm)
		if t.infants {
			perInfant += t.amount(s.DistanceKm)
		}
	}
	return perSeat, perInfant
}

// fareTotal is priceWith's total from the itinerary's adult base and its
// charges per seated passenger and per infant, summed over its legs:
// integer arithmetic only, for ranking search candidates.
func fareTotal(adultBase, perSeat, perInfant int64, pax Passengers) int64 {
	return adultBase*int64(pax.Adults) + adultBase*75/100*int64(pax.Children) + adultBase*10/100*int64(pax.Infants) +
		perSeat*int64(pax.Seats()) + perInfant*int64(pax.Infants)
}
