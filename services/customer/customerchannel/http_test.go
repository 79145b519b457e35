package customerchannel_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
)

func TestHTTPProvider_SendsWithIdempotencyKey(t *testing.T) {
	var gotKey, gotAuth string
	var gotBody map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey, gotAuth = r.Header.Get("Idempotency-Key"), r.Header.Get("Authorization")
		_ = json.NewDecoder(r.Body).Decode(&gotBody)
		_, _ = w.Write([]byte(`{"id":"SM123"}`))
	}))
	defer srv.Close()

	push, err := customerchannel.NewPushProvider(customerchannel.HTTPConfig{URL: srv.URL, Token: "tok"})
	require.NoError(t, err)
	id, err := push.Send(context.Background(), customer.Message{ID: "ntf_1", To: "user:u1", Subject: "Booking confirmed", Short: "K7QX2M is confirmed"})
	require.NoError(t, err)
	require.Equal(t, "SM123", id)
	require.Equal(t, "ntf_1", gotKey)
	require.Equal(t, "Bearer tok", gotAuth)
	require.Equal(t, map[string]string{"to": "user:u1", "title": "Booking confirmed", "body": "K7QX2M is confirmed"}, gotBody)
}

func TestHTTPProvider_RejectionAndOutage(t *testing.T) {
	status := http.StatusBadRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
	}))
	defer srv.Close()
	sms, err := customerchannel.NewSMSProvider(customerchannel.HTTPConfig{URL: srv.URL})
	require.NoError(t, err)

	_, err = sms.Send(context.Background(), customer.Message{ID: "ntf_1", To: "+4915112345678", Short: "hi"})
	require.ErrorIs(t, err, customerchannel.ErrProviderRejected)

	status = http.StatusServiceUnavailable
	_, err = sms.Send(context.Background(), customer.Message{ID: "ntf_1", To: "+4915112345678", Short: "hi"})
	require.Error(t, err)
	require.NotErrorIs(t, err, customerchannel.ErrProviderRejected)
}

func TestOutbox_NewestFirstFilteredAndBounded(t *testing.T) {
	now := testdate.At(0, 9, 0)
	o := customerchannel.NewOutbox(3, func() time.Time { return now })
	for i, to := range []string{"a@x.io", "b@x.io", "a@x.io", "a@x.io"} {
		_, err := o.Send(context.Background(), customer.Message{ID: string(rune('1' + i)), To: to})
		require.NoError(t, err)
	}
	got := o.Messages(customerchannel.OutboxFilter{})
	require.Len(t, got, 3, "got %d messages, want the newest 3", len(got))
	require.Equal(t, "4", got[0].ID)
	got = o.Messages(customerchannel.OutboxFilter{To: "a@x.io"})
	require.Equal(t, []string{"4", "3"}, []string{got[0].ID, got[1].ID})
	require.Len(t, o.Messages(customerchannel.OutboxFilter{To: "a@x.io", Limit: 1}), 1)
}
