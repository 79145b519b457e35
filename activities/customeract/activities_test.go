package customeract_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
	"github.com/skyfly/skyfly/services/customer/customermongo"
	"github.com/skyfly/skyfly/services/customer/customertest"
)

type fixture struct {
	acts   *customeract.Activities
	svc    *customer.Service
	store  *customermongo.Store
	outbox *customerchannel.Outbox
	env    *testsuite.TestActivityEnvironment
	email  *switchable
}

// switchable is an email channel that can be made to fail.
type switchable struct {
	down bool
	next customer.Sender
}

func (s *switchable) Send(ctx context.Context, m customer.Message) (string, error) {
	if s.down {
		return "", errors.New("smtp: 421 service not available")
	}
	return s.next.Send(ctx, m)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	c, err := mongodb.Connect(ctx, mongodb.Config{DSN: testenv.FerretDB(t, "sqlite"), WriteConcern: "majority"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	_, err = customermongo.EnsureIndexes(ctx, c.DB)
	require.NoError(t, err)

	clock := customertest.NewClock(customertest.Epoch())
	f := &fixture{store: customermongo.New(c.DB), outbox: customerchannel.NewOutbox(100, clock.Now)}
	f.email = &switchable{next: f.outbox}
	ts, err := customer.NewTemplates(customer.Catalog())
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n := customer.NewNotifier(customer.NotifierConfig{
		Log: log, Store: f.store, Templates: ts, Limits: customer.DefaultLimits(), Now: clock.Now,
		Senders: map[customer.Channel]customer.Sender{customer.ChannelEmail: f.email, customer.ChannelSMS: f.outbox, customer.ChannelPush: f.outbox},
	})
	f.svc = customer.NewService(log, f.store, n, customertest.NewSecrets(), customer.DefaultVerificationPolicy(), clock.Now)
	f.acts = customeract.New(log, f.svc, n)
	var suite testsuite.WorkflowTestSuite
	f.env = suite.NewTestActivityEnvironment()
	f.env.RegisterActivity(f.acts)
	return f
}

func (f *fixture) send(in customeract.SendBookingNotificationInput) (customeract.SendBookingNotificationResult, error) {
	var out customeract.SendBookingNotificationResult
	v, err := f.env.ExecuteActivity(f.acts.SendBookingNotification, in)
	if err != nil {
		return out, err
	}
	return out, v.Get(&out)
}

func confirmed() customeract.SendBookingNotificationInput {
	return customeract.SendBookingNotificationInput{
		BookingID: "b1", Event: customeract.EventConfirmed, Sequence: 1, CustomerID: "u1",
		Email: "ada@example.com", Data: map[string]string{"pnr": "K7QX2M", "total": "459.90 EUR"},
	}
}

func TestSendBookingNotification_T4_RunTwiceSendsOnce(t *testing.T) {
	f := newFixture(t)
	first, err := f.send(confirmed())
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	require.Len(t, first.NotificationIDs, 1)

	second, err := f.send(confirmed())
	require.NoError(t, err)
	require.True(t, second.Duplicate, "the second run did not see the first")
	require.Equal(t, first.NotificationIDs, second.NotificationIDs)

	msgs := f.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"})
	require.Len(t, msgs, 1, "got %d emails, want 1", len(msgs))
	require.Equal(t, "Booking confirmed: K7QX2M", msgs[0].Subject)

	next := confirmed()
	next.Sequence = 2
	third, err := f.send(next)
	require.NoError(t, err)
	require.False(t, third.Duplicate, "another sequence of the same event is a new message")
	require.Len(t, f.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"}), 2)
}

func TestSendBookingNotification_FailedDeliveryIsRetriedThenSentOnce(t *testing.T) {
	f := newFixture(t)
	f.email.down = true
	_, err := f.send(confirmed())
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		require.False(t, appErr.NonRetryable(), "a delivery failure must be retried")
	}
	f.email.down = false
	res, err := f.send(confirmed())
	require.NoError(t, err)
	require.False(t, res.Duplicate, "the retry delivered the message for the first time")
	_, err = f.send(confirmed())
	require.NoError(t, err)
	require.Len(t, f.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"}), 1)
}

func TestSendBookingNotification_ProfileChannelsAndLanguage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.svc.Patch(ctx, "u1", "ada@example.com", func(e customer.Editable) (customer.Editable, error) {
		e.GivenName = "Ada"
		e.Preferences.Language = "de"
		e.Preferences.Channels = []customer.Channel{customer.ChannelEmail, customer.ChannelSMS, customer.ChannelPush}
		return e, nil
	})
	require.NoError(t, err)
	in := confirmed()
	in.Email, in.Phone = "", "+4915112345678"
	res, err := f.send(in)
	require.NoError(t, err)
	require.Len(t, res.NotificationIDs, 3, "want email, SMS and push")

	mail := f.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"})
	require.Len(t, mail, 1, "the profile's email is the fallback")
	require.Equal(t, "Buchung bestätigt: K7QX2M", mail[0].Subject, "the profile's language is used")
	require.Contains(t, mail[0].Text, "Hallo Ada,")
	require.Len(t, f.outbox.Messages(customerchannel.OutboxFilter{To: "+4915112345678"}), 1)
	require.Len(t, f.outbox.Messages(customerchannel.OutboxFilter{To: "user:u1"}), 1)
}

// TestSendBookingNotification_ConfirmedBookingEmailOverSMTP: the saga's
// confirmation reaches a real SMTP server as one email, also when the
// activity runs twice.
func TestSendBookingNotification_ConfirmedBookingEmailOverSMTP(t *testing.T) {
	f := newFixture(t)
	srv := customertest.StartSMTP(t)
	smtp, err := customerchannel.NewSMTP(customerchannel.SMTPConfig{Host: srv.Host, Port: srv.Port, Username: srv.User, Password: srv.Password, TLS: "none", From: "SkyFly <no-reply@skyfly.dev>"})
	require.NoError(t, err)
	f.email.next = smtp

	in := confirmed()
	in.Data["givenName"] = "Ada & <Co>"
	first, err := f.send(in)
	require.NoError(t, err)
	_, err = f.send(in)
	require.NoError(t, err)

	msgs := srv.Messages()
	require.Len(t, msgs, 1, "got %d emails over SMTP, want 1", len(msgs))
	require.Equal(t, []string{"ada@example.com"}, msgs[0].To)
	raw := string(msgs[0].Data)
	require.Contains(t, raw, "Subject: Booking confirmed: K7QX2M")
	require.Contains(t, raw, "Message-ID: <"+first.NotificationIDs[0]+"@skyfly.dev>")
	require.Contains(t, raw, "Hello Ada &amp; &lt;Co&gt;,", "the HTML part escapes the data")
}

func TestSendBookingNotification_Refusals(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name     string
		edit     func(*customeract.SendBookingNotificationInput)
		wantType string
	}{
		{"an unknown event", func(in *customeract.SendBookingNotificationInput) { in.Event = "booking.teleported" }, customeract.ErrTypeUnknownEvent},
		{"no booking id", func(in *customeract.SendBookingNotificationInput) { in.BookingID = "" }, customeract.ErrTypeInvalidInput},
		{"data without a pnr", func(in *customeract.SendBookingNotificationInput) { in.Data = map[string]string{} }, customeract.ErrTypeTemplateData},
		{"no address and no profile", func(in *customeract.SendBookingNotificationInput) { in.Email, in.CustomerID = "", "ghost" }, customeract.ErrTypeNoRecipient},
		{"a malformed address", func(in *customeract.SendBookingNotificationInput) { in.Email = "ada at example" }, customeract.ErrTypeInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := confirmed()
			tt.edit(&in)
			_, err := f.send(in)
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			require.Equal(t, tt.wantType, appErr.Type())
			require.True(t, appErr.NonRetryable(), "a refusal must not be retried")
		})
	}
	require.Empty(t, f.outbox.Messages(customerchannel.OutboxFilter{}))
}

// blocking holds every delivery until released.
type blocking struct {
	started chan struct{}
	release chan struct{}
	next    customer.Sender
}

func (b *blocking) Send(ctx context.Context, m customer.Message) (string, error) {
	b.started <- struct{}{}
	<-b.release
	return b.next.Send(ctx, m)
}

// TestSendBookingNotification_T4_AttemptWhileAnotherDeliversIsRetried: an
// attempt that finds the message being delivered by an earlier attempt
// (still running after a timeout) fails retryably instead of reporting a
// message that may never be sent.
func TestSendBookingNotification_T4_AttemptWhileAnotherDeliversIsRetried(t *testing.T) {
	f := newFixture(t)
	b := &blocking{started: make(chan struct{}, 1), release: make(chan struct{}), next: f.outbox}
	f.email.next = b
	done := make(chan error, 1)
	go func() {
		_, err := f.send(confirmed())
		done <- err
	}()
	<-b.started
	_, err := f.send(confirmed())
	require.Error(t, err, "a second attempt during delivery reported success")
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		require.False(t, appErr.NonRetryable())
	}
	close(b.release)
	require.NoError(t, <-done)
	res, err := f.send(confirmed())
	require.NoError(t, err)
	require.True(t, res.Duplicate)
	require.Len(t, f.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"}), 1)
}
