package bookingact

// The booking payloads that carry passengers or contact name their customer,
// so the codec encrypts them under that customer's key and erasure shreds
// them (ACCEPTANCE G2; temporal/codec.DataSubject).

// DataSubject is the customer whose passengers and contact the input carries.
func (in CreateBookingInput) DataSubject() string { return in.CustomerID }

// DataSubject is the customer whose contact the snapshot carries.
func (s BookingSnapshot) DataSubject() string { return s.CustomerID }
