package customermongo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customermongo"
	"github.com/skyfly/skyfly/services/customer/customertest"
)

// recorder is a bus that keeps what it was given. failAfter makes the
// next publication fail after the bus took the messages: the relay cannot
// tell it from a crash between publishing and marking them sent.
type recorder struct {
	mu        sync.Mutex
	msgs      []outbox.Message
	failAfter int
}

func (r *recorder) Publish(_ context.Context, msgs []outbox.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msgs...)
	if r.failAfter > 0 {
		r.failAfter--
		return errors.New("acknowledgement lost")
	}
	return nil
}

func (r *recorder) all() []outbox.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]outbox.Message(nil), r.msgs...)
}

// ids is the event ids of msgs in order, duplicates included.
func ids(msgs []outbox.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.EventID
	}
	return out
}

func ada(now time.Time) customer.Profile {
	return customer.Profile{UserID: "u-ada", Email: "ada@example.com", GivenName: "Ada", FamilyName: "Lovelace",
		Preferences: customer.DefaultPreferences(), CreatedAt: now, UpdatedAt: now, Version: 1}
}

// withProfile is a store on a fresh FerretDB database (sqlite handler)
// with Ada's profile created.
func withProfile(t *testing.T) (*mongo.Database, *customertest.Clock, *customermongo.Store, customer.Profile) {
	t.Helper()
	db := freshDB(t, testenv.FerretDB(t, "sqlite"))
	clock := customertest.NewClock(customertest.Epoch())
	s := customermongo.New(db)
	p := ada(clock.Now())
	require.NoError(t, s.CreateProfile(context.Background(), p))
	return db, clock, s, p
}

// drain runs the relay until a pass publishes nothing.
func drain(t *testing.T, r *customermongo.Relay) {
	t.Helper()
	for range 100 {
		n, err := r.RunOnce(context.Background())
		require.NoError(t, err)
		if n == 0 {
			return
		}
	}
	t.Fatal("the relay never ran dry")
}

// TestCustomerOutbox_StateChangesPublishOnceInOrder: creating and changing
// a profile and the outcomes of a notification's delivery attempts each
// write one event with the change; the relay publishes them to
// skyfly.customer.v1 keyed by aggregate id, in order per aggregate, with
// ids only (no e-mail, name or phone), and marks them sent so a second pass
// publishes nothing.
func TestCustomerOutbox_StateChangesPublishOnceInOrder(t *testing.T) {
	for _, handler := range testenv.FerretDBHandlers() {
		t.Run(handler, func(t *testing.T) {
			ctx := context.Background()
			db := freshDB(t, testenv.FerretDB(t, handler))
			clock := customertest.NewClock(customertest.Epoch())
			s := customermongo.New(db)

			p := ada(clock.Now())
			require.NoError(t, s.CreateProfile(ctx, p))
			clock.Advance(time.Second)
			p.GivenName, p.Phone, p.UpdatedAt = "Augusta", "+447700900123", clock.Now()
			require.NoError(t, s.UpdateProfile(ctx, p, 1))
			clock.Advance(time.Second)
			p.Preferences.Channels = []customer.Channel{customer.ChannelEmail, customer.ChannelSMS}
			p.UpdatedAt = clock.Now()
			require.NoError(t, s.UpdateProfile(ctx, p, 2))

			n := customer.Notification{ID: "n-1", DedupeKey: "booking/bk-1/confirmed/0/email", UserID: p.UserID, Channel: customer.ChannelEmail,
				Recipient: p.Email, TemplateID: customer.TemplateBookingConfirmed, Category: customer.CategoryTransactional, Language: "en",
				Data: map[string]string{"pnr": "ABC123"}, Subject: "Booking ABC123 confirmed", Status: customer.StatusQueued,
				CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
			require.NoError(t, s.InsertNotification(ctx, n))
			for _, outcome := range []customer.Status{customer.StatusFailed, customer.StatusSent} {
				clock.Advance(time.Second)
				_, claimed, err := s.ClaimNotification(ctx, n.ID, clock.Now(), clock.Now().Add(time.Minute))
				require.NoError(t, err)
				require.True(t, claimed)
				reason := ""
				if outcome == customer.StatusFailed {
					reason = "550 mailbox ada@example.com unavailable"
				}
				require.NoError(t, s.FinishNotification(ctx, n.ID, outcome, "", reason, clock.Now()))
			}

			bus := &recorder{}
			relay := customermongo.NewRelay(customermongo.RelayConfig{DB: db, Publisher: bus, Now: clock.Now})
			drain(t, relay)
			got := bus.all()
			require.Equal(t, []string{"u-ada/profile/1", "u-ada/profile/2", "u-ada/profile/3", "n-1/failed/1", "n-1/sent/2"}, ids(got))

			wantTypes := []string{customer.EventProfileCreated, customer.EventProfileChanged, customer.EventProfileChanged,
				customer.EventNotificationFailed, customer.EventNotificationDelivered}
			wantKeys := []string{"u-ada", "u-ada", "u-ada", "n-1", "n-1"}
			for i, m := range got {
				require.Equal(t, outbox.Topic("customer"), m.Topic)
				require.Equal(t, wantKeys[i], m.Key, "event %s keyed by its aggregate", m.EventID)
				require.Equal(t, wantTypes[i], m.Type)
				var e outbox.Event
				require.NoError(t, json.Unmarshal(m.Value, &e))
				require.Equal(t, m.EventID, e.ID)
				require.Equal(t, outbox.SchemaVersion, e.Version)
				for _, pii := range []string{"ada@example.com", "Ada", "Augusta", "Lovelace", "+447700900123", "ABC123", "mailbox"} {
					require.NotContains(t, string(m.Value), pii, "event %s carries personal data", m.EventID)
				}
			}
			var changed customer.ProfileEventData
			var e outbox.Event
			require.NoError(t, json.Unmarshal(got[1].Value, &e))
			require.NoError(t, json.Unmarshal(e.Data, &changed))
			require.Equal(t, customer.ProfileEventData{CustomerID: "u-ada", Version: 2, Changed: []string{"name", "phone"}}, changed)
			var delivered customer.NotificationEventData
			require.NoError(t, json.Unmarshal(got[4].Value, &e))
			require.NoError(t, json.Unmarshal(e.Data, &delivered))
			require.Equal(t, customer.NotificationEventData{NotificationID: "n-1", CustomerID: "u-ada", Channel: customer.ChannelEmail,
				TemplateID: customer.TemplateBookingConfirmed, Category: customer.CategoryTransactional, Status: customer.StatusSent, Attempt: 2}, delivered)

			drain(t, relay)
			require.Len(t, bus.all(), 5, "a second pass published sent events again")
			left, err := db.Collection(customermongo.CollOutbox).CountDocuments(ctx, bson.M{})
			require.NoError(t, err)
			require.Zero(t, left, "hints left after publishing")

			// A conflicting profile write stores nothing, so it publishes nothing.
			require.ErrorIs(t, s.UpdateProfile(ctx, p, 1), customer.ErrConflict)
			drain(t, relay)
			require.Len(t, bus.all(), 5, "a refused write published an event")
		})
	}
}

// TestCustomerOutbox_LostAcknowledgementGivesDuplicatesNeverLoss: when the
// bus took a batch but the relay never learnt it (a crash between
// publishing and marking, or a lost acknowledgement), the relay publishes
// the batch again: every event arrives at least once, none is lost.
func TestCustomerOutbox_LostAcknowledgementGivesDuplicatesNeverLoss(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, testenv.FerretDB(t, "sqlite"))
	clock := customertest.NewClock(customertest.Epoch())
	s := customermongo.New(db)
	const users = 30
	for i := range users {
		p := ada(clock.Now())
		p.UserID = fmt.Sprintf("u-%02d", i)
		require.NoError(t, s.CreateProfile(ctx, p))
	}
	bus := &recorder{failAfter: 2}
	relay := customermongo.NewRelay(customermongo.RelayConfig{DB: db, Publisher: bus, Now: clock.Now, Pacing: outbox.Pacing{Batch: 10}})
	for range 2 {
		_, err := relay.RunOnce(ctx)
		require.Error(t, err, "the lost acknowledgement is reported")
	}
	drain(t, relay)
	count := map[string]int{}
	for _, id := range ids(bus.all()) {
		count[id]++
	}
	require.Len(t, count, users, "every event published")
	dup := 0
	for _, c := range count {
		dup += c - 1
	}
	require.Equal(t, 20, dup, "the unacknowledged batch came again after each of its two failures, nothing else twice")
}

// TestCustomerOutbox_EventWithoutHintIsRepaired: a writer that stopped
// between the state write and its hint leaves an event only in its
// document; Repair finds it and the relay publishes it.
func TestCustomerOutbox_EventWithoutHintIsRepaired(t *testing.T) {
	ctx := context.Background()
	db, clock, _, _ := withProfile(t)
	_, err := db.Collection(customermongo.CollOutbox).DeleteMany(ctx, bson.M{})
	require.NoError(t, err)

	bus := &recorder{}
	relay := customermongo.NewRelay(customermongo.RelayConfig{DB: db, Publisher: bus, Now: clock.Now})
	drain(t, relay)
	require.Empty(t, bus.all(), "without a hint the relay does not see the event")
	n, err := relay.Repair(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	drain(t, relay)
	require.Equal(t, []string{"u-ada/profile/1"}, ids(bus.all()))
	n, err = relay.Repair(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a sent event is not hinted again")
}

// TestCustomerOutbox_UnsentVersionsAreNotPruned: a profile keeps only its
// newest versions, but a version whose event the relay has not published
// stays until it has: twenty updates while the bus is away all arrive.
func TestCustomerOutbox_UnsentVersionsAreNotPruned(t *testing.T) {
	ctx := context.Background()
	db, clock, s, p := withProfile(t)
	const updates = 20
	for v := int64(1); v <= updates; v++ {
		clock.Advance(time.Millisecond)
		p.FamilyName, p.UpdatedAt = fmt.Sprintf("L%d", v), clock.Now()
		require.NoError(t, s.UpdateProfile(ctx, p, v))
	}
	bus := &recorder{}
	relay := customermongo.NewRelay(customermongo.RelayConfig{DB: db, Publisher: bus, Now: clock.Now, Pacing: outbox.Pacing{Batch: 7}})
	drain(t, relay)
	want := make([]string, 0, updates+1)
	for v := 1; v <= updates+1; v++ {
		want = append(want, fmt.Sprintf("u-ada/profile/%d", v))
	}
	require.Equal(t, want, ids(bus.all()), "every version's event, in order")

	// Once sent, old versions are pruned again as the profile moves on.
	for v := int64(updates + 1); v <= updates+2; v++ {
		p.FamilyName = fmt.Sprintf("L%d", v)
		require.NoError(t, s.UpdateProfile(ctx, p, v))
	}
	err := db.Collection(customermongo.CollProfileVersions).FindOne(ctx, bson.M{"_id": fmt.Sprintf("u-ada#%d", updates+2-8)}).Err()
	require.ErrorIs(t, err, mongo.ErrNoDocuments, "a sent version behind the kept ones was not pruned")
}

// TestCustomerOutbox_OneRelayPublishesPerLeaseWindow: two relays on one
// database (two customer processes) do not both publish in one window.
func TestCustomerOutbox_OneRelayPublishesPerLeaseWindow(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, testenv.FerretDB(t, "sqlite"))
	clock := customertest.NewClock(customertest.Epoch())
	s := customermongo.New(db)
	require.NoError(t, s.CreateProfile(ctx, ada(clock.Now())))
	busA, busB := &recorder{}, &recorder{}
	a := customermongo.NewRelay(customermongo.RelayConfig{DB: db, Publisher: busA, Now: clock.Now})
	b := customermongo.NewRelay(customermongo.RelayConfig{DB: db, Publisher: busB, Now: clock.Now})
	na, err := a.RunOnce(ctx)
	require.NoError(t, err)
	p := ada(clock.Now())
	p.UserID = "u-two"
	require.NoError(t, s.CreateProfile(ctx, p))
	nb, err := b.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, na)
	require.Zero(t, nb, "a second relay published inside the first one's lease window")
	clock.Advance(time.Minute)
	nb, err = b.RunOnce(ctx)
	require.NoError(t, err)
	na, err = a.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, na+nb, "in the next window exactly one relay publishes")
	require.False(t, strings.Contains(strings.Join(ids(append(busA.all(), busB.all()...)), ","), "u-ada/profile/1,u-ada/profile/1"))
}
