package customeract

// DataSubject names the customer whose email and phone the notification
// carries, so the codec encrypts it under that customer's key and erasure
// shreds it (ACCEPTANCE G2; temporal/codec.DataSubject).
func (in SendBookingNotificationInput) DataSubject() string { return in.CustomerID }
