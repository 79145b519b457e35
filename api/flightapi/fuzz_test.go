package flightapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/testdate"
)

// checkAnswer: a request decoder answers a client's bytes with success or
// a 4xx problem+json carrying a stable code, never a 5xx.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%d for client input: %s", rec.Code, rec.Body.String())
	}
	if rec.Code >= 400 {
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Fatalf("%d with Content-Type %q", rec.Code, ct)
		}
		var p struct {
			Code string `json:"code"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code == "" {
			t.Fatalf("%d without a problem code: %s", rec.Code, rec.Body.String())
		}
	}
}

// FuzzSearchParameters: any query string on the search route.
func FuzzSearchParameters(f *testing.F) {
	fx := newFixture(f)
	f.Add("origin=JFK&destination=LHR&date=" + date(1) + "&adults=1")
	f.Add("origin=JFK&destination=LHR&date=" + date(1) + "&adults=2&children=1&infants=3&sort=price&maxStops=1")
	f.Add(fmt.Sprintf("origin=jfk&destination=&date=%d-02-30&adults=-1", testdate.Today().Year())) // February 30 never exists
	f.Add("origin=JFK&destination=LHR&date=" + date(1) + "&cursor=%00%ff&limit=999999999999999999999")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/flights/search", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, req)
		checkAnswer(t, rec)
	})
}

// FuzzQuoteBody: any body on the quote route.
func FuzzQuoteBody(f *testing.F) {
	fx := newFixture(f)
	n := 0
	f.Add([]byte(`{"flightIds":["` + flightID + `"],"fareId":"Y-M","passengers":{"adults":1}}`))
	f.Add([]byte(`{"itineraryId":"x_y_z","fareId":"Q-Q","passengers":{"adults":10,"infants":-1}}`))
	f.Add([]byte(`{"fareId":1}`))
	f.Add([]byte(`[`))
	f.Add([]byte(strings.Repeat(`{"a":`, 200)))
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		req := httptest.NewRequest(http.MethodPost, "/api/v1/pricing/quote", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(idempotency.Header, fmt.Sprintf("fuzz-%d", n))
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, req)
		checkAnswer(t, rec)
	})
}
