package customer_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
	"github.com/skyfly/skyfly/services/customer/customermongo"
	"github.com/skyfly/skyfly/services/customer/customertest"
)

// env is the customer domain on a real FerretDB with the development outbox
// on every channel.
type env struct {
	store    *customermongo.Store
	clock    *customertest.Clock
	outbox   *customerchannel.Outbox
	notifier *customer.Notifier
	svc      *customer.Service
	senders  map[customer.Channel]customer.Sender
}

func newEnv(t testing.TB, limits customer.Limits) *env {
	t.Helper()
	ctx := context.Background()
	c, err := mongodb.Connect(ctx, mongodb.Config{DSN: testenv.FerretDB(t, "sqlite"), WriteConcern: "majority"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	_, err = customermongo.EnsureIndexes(ctx, c.DB)
	require.NoError(t, err)

	e := &env{store: customermongo.New(c.DB), clock: customertest.NewClock(customertest.Epoch())}
	e.outbox = customerchannel.NewOutbox(100, e.clock.Now)
	e.senders = map[customer.Channel]customer.Sender{customer.ChannelEmail: e.outbox, customer.ChannelSMS: e.outbox, customer.ChannelPush: e.outbox}
	ts, err := customer.NewTemplates(customer.Catalog())
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.notifier = customer.NewNotifier(customer.NotifierConfig{Log: log, Store: e.store, Templates: ts, Senders: e.senders, Limits: limits, Now: e.clock.Now})
	e.svc = customer.NewService(log, e.store, e.notifier, customertest.NewSecrets(), customer.DefaultVerificationPolicy(), e.clock.Now)
	return e
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode reads the newest verification code sent to phone from the outbox.
func (e *env) lastCode(t *testing.T, phone string) string {
	t.Helper()
	msgs := e.outbox.Messages(customerchannel.OutboxFilter{To: phone, Limit: 1})
	require.NotEmpty(t, msgs, "no SMS to %s in the outbox", phone)
	m := codeRE.FindStringSubmatch(msgs[0].Short)
	require.NotNil(t, m, "no code in %q", msgs[0].Short)
	return m[1]
}

func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

const phone = "+4915112345678"

func TestVerification_ConfirmMarksPhoneVerified(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	v, err := e.svc.RequestPhoneVerification(ctx, "u1", "ada@example.com", phone)
	require.NoError(t, err)
	code := e.lastCode(t, phone)

	stored, err := e.store.Verification(ctx, "u1")
	require.NoError(t, err)
	require.Equal(t, v.ID, stored.ID)
	require.NotContains(t, string(stored.CodeHash), code, "the code is stored in clear")
	require.Len(t, stored.CodeHash, 32, "want an HMAC-SHA256 of the code")
	require.Equal(t, customertest.Epoch().Add(10*time.Minute), stored.ExpiresAt, "got expiry, want a 10-minute TTL")

	recs, err := e.store.ListNotifications(ctx, customer.NotificationFilter{UserID: "u1"})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, "[redacted]", recs[0].Data["code"], "the notification record keeps the code")
	require.Equal(t, customer.StatusSent, recs[0].Status)

	p, err := e.svc.ConfirmPhoneVerification(ctx, "u1", "ada@example.com", code)
	require.NoError(t, err)
	require.True(t, p.PhoneVerified)
	require.Equal(t, phone, p.Phone)
	got, err := e.store.Profile(ctx, "u1")
	require.NoError(t, err)
	require.True(t, got.PhoneVerified, "got a stored profile whose phone is not verified")
}

func TestVerification_CodeIsOneTimeUse(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	_, err := e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	require.NoError(t, err)
	code := e.lastCode(t, phone)

	var ok, used int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, err := e.svc.ConfirmPhoneVerification(ctx, "u1", "", code)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, customer.ErrVerificationUsed):
				used++
			default:
				t.Errorf("confirm: %v", err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, ok, "got %d successful confirmations of one code, want 1", ok)
	_, err = e.svc.ConfirmPhoneVerification(ctx, "u1", "", code)
	require.ErrorIs(t, err, customer.ErrVerificationUsed)
}

func TestVerification_ExpiresAfterTenMinutes(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	_, err := e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	require.NoError(t, err)
	code := e.lastCode(t, phone)
	e.clock.Advance(10 * time.Minute)
	_, err = e.svc.ConfirmPhoneVerification(ctx, "u1", "", code)
	require.ErrorIs(t, err, customer.ErrVerificationExpired)
}

func TestVerification_FiveAttemptsThenLocked(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	_, err := e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	require.NoError(t, err)
	code := e.lastCode(t, phone)
	for i := 1; i <= 5; i++ {
		_, err := e.svc.ConfirmPhoneVerification(ctx, "u1", "", wrong(code))
		var ve *customer.VerificationError
		require.ErrorAs(t, err, &ve, "attempt %d", i)
		require.Equal(t, 5-i, ve.AttemptsLeft, "attempt %d: got attempts left", i)
	}
	_, err = e.svc.ConfirmPhoneVerification(ctx, "u1", "", code)
	require.ErrorIs(t, err, customer.ErrVerificationAttempts, "the right code after 5 wrong ones")
}

func TestVerification_ConfirmWithoutRequest(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	_, err := e.svc.ConfirmPhoneVerification(context.Background(), "u1", "", "123456")
	require.ErrorIs(t, err, customer.ErrVerificationNotRequested)
}

func TestVerification_NewCodeReplacesOld(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	_, err := e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	require.NoError(t, err)
	first := e.lastCode(t, phone)
	e.clock.Advance(time.Minute)
	_, err = e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	require.NoError(t, err)
	second := e.lastCode(t, phone)
	if first != second {
		_, err = e.svc.ConfirmPhoneVerification(ctx, "u1", "", first)
		require.ErrorIs(t, err, customer.ErrVerificationMismatch, "the replaced code still works")
	}
	_, err = e.svc.ConfirmPhoneVerification(ctx, "u1", "", second)
	require.NoError(t, err)
}

func TestVerification_ResendThrottle(t *testing.T) {
	e := newEnv(t, customer.Limits{})
	ctx := context.Background()
	_, err := e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	require.NoError(t, err)

	_, err = e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	var rl *customer.RateLimitError
	require.ErrorAs(t, err, &rl, "a second code within a minute")
	require.Equal(t, "verification-cooldown", rl.Limit)
	require.Equal(t, time.Minute, rl.RetryAfter)

	e.clock.Advance(30 * time.Second)
	_, err = e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	require.ErrorAs(t, err, &rl)
	require.Equal(t, 30*time.Second, rl.RetryAfter)

	for i := 2; i <= 5; i++ {
		e.clock.Advance(time.Minute)
		_, err = e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
		require.NoError(t, err, "code %d after a minute", i)
	}
	e.clock.Advance(time.Minute)
	_, err = e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	require.ErrorAs(t, err, &rl, "a sixth code within the hour")
	require.Equal(t, "verification-hourly", rl.Limit)
	require.Len(t, e.outbox.Messages(customerchannel.OutboxFilter{To: phone}), 5, "got SMS count, want 5")

	// Another account cannot flood the same number either.
	_, err = e.svc.RequestPhoneVerification(ctx, "u2", "", phone)
	require.ErrorAs(t, err, &rl, "a code for the same number from another account")
	require.Equal(t, "verification-per-phone", rl.Limit)
	_, err = e.svc.RequestPhoneVerification(ctx, "u2", "", "+14155550123")
	require.NoError(t, err, "another number for that account")
}

func TestVerification_InvalidPhone(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	_, err := e.svc.RequestPhoneVerification(context.Background(), "u1", "", "0151 1234567")
	require.ErrorIs(t, err, customer.ErrInvalid)
}

func TestProfile_CreatedOnFirstAccessAndPatched(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	p, err := e.svc.Me(ctx, "u1", "ada@example.com")
	require.NoError(t, err)
	require.Equal(t, "ada@example.com", p.Email)
	require.Equal(t, customer.DefaultPreferences(), p.Preferences)

	p, err = e.svc.Patch(ctx, "u1", "ada@example.com", func(ed customer.Editable) (customer.Editable, error) {
		ed.GivenName, ed.Phone, ed.Preferences.Seat = "Ada", phone, "aisle"
		ed.Travellers = []customer.Traveller{{Type: "CHD", GivenName: "Byron", FamilyName: "King", DateOfBirth: "2018-02-01"}}
		return ed, nil
	})
	require.NoError(t, err)
	require.Equal(t, "Ada", p.GivenName)
	require.NotEmpty(t, p.Travellers[0].ID, "a new saved traveller gets an id")
	got, err := e.store.Profile(ctx, "u1")
	require.NoError(t, err)
	require.Equal(t, p, got)

	_, err = e.svc.Patch(ctx, "u1", "", func(ed customer.Editable) (customer.Editable, error) {
		ed.Preferences.Language = "tlh"
		return ed, nil
	})
	var ve *customer.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "preferences.language", ve.Fields[0].Field)
}

func TestProfile_ChangedPhoneIsUnverified(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	_, err := e.svc.RequestPhoneVerification(ctx, "u1", "", phone)
	require.NoError(t, err)
	_, err = e.svc.ConfirmPhoneVerification(ctx, "u1", "", e.lastCode(t, phone))
	require.NoError(t, err)
	p, err := e.svc.Patch(ctx, "u1", "", func(ed customer.Editable) (customer.Editable, error) {
		ed.GivenName = "Ada"
		return ed, nil
	})
	require.NoError(t, err)
	require.True(t, p.PhoneVerified, "an unrelated change unverified the phone")
	p, err = e.svc.Patch(ctx, "u1", "", func(ed customer.Editable) (customer.Editable, error) {
		ed.Phone = "+14155550123"
		return ed, nil
	})
	require.NoError(t, err)
	require.False(t, p.PhoneVerified, "a new number is verified without a code")
}

func TestProfile_ConcurrentPatchesAllApply(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	_, err := e.svc.Me(ctx, "u1", "")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for _, ch := range []customer.Channel{customer.ChannelSMS, customer.ChannelPush} {
		wg.Go(func() {
			_, err := e.svc.Patch(ctx, "u1", "", func(ed customer.Editable) (customer.Editable, error) {
				ed.Preferences.Channels = append(append([]customer.Channel{}, ed.Preferences.Channels...), ch)
				return ed, nil
			})
			if err != nil {
				t.Errorf("patch: %v", err)
			}
		})
	}
	wg.Wait()
	p, err := e.store.Profile(ctx, "u1")
	require.NoError(t, err)
	require.ElementsMatch(t, []customer.Channel{customer.ChannelEmail, customer.ChannelSMS, customer.ChannelPush}, p.Preferences.Channels, "a concurrent patch was lost")
}

func TestNotifier_T4_SameDedupeKeySendsOnce(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	req := customer.SendRequest{Channel: customer.ChannelEmail, To: "ada@example.com", TemplateID: customer.TemplateBookingConfirmed,
		Data: map[string]string{"pnr": "K7QX2M"}, DedupeKey: "booking/b1/booking.confirmed/0/email"}
	first, err := e.notifier.Send(ctx, req)
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	require.Equal(t, customer.StatusSent, first.Notification.Status)
	require.Equal(t, "outbox-"+first.Notification.ID, first.Notification.ProviderMessageID)

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			again, err := e.notifier.Send(ctx, req)
			if err != nil {
				t.Errorf("send again: %v", err)
				return
			}
			if !again.Duplicate || again.Notification.ID != first.Notification.ID {
				t.Errorf("got duplicate=%v id=%s, want the first record %s", again.Duplicate, again.Notification.ID, first.Notification.ID)
			}
		})
	}
	wg.Wait()
	require.Len(t, e.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"}), 1, "got messages delivered, want 1")
}

func TestNotifier_T4_ConcurrentFirstSendsDeliverOnce(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	req := customer.SendRequest{Channel: customer.ChannelEmail, To: "ada@example.com", TemplateID: customer.TemplateBookingHeld,
		Data: map[string]string{"pnr": "K7QX2M"}, DedupeKey: "booking/b1/booking.held/0/email"}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := e.notifier.Send(ctx, req); err != nil {
				t.Errorf("send: %v", err)
			}
		})
	}
	wg.Wait()
	require.Len(t, e.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"}), 1, "got messages delivered, want 1")
}

// flaky fails its first n deliveries.
type flaky struct {
	mu    sync.Mutex
	fails int
	next  customer.Sender
}

func (f *flaky) Send(ctx context.Context, m customer.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return "", errors.New("451 try again later")
	}
	return f.next.Send(ctx, m)
}

func TestNotifier_FailedDeliveryIsRecordedAndRetried(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	e.senders[customer.ChannelEmail] = &flaky{fails: 1, next: e.outbox}
	ctx := context.Background()
	req := customer.SendRequest{Channel: customer.ChannelEmail, To: "ada@example.com", TemplateID: customer.TemplateBookingExpired,
		Data: map[string]string{"pnr": "K7QX2M"}, DedupeKey: "booking/b1/booking.expired/0/email"}
	res, err := e.notifier.Send(ctx, req)
	require.ErrorIs(t, err, customer.ErrDeliveryFailed)
	require.Equal(t, customer.StatusFailed, res.Notification.Status)
	stored, err := e.store.Notification(ctx, customer.NotificationID(req.DedupeKey))
	require.NoError(t, err)
	require.Equal(t, customer.StatusFailed, stored.Status)
	require.Contains(t, stored.Reason, "451")

	res, err = e.notifier.Send(ctx, req)
	require.NoError(t, err)
	require.Equal(t, stored.ID, res.Notification.ID, "the retry made a new record")
	require.Equal(t, customer.StatusSent, res.Notification.Status)
	require.Equal(t, 2, res.Notification.Attempts)
	require.Len(t, e.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"}), 1)
}

func TestNotifier_RateLimits(t *testing.T) {
	e := newEnv(t, customer.Limits{
		PerRecipient: customer.Rate{Max: 3, Per: time.Hour},
		PerTemplate:  customer.Rate{Max: 2, Per: time.Hour},
	})
	ctx := context.Background()
	send := func(tpl, to string) error {
		_, err := e.notifier.Send(ctx, customer.SendRequest{Channel: customer.ChannelEmail, To: to, TemplateID: tpl,
			Data: map[string]string{"pnr": "K7QX2M"}})
		return err
	}
	require.NoError(t, send(customer.TemplateBookingHeld, "ada@example.com"))
	require.NoError(t, send(customer.TemplateBookingHeld, "ada@example.com"))

	err := send(customer.TemplateBookingHeld, "ada@example.com")
	var rl *customer.RateLimitError
	require.ErrorAs(t, err, &rl, "a third message of one template")
	require.Equal(t, "per-template", rl.Limit)
	require.Equal(t, 30*time.Minute, rl.RetryAfter)

	require.NoError(t, send(customer.TemplateBookingConfirmed, "ada@example.com"), "another template still goes")
	err = send(customer.TemplateBookingCancelled, "ada@example.com")
	require.ErrorAs(t, err, &rl, "a fourth message to one recipient")
	require.Equal(t, "per-recipient", rl.Limit)

	require.NoError(t, send(customer.TemplateBookingHeld, "bob@example.com"), "another recipient is not limited")
	e.clock.Advance(20 * time.Minute)
	require.NoError(t, send(customer.TemplateBookingCancelled, "ada@example.com"), "the limit refills")

	require.Len(t, e.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"}), 4)
	recs, err := e.store.ListNotifications(ctx, customer.NotificationFilter{Recipient: "ada@example.com"})
	require.NoError(t, err)
	require.Len(t, recs, 4, "refused requests left records")
}

func TestNotifier_RateLimitedSystemMessageIsRecordedSuppressed(t *testing.T) {
	e := newEnv(t, customer.Limits{PerTemplate: customer.Rate{Max: 1, Per: time.Hour}})
	ctx := context.Background()
	req := func(key string) customer.SendRequest {
		return customer.SendRequest{Channel: customer.ChannelEmail, To: "ada@example.com", TemplateID: customer.TemplateBookingHeld,
			Data: map[string]string{"pnr": "K7QX2M"}, DedupeKey: key, SuppressWhenLimited: true}
	}
	_, err := e.notifier.Send(ctx, req("b1"))
	require.NoError(t, err)
	res, err := e.notifier.Send(ctx, req("b2"))
	require.NoError(t, err)
	require.Equal(t, customer.StatusSuppressed, res.Notification.Status)
	require.Equal(t, "rate_limited: per-template", res.Notification.Reason)
	again, err := e.notifier.Send(ctx, req("b2"))
	require.NoError(t, err)
	require.True(t, again.Duplicate, "a retry of a suppressed message is not a new one")
	require.Len(t, e.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"}), 1)
}

func TestNotifier_OptOutsSkipOnlyNonTransactional(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	_, err := e.svc.Patch(ctx, "u1", "ada@example.com", func(ed customer.Editable) (customer.Editable, error) {
		ed.Preferences.OptOuts = []string{customer.OptOutMarketing}
		return ed, nil
	})
	require.NoError(t, err)

	res, err := e.notifier.Send(ctx, customer.SendRequest{Channel: customer.ChannelEmail, UserID: "u1", TemplateID: customer.TemplateMarketingOffer,
		Data: map[string]string{"headline": "Fly to Lisbon", "body": "From 49 EUR"}})
	require.NoError(t, err)
	require.Equal(t, customer.StatusSuppressed, res.Notification.Status)
	require.Equal(t, "opted_out", res.Notification.Reason)

	res, err = e.notifier.Send(ctx, customer.SendRequest{Channel: customer.ChannelEmail, UserID: "u1", TemplateID: customer.TemplateBookingCancelled,
		Data: map[string]string{"pnr": "K7QX2M"}})
	require.NoError(t, err)
	require.Equal(t, customer.StatusSent, res.Notification.Status, "a transactional message was suppressed")

	msgs := e.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"})
	require.Len(t, msgs, 1)
	require.Equal(t, customer.TemplateBookingCancelled, msgs[0].TemplateID)
}

func TestNotifier_RefusesBeforeRecording(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	ctx := context.Background()
	tests := []struct {
		name string
		req  customer.SendRequest
		want error
	}{
		{"an unknown template", customer.SendRequest{Channel: customer.ChannelEmail, To: "a@example.com", TemplateID: "win_a_prize"}, customer.ErrUnknownTemplate},
		{"missing data", customer.SendRequest{Channel: customer.ChannelEmail, To: "a@example.com", TemplateID: customer.TemplateBookingConfirmed}, customer.ErrMissingTemplateData},
		{"a template on a channel it is not for", customer.SendRequest{Channel: customer.ChannelEmail, To: "a@example.com", TemplateID: customer.TemplatePhoneVerification, Data: map[string]string{"code": "1", "minutes": "1"}}, customer.ErrChannelNotAllowed},
		{"a bad email address", customer.SendRequest{Channel: customer.ChannelEmail, To: "not-an-address", TemplateID: customer.TemplateBookingHeld, Data: map[string]string{"pnr": "X"}}, customer.ErrInvalid},
		{"a bad phone number", customer.SendRequest{Channel: customer.ChannelSMS, To: "12345", TemplateID: customer.TemplateBookingHeld, Data: map[string]string{"pnr": "X"}}, customer.ErrInvalid},
		{"an unknown user", customer.SendRequest{Channel: customer.ChannelEmail, UserID: "ghost", TemplateID: customer.TemplateBookingHeld, Data: map[string]string{"pnr": "X"}}, customer.ErrNoRecipient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.notifier.Send(ctx, tt.req)
			require.ErrorIs(t, err, tt.want)
		})
	}
	recs, err := e.store.ListNotifications(ctx, customer.NotificationFilter{})
	require.NoError(t, err)
	require.Empty(t, recs)

	_, err = e.svc.Me(ctx, "u1", "ada@example.com")
	require.NoError(t, err)
	_, err = e.notifier.Send(ctx, customer.SendRequest{Channel: customer.ChannelSMS, UserID: "u1", TemplateID: customer.TemplateBookingHeld, Data: map[string]string{"pnr": "X"}})
	require.ErrorIs(t, err, customer.ErrNoRecipient, "an SMS to a user without a verified phone")
}

func TestTemplates_AllowListRendersEveryLanguage(t *testing.T) {
	ts, err := customer.NewTemplates(customer.Catalog())
	require.NoError(t, err)
	for _, id := range ts.IDs() {
		require.Equal(t, []string{"de", "en"}, ts.Languages(id), "template %s", id)
		tpl, err := ts.Lookup(id)
		require.NoError(t, err)
		data := map[string]string{}
		for _, k := range tpl.Required() {
			data[k] = "V-" + k
		}
		for _, lang := range []string{"en", "de"} {
			r, err := tpl.Render(lang, data)
			require.NoError(t, err, "%s/%s with only required data", id, lang)
			require.Equal(t, lang, r.Language)
			for _, part := range []string{r.Subject, r.Text, r.HTML, r.Short} {
				require.NotEmpty(t, part, "%s/%s has an empty part", id, lang)
				require.NotContains(t, part, "<no value>", "%s/%s", id, lang)
			}
		}
	}
	tpl, err := ts.Lookup(customer.TemplateBookingHeld)
	require.NoError(t, err)
	r, err := tpl.Render("fr", map[string]string{"pnr": "K7QX2M"})
	require.NoError(t, err)
	require.Equal(t, "en", r.Language, "an unknown language falls back to English")
	require.Equal(t, "Your seats are held: booking K7QX2M", r.Subject)
}

func TestTemplates_UnknownAndMissingData(t *testing.T) {
	ts, err := customer.NewTemplates(customer.Catalog())
	require.NoError(t, err)
	_, err = ts.Lookup("../../etc/passwd")
	require.ErrorIs(t, err, customer.ErrUnknownTemplate)

	tpl, err := ts.Lookup(customer.TemplatePhoneVerification)
	require.NoError(t, err)
	_, err = tpl.Render("en", map[string]string{"code": "123456", "minutes": " "})
	var de *customer.TemplateDataError
	require.ErrorAs(t, err, &de)
	require.Equal(t, []string{"minutes"}, de.Missing)
}

func TestTemplates_HTMLEscapesData(t *testing.T) {
	ts, err := customer.NewTemplates(customer.Catalog())
	require.NoError(t, err)
	tpl, err := ts.Lookup(customer.TemplateBookingConfirmed)
	require.NoError(t, err)
	r, err := tpl.Render("en", map[string]string{"pnr": `K7"><img src=x onerror=alert(1)>`, "manageUrl": "javascript:alert(1)", "givenName": "<b>Ada</b>"})
	require.NoError(t, err)
	require.NotContains(t, r.HTML, "<img", "got markup from data in the HTML")
	require.NotContains(t, r.HTML, "<b>Ada</b>")
	require.Contains(t, r.HTML, "&lt;b&gt;Ada&lt;/b&gt;")
	require.NotContains(t, r.HTML, `href="javascript:`, "got a script URL in a link")
	require.True(t, strings.HasPrefix(r.HTML, "<!DOCTYPE html>"))
}

func TestLimiter_BurstThenEvenRefill(t *testing.T) {
	e := newEnv(t, customer.DefaultLimits())
	l := customer.NewLimiter(e.store, e.clock.Now)
	ctx := context.Background()
	r := customer.Rate{Max: 3, Per: time.Minute}
	for i := range 3 {
		require.NoError(t, l.Allow(ctx, "t", "k", r), "event %d of the burst", i+1)
	}
	err := l.Allow(ctx, "t", "k", r)
	var rl *customer.RateLimitError
	require.ErrorAs(t, err, &rl)
	require.Equal(t, 20*time.Second, rl.RetryAfter)
	e.clock.Advance(20 * time.Second)
	require.NoError(t, l.Allow(ctx, "t", "k", r))
	require.ErrorIs(t, l.Allow(ctx, "t", "k", r), customer.ErrRateLimited)

	// Concurrent callers never get more than the burst.
	var ok int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			err := l.Allow(ctx, "t", "concurrent", r)
			if err != nil && !errors.Is(err, customer.ErrRateLimited) {
				t.Errorf("allow: %v", err)
			}
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, 3, ok, "got %d allowed of 10 concurrent, want 3", ok)
}
