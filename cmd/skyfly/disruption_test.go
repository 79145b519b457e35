package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testdate"
)

type availabilityView struct {
	Cabins []struct {
		Cabin     string `json:"cabin"`
		Capacity  int    `json:"capacity"`
		Available int    `json:"seatsAvailable"`
	} `json:"cabins"`
}

type disruptionView struct {
	DisruptionID string `json:"disruptionId"`
	Seq          int    `json:"seq"`
	Kind         string `json:"kind"`
	WorkflowID   string `json:"workflowId"`
	Code         string `json:"code"`
	Progress     *struct {
		Status         string   `json:"status"`
		Found          int      `json:"found"`
		Started        int      `json:"started"`
		Rebooked       int      `json:"rebooked"`
		NeedsAttention int      `json:"needsAttention"`
		Failed         int      `json:"failed"`
		FailedIDs      []string `json:"failedIds"`
	} `json:"progress"`
}

// supervisorToken signs the demo supervisor in with password and TOTP.
func supervisorToken(t *testing.T, d *devProcess) string {
	t.Helper()
	return demoStaffToken(t, d, "supervisor@skyfly.dev")
}

// demoStaffToken signs a demo staff account of the banner in with its
// password and TOTP.
func demoStaffToken(t *testing.T, d *devProcess, email string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dataDir, "demo-staff.json"))
	require.NoError(t, err)
	var creds map[string]demoCredential
	require.NoError(t, json.Unmarshal(b, &creds))
	sup, ok := creds[email]
	require.True(t, ok, "%s is a demo staff account", email)
	a := staffLogin(t, http.DefaultClient, "http://"+d.gateway, sup.Email, sup.Password, sup.TOTPSecret)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var tok struct {
		AccessToken string `json:"accessToken"`
	}
	require.NoError(t, json.Unmarshal(a.body, &tok))
	require.NotEmpty(t, tok.AccessToken)
	return tok.AccessToken
}

// availability reads a flight's exact seat counters (a staff view).
func (a *api) availability(flightID string) availabilityView {
	a.t.Helper()
	var v availabilityView
	require.Equal(a.t, http.StatusOK, a.do("GET", "/api/v1/flights/"+flightID+"/availability", nil, &v))
	require.NotEmpty(a.t, v.Cabins)
	for _, c := range v.Cabins {
		require.Positive(a.t, c.Capacity, "the staff view has the counters")
	}
	return v
}

// TestDev_11_DisruptionRebooksEveryBooking cancels a flight carrying 200
// confirmed bookings across fare classes and cabins on `skyfly dev`, as a
// supervisor would, and checks what ACCEPTANCE asks of a disruption: every
// booking ends rebooked or in NEEDS_ATTENTION, every old seat is released
// exactly once (the cancelled flight is back to its full capacity), no
// alternative is oversold, every customer is notified once, the progress
// is visible, a repeated request is idempotent, and a rebooked LIGHT fare
// cancels with a full refund.
func TestDev_11_DisruptionRebooksEveryBooking(t *testing.T) {
	d := startDev(t)
	defer d.stop(t)
	gw := "http://" + d.gateway
	cust := &api{t: t, base: gw, token: login(t, gw, "disrupted@example.com")}
	sup := &api{t: t, base: gw, token: supervisorToken(t, d)}

	res := cust.search("JFK", "LHR", 12)
	var flightID, itinerary string
	for _, it := range res.Itineraries {
		if it.Stops == 0 {
			flightID, itinerary = it.Segments[0].FlightID, it.ID
			break
		}
	}
	require.NotEmpty(t, flightID, "a direct JFK→LHR flight")
	before := sup.availability(flightID)

	// 200 bookings of one adult each, round-robin over every fare of the
	// flight (a closed bucket moves on to the next fare).
	fares := []string{"Y-O", "Y-Q", "Y-K", "Y-M", "Y-B", "Y-Y", "W-N", "W-E", "W-W", "J-I", "J-D", "J-J", "F-A", "F-F"}
	const bookings = 200
	type booked struct{ id, fare, email string }
	all := make([]booked, bookings)
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	start := time.Now()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &api{t: t, base: gw, token: cust.token, n: w * 100000}
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= bookings {
					return
				}
				email := fmt.Sprintf("pax%03d@example.com", i)
				var id, fare string
				for k := 0; k < len(fares) && id == ""; k++ {
					// A bucket that closes between quote and hold refuses the
					// reserve with 409 seat_unavailable: try the next fare.
					f := fares[(i+k)%len(fares)]
					var q struct {
						QuoteID string `json:"quoteId"`
					}
					if c.do("POST", "/api/v1/pricing/quote", map[string]any{"itineraryId": itinerary, "fareId": f, "passengers": map[string]int{"adults": 1}}, &q) != http.StatusCreated {
						continue
					}
					var b struct {
						BookingID string `json:"bookingId"`
						Code      string `json:"code"`
					}
					code := c.do("POST", "/api/v1/bookings/reserve", map[string]any{
						"quoteId": q.QuoteID,
						"passengers": []map[string]any{{"type": "ADT", "title": "MR", "givenName": "Pax", "familyName": fmt.Sprintf("Number%03d", i), "dateOfBirth": "1985-03-04", "gender": "M",
							"document": map[string]string{"type": "PASSPORT", "number": fmt.Sprintf("P%07d", i), "issuingCountry": "GB", "nationality": "GB", "expiryDate": testdate.YearsFrom(testdate.Today(), 5)}}},
						"contact": map[string]string{"email": email, "phone": "+447700900123"},
					}, &b)
					if code == http.StatusConflict && b.Code == "seat_unavailable" {
						continue
					}
					if code != http.StatusCreated {
						t.Errorf("booking %d: reserve %d %+v", i, code, b)
						return
					}
					id, fare = b.BookingID, f
				}
				if id == "" {
					t.Errorf("booking %d: no fare left on %s", i, flightID)
					return
				}
				var confirmed struct {
					Status any    `json:"status"`
					Code   string `json:"code"`
				}
				if code := c.do("POST", "/api/v1/bookings/"+id+"/confirm", map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, &confirmed); code != http.StatusOK || confirmed.Status != "CONFIRMED" {
					t.Errorf("booking %d: confirm %d %+v", i, code, confirmed)
					return
				}
				all[i] = booked{id: id, fare: fare, email: email}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	t.Logf("%d confirmed bookings on %s in %s", bookings, flightID, time.Since(start).Round(time.Millisecond))
	perFare := map[string]int{}
	for _, b := range all {
		perFare[b.fare]++
	}
	require.Greater(t, len(perFare), 6, "bookings across fare classes: %v", perFare)

	// An agent may look, not cancel a flight; a supervisor cancels it.
	body := map[string]any{"kind": "CANCELLED", "reason": "aircraft on ground at JFK"}
	var dv disruptionView
	disruptedAt := time.Now()
	require.Equal(t, http.StatusAccepted, sup.do("POST", "/api/v1/staff/flights/"+flightID+"/disruption", body, &dv), "%+v", dv)
	require.Equal(t, 1, dv.Seq)
	require.Equal(t, "disruption/"+flightID+"/1", dv.WorkflowID)
	var q struct {
		Code string `json:"code"`
	}
	require.Equal(t, http.StatusConflict, cust.do("POST", "/api/v1/pricing/quote", map[string]any{"itineraryId": itinerary, "fareId": "Y-Y", "passengers": map[string]int{"adults": 1}}, &q))
	require.Equal(t, "flight_cancelled", q.Code, "the cancelled flight stops selling at once")

	require.Eventually(t, func() bool {
		dv = disruptionView{}
		sup.do("GET", "/api/v1/staff/flights/"+flightID+"/disruption", nil, &dv)
		return dv.Progress != nil && dv.Progress.Status == "COMPLETED"
	}, 4*time.Minute, 500*time.Millisecond, "the disruption completes (last %+v)", dv.Progress)
	t.Logf("disruption of %d bookings took %s: %+v", bookings, time.Since(disruptedAt).Round(time.Millisecond), *dv.Progress)
	p := dv.Progress
	require.Equal(t, bookings, p.Found)
	require.Equal(t, bookings, p.Started)
	require.Zero(t, p.Failed, "failed: %v", p.FailedIDs)
	require.Equal(t, bookings, p.Rebooked+p.NeedsAttention)

	// Idempotent: the same request answers the same disruption.
	var again disruptionView
	require.Equal(t, http.StatusOK, sup.do("POST", "/api/v1/staff/flights/"+flightID+"/disruption", body, &again))
	require.Equal(t, dv.WorkflowID, again.WorkflowID)

	// Every booking is rebooked off the flight or waits for an agent.
	onto := map[string]int{} // alternative flight → rebooked bookings on it
	rebookedLight := ""
	for _, b := range all {
		got := cust.waitStatusIn(b.id, "CONFIRMED", "NEEDS_ATTENTION")
		if got.Status == "CONFIRMED" {
			for _, s := range got.Itinerary.Segments {
				require.NotEqual(t, flightID, s.FlightID, "booking %s left the cancelled flight", b.id)
				onto[s.FlightID]++
			}
			require.Equal(t, got.Total.Amount, got.Payments[0].Paid.Amount, "nothing more to pay")
			if b.fare == "Y-O" && rebookedLight == "" {
				rebookedLight = b.id
			}
		}
	}
	// Every old seat came back exactly once.
	after := sup.availability(flightID)
	for i, c := range after.Cabins {
		require.Equal(t, c.Capacity, c.Available, "cabin %s of %s is empty again (before: %d available)", c.Cabin, flightID, before.Cabins[i].Available)
	}
	// No alternative is oversold: each carries at least the rebooked ones.
	for id, n := range onto {
		v := sup.availability(id)
		sold := 0
		for _, c := range v.Cabins {
			require.GreaterOrEqual(t, c.Available, 0, "%s %s", id, c.Cabin)
			sold += c.Capacity - c.Available
		}
		require.GreaterOrEqual(t, sold, n, "%s carries the %d rebooked passengers", id, n)
	}
	// Every customer is told once.
	for _, b := range all {
		var out struct {
			Messages []struct {
				TemplateID string `json:"templateId"`
			} `json:"messages"`
		}
		require.Equal(t, http.StatusOK, cust.do("GET", "/api/v1/dev/outbox?channel=email&limit=100&to="+b.email, nil, &out))
		n := 0
		for _, m := range out.Messages {
			if slices.Contains([]string{"booking_rebooked", "booking_disrupted"}, m.TemplateID) {
				n++
			}
		}
		require.Equal(t, 1, n, "%s is notified of the disruption once: %+v", b.email, out.Messages)
	}
	// A rebooked LIGHT (non-refundable) fare now cancels with a full refund.
	if rebookedLight != "" {
		var cq struct {
			Refund moneyView `json:"refund"`
		}
		require.Equal(t, http.StatusOK, cust.do("POST", "/api/v1/bookings/"+rebookedLight+"/cancel", map[string]any{}, &cq))
		got := cust.waitStatusIn(rebookedLight, "CONFIRMED")
		require.Equal(t, got.Total.Amount, cq.Refund.Amount, "a disrupted booking refunds in full")
	}
}

// waitStatusIn waits until the booking is in one of the statuses.
func (a *api) waitStatusIn(id string, want ...string) bookingView {
	a.t.Helper()
	var b bookingView
	require.Eventually(a.t, func() bool {
		b = bookingView{}
		a.do("GET", "/api/v1/bookings/"+id, nil, &b)
		return slices.Contains(want, b.Status)
	}, 60*time.Second, 200*time.Millisecond, "booking %s reaches %v (last %s)", id, want, b.Status)
	return b
}
