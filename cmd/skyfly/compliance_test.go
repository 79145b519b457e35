package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/temporal/codec"
)

// subjectOf reads the user id (sub) of an access token.
func subjectOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims struct {
		Sub string `json:"sub"`
	}
	require.NoError(t, json.Unmarshal(raw, &claims))
	require.NotEmpty(t, claims.Sub)
	return claims.Sub
}

// bookAndPay books one Flex seat JFK→LHR and pays for it.
func (a *api) bookAndPay(days int) bookingView {
	a.t.Helper()
	res := a.search("JFK", "LHR", days)
	it := res.Itineraries[0]
	var fareID string
	for _, f := range it.Fares {
		if f.Family == "FLEX" {
			fareID = f.FareID
		}
	}
	require.NotEmpty(a.t, fareID)
	b := a.reserve(a.quote(it.ID, fareID))
	require.Equal(a.t, http.StatusOK, a.do("POST", "/api/v1/bookings/"+b.BookingID+"/confirm", map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, nil))
	return a.waitStatus(b.BookingID, "CONFIRMED")
}

type exportAnswer struct {
	ExportID    string `json:"exportId"`
	Status      string `json:"status"`
	DownloadURL string `json:"downloadUrl"`
}

// problemAnswer is the stable code of a problem+json answer.
type problemAnswer struct {
	Code string `json:"code"`
}

// TestDev_G1G2_ExportAndErasure drives the data-protection flows through
// the real `skyfly dev`: a customer who searched, booked, paid, cancelled
// and was notified exports every category of their data (and nobody
// else's), downloads it once; a customer with a trip ahead cannot be
// erased; after the cooling-off period the first customer is erased in
// every domain, their token stops working and a second erasure is refused.
func TestDev_G1G2_ExportAndErasure(t *testing.T) {
	d := startDev(t, "SKYFLY_ERASURE_COOLING_OFF=3s")
	defer d.stop(t)
	gw := "http://" + d.gateway
	ada := &api{t: t, base: gw, token: login(t, gw, "ada.g2@example.com")}
	adaID := subjectOf(t, ada.token)
	mallory := &api{t: t, base: gw, token: login(t, gw, "mallory.g2@example.com")}
	staff := &api{t: t, base: gw, token: supervisorToken(t, d)}

	require.Equal(t, http.StatusOK, ada.do("GET", "/api/v1/users/me", nil, nil))
	b := ada.bookAndPay(11)
	var cq struct {
		QuoteID string `json:"quoteId"`
	}
	require.Equal(t, http.StatusOK, ada.do("POST", "/api/v1/bookings/"+b.BookingID+"/cancel", map[string]any{}, &cq))
	require.Equal(t, http.StatusAccepted, ada.do("POST", "/api/v1/bookings/"+b.BookingID+"/cancel", map[string]any{"quoteId": cq.QuoteID}, nil))
	ada.waitStatus(b.BookingID, "CANCELLED")
	mb := mallory.bookAndPay(12)

	// G1: export, poll, download once.
	var ex exportAnswer
	require.Equal(t, http.StatusAccepted, ada.do("POST", "/api/v1/users/me/export", nil, &ex))
	require.NotEmpty(t, ex.ExportID)
	exportID := ex.ExportID
	require.Eventually(t, func() bool {
		ex = exportAnswer{}
		ada.do("GET", "/api/v1/users/me/exports/"+exportID, nil, &ex)
		return ex.Status == "READY"
	}, 60*time.Second, 300*time.Millisecond, "the export becomes READY")
	require.NotEmpty(t, ex.DownloadURL)
	require.Equal(t, http.StatusNotFound, mallory.do("GET", "/api/v1/users/me/exports/"+ex.ExportID, nil, nil), "someone else's export does not exist")
	require.Equal(t, http.StatusNotFound, mallory.do("GET", ex.DownloadURL, nil, nil))
	var bad problemAnswer
	require.Equal(t, http.StatusForbidden, ada.do("GET", ex.DownloadURL[:len(ex.DownloadURL)-4]+"0000", nil, &bad))
	require.Equal(t, "download_link_invalid", bad.Code)

	var doc struct {
		Schema string `json:"schema"`
		UserID string `json:"userId"`
		Auth   struct {
			User struct {
				Email string `json:"email"`
			} `json:"user"`
			Sessions       []json.RawMessage `json:"sessions"`
			SecurityEvents []json.RawMessage `json:"securityEvents"`
		} `json:"auth"`
		Customer struct {
			Profile *struct {
				UserID string `json:"userId"`
			} `json:"profile"`
			Notifications []struct {
				UserID string `json:"userId"`
			} `json:"notifications"`
		} `json:"customer"`
		Bookings []struct {
			Booking struct {
				ID         string `json:"bookingId"`
				CustomerID string `json:"customerId"`
				Passengers []struct {
					GivenName string `json:"givenName"`
				} `json:"passengers"`
				History []json.RawMessage `json:"history"`
			} `json:"booking"`
		} `json:"bookings"`
		Payments []struct {
			BookingID string `json:"bookingId"`
			Last4     string `json:"cardLast4"`
			Refunded  int64  `json:"refunded"`
		} `json:"payments"`
	}
	var raw json.RawMessage
	require.Equal(t, http.StatusOK, ada.do("GET", ex.DownloadURL, nil, &raw))
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "skyfly.export.v1", doc.Schema)
	require.Equal(t, adaID, doc.UserID)
	require.Equal(t, "ada.g2@example.com", doc.Auth.User.Email)
	require.NotEmpty(t, doc.Auth.Sessions)
	require.NotEmpty(t, doc.Auth.SecurityEvents)
	require.NotNil(t, doc.Customer.Profile)
	require.NotEmpty(t, doc.Customer.Notifications, "the booking's notifications")
	require.Len(t, doc.Bookings, 1)
	require.Equal(t, b.BookingID, doc.Bookings[0].Booking.ID)
	require.Equal(t, "Ada", doc.Bookings[0].Booking.Passengers[0].GivenName)
	require.NotEmpty(t, doc.Bookings[0].Booking.History)
	require.Len(t, doc.Payments, 1)
	require.Equal(t, "4242", doc.Payments[0].Last4)
	require.Positive(t, doc.Payments[0].Refunded)
	require.NotContains(t, string(raw), "mallory", "nobody else's data")
	require.NotContains(t, string(raw), mb.BookingID)
	var gone problemAnswer
	require.Equal(t, http.StatusGone, ada.do("GET", ex.DownloadURL, nil, &gone), "downloadable once")
	require.Equal(t, "export_gone", gone.Code)

	// Staff export for a customer, and for nobody.
	var sx exportAnswer
	require.Equal(t, http.StatusAccepted, staff.do("POST", "/api/v1/staff/customers/"+adaID+"/export", nil, &sx))
	var nobody problemAnswer
	require.Equal(t, http.StatusNotFound, staff.do("POST", "/api/v1/staff/customers/usr_nobody/export", nil, &nobody))
	require.Equal(t, "unknown_user", nobody.Code)
	require.Equal(t, http.StatusForbidden, mallory.do("POST", "/api/v1/staff/customers/"+adaID+"/export", nil, nil))

	// G2: a trip ahead blocks erasure.
	var refused struct {
		Code     string           `json:"code"`
		Bookings []map[string]any `json:"bookings"`
	}
	require.Equal(t, http.StatusConflict, mallory.do("POST", "/api/v1/users/me/erasure", nil, &refused))
	require.Equal(t, "bookings_in_flight", refused.Code)
	require.Len(t, refused.Bookings, 1)
	require.Equal(t, mb.BookingID, refused.Bookings[0]["bookingId"])

	// Crypto-shredding: Ada's booking saga recorded her passengers under her
	// own key; the history decodes through the codec server now.
	adaHistory := subjectPayloads(t, d, "booking/"+b.BookingID, adaID)
	malloryHistory := subjectPayloads(t, d, "booking/"+mb.BookingID, subjectOf(t, mallory.token))
	status, plain := codecDecode(t, d, adaHistory)
	require.Equal(t, http.StatusOK, status, "%s", plain)
	require.Contains(t, string(plain), "Ada", "the decoded history holds the passenger")

	var er struct {
		Stage string `json:"stage"`
	}
	var last []byte
	require.Equal(t, http.StatusAccepted, ada.do("POST", "/api/v1/users/me/erasure", nil, &er))
	require.Equal(t, "COOLING_OFF", er.Stage)
	require.Eventually(t, func() bool {
		er.Stage = ""
		var raw json.RawMessage
		staff.do("GET", "/api/v1/staff/customers/"+adaID+"/erasure", nil, &raw)
		last = raw
		_ = json.Unmarshal(raw, &er)
		return er.Stage == "ERASED"
	}, 90*time.Second, 500*time.Millisecond, "the erasure runs after the cooling-off period (last %s)", &last)

	require.Eventually(t, func() bool {
		return ada.do("GET", "/api/v1/users/me", nil, nil) == http.StatusUnauthorized
	}, 15*time.Second, 200*time.Millisecond, "the erased customer's token stops working")
	var kept struct {
		PNR        string `json:"pnr"`
		Passengers []struct {
			GivenName  string `json:"givenName"`
			FamilyName string `json:"familyName"`
		} `json:"passengers"`
		Contact struct {
			Email string `json:"email"`
		} `json:"contact"`
		Total moneyView `json:"total"`
	}
	require.Equal(t, http.StatusOK, staff.do("GET", "/api/v1/bookings/"+b.BookingID, nil, &kept))
	require.Equal(t, b.PNR, kept.PNR, "the booking record stays")
	require.Equal(t, b.Total.Amount, kept.Total.Amount)
	require.Equal(t, "ERASED", kept.Passengers[0].GivenName)
	require.Empty(t, kept.Contact.Email)

	// The history recorded before the erasure no longer decodes; another
	// customer's still does.
	status, body := codecDecode(t, d, adaHistory)
	require.NotEqual(t, http.StatusOK, status, "Ada's shredded payloads do not decode: %s", body)
	require.Contains(t, string(body), "shredded")
	require.NotContains(t, string(body), "Ada")
	status, body = codecDecode(t, d, malloryHistory)
	require.Equal(t, http.StatusOK, status, "%s", body)

	var again problemAnswer
	require.Equal(t, http.StatusConflict, staff.do("POST", "/api/v1/staff/customers/"+adaID+"/erasure", nil, &again), "a second erasure is refused")
	require.Equal(t, "already_erased", again.Code)
	var still bookingView
	require.Equal(t, http.StatusOK, mallory.do("GET", "/api/v1/bookings/"+mb.BookingID, nil, &still), "another customer is untouched")
	require.Equal(t, "CONFIRMED", still.Status)

	// The audit trail (A5): Ada's own export, its downloads and her erasure
	// request are recorded with her as actor and subject, the staff export
	// with the supervisor; an auditor reads them, a customer cannot.
	auditor := &api{t: t, base: gw, token: demoStaffToken(t, d, "auditor@skyfly.dev")}
	var trail struct {
		Entries []struct {
			Actor      string `json:"actor"`
			ActorRole  string `json:"actorRole"`
			Action     string `json:"action"`
			CustomerID string `json:"customerId"`
			Status     int    `json:"status"`
		} `json:"entries"`
	}
	require.Equal(t, http.StatusOK, auditor.do("GET", "/api/v1/staff/audit/customer?subject="+adaID, nil, &trail))
	seen := map[string][]int{}
	for _, e := range trail.Entries {
		require.Equal(t, adaID, e.CustomerID)
		seen[e.ActorRole+" "+e.Action] = append(seen[e.ActorRole+" "+e.Action], e.Status)
		if e.ActorRole == "customer" {
			require.Equal(t, adaID, e.Actor)
		}
	}
	require.Equal(t, []int{http.StatusAccepted}, seen["customer POST /api/v1/users/me/export"], "%v", seen)
	require.Equal(t, []int{http.StatusForbidden, http.StatusOK, http.StatusGone}, seen["customer GET /api/v1/users/me/exports/:exportId/download"], "tampered, downloaded, gone: %v", seen)
	require.Equal(t, []int{http.StatusAccepted}, seen["customer POST /api/v1/users/me/erasure"], "%v", seen)
	require.Equal(t, []int{http.StatusAccepted}, seen["supervisor POST /api/v1/staff/customers/:userId/export"], "%v", seen)
	require.Equal(t, http.StatusForbidden, mallory.do("GET", "/api/v1/staff/audit/customer?subject="+adaID, nil, nil))
}

// subjectPayloads reads a workflow's history from the dev server as stored
// (no codec) and returns the payloads encrypted under the customer's own
// key; there must be some.
func subjectPayloads(t *testing.T, d *devProcess, workflowID, customerID string) []*commonpb.Payload {
	t.Helper()
	raw, err := client.Dial(client.Options{HostPort: d.temporal, Namespace: "default", Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	defer raw.Close()
	var out []*commonpb.Payload
	for _, p := range testenv.HistoryPayloads(t, testenv.History(t, raw, workflowID)) {
		if strings.HasPrefix(string(p.GetMetadata()[codec.MetadataKeyID]), "subject-"+customerID+"/") {
			out = append(out, p)
		}
	}
	require.NotEmpty(t, out, "%s holds payloads under the key of customer %s", workflowID, customerID)
	return out
}

// codecDecode asks the dev codec server to decode ps, as the Temporal UI
// does, and returns its status and body.
func codecDecode(t *testing.T, d *devProcess, ps []*commonpb.Payload) (int, []byte) {
	t.Helper()
	require.NotEmpty(t, d.codec, "the banner names the codec server")
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, d.codec+"/decode", bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+d.codecTok)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	if res.StatusCode == http.StatusOK {
		var out commonpb.Payloads
		require.NoError(t, protojson.Unmarshal(body, &out))
		var plain []byte
		for _, p := range out.Payloads {
			plain = append(append(plain, p.Data...), '\n')
		}
		return res.StatusCode, plain
	}
	return res.StatusCode, body
}
