package gateway

import "github.com/skyfly/skyfly/api/authn"

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

// Access levels of a route.
var (
	// Public routes need no token.
	Public []string
	// Authenticated routes need any valid token.
	Authenticated  = []string{}
	staffOrService = []string{authn.RoleAgent, authn.RoleSupervisor, authn.RoleAdmin, authn.RoleService}
	supervisors    = []string{authn.RoleSupervisor, authn.RoleAdmin}
	staff          = authn.StaffRoles
)

// Route is one public endpoint: where it goes, who may call it and how
// tightly it is rate limited. Roles nil means public; empty means any
// authenticated caller.
type Route struct {
	Method string
	Path   string // gin syntax: /api/v1/flights/:flightId
	Domain string
	Roles  []string
	Class  string
}

// Routes is the gateway's route table: every endpoint of the plan plus what
// the flows need. api/openapi.yaml documents exactly this set (checked by a test).
func Routes() []Route {
	return []Route{
		// Auth.
		{"GET", "/api/v1/auth/public/google/start", DomainAuth, Public, ClassAuth},
		{"GET", "/api/v1/auth/public/google/callback", DomainAuth, Public, ClassAuth},
		{"POST", "/api/v1/auth/token/refresh", DomainAuth, Public, ClassAuth},
		{"POST", "/api/v1/auth/logout", DomainAuth, Authenticated, ClassAuth},
		{"POST", "/api/v1/auth/corp/login/init", DomainAuth, Public, ClassAuth},
		{"POST", "/api/v1/auth/corp/login/verify", DomainAuth, Public, ClassAuth},
		{"POST", "/api/v1/auth/corp/mfa/challenge", DomainAuth, Public, ClassAuth},
		{"POST", "/api/v1/auth/corp/mfa/verify", DomainAuth, Public, ClassAuth},
		{"GET", "/api/v1/auth/.well-known/jwks.json", DomainAuth, Public, ClassDefault},
		{"GET", "/api/v1/auth/internal/revocations", DomainAuth, []string{authn.RoleService}, ClassDefault},
		{"GET", "/api/v1/auth/dev-oidc/*path", DomainAuth, Public, ClassAuth},
		{"POST", "/api/v1/auth/dev-oidc/*path", DomainAuth, Public, ClassAuth},

		// Flights, pricing, inventory.
		{"GET", "/api/v1/flights/search", DomainFlight, Public, ClassSearch},
		{"GET", "/api/v1/flights/:flightId", DomainFlight, Public, ClassSearch},
		{"GET", "/api/v1/flights/:flightId/availability", DomainFlight, Public, ClassSearch},
		{"POST", "/api/v1/pricing/quote", DomainFlight, Public, ClassSearch},
		{"POST", "/api/v1/inventory/hold", DomainFlight, staffOrService, ClassBooking},
		{"POST", "/api/v1/inventory/release", DomainFlight, staffOrService, ClassBooking},
		{"POST", "/api/v1/inventory/commit", DomainFlight, staffOrService, ClassBooking},
		{"GET", "/api/v1/staff/analytics/routes", DomainFlight, staff, ClassDefault},

		// Bookings.
		{"POST", "/api/v1/bookings/reserve", DomainBooking, Authenticated, ClassBooking},
		{"POST", "/api/v1/bookings/:bookingId/confirm", DomainBooking, Authenticated, ClassBooking},
		{"GET", "/api/v1/bookings/:bookingId", DomainBooking, Authenticated, ClassDefault},
		{"GET", "/api/v1/bookings/:bookingId/events", DomainBooking, Authenticated, ClassDefault},
		{"GET", "/api/v1/bookings", DomainBooking, Authenticated, ClassDefault},
		{"POST", "/api/v1/bookings/:bookingId/cancel", DomainBooking, Authenticated, ClassBooking},
		{"POST", "/api/v1/bookings/:bookingId/change", DomainBooking, Authenticated, ClassBooking},
		{"POST", "/api/v1/bookings/:bookingId/resolve", DomainBooking, supervisors, ClassBooking},

		// Customer.
		{"GET", "/api/v1/users/me", DomainCustomer, Authenticated, ClassDefault},
		{"PATCH", "/api/v1/users/me", DomainCustomer, Authenticated, ClassDefault},
		{"POST", "/api/v1/users/me/mobile/verify/request", DomainCustomer, Authenticated, ClassAuth},
		{"POST", "/api/v1/users/me/mobile/verify/confirm", DomainCustomer, Authenticated, ClassAuth},
		{"POST", "/api/v1/notifications/email", DomainCustomer, staffOrService, ClassDefault},
		{"POST", "/api/v1/notifications/sms", DomainCustomer, staffOrService, ClassDefault},
		{"POST", "/api/v1/notifications/push", DomainCustomer, staffOrService, ClassDefault},
		{"GET", "/api/v1/dev/outbox", DomainCustomer, Public, ClassDefault},

		// Payments.
		{"POST", "/api/v1/payments/intent", DomainPayment, staffOrService, ClassPayment},
		{"GET", "/api/v1/payments/:paymentId", DomainPayment, staffOrService, ClassPayment},
		{"POST", "/api/v1/payments/:paymentId/authorize", DomainPayment, staffOrService, ClassPayment},
		{"POST", "/api/v1/payments/:paymentId/capture", DomainPayment, staffOrService, ClassPayment},
		{"POST", "/api/v1/payments/:paymentId/refund", DomainPayment, staffOrService, ClassPayment},
		{"POST", "/api/v1/payments/webhooks/provider", DomainPayment, Public, ClassDefault},
		{"GET", "/api/v1/payments/sandbox/challenge/:paymentId", DomainPayment, Public, ClassPayment},
		{"POST", "/api/v1/payments/sandbox/challenge/:paymentId", DomainPayment, Public, ClassPayment},
	}
}
