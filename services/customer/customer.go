// Package customer owns who SkyFly's customers are and how SkyFly talks to
// them: profiles keyed by the immutable user id from auth, preferences, saved
// travellers, mobile phone verification, and notifications rendered from an
// allow-list of templates and delivered over email, SMS and push with
// per-recipient rate limits and opt-outs. It is plain Go: the Store it
// consumes is implemented in customermongo, the channels in customerchannel.
package customer

import "time"

// Channel is a way to reach a customer.
type Channel string

// Channels.
const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
	ChannelPush  Channel = "push"
)

// Channels lists every channel.
func Channels() []Channel { return []Channel{ChannelEmail, ChannelSMS, ChannelPush} }

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	return c == ChannelEmail || c == ChannelSMS || c == ChannelPush
}

// OptOutMarketing is the opt-out from every marketing message; a channel name
// as opt-out silences every non-transactional message on that channel.
const OptOutMarketing = "marketing"

// Profile is a customer's profile. UserID is the immutable user id issued by
// the auth service (the access token's subject), never the email.
type Profile struct {
	UserID          string      `json:"userId"`
	Email           string      `json:"email"`
	GivenName       string      `json:"givenName"`
	FamilyName      string      `json:"familyName"`
	Phone           string      `json:"phone"` // E.164
	PhoneVerified   bool        `json:"phoneVerified"`
	PhoneVerifiedAt time.Time   `json:"phoneVerifiedAt,omitzero"`
	Preferences     Preferences `json:"preferences"`
	Travellers      []Traveller `json:"travellers"`
	CreatedAt       time.Time   `json:"createdAt"`
	UpdatedAt       time.Time   `json:"updatedAt"`
	// Version increases with every update (optimistic concurrency).
	Version int64 `json:"version"`
}

// Preferences are a customer's travel and contact preferences.
type Preferences struct {
	Seat     string `json:"seat"`     // one of SeatPreferences, "" for none
	Meal     string `json:"meal"`     // an IATA special meal code of MealPreferences, "" for none
	Language string `json:"language"` // one of Languages
	// Channels are where booking updates go (email always when known).
	Channels []Channel `json:"channels"`
	// OptOuts are OptOutMarketing and channel names; transactional messages
	// ignore them.
	OptOuts []string `json:"optOuts"`
}

// Traveller is a saved traveller the customer books for often.
type Traveller struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`  // ADT, CHD, INF
	Title       string          `json:"title"` // MR, MRS, MS, MISS, MSTR, DR
	GivenName   string          `json:"givenName"`
	FamilyName  string          `json:"familyName"`
	DateOfBirth string          `json:"dateOfBirth"` // YYYY-MM-DD
	Gender      string          `json:"gender"`      // M, F, X
	Document    *TravelDocument `json:"document"`
}

// TravelDocument is a passport or national id card.
type TravelDocument struct {
	Type           string `json:"type"` // PASSPORT, ID
	Number         string `json:"number"`
	IssuingCountry string `json:"issuingCountry"` // ISO 3166-1 alpha-2
	Nationality    string `json:"nationality"`    // ISO 3166-1 alpha-2
	ExpiryDate     string `json:"expiryDate"`     // YYYY-MM-DD
}

// Editable is the part of a profile its owner may change.
type Editable struct {
	GivenName   string
	FamilyName  string
	Phone       string
	Preferences Preferences
	Travellers  []Traveller
}

// Editable returns the editable part of p.
func (p Profile) Editable() Editable {
	return Editable{
		GivenName:   p.GivenName,
		FamilyName:  p.FamilyName,
		Phone:       p.Phone,
		Preferences: p.Preferences,
		Travellers:  p.Travellers,
	}
}

// OptedOut reports whether a non-transactional message of category on ch
// must be suppressed for this customer.
func (p Profile) OptedOut(category Category, ch Channel) bool {
	for _, o := range p.Preferences.OptOuts {
		if o == string(ch) || (o == OptOutMarketing && category == CategoryMarketing) {
			return true
		}
	}
	return false
}

// WantsChannel reports whether the customer asked for booking updates on ch.
func (p Profile) WantsChannel(ch Channel) bool {
	for _, c := range p.Preferences.Channels {
		if c == ch {
			return true
		}
	}
	return false
}

// DefaultPreferences are a new profile's preferences.
func DefaultPreferences() Preferences {
	return Preferences{Language: "en", Channels: []Channel{ChannelEmail}}
}
