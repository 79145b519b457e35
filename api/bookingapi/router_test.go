package bookingapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/booking/bookinggorm"
)

// TestRouter_RefusesBadRequestsBeforeAnyWorkflow checks authentication,
// roles, Idempotency-Key and validation answers; none of them reaches
// Temporal (the router has no client here).
func TestRouter_RefusesBadRequestsBeforeAnyWorkflow(t *testing.T) {
	ctx := context.Background()
	h, svc, token := newTestRouter(t, nil)
	// A confirmed booking of cust-ada, for ownership and change rules.
	b := createAdaBooking(t, svc, "bk_r")
	seg := b.Segments[0]
	var err error

	ada, bob := token("cust-ada", authn.RoleCustomer), token("cust-bob", authn.RoleCustomer)
	tests := []struct {
		name     string
		method   string
		path     string
		token    string
		key      string
		body     any
		want     int
		wantCode string
	}{
		{"no token is 401", http.MethodGet, "/api/v1/bookings", "", "", nil, 401, "unauthorized"},
		{"a service token is 403", http.MethodGet, "/api/v1/bookings", token("svc", authn.RoleService), "", nil, 403, "forbidden"},
		{"reserve without Idempotency-Key is 400", http.MethodPost, "/api/v1/bookings/reserve", ada, "", map[string]any{}, 400, "invalid_request"},
		{"reserve without quote and passengers lists both fields", http.MethodPost, "/api/v1/bookings/reserve", ada, "k1",
			map[string]any{"contact": map[string]string{"email": "ada@example.com", "phone": "+447700900123"}}, 400, "invalid_request"},
		{"reserve with a bad phone is 400", http.MethodPost, "/api/v1/bookings/reserve", ada, "k2",
			map[string]any{"quoteId": "q", "passengers": []map[string]string{{"type": "ADT"}}, "contact": map[string]string{"email": "ada@example.com", "phone": "0612"}}, 400, "invalid_request"},
		{"A5: another customer's booking is 404", http.MethodGet, "/api/v1/bookings/" + b.ID, bob, "", nil, 404, "not_found"},
		{"A5: confirming another customer's booking is 404", http.MethodPost, "/api/v1/bookings/" + b.ID + "/confirm", bob, "k3",
			map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, 404, "not_found"},
		{"confirm without a token lists the field", http.MethodPost, "/api/v1/bookings/" + b.ID + "/confirm", ada, "k4",
			map[string]any{"payment": map[string]string{"provider": "sandbox"}}, 400, "invalid_request"},
		{"a customer cannot waive the change penalty", http.MethodPost, "/api/v1/bookings/" + b.ID + "/change", ada, "k5",
			map[string]any{"fareId": "Y-M", "waivePenalty": true}, 403, "forbidden"},
		{"staff changes need a reason", http.MethodPost, "/api/v1/bookings/" + b.ID + "/change", token("agent-1", authn.RoleAgent), "k6",
			map[string]any{"fareId": "Y-M"}, 400, "invalid_request"},
		{"a customer cannot waive the cancellation penalty", http.MethodPost, "/api/v1/bookings/" + b.ID + "/cancel", ada, "k12",
			map[string]any{"waivePenalty": true}, 403, "forbidden"},
		{"an agent cannot waive the cancellation penalty", http.MethodPost, "/api/v1/bookings/" + b.ID + "/cancel", token("agent-1", authn.RoleAgent), "k13",
			map[string]any{"waivePenalty": true}, 403, "forbidden"},
		{"a supervisor's waiver passes the policy (the pending booking is still not cancellable)", http.MethodPost, "/api/v1/bookings/" + b.ID + "/cancel",
			token("sup", authn.RoleSupervisor), "k14", map[string]any{"waivePenalty": true}, 409, CodeBookingNotCancellable},
		{"staff cancellations need a reason", http.MethodPost, "/api/v1/bookings/" + b.ID + "/cancel", token("agent-1", authn.RoleAgent), "k15",
			map[string]any{"quoteId": "cq_x"}, 400, "invalid_request"},
		{"a pending booking cannot be cancelled", http.MethodPost, "/api/v1/bookings/" + b.ID + "/cancel", ada, "k7", map[string]any{}, 409, CodeBookingNotCancellable},
		{"resolve is for supervisors", http.MethodPost, "/api/v1/bookings/" + b.ID + "/resolve", token("agent-1", authn.RoleAgent), "k8",
			map[string]any{"action": "retry", "reason": "x"}, 403, "forbidden"},
		{"resolve needs a known action", http.MethodPost, "/api/v1/bookings/" + b.ID + "/resolve", token("sup", authn.RoleSupervisor), "k9",
			map[string]any{"action": "delete", "reason": "x"}, 400, "invalid_request"},
		{"resolve refuses a booking that is not parked", http.MethodPost, "/api/v1/bookings/" + b.ID + "/resolve", token("sup", authn.RoleSupervisor), "k10",
			map[string]any{"action": "retry", "reason": "x"}, 409, CodeNotParked},
		{"a forged cursor is 400", http.MethodGet, "/api/v1/bookings?cursor=!!", ada, "", nil, 400, "invalid_request"},
		{"an unknown status is 400", http.MethodGet, "/api/v1/bookings?status=LOST", ada, "", nil, 400, "invalid_request"},
		{"the staff lookup is not for customers", http.MethodGet, "/api/v1/staff/bookings?passenger=L", ada, "", nil, 403, "forbidden"},
		{"the staff lookup is not for service tokens", http.MethodGet, "/api/v1/staff/bookings", token("svc", authn.RoleService), "", nil, 403, "forbidden"},
		{"a customer cannot book for another customer", http.MethodPost, "/api/v1/bookings/reserve", bob, "k11",
			map[string]any{"quoteId": "q", "customerId": "cust-ada", "passengers": []map[string]string{{"type": "ADT"}},
				"contact": map[string]string{"email": "bob@example.com", "phone": "+447700900124"}}, 403, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != nil {
				body, err = json.Marshal(tt.body)
				require.NoError(t, err)
			}
			req := httptest.NewRequest(tt.method, tt.path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.key != "" {
				req.Header.Set(idempotency.Header, tt.key)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code, "got %d %s, want %d", rec.Code, rec.Body.String(), tt.want)
			var p struct {
				Code string `json:"code"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
			require.Equal(t, tt.wantCode, p.Code, "body %s", rec.Body.String())
		})
	}
	t.Run("a supervisor waives the penalty of a non-refundable fare", func(t *testing.T) {
		other := seg
		other.FlightID = "SF9"
		nb, err := svc.Create(ctx, booking.NewBooking{ID: "bk_nr", CustomerID: "cust-emmy",
			Passengers: []booking.Passenger{{Type: booking.Adult, GivenName: "Emmy", FamilyName: "Noether", DateOfBirth: "1990-01-01", Gender: "F"}},
			Contact:    booking.Contact{Email: "emmy@example.com", Phone: "+447700900125"}, Segments: []booking.Segment{other}, Total: moneyEUR(100),
			Fare: booking.Fare{FareID: "Y-O", Cabin: "Y", Family: "LIGHT"}})
		require.NoError(t, err)
		_, err = svc.Hold(ctx, nb.ID, "h_nr", time.Now().Add(time.Hour), "")
		require.NoError(t, err)
		_, err = svc.Confirm(ctx, nb.ID, "pay_nr", moneyEUR(100), "")
		require.NoError(t, err)
		quote := func(tok, key string, body any) (int, map[string]any) {
			raw, _ := json.Marshal(body)
			req := httptest.NewRequest(http.MethodPost, "/api/v1/bookings/"+nb.ID+"/cancel", bytes.NewReader(raw))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set(idempotency.Header, key)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var out map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
			return rec.Code, out
		}
		code, q := quote(token("cust-emmy", authn.RoleCustomer), "w1", map[string]any{})
		require.Equal(t, http.StatusOK, code, "%v", q)
		require.EqualValues(t, 0, q["refund"].(map[string]any)["amount"], "the LIGHT fare refunds nothing")
		code, q = quote(token("sup", authn.RoleSupervisor), "w2", map[string]any{"waivePenalty": true})
		require.Equal(t, http.StatusOK, code, "%v", q)
		require.EqualValues(t, 100, q["refund"].(map[string]any)["amount"], "waived: everything paid comes back")
		require.EqualValues(t, 0, q["penalty"].(map[string]any)["amount"])
		require.Equal(t, true, q["penaltyWaived"])
	})
	t.Run("staff look bookings up by passenger name, flight and status", func(t *testing.T) {
		agent := token("agent-1", authn.RoleAgent)
		find := func(query string) []string {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/staff/bookings?"+query, nil)
			req.Header.Set("Authorization", "Bearer "+agent)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			var l listView
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &l))
			ids := []string{}
			for _, v := range l.Bookings {
				ids = append(ids, v.BookingID)
			}
			return ids
		}
		require.Equal(t, []string{b.ID}, find("passenger=l"))
		require.Empty(t, find("passenger=Lovelace"))
		require.Equal(t, []string{b.ID}, find("flightId=SF1&passenger=L&status="+string(b.Status)))
		require.Empty(t, find("status=NEEDS_ATTENTION"))
	})
}

func moneyEUR(minor int64) money.Money { return money.New(minor, "EUR") }

// newTestRouter is the booking router over SQLite with tc (may be nil) as
// its Temporal client, and a function minting tokens it accepts.
func newTestRouter(t *testing.T, tc client.Client) (http.Handler, *booking.Service, func(user string, roles ...string) string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, bookinggorm.Migrate(ctx, db))
	require.NoError(t, idempotency.Migrate(ctx, db))
	svc := booking.NewService(slog.New(slog.DiscardHandler), bookinggorm.New(db), time.Now, booking.Options{})
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	h := NewRouter(Config{Service: svc, Temporal: tc, Idempotency: idempotency.NewGormStore(db),
		Verifier: authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience}).ForService("booking")})
	token := func(user string, roles ...string) string {
		aud := audience
		if slices.Equal(roles, []string{authn.RoleService}) {
			aud = "booking" // the auth service mints service tokens for one target
		}
		tok, err := authn.Sign(priv, kid, authn.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{aud},
			Subject: user, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}, SessionID: "s", Roles: roles})
		require.NoError(t, err)
		return tok
	}
	return h, svc, token
}

// createAdaBooking stores a PENDING booking of cust-ada.
func createAdaBooking(t *testing.T, svc *booking.Service, id string) booking.Booking {
	t.Helper()
	seg := booking.Segment{FlightID: "SF1", FlightNumber: "SF1", Origin: "AMS", Destination: "CDG", DepartureTime: time.Now().Add(48 * time.Hour), ArrivalTime: time.Now().Add(49 * time.Hour)}
	b, err := svc.Create(context.Background(), booking.NewBooking{ID: id, CustomerID: "cust-ada",
		Passengers: []booking.Passenger{{Type: booking.Adult, GivenName: "Ada", FamilyName: "L", DateOfBirth: "1990-01-01", Gender: "F"}},
		Contact:    booking.Contact{Email: "ada@example.com", Phone: "+447700900123"}, Segments: []booking.Segment{seg}, Total: moneyEUR(100)})
	require.NoError(t, err)
	return b
}
