package customermongo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customermongo"
	"github.com/skyfly/skyfly/services/customer/customertest"
)

// TestPrivacy_G1G2_ExportFilesAndErasure runs the customer domain's export
// files and erasure on FerretDB: a file is sealed encrypted, downloaded once
// by its owner through a signed link, and an erasure removes one user's data
// and nobody else's.
func TestPrivacy_G1G2_ExportFilesAndErasure(t *testing.T) {
	for _, handler := range testenv.FerretDBHandlers() {
		t.Run(handler, func(t *testing.T) {
			ctx := context.Background()
			store := customermongo.New(freshDB(t, testenv.FerretDB(t, handler)))
			now := customertest.Epoch()
			clock := func() time.Time { return now }
			keys, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), clock)
			require.NoError(t, err)
			p := customer.NewPrivacy(store, store, keys, clock)

			for _, u := range []string{"u1", "u2"} {
				require.NoError(t, store.CreateProfile(ctx, customer.Profile{UserID: u, Email: u + "@example.com", GivenName: "Given " + u, CreatedAt: now, UpdatedAt: now, Version: 1,
					Travellers: []customer.Traveller{{ID: "trv_" + u, Type: "ADT", GivenName: "Trav", FamilyName: u}}}))
				require.NoError(t, store.InsertNotification(ctx, customer.Notification{ID: "n_" + u, DedupeKey: "k_" + u, UserID: u, Channel: customer.ChannelEmail,
					Recipient: u + "@example.com", TemplateID: "booking_confirmed", Category: customer.CategoryTransactional, Language: "en",
					Data: map[string]string{"pnr": "ABC234"}, Subject: "Booking confirmed", Status: customer.StatusQueued, CreatedAt: now, UpdatedAt: now}))
				require.NoError(t, store.PutBookingRef(ctx, customer.BookingRef{BookingID: "bk_" + u, PNR: "PNR" + u, CustomerID: u, At: now}))
			}

			ex, err := p.Export(ctx, "u1")
			require.NoError(t, err)
			require.Equal(t, "u1@example.com", ex.Profile.Email)
			require.Len(t, ex.Profile.Travellers, 1)
			require.Len(t, ex.Notifications, 1)
			require.Equal(t, "u1", ex.Notifications[0].UserID, "nobody else's data")

			_, err = p.RequestExport(ctx, "exp_1", "u1", "u1")
			require.NoError(t, err)
			_, err = p.Download(ctx, "exp_1", "u1")
			require.ErrorIs(t, err, customer.ErrExportNotReady)
			doc := []byte(`{"schema":"skyfly.export.v1","secret":"Given u1"}`)
			f, err := p.Seal(ctx, "exp_1", "u1", doc, time.Hour)
			require.NoError(t, err)
			require.Equal(t, customer.ExportReady, f.Status)
			stored, err := store.ExportFile(ctx, "exp_1")
			require.NoError(t, err)
			require.NotContains(t, string(stored.Ciphertext), "Given u1", "the file is encrypted at rest")

			_, err = p.ExportStatus(ctx, "exp_1", "u2")
			require.ErrorIs(t, err, customer.ErrNotFound, "someone else's export does not exist for them")
			_, err = p.Download(ctx, "exp_1", "u2")
			require.ErrorIs(t, err, customer.ErrNotFound)

			sig, err := p.SignLink(ctx, "exp_1", "u1", now.Add(15*time.Minute))
			require.NoError(t, err)
			require.NoError(t, p.VerifyLink(ctx, "exp_1", "u1", now.Add(15*time.Minute).Unix(), sig))
			require.ErrorIs(t, p.VerifyLink(ctx, "exp_1", "u2", now.Add(15*time.Minute).Unix(), sig), customer.ErrLinkInvalid)
			require.ErrorIs(t, p.VerifyLink(ctx, "exp_1", "u1", now.Add(16*time.Minute).Unix(), sig), customer.ErrLinkInvalid, "a changed expiry breaks the signature")
			old, err := p.SignLink(ctx, "exp_1", "u1", now.Add(-time.Second))
			require.NoError(t, err)
			require.ErrorIs(t, p.VerifyLink(ctx, "exp_1", "u1", now.Add(-time.Second).Unix(), old), customer.ErrLinkExpired)

			got, err := p.Download(ctx, "exp_1", "u1")
			require.NoError(t, err)
			require.Equal(t, doc, got)
			_, err = p.Download(ctx, "exp_1", "u1")
			require.ErrorIs(t, err, customer.ErrExportGone, "downloadable once")
			stored, err = store.ExportFile(ctx, "exp_1")
			require.NoError(t, err)
			require.Empty(t, stored.Ciphertext, "the file is dropped at download")

			_, err = p.RequestExport(ctx, "exp_2", "u1", "agent@skyfly")
			require.NoError(t, err)
			_, err = p.Seal(ctx, "exp_2", "u1", doc, time.Hour)
			require.NoError(t, err)
			require.NoError(t, p.Expire(ctx, "exp_2"))
			_, err = p.Download(ctx, "exp_2", "u1")
			require.ErrorIs(t, err, customer.ErrExportGone, "an expired export is gone")
			_, err = p.Seal(ctx, "exp_unknown", "u1", doc, time.Hour)
			require.ErrorIs(t, err, customer.ErrNotFound, "an export that was never requested is not stored")

			n, err := p.Erase(ctx, "u1")
			require.NoError(t, err)
			require.Equal(t, customer.EraseCounts{Profiles: 1, Notifications: 1, Exports: 2, BookingRefs: 1}, n)
			_, err = store.BookingRef(ctx, "bk_u1")
			require.ErrorIs(t, err, customer.ErrNotFound, "the erased customer's booking references are gone")
			_, err = store.BookingRef(ctx, "bk_u2")
			require.NoError(t, err, "another customer's stay")
			_, err = store.Profile(ctx, "u1")
			require.ErrorIs(t, err, customer.ErrNotFound)
			after, err := p.Export(ctx, "u1")
			require.NoError(t, err)
			require.Nil(t, after.Profile)
			require.Len(t, after.Notifications, 1, "the delivery record stays")
			require.Empty(t, after.Notifications[0].Recipient)
			require.Empty(t, after.Notifications[0].Subject)
			require.Empty(t, after.Notifications[0].Data)

			other, err := p.Export(ctx, "u2")
			require.NoError(t, err)
			require.Equal(t, "u2@example.com", other.Profile.Email, "another user is untouched")
			require.Equal(t, "u2@example.com", other.Notifications[0].Recipient)

			n, err = p.Erase(ctx, "u1")
			require.NoError(t, err)
			require.Equal(t, customer.EraseCounts{}, n, "a second erasure finds nothing")
		})
	}
}
