package cancelsaga

// DataSubject names the customer whose contact the input carries, so the
// codec encrypts it under that customer's key and erasure shreds it
// (ACCEPTANCE G2; temporal/codec.DataSubject).
func (in Input) DataSubject() string { return in.CustomerID }
