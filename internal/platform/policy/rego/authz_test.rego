# Policy unit tests in `opa test` style (run by policy_test.go with OPA's
# tester). Every role against a route of every level, and every action.
package skyfly.authz_test

import rego.v1

import data.skyfly.authz

customer := {"sub": "u-1", "roles": ["customer"]}

agent := {"sub": "s-1", "roles": ["agent"]}

supervisor := {"sub": "s-2", "roles": ["supervisor"]}

admin := {"sub": "s-3", "roles": ["admin"]}

svc := {"sub": "svc-booking", "roles": ["service"]}

anonymous := {"sub": "", "roles": []}

route(method, path, who) := d if {
	d := authz.decision with input as {"method": method, "route": path, "principal": who}
}

act(action, owner, who) := d if {
	d := authz.decision with input as {
		"action": action, "principal": who,
		"resource": {"type": "booking", "owner": owner},
	}
}

test_public_route_needs_no_token if {
	route("GET", "/api/v1/flights/search", anonymous).allow
}

test_authenticated_route_refuses_anonymous_with_401 if {
	d := route("GET", "/api/v1/users/me", anonymous)
	not d.allow
	d.status == 401
	d.code == "unauthorized"
}

test_authenticated_route_admits_every_role if {
	every who in [customer, agent, supervisor, admin, svc] {
		route("GET", "/api/v1/users/me", who).allow
	}
}

test_staff_route_refuses_customer_and_service_with_403 if {
	every who in [customer, svc] {
		d := route("GET", "/api/v1/staff/analytics/routes", who)
		not d.allow
		d.status == 403
		d.code == "forbidden"
	}
}

test_staff_route_admits_staff if {
	every who in [agent, supervisor, admin] {
		route("GET", "/api/v1/staff/analytics/routes", who).allow
	}
}

test_resolve_is_for_supervisors_only if {
	not route("POST", "/api/v1/bookings/:bookingId/resolve", agent).allow
	route("POST", "/api/v1/bookings/:bookingId/resolve", agent).status == 403
	route("POST", "/api/v1/bookings/:bookingId/resolve", supervisor).allow
	route("POST", "/api/v1/bookings/:bookingId/resolve", admin).allow
	not route("POST", "/api/v1/bookings/:bookingId/resolve", customer).allow
}

test_disruption_is_for_supervisors_only if {
	every who in [customer, agent, svc] {
		not route("POST", "/api/v1/staff/flights/:flightId/disruption", who).allow
		route("POST", "/api/v1/staff/flights/:flightId/disruption", who).status == 403
	}
	route("POST", "/api/v1/staff/flights/:flightId/disruption", supervisor).allow
	route("POST", "/api/v1/staff/flights/:flightId/disruption", admin).allow
	route("GET", "/api/v1/staff/flights/:flightId/disruption", agent).allow
	not route("GET", "/api/v1/staff/flights/:flightId/disruption", customer).allow
}

test_staff_booking_lookup_is_for_staff if {
	not route("GET", "/api/v1/staff/bookings", customer).allow
	route("GET", "/api/v1/staff/bookings", customer).status == 403
	not route("GET", "/api/v1/staff/bookings", svc).allow
	route("GET", "/api/v1/staff/bookings", agent).allow
}

test_payments_are_not_for_customers if {
	not route("POST", "/api/v1/payments/:paymentId/capture", customer).allow
	route("POST", "/api/v1/payments/:paymentId/capture", svc).allow
}

test_revocations_are_for_services_only if {
	route("GET", "/api/v1/auth/internal/revocations", svc).allow
	not route("GET", "/api/v1/auth/internal/revocations", admin).allow
}

test_bookings_refuse_service_tokens if {
	not route("GET", "/api/v1/bookings", svc).allow
}

test_unknown_route_is_denied_by_default if {
	d := route("DELETE", "/api/v1/bookings/:bookingId", admin)
	not d.allow
	d.status == 403
}

test_a_role_claim_alone_without_subject_is_anonymous if {
	d := route("GET", "/api/v1/staff/analytics/routes", {"sub": "", "roles": ["admin"]})
	d.status == 401
}

test_owner_reads_own_booking if {
	act("booking.read", "u-1", customer).allow
}

test_other_customers_booking_answers_404 if {
	d := act("booking.cancel", "u-2", customer)
	not d.allow
	d.status == 404
	d.code == "not_found"
}

test_staff_act_on_any_booking if {
	every who in [agent, supervisor, admin] {
		act("booking.change", "u-2", who).allow
	}
}

test_service_is_not_an_owner if {
	act("booking.read", "u-2", svc).status == 404
}

test_fee_waiver_only_supervisors if {
	not act("booking.waive_fee", "u-1", agent).allow
	act("booking.waive_fee", "u-1", agent).status == 403
	not act("booking.waive_fee", "u-1", customer).allow
	act("booking.waive_fee", "u-1", supervisor).allow
	act("booking.waive_fee", "u-1", admin).allow
}

test_staff_actions if {
	act("booking.list_any", "", agent).allow
	act("booking.act_for_customer", "", agent).allow
	not act("booking.list_any", "", customer).allow
	act("booking.act_for_customer", "", customer).status == 403
}

test_unknown_action_is_denied if {
	not act("booking.delete", "u-1", admin).allow
}

governance_routes := [
	["GET", "/api/v1/staff/accounts"],
	["POST", "/api/v1/staff/accounts"],
	["PATCH", "/api/v1/staff/accounts/:accountId"],
	["POST", "/api/v1/staff/accounts/:accountId/mfa-reset"],
	["POST", "/api/v1/staff/accounts/mfa-reset/:requestId/approve"],
]

test_staff_accounts_are_for_admins_only if {
	every r in governance_routes {
		route(r[0], r[1], admin).allow
		every who in [customer, agent, supervisor, svc] {
			d := route(r[0], r[1], who)
			not d.allow
			d.status == 403
			d.code == "forbidden"
		}
		route(r[0], r[1], anonymous).status == 401
	}
}

test_recovery_codes_are_for_every_staff_member if {
	every m in ["GET", "POST"] {
		every who in [agent, supervisor, admin] {
			route(m, "/api/v1/auth/corp/recovery-codes", who).allow
		}
		every who in [customer, svc] {
			route(m, "/api/v1/auth/corp/recovery-codes", who).status == 403
		}
		route(m, "/api/v1/auth/corp/recovery-codes", anonymous).status == 401
	}
}

auditor := {"sub": "s-4", "roles": ["auditor"]}

test_audit_routes_admit_auditors_and_admins_only if {
	every domain in ["auth", "flight", "booking", "customer", "payment"] {
		path := sprintf("/api/v1/staff/audit/%s", [domain])
		route("GET", path, auditor).allow
		route("GET", path, admin).allow
		every who in [customer, agent, supervisor, svc] {
			d := route("GET", path, who)
			not d.allow
			d.status == 403
		}
		route("GET", path, anonymous).status == 401
	}
}

test_auditor_is_not_staff if {
	every path in ["/api/v1/staff/bookings", "/api/v1/staff/analytics/routes"] {
		d := route("GET", path, auditor)
		not d.allow
		d.status == 403
	}
	not act("booking.read", "u-1", auditor).allow
}

test_erasure_is_the_customers_own_or_a_supervisors if {
	route("POST", "/api/v1/users/me/erasure", customer).allow
	not route("POST", "/api/v1/users/me/erasure", agent).allow
	not route("POST", "/api/v1/staff/customers/:userId/erasure", agent).allow
	route("POST", "/api/v1/staff/customers/:userId/erasure", supervisor).allow
	not route("POST", "/api/v1/staff/customers/:userId/erasure", customer).allow
}

test_staff_export_is_for_staff if {
	route("POST", "/api/v1/staff/customers/:userId/export", agent).allow
	route("POST", "/api/v1/staff/customers/:userId/export", customer).status == 403
	route("POST", "/api/v1/users/me/export", customer).allow
}
