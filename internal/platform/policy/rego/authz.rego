# SkyFly's authorization policy: one decision for every route, evaluated
# in process by the gateway and again by each domain service at its edge
# (internal/platform/policy), plus the resource-level actions the domain
# APIs ask about (ownership, fee waivers, acting for a customer).
#
# input (route decision):  {"method", "route", "principal": {"sub", "roles"}}
# input (action decision): {"action", "principal", "resource": {"type", "owner"}}
# output: data.skyfly.authz.decision = {"allow", "status", "code", "reason"}
package skyfly.authz

import rego.v1

# ---- roles

staff := {"agent", "supervisor", "admin"}

supervisors := {"supervisor", "admin"}

admins := {"admin"}

service := {"service"}

staff_or_service := staff | service

customers_and_staff := staff | {"customer"}

# Auditors read the staff audit trail and nothing else; admins may too.
auditors := {"auditor", "admin"}

customers := {"customer"}

# ---- access levels of a route: "public", "authenticated" or a set of roles

public := "public"

authenticated := "authenticated"

routes := {
	# Auth.
	"GET /api/v1/auth/public/google/start": public,
	"GET /api/v1/auth/public/google/callback": public,
	"POST /api/v1/auth/token/refresh": public,
	"POST /api/v1/auth/logout": authenticated,
	"POST /api/v1/auth/corp/login/init": public,
	"POST /api/v1/auth/corp/login/verify": public,
	"POST /api/v1/auth/corp/mfa/challenge": public,
	"POST /api/v1/auth/corp/mfa/verify": public,
	"GET /api/v1/auth/.well-known/jwks.json": public,
	"GET /api/v1/auth/internal/revocations": service,
	"GET /api/v1/auth/dev-oidc/*path": public,
	"POST /api/v1/auth/dev-oidc/*path": public,
	# Access governance: admins manage staff accounts (an MFA reset needs a
	# second admin, which the auth service enforces); every staff member
	# manages their own recovery codes.
	"GET /api/v1/staff/accounts": admins,
	"POST /api/v1/staff/accounts": admins,
	"PATCH /api/v1/staff/accounts/:accountId": admins,
	"POST /api/v1/staff/accounts/:accountId/mfa-reset": admins,
	"POST /api/v1/staff/accounts/mfa-reset/:requestId/approve": admins,
	"GET /api/v1/auth/corp/recovery-codes": staff,
	"POST /api/v1/auth/corp/recovery-codes": staff,
	# Flights, pricing, inventory.
	"GET /api/v1/flights/search": public,
	"GET /api/v1/flights/:flightId": public,
	"GET /api/v1/flights/:flightId/availability": public,
	"POST /api/v1/pricing/quote": public,
	"POST /api/v1/inventory/hold": staff_or_service,
	"POST /api/v1/inventory/release": staff_or_service,
	"POST /api/v1/inventory/commit": staff_or_service,
	"GET /api/v1/staff/analytics/routes": staff,
	# Disruption: cancelling or retiming a flight is for supervisors; any
	# staff member may follow its progress.
	"POST /api/v1/staff/flights/:flightId/disruption": supervisors,
	"GET /api/v1/staff/flights/:flightId/disruption": staff,
	# Bookings: customers their own (the action rules below), staff any.
	"POST /api/v1/bookings/reserve": customers_and_staff,
	"POST /api/v1/bookings/:bookingId/confirm": customers_and_staff,
	"GET /api/v1/bookings/:bookingId": customers_and_staff,
	"GET /api/v1/bookings/:bookingId/events": customers_and_staff,
	"GET /api/v1/bookings": customers_and_staff,
	"POST /api/v1/bookings/:bookingId/cancel": customers_and_staff,
	"POST /api/v1/bookings/:bookingId/change": customers_and_staff,
	"POST /api/v1/bookings/:bookingId/resolve": supervisors,
	"GET /api/v1/staff/bookings": staff,
	# Customer.
	"GET /api/v1/users/me": authenticated,
	"PATCH /api/v1/users/me": authenticated,
	"POST /api/v1/users/me/mobile/verify/request": authenticated,
	"POST /api/v1/users/me/mobile/verify/confirm": authenticated,
	"POST /api/v1/users/me/export": authenticated,
	"GET /api/v1/users/me/exports/:exportId": authenticated,
	"GET /api/v1/users/me/exports/:exportId/download": authenticated,
	"POST /api/v1/users/me/erasure": customers,
	"GET /api/v1/users/me/erasure": customers,
	"DELETE /api/v1/users/me/erasure": customers,
	"POST /api/v1/staff/customers/:userId/export": staff,
	"GET /api/v1/staff/customers/:userId/exports/:exportId": staff,
	"POST /api/v1/staff/customers/:userId/erasure": supervisors,
	"GET /api/v1/staff/customers/:userId/erasure": staff,
	"POST /api/v1/notifications/email": staff_or_service,
	"POST /api/v1/notifications/sms": staff_or_service,
	"POST /api/v1/notifications/push": staff_or_service,
	"GET /api/v1/dev/outbox": public,
	# Payments: only the sagas' service identity and staff; customers pay
	# through their booking.
	"POST /api/v1/payments/intent": staff_or_service,
	"GET /api/v1/payments/:paymentId": staff_or_service,
	"POST /api/v1/payments/:paymentId/authorize": staff_or_service,
	"POST /api/v1/payments/:paymentId/capture": staff_or_service,
	"POST /api/v1/payments/:paymentId/refund": staff_or_service,
	"POST /api/v1/payments/webhooks/provider": public,
	"GET /api/v1/payments/sandbox/challenge/:paymentId": public,
	"POST /api/v1/payments/sandbox/challenge/:paymentId": public,
	# Staff audit trail: each domain serves its own log.
	"GET /api/v1/staff/audit/auth": auditors,
	"GET /api/v1/staff/audit/flight": auditors,
	"GET /api/v1/staff/audit/booking": auditors,
	"GET /api/v1/staff/audit/customer": auditors,
	"GET /api/v1/staff/audit/payment": auditors,
}

# Routes a domain serves to the other SkyFly processes directly, never
# through the gateway (so they are not in routes, the gateway's table).
internal_routes := {
	# The service-token endpoint authenticates its caller itself: the
	# caller's mTLS certificate or client secret, not a bearer token.
	"POST /api/v1/auth/internal/token": public,
}

# ---- the decision

allow := {"allow": true, "status": 200, "code": "", "reason": ""}

default decision := {
	"allow": false, "status": 403, "code": "forbidden",
	"reason": "no policy decision covers this request",
}

decision := route_decision if not input.action

decision := action_decision if input.action

signed_in if input.principal.sub != ""

holds_any(roles) if {
	some r in input.principal.roles
	r in roles
}

# ---- route decisions

route_decision := d if {
	level := routes[sprintf("%s %s", [input.method, input.route])]
	d := level_decision(level)
}

route_decision := d if {
	level := internal_routes[sprintf("%s %s", [input.method, input.route])]
	d := level_decision(level)
}

level_decision(level) := allow if level == public

level_decision(level) := {
	"allow": false, "status": 401, "code": "unauthorized",
	"reason": "a bearer access token is required",
} if {
	level != public
	not signed_in
}

level_decision(level) := allow if {
	level == authenticated
	signed_in
}

level_decision(level) := allow if {
	is_set(level)
	signed_in
	holds_any(level)
}

level_decision(level) := {
	"allow": false, "status": 403, "code": "forbidden",
	"reason": sprintf("this operation needs one of the roles %v", [sort(level)]),
} if {
	is_set(level)
	signed_in
	not holds_any(level)
}

# ---- action decisions (the domain APIs ask with the resource in hand)

# Reading or acting on a booking: its customer or any staff member. Someone
# else's booking answers like a missing one, so ids cannot be probed.
owner_actions := {"booking.read", "booking.confirm", "booking.cancel", "booking.change"}

owns if {
	signed_in
	input.resource.owner == input.principal.sub
}

action_decision := allow if {
	input.action in owner_actions
	owns
}

action_decision := allow if {
	input.action in owner_actions
	not owns
	holds_any(staff)
}

action_decision := {
	"allow": false, "status": 404, "code": "not_found",
	"reason": sprintf("no such %s", [input.resource.type]),
} if {
	input.action in owner_actions
	not owns
	not holds_any(staff)
}

# Waiving a change or cancellation fee: supervisors only.
action_decision := allow if {
	input.action == "booking.waive_fee"
	holds_any(supervisors)
}

action_decision := {
	"allow": false, "status": 403, "code": "forbidden",
	"reason": "only a supervisor can waive a fee",
} if {
	input.action == "booking.waive_fee"
	not holds_any(supervisors)
}

# Seeing every customer's bookings, or booking for a customer: staff only.
# Anyone else is scoped to their own (the API narrows, it does not refuse).
staff_actions := {"booking.list_any", "booking.act_for_customer"}

action_decision := allow if {
	input.action in staff_actions
	holds_any(staff)
}

action_decision := {
	"allow": false, "status": 403, "code": "forbidden",
	"reason": "only airline staff may do this",
} if {
	input.action in staff_actions
	not holds_any(staff)
}
