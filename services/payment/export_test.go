package payment

// RequestHash exposes the operation fingerprint to the external tests.
var RequestHash = requestHash
