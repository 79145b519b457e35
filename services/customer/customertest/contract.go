// Package customertest holds the contract suite every customer.Store
// implementation must pass, and small test doubles for the domain's other
// dependencies (an in-memory secrets provider, a manual clock).
package customertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/services/customer"
)

// Epoch returns the instant tests start their clocks at: 09:00 UTC on the
// day the test run started (whole seconds: document stores keep
// milliseconds).
func Epoch() time.Time { return testdate.At(0, 9, 0) }

// RunStoreContract runs the contract suite against stores made by newStore;
// each call must return an empty store.
func RunStoreContract(t *testing.T, newStore func(t *testing.T) customer.Store) {
	ctx := context.Background()

	t.Run("profiles round-trip and are keyed by user id", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Profile(ctx, "u1")
		require.ErrorIs(t, err, customer.ErrNotFound)

		p := customer.Profile{
			UserID: "u1", Email: "ada@example.com", GivenName: "Ada", FamilyName: "Lovelace", Phone: "+4915112345678",
			PhoneVerified: true, PhoneVerifiedAt: Epoch(),
			Preferences: customer.Preferences{Seat: "aisle", Meal: "VGML", Language: "de", Channels: []customer.Channel{customer.ChannelEmail, customer.ChannelSMS}, OptOuts: []string{"marketing"}},
			Travellers: []customer.Traveller{{ID: "trv_1", Type: "ADT", Title: "DR", GivenName: "Charles", FamilyName: "Babbage", DateOfBirth: "1791-12-26", Gender: "M",
				Document: &customer.TravelDocument{Type: "PASSPORT", Number: "X1234567", IssuingCountry: "GB", Nationality: "GB", ExpiryDate: testdate.YearsFrom(Epoch(), 4)}}},
			CreatedAt: Epoch(), UpdatedAt: Epoch(), Version: 1,
		}
		require.NoError(t, s.CreateProfile(ctx, p))
		got, err := s.Profile(ctx, "u1")
		require.NoError(t, err)
		require.Equal(t, p, got, "got the stored profile, want what was created")

		err = s.CreateProfile(ctx, customer.Profile{UserID: "u1", Email: "other@example.com", Version: 1})
		require.ErrorIs(t, err, customer.ErrAlreadyExists)

		_, err = s.Profile(ctx, "u2")
		require.ErrorIs(t, err, customer.ErrNotFound)
	})

	t.Run("profile updates are optimistic: a stale version conflicts", func(t *testing.T) {
		s := newStore(t)
		p := customer.Profile{UserID: "u1", Email: "a@example.com", Preferences: customer.DefaultPreferences(), CreatedAt: Epoch(), UpdatedAt: Epoch(), Version: 1}
		require.NoError(t, s.CreateProfile(ctx, p))

		next := p
		next.GivenName, next.Version = "Ada", 2
		require.NoError(t, s.UpdateProfile(ctx, next, 1))

		stale := p
		stale.GivenName, stale.Version = "Eve", 2
		require.ErrorIs(t, s.UpdateProfile(ctx, stale, 1), customer.ErrConflict)

		got, err := s.Profile(ctx, "u1")
		require.NoError(t, err)
		require.Equal(t, "Ada", got.GivenName, "got the given name after a stale update, want the first update's")
		require.Equal(t, int64(2), got.Version)

		missing := p
		missing.UserID = "nobody"
		require.ErrorIs(t, s.UpdateProfile(ctx, missing, 1), customer.ErrNotFound)
	})

	t.Run("of concurrent profile updates from one version exactly one wins", func(t *testing.T) {
		s := newStore(t)
		p := customer.Profile{UserID: "u1", Email: "a@example.com", Preferences: customer.DefaultPreferences(), CreatedAt: Epoch(), UpdatedAt: Epoch(), Version: 1}
		require.NoError(t, s.CreateProfile(ctx, p))
		for round := int64(1); round <= 3; round++ {
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 6 {
				wg.Go(func() {
					next := p
					next.GivenName, next.Version = fmt.Sprintf("Writer%c", 'A'+i), round+1
					err := s.UpdateProfile(ctx, next, round)
					switch {
					case err == nil:
						wins.Add(1)
					case !errors.Is(err, customer.ErrConflict):
						t.Errorf("update: %v", err)
					}
				})
			}
			wg.Wait()
			require.Equal(t, int32(1), wins.Load(), "round %d: got %d winners, want 1", round, wins.Load())
			got, err := s.Profile(ctx, "u1")
			require.NoError(t, err)
			require.Equal(t, round+1, got.Version)
		}
	})

	t.Run("a verification counts attempts atomically up to the maximum", func(t *testing.T) {
		s := newStore(t)
		v := customer.Verification{ID: "v1", UserID: "u1", Phone: "+4915112345678", CodeHash: []byte{1, 2, 3}, KeyVersion: 1, CreatedAt: Epoch(), ExpiresAt: Epoch().Add(10 * time.Minute)}
		require.NoError(t, s.PutVerification(ctx, v))
		got, err := s.Verification(ctx, "u1")
		require.NoError(t, err)
		require.Equal(t, v, got)

		var ok, refused atomic.Int32
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				_, err := s.AddVerificationAttempt(ctx, "u1", "v1", 5)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, customer.ErrVerificationAttempts):
					refused.Add(1)
				default:
					t.Errorf("attempt: %v", err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(5), ok.Load(), "got %d counted attempts, want 5", ok.Load())
		require.Equal(t, int32(7), refused.Load())

		_, err = s.AddVerificationAttempt(ctx, "u1", "old", 5)
		require.ErrorIs(t, err, customer.ErrNotFound, "an attempt on a replaced code")
	})

	t.Run("a verification is consumed once, also concurrently", func(t *testing.T) {
		s := newStore(t)
		v := customer.Verification{ID: "v1", UserID: "u1", Phone: "+4915112345678", CodeHash: []byte{1}, KeyVersion: 1, CreatedAt: Epoch(), ExpiresAt: Epoch().Add(time.Minute)}
		require.NoError(t, s.PutVerification(ctx, v))
		var ok, used atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				err := s.ConsumeVerification(ctx, "u1", "v1")
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, customer.ErrVerificationUsed):
					used.Add(1)
				default:
					t.Errorf("consume: %v", err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), ok.Load(), "got %d successful consumes, want 1", ok.Load())
		_, err := s.AddVerificationAttempt(ctx, "u1", "v1", 5)
		require.ErrorIs(t, err, customer.ErrVerificationUsed)

		v2 := v
		v2.ID = "v2"
		require.NoError(t, s.PutVerification(ctx, v2), "a new code replaces the used one")
		require.ErrorIs(t, s.ConsumeVerification(ctx, "u1", "v1"), customer.ErrNotFound)
		require.NoError(t, s.ConsumeVerification(ctx, "u1", "v2"))
	})

	t.Run("notifications are unique by dedupe key", func(t *testing.T) {
		s := newStore(t)
		n := customer.Notification{
			ID: "n1", DedupeKey: "booking/b1/booking.confirmed/0/email", UserID: "u1", Channel: customer.ChannelEmail,
			Recipient: "a@example.com", TemplateID: "booking_confirmed", Category: customer.CategoryTransactional, Language: "en",
			Data: map[string]string{"pnr": "ABC234"}, Subject: "Booking confirmed: ABC234", Status: customer.StatusQueued,
			CreatedAt: Epoch(), UpdatedAt: Epoch(),
		}
		require.NoError(t, s.InsertNotification(ctx, n))
		dup := n
		dup.ID = "n2"
		require.ErrorIs(t, s.InsertNotification(ctx, dup), customer.ErrDuplicate)

		got, err := s.Notification(ctx, n.ID)
		require.NoError(t, err)
		require.Equal(t, n, got)
		_, err = s.Notification(ctx, "nope")
		require.ErrorIs(t, err, customer.ErrNotFound)

		sameID := n
		sameID.DedupeKey = "another key"
		require.ErrorIs(t, s.InsertNotification(ctx, sameID), customer.ErrDuplicate, "a second record with one id")
	})

	t.Run("one sender claims a notification until its lease ends", func(t *testing.T) {
		s := newStore(t)
		n := customer.Notification{ID: "n1", DedupeKey: "n1", Channel: customer.ChannelSMS, Recipient: "+4915112345678", TemplateID: "t", Status: customer.StatusQueued, CreatedAt: Epoch(), UpdatedAt: Epoch(), Data: map[string]string{}}
		require.NoError(t, s.InsertNotification(ctx, n))

		var claims atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, ok, err := s.ClaimNotification(ctx, "n1", Epoch(), Epoch().Add(time.Minute))
				if err != nil {
					t.Errorf("claim: %v", err)
				}
				if ok {
					claims.Add(1)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), claims.Load(), "got %d claims of a queued notification, want 1", claims.Load())

		_, ok, err := s.ClaimNotification(ctx, "n1", Epoch().Add(30*time.Second), Epoch().Add(90*time.Second))
		require.NoError(t, err)
		require.False(t, ok, "claimed while the lease runs")
		got, ok, err := s.ClaimNotification(ctx, "n1", Epoch().Add(2*time.Minute), Epoch().Add(3*time.Minute))
		require.NoError(t, err)
		require.True(t, ok, "an ended lease can be taken over")
		require.Equal(t, 2, got.Attempts)
		require.Equal(t, customer.StatusSending, got.Status)

		require.NoError(t, s.FinishNotification(ctx, "n1", customer.StatusSent, "prov-1", "", Epoch().Add(2*time.Minute)))
		got, ok, err = s.ClaimNotification(ctx, "n1", Epoch().Add(time.Hour), Epoch().Add(2*time.Hour))
		require.NoError(t, err)
		require.False(t, ok, "a sent notification is never claimed again")
		require.Equal(t, customer.StatusSent, got.Status)
		require.Equal(t, "prov-1", got.ProviderMessageID)
		require.Equal(t, Epoch().Add(2*time.Minute), got.SentAt)
		require.True(t, got.LeaseUntil.IsZero(), "got lease %v after finishing, want none", got.LeaseUntil)

		require.ErrorIs(t, s.FinishNotification(ctx, "nope", customer.StatusSent, "", "", Epoch()), customer.ErrNotFound)
	})

	t.Run("a failed notification can be claimed again", func(t *testing.T) {
		s := newStore(t)
		n := customer.Notification{ID: "n1", DedupeKey: "n1", Channel: customer.ChannelEmail, Recipient: "a@example.com", TemplateID: "t", Status: customer.StatusQueued, CreatedAt: Epoch(), UpdatedAt: Epoch(), Data: map[string]string{}}
		require.NoError(t, s.InsertNotification(ctx, n))
		_, ok, err := s.ClaimNotification(ctx, "n1", Epoch(), Epoch().Add(time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.FinishNotification(ctx, "n1", customer.StatusFailed, "", "smtp: 451 try later", Epoch()))
		got, ok, err := s.ClaimNotification(ctx, "n1", Epoch().Add(time.Second), Epoch().Add(time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 2, got.Attempts)
	})

	t.Run("notifications list newest first by user and by recipient", func(t *testing.T) {
		s := newStore(t)
		for i := range 5 {
			user, rcpt := "u1", "a@example.com"
			if i%2 == 1 {
				user, rcpt = "u2", "b@example.com"
			}
			at := Epoch().Add(time.Duration(i) * time.Minute)
			require.NoError(t, s.InsertNotification(ctx, customer.Notification{
				ID: fmt.Sprintf("n%d", i), DedupeKey: fmt.Sprintf("n%d", i), UserID: user, Recipient: rcpt, Channel: customer.ChannelEmail,
				TemplateID: "t", Status: customer.StatusSent, CreatedAt: at, UpdatedAt: at, Data: map[string]string{},
			}))
		}
		got, err := s.ListNotifications(ctx, customer.NotificationFilter{UserID: "u1"})
		require.NoError(t, err)
		require.Equal(t, []string{"n4", "n2", "n0"}, ids(got))
		got, err = s.ListNotifications(ctx, customer.NotificationFilter{Recipient: "b@example.com", Limit: 1})
		require.NoError(t, err)
		require.Equal(t, []string{"n3"}, ids(got))
	})

	t.Run("limiter state swaps only from the version read, also concurrently", func(t *testing.T) {
		s := newStore(t)
		_, version, err := s.LimiterState(ctx, "k")
		require.NoError(t, err)
		require.Equal(t, int64(0), version, "got a version for an unknown key, want 0")

		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				ok, err := s.SwapLimiterState(ctx, "k", 0, int64(100+i), Epoch().Add(time.Hour))
				if err != nil {
					t.Errorf("swap: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), wins.Load(), "got %d creators of one key, want 1", wins.Load())

		tat, version, err := s.LimiterState(ctx, "k")
		require.NoError(t, err)
		require.Equal(t, int64(1), version)
		require.GreaterOrEqual(t, tat, int64(100))

		wins.Store(0)
		for i := range 8 {
			wg.Go(func() {
				ok, err := s.SwapLimiterState(ctx, "k", 1, int64(500+i), Epoch().Add(time.Hour))
				if err != nil {
					t.Errorf("swap: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), wins.Load(), "got %d writers of version 2, want 1", wins.Load())
		ok, err := s.SwapLimiterState(ctx, "k", 1, 900, Epoch().Add(time.Hour))
		require.NoError(t, err)
		require.False(t, ok, "swapped from a stale version")
		tat, version, err = s.LimiterState(ctx, "k")
		require.NoError(t, err)
		require.Equal(t, int64(2), version)
		require.GreaterOrEqual(t, tat, int64(500))
	})

	t.Run("an applied event is remembered per consumer, recording it twice is fine", func(t *testing.T) {
		s := newStore(t)
		done, err := s.EventApplied(ctx, "c1", "bk-1/3")
		require.NoError(t, err)
		require.False(t, done)
		require.NoError(t, s.RecordEventApplied(ctx, "c1", "bk-1/3", Epoch()))
		require.NoError(t, s.RecordEventApplied(ctx, "c1", "bk-1/3", Epoch()), "a redelivery records again")
		done, err = s.EventApplied(ctx, "c1", "bk-1/3")
		require.NoError(t, err)
		require.True(t, done)
		done, err = s.EventApplied(ctx, "c2", "bk-1/3")
		require.NoError(t, err)
		require.False(t, done, "another consumer's record counted")
	})

	t.Run("a booking reference is found by booking id, a repeat replaces it", func(t *testing.T) {
		s := newStore(t)
		_, err := s.BookingRef(ctx, "bk-1")
		require.ErrorIs(t, err, customer.ErrNotFound)
		require.NoError(t, s.PutBookingRef(ctx, customer.BookingRef{BookingID: "bk-1", PNR: "ABC123", CustomerID: "u1", At: Epoch()}))
		require.NoError(t, s.PutBookingRef(ctx, customer.BookingRef{BookingID: "bk-2", PNR: "XYZ789", CustomerID: "u2", At: Epoch()}))
		require.NoError(t, s.PutBookingRef(ctx, customer.BookingRef{BookingID: "bk-1", PNR: "ABC123", CustomerID: "u1", At: Epoch().Add(time.Minute)}))
		got, err := s.BookingRef(ctx, "bk-1")
		require.NoError(t, err)
		require.Equal(t, customer.BookingRef{BookingID: "bk-1", PNR: "ABC123", CustomerID: "u1", At: Epoch().Add(time.Minute)}, got)
		got, err = s.BookingRef(ctx, "bk-2")
		require.NoError(t, err)
		require.Equal(t, "XYZ789", got.PNR)
	})
}

func ids(ns []customer.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}
