package gateway

// Rate-limit classes: booking and payment are limited more tightly than
// search; auth endpoints are tight per IP against credential stuffing.
const (
	ClassSearch  = "search"
	ClassBooking = "booking"
	ClassPayment = "payment"
	ClassAuth    = "auth"
	ClassDefault = "default"
)

// Domains the gateway routes to.
const (
	DomainAuth     = "auth"
	DomainFlight   = "flight"
	DomainBooking  = "booking"
	DomainCustomer = "customer"
	DomainPayment  = "payment"
)

// Route is one public endpoint: where it goes and how tightly it is rate
// limited. Who may call it is the policy's decision
// (internal/platform/policy/rego/authz.rego, keyed "METHOD Path"); New
// refuses a route the policy does not decide.
type Route struct {
	Method string
	Path   string // gin syntax: /api/v1/flights/:flightId
	Domain string
	Class  string
}

// Routes is the gateway's route table: every endpoint of the plan plus what
// the flows need. api/openapi.yaml documents exactly this set (checked by a test).
func Routes() []Route {
	return []Route{
		// Auth.
		{"GET", "/api/v1/auth/public/google/start", DomainAuth, ClassAuth},
		{"GET", "/api/v1/auth/public/google/callback", DomainAuth, ClassAuth},
		{"POST", "/api/v1/auth/token/refresh", DomainAuth, ClassAuth},
		{"POST", "/api/v1/auth/logout", DomainAuth, ClassAuth},
		{"POST", "/api/v1/auth/corp/login/init", DomainAuth, ClassAuth},
		{"POST", "/api/v1/auth/corp/login/verify", DomainAuth, ClassAuth},
		{"POST", "/api/v1/auth/corp/mfa/challenge", DomainAuth, ClassAuth},
		{"POST", "/api/v1/auth/corp/mfa/verify", DomainAuth, ClassAuth},
		{"GET", "/api/v1/auth/.well-known/jwks.json", DomainAuth, ClassDefault},
		{"GET", "/api/v1/auth/internal/revocations", DomainAuth, ClassDefault},
		{"GET", "/api/v1/auth/dev-oidc/*path", DomainAuth, ClassAuth},
		{"POST", "/api/v1/auth/dev-oidc/*path", DomainAuth, ClassAuth},
		{"GET", "/api/v1/auth/corp/recovery-codes", DomainAuth, ClassAuth},
		{"POST", "/api/v1/auth/corp/recovery-codes", DomainAuth, ClassAuth},

		// Access governance (auth service): admins manage staff accounts.
		{"GET", "/api/v1/staff/accounts", DomainAuth, ClassDefault},
		{"POST", "/api/v1/staff/accounts", DomainAuth, ClassAuth},
		{"PATCH", "/api/v1/staff/accounts/:accountId", DomainAuth, ClassAuth},
		{"POST", "/api/v1/staff/accounts/:accountId/mfa-reset", DomainAuth, ClassAuth},
		{"POST", "/api/v1/staff/accounts/mfa-reset/:requestId/approve", DomainAuth, ClassAuth},

		// Flights, pricing, inventory.
		{"GET", "/api/v1/flights/search", DomainFlight, ClassSearch},
		{"GET", "/api/v1/flights/:flightId", DomainFlight, ClassSearch},
		{"GET", "/api/v1/flights/:flightId/availability", DomainFlight, ClassSearch},
		{"POST", "/api/v1/pricing/quote", DomainFlight, ClassSearch},
		{"POST", "/api/v1/inventory/hold", DomainFlight, ClassBooking},
		{"POST", "/api/v1/inventory/release", DomainFlight, ClassBooking},
		{"POST", "/api/v1/inventory/commit", DomainFlight, ClassBooking},
		{"GET", "/api/v1/staff/analytics/routes", DomainFlight, ClassDefault},
		{"POST", "/api/v1/staff/flights/:flightId/disruption", DomainFlight, ClassBooking},
		{"GET", "/api/v1/staff/flights/:flightId/disruption", DomainFlight, ClassDefault},

		// Bookings.
		{"POST", "/api/v1/bookings/reserve", DomainBooking, ClassBooking},
		{"POST", "/api/v1/bookings/:bookingId/confirm", DomainBooking, ClassBooking},
		{"GET", "/api/v1/bookings/:bookingId", DomainBooking, ClassDefault},
		{"GET", "/api/v1/bookings/:bookingId/events", DomainBooking, ClassDefault},
		{"GET", "/api/v1/bookings", DomainBooking, ClassDefault},
		{"POST", "/api/v1/bookings/:bookingId/cancel", DomainBooking, ClassBooking},
		{"POST", "/api/v1/bookings/:bookingId/change", DomainBooking, ClassBooking},
		{"POST", "/api/v1/bookings/:bookingId/resolve", DomainBooking, ClassBooking},
		{"GET", "/api/v1/staff/bookings", DomainBooking, ClassDefault},

		// Customer.
		{"GET", "/api/v1/users/me", DomainCustomer, ClassDefault},
		{"PATCH", "/api/v1/users/me", DomainCustomer, ClassDefault},
		{"POST", "/api/v1/users/me/mobile/verify/request", DomainCustomer, ClassAuth},
		{"POST", "/api/v1/users/me/mobile/verify/confirm", DomainCustomer, ClassAuth},
		{"POST", "/api/v1/users/me/export", DomainCustomer, ClassDefault},
		{"GET", "/api/v1/users/me/exports/:exportId", DomainCustomer, ClassDefault},
		{"GET", "/api/v1/users/me/exports/:exportId/download", DomainCustomer, ClassDefault},
		{"POST", "/api/v1/users/me/erasure", DomainCustomer, ClassDefault},
		{"GET", "/api/v1/users/me/erasure", DomainCustomer, ClassDefault},
		{"DELETE", "/api/v1/users/me/erasure", DomainCustomer, ClassDefault},
		{"POST", "/api/v1/staff/customers/:userId/export", DomainCustomer, ClassDefault},
		{"GET", "/api/v1/staff/customers/:userId/exports/:exportId", DomainCustomer, ClassDefault},
		{"POST", "/api/v1/staff/customers/:userId/erasure", DomainCustomer, ClassDefault},
		{"GET", "/api/v1/staff/customers/:userId/erasure", DomainCustomer, ClassDefault},
		{"POST", "/api/v1/notifications/email", DomainCustomer, ClassDefault},
		{"POST", "/api/v1/notifications/sms", DomainCustomer, ClassDefault},
		{"POST", "/api/v1/notifications/push", DomainCustomer, ClassDefault},
		{"GET", "/api/v1/dev/outbox", DomainCustomer, ClassDefault},

		// Payments.
		{"POST", "/api/v1/payments/intent", DomainPayment, ClassPayment},
		{"GET", "/api/v1/payments/:paymentId", DomainPayment, ClassPayment},
		{"POST", "/api/v1/payments/:paymentId/authorize", DomainPayment, ClassPayment},
		{"POST", "/api/v1/payments/:paymentId/capture", DomainPayment, ClassPayment},
		{"POST", "/api/v1/payments/:paymentId/refund", DomainPayment, ClassPayment},
		{"POST", "/api/v1/payments/webhooks/provider", DomainPayment, ClassDefault},
		{"GET", "/api/v1/payments/sandbox/challenge/:paymentId", DomainPayment, ClassPayment},
		{"POST", "/api/v1/payments/sandbox/challenge/:paymentId", DomainPayment, ClassPayment},

		// Staff audit trail: each domain serves its own log (one route per
		// domain, so prefix routing works in-process and split alike).
		{"GET", "/api/v1/staff/audit/auth", DomainAuth, ClassDefault},
		{"GET", "/api/v1/staff/audit/flight", DomainFlight, ClassDefault},
		{"GET", "/api/v1/staff/audit/booking", DomainBooking, ClassDefault},
		{"GET", "/api/v1/staff/audit/customer", DomainCustomer, ClassDefault},
		{"GET", "/api/v1/staff/audit/payment", DomainPayment, ClassDefault},
	}
}
