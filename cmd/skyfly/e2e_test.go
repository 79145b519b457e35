package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/skyfly/skyfly/internal/platform/testdate"
)

// api is a small client of the gateway for end-to-end tests.
type api struct {
	t     *testing.T
	base  string
	token string
	n     int
}

func (a *api) do(method, path string, body any, out any) int {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(a.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	require.NoError(a.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if method == http.MethodPost {
		a.n++
		req.Header.Set("Idempotency-Key", fmt.Sprintf("e2e-%d-%d", time.Now().UnixNano(), a.n))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		require.NoError(a.t, json.Unmarshal(b, out), "%s %s: %s", method, path, b)
	}
	return resp.StatusCode
}

type moneyView struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type bookingView struct {
	BookingID     string    `json:"bookingId"`
	PNR           string    `json:"pnr"`
	Status        string    `json:"status"`
	HoldExpiresAt string    `json:"holdExpiresAt"`
	Total         moneyView `json:"total"`
	Tickets       []struct {
		Number string `json:"number"`
	} `json:"tickets"`
	Payments []struct {
		Paid     moneyView `json:"paid"`
		Refunded moneyView `json:"refunded"`
	} `json:"payments"`
	Itinerary struct {
		Segments []struct {
			FlightID string `json:"flightId"`
		} `json:"segments"`
	} `json:"itinerary"`
	Code string `json:"code"`
}

type searchResult struct {
	Itineraries []struct {
		ID       string `json:"id"`
		Stops    int    `json:"stops"`
		Segments []struct {
			FlightID      string `json:"flightId"`
			DepartureTime string `json:"departureTime"`
		} `json:"segments"`
		Fares []struct {
			FareID    string `json:"fareId"`
			Family    string `json:"family"`
			SeatsLeft int    `json:"seatsLeft"`
		} `json:"fares"`
	} `json:"itineraries"`
}

// login signs a customer in through the development OIDC provider.
func login(t *testing.T, gateway, email string) string {
	t.Helper()
	resp, err := http.Get(gateway + "/api/v1/auth/public/google/start?login_hint=" + url.QueryEscape(email))
	require.NoError(t, err)
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"accessToken"`
		User        struct {
			Roles []string `json:"roles"`
		} `json:"user"`
	}
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	require.NoError(t, json.Unmarshal(b, &tok))
	require.NotEmpty(t, tok.AccessToken)
	require.Contains(t, tok.User.Roles, "customer")
	return tok.AccessToken
}

func (a *api) search(origin, dest string, days int) searchResult {
	a.t.Helper()
	date := time.Now().UTC().AddDate(0, 0, days).Format("2006-01-02")
	var res searchResult
	code := a.do("GET", "/api/v1/flights/search?origin="+origin+"&destination="+dest+"&date="+date+"&adults=1&sort=price", nil, &res)
	require.Equal(a.t, http.StatusOK, code)
	require.NotEmpty(a.t, res.Itineraries, "%s→%s on %s has itineraries", origin, dest, date)
	return res
}

func (a *api) quote(itineraryID, fareID string) string {
	a.t.Helper()
	var q struct {
		QuoteID string `json:"quoteId"`
	}
	code := a.do("POST", "/api/v1/pricing/quote", map[string]any{"itineraryId": itineraryID, "fareId": fareID, "passengers": map[string]int{"adults": 1}}, &q)
	require.Equal(a.t, http.StatusCreated, code)
	require.NotEmpty(a.t, q.QuoteID)
	return q.QuoteID
}

func (a *api) reserve(quoteID string) bookingView {
	a.t.Helper()
	var b bookingView
	code := a.do("POST", "/api/v1/bookings/reserve", map[string]any{
		"quoteId": quoteID,
		"passengers": []map[string]any{{"type": "ADT", "title": "MS", "givenName": "Ada", "familyName": "Lovelace", "dateOfBirth": "1990-12-10", "gender": "F",
			"document": map[string]string{"type": "PASSPORT", "number": "P9988776", "issuingCountry": "GB", "nationality": "GB", "expiryDate": testdate.YearsFrom(testdate.Today(), 5)}}},
		"contact": map[string]string{"email": "ada@example.com", "phone": "+447700900123"},
	}, &b)
	require.Equal(a.t, http.StatusCreated, code, "%+v", b)
	require.Equal(a.t, "HELD", b.Status)
	require.Len(a.t, b.PNR, 6)
	return b
}

func (a *api) waitStatus(id, want string) bookingView {
	a.t.Helper()
	var b bookingView
	require.Eventually(a.t, func() bool {
		b = bookingView{}
		a.do("GET", "/api/v1/bookings/"+id, nil, &b)
		return b.Status == want
	}, 60*time.Second, 200*time.Millisecond, "booking %s reaches %s", id, want)
	return b
}

// TestDev_E2E_BookConfirmCancelChange drives `skyfly dev` through the
// gateway as a customer would: log in, search, quote, reserve, pay, cancel
// with a refund, change flights, and log out (ACCEPTANCE A4 at the gateway).
func TestDev_E2E_BookConfirmCancelChange(t *testing.T) {
	d := startDev(t)
	defer d.stop(t)
	gw := "http://" + d.gateway
	c := &api{t: t, base: gw, token: login(t, gw, "ada@example.com")}

	// Book JFK→LHR with a refundable fare and pay.
	res := c.search("JFK", "LHR", 9)
	it := res.Itineraries[0]
	var fareID string
	for _, f := range it.Fares {
		if f.Family == "FLEX" {
			fareID = f.FareID
		}
	}
	require.NotEmpty(t, fareID, "a Flex fare is offered")
	b := c.reserve(c.quote(it.ID, fareID))
	var confirmed bookingView
	code := c.do("POST", "/api/v1/bookings/"+b.BookingID+"/confirm", map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, &confirmed)
	require.Equal(t, http.StatusOK, code, "%+v", confirmed)
	require.Equal(t, "CONFIRMED", confirmed.Status)
	require.Len(t, confirmed.Tickets, 1)
	require.Len(t, confirmed.Tickets[0].Number, 13)

	// Another customer cannot see it (A5).
	other := &api{t: t, base: gw, token: login(t, gw, "mallory@example.com")}
	require.Equal(t, http.StatusNotFound, other.do("GET", "/api/v1/bookings/"+b.BookingID, nil, nil))

	// Cancel: quote, then confirm the cancellation; the refund lands.
	var cq struct {
		QuoteID string    `json:"quoteId"`
		Refund  moneyView `json:"refund"`
	}
	require.Equal(t, http.StatusOK, c.do("POST", "/api/v1/bookings/"+b.BookingID+"/cancel", map[string]any{}, &cq))
	require.Equal(t, confirmed.Total.Amount, cq.Refund.Amount, "a Flex fare refunds in full")
	require.Equal(t, http.StatusAccepted, c.do("POST", "/api/v1/bookings/"+b.BookingID+"/cancel", map[string]any{"quoteId": cq.QuoteID}, nil))
	cancelled := c.waitStatus(b.BookingID, "CANCELLED")
	require.Equal(t, cq.Refund.Amount, cancelled.Payments[0].Refunded.Amount)

	// Every change of the booking reached Kafka through its outbox, in order.
	require.Eventually(t, func() bool {
		return slices.Equal(bookingEvents(t, d.kafka, b.BookingID), []string{
			"booking.created", "booking.reserved", "booking.payment_pending", "booking.confirmed", "booking.cancelling", "booking.cancelled"})
	}, 30*time.Second, 500*time.Millisecond, "booking events on skyfly.booking.v1: %v", bookingEvents(t, d.kafka, b.BookingID))
	// The customer domain's outbox on FerretDB reached Kafka too: the
	// profile made on first access and the delivered booking messages.
	require.Equal(t, http.StatusOK, c.do("GET", "/api/v1/users/me", nil, nil))
	require.Eventually(t, func() bool {
		types := topicEvents(t, d.kafka, "skyfly.customer.v1", func(string) bool { return true })
		return slices.Contains(types, "customer.profile.created") && slices.Contains(types, "customer.notification.delivered")
	}, 30*time.Second, 500*time.Millisecond, "customer events on skyfly.customer.v1: %v",
		topicEvents(t, d.kafka, "skyfly.customer.v1", func(string) bool { return true }))

	// Change: book a flight, then move it to a later one on the same route.
	b2 := c.reserve(c.quote(it.ID, fareID))
	require.Equal(t, http.StatusOK, c.do("POST", "/api/v1/bookings/"+b2.BookingID+"/confirm", map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, nil))
	later := c.search("JFK", "LHR", 10)
	target := later.Itineraries[0]
	var changeQuote struct {
		QuoteID string `json:"quoteId"`
	}
	code = c.do("POST", "/api/v1/bookings/"+b2.BookingID+"/change", map[string]any{"flightIds": []string{target.Segments[0].FlightID}, "fareId": fareID, "reason": "e2e"}, &changeQuote)
	require.Equal(t, http.StatusOK, code)
	require.NotEmpty(t, changeQuote.QuoteID)
	require.Equal(t, http.StatusAccepted, c.do("POST", "/api/v1/bookings/"+b2.BookingID+"/change",
		map[string]any{"flightIds": []string{target.Segments[0].FlightID}, "fareId": fareID, "quoteId": changeQuote.QuoteID}, nil))
	var changed bookingView
	require.Eventually(t, func() bool {
		changed = bookingView{}
		c.do("GET", "/api/v1/bookings/"+b2.BookingID, nil, &changed)
		return changed.Status == "CONFIRMED" && len(changed.Itinerary.Segments) > 0 && changed.Itinerary.Segments[0].FlightID == target.Segments[0].FlightID
	}, 60*time.Second, 200*time.Millisecond, "the booking moves to %s (last seen %+v)", target.Segments[0].FlightID, changed)

	// Logout revokes the session at the gateway within seconds (A4).
	require.Equal(t, http.StatusNoContent, c.do("POST", "/api/v1/auth/logout", nil, nil))
	require.Eventually(t, func() bool {
		return c.do("GET", "/api/v1/users/me", nil, nil) == http.StatusUnauthorized
	}, 10*time.Second, 100*time.Millisecond, "the old access token stops working")
}

// bookingEvents reads skyfly.booking.v1 from the start and returns the
// types of one booking's events in order, duplicates dropped.
func bookingEvents(t *testing.T, brokers, bookingID string) []string {
	t.Helper()
	return topicEvents(t, brokers, "skyfly.booking.v1", func(key string) bool { return key == bookingID })
}

// topicEvents reads topic from the start and returns the types of the
// events whose key keep accepts, in order per key, duplicates dropped.
func topicEvents(t *testing.T, brokers, topic string, keep func(key string) bool) []string {
	t.Helper()
	require.NotEmpty(t, brokers, "the banner names Kafka")
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	seen := map[string]bool{}
	var types []string
	for ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if !keep(string(r.Key)) {
				return
			}
			var e struct{ ID, Type string }
			if json.Unmarshal(r.Value, &e) == nil && !seen[e.ID] {
				seen[e.ID] = true
				types = append(types, e.Type)
			}
		})
	}
	return types
}
