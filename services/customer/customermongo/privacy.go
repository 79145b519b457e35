package customermongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/skyfly/skyfly/services/customer"
)

// CollExports holds data export files (encrypted) and their states.
const CollExports = "exports"

var _ customer.PrivacyStore = (*Store)(nil)

type exportDoc struct {
	ID           string     `bson:"_id"`
	UserID       string     `bson:"userId"`
	RequestedBy  string     `bson:"requestedBy"`
	Status       string     `bson:"status"`
	CreatedAt    time.Time  `bson:"createdAt"`
	ReadyAt      *time.Time `bson:"readyAt,omitempty"`
	ExpiresAt    *time.Time `bson:"expiresAt,omitempty"`
	DownloadedAt *time.Time `bson:"downloadedAt,omitempty"`
	KeyID        string     `bson:"keyId,omitempty"`
	Ciphertext   []byte     `bson:"ciphertext,omitempty"`
	Size         int        `bson:"size"`
}

func toExportFile(d exportDoc) customer.ExportFile {
	f := customer.ExportFile{ID: d.ID, UserID: d.UserID, RequestedBy: d.RequestedBy, Status: d.Status, CreatedAt: d.CreatedAt.UTC(),
		KeyID: d.KeyID, Ciphertext: d.Ciphertext, Size: d.Size}
	for _, t := range []struct {
		from *time.Time
		to   *time.Time
	}{{d.ReadyAt, &f.ReadyAt}, {d.ExpiresAt, &f.ExpiresAt}, {d.DownloadedAt, &f.DownloadedAt}} {
		if t.from != nil {
			*t.to = t.from.UTC()
		}
	}
	return f
}

// PutExport implements customer.PrivacyStore.
func (s *Store) PutExport(ctx context.Context, f customer.ExportFile) error {
	d := exportDoc{ID: f.ID, UserID: f.UserID, RequestedBy: f.RequestedBy, Status: f.Status, CreatedAt: f.CreatedAt.UTC()}
	_, err := s.db.Collection(CollExports).InsertOne(ctx, d)
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("customermongo: put export %s: %w", f.ID, err)
	}
	return nil
}

// ExportFile implements customer.PrivacyStore.
func (s *Store) ExportFile(ctx context.Context, id string) (customer.ExportFile, error) {
	var d exportDoc
	err := s.db.Collection(CollExports).FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return customer.ExportFile{}, fmt.Errorf("customermongo: export %s: %w", id, customer.ErrNotFound)
	}
	if err != nil {
		return customer.ExportFile{}, fmt.Errorf("customermongo: export %s: %w", id, err)
	}
	return toExportFile(d), nil
}

// SealExport implements customer.PrivacyStore.
func (s *Store) SealExport(ctx context.Context, f customer.ExportFile) error {
	ready, expires := f.ReadyAt.UTC(), f.ExpiresAt.UTC()
	res, err := s.db.Collection(CollExports).UpdateOne(ctx,
		bson.M{"_id": f.ID, "userId": f.UserID, "status": customer.ExportPending},
		bson.M{"$set": bson.M{"status": customer.ExportReady, "readyAt": ready, "expiresAt": expires, "keyId": f.KeyID,
			"ciphertext": f.Ciphertext, "size": f.Size}})
	if err != nil {
		return fmt.Errorf("customermongo: seal export %s: %w", f.ID, err)
	}
	if res.MatchedCount == 0 {
		if _, err := s.ExportFile(ctx, f.ID); err != nil {
			return err // never requested: ErrNotFound
		}
	}
	return nil
}

// TakeExport implements customer.PrivacyStore.
func (s *Store) TakeExport(ctx context.Context, id, userID string, at time.Time) (customer.ExportFile, error) {
	var d exportDoc
	err := s.db.Collection(CollExports).FindOneAndUpdate(ctx,
		bson.M{"_id": id, "userId": userID, "status": customer.ExportReady},
		bson.M{"$set": bson.M{"status": customer.ExportDownloaded, "downloadedAt": at.UTC()}, "$unset": bson.M{"ciphertext": ""}},
		options.FindOneAndUpdate().SetReturnDocument(options.Before)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return customer.ExportFile{}, fmt.Errorf("customermongo: take export %s: %w", id, customer.ErrExportGone)
	}
	if err != nil {
		return customer.ExportFile{}, fmt.Errorf("customermongo: take export %s: %w", id, err)
	}
	return toExportFile(d), nil
}

// ExpireExport implements customer.PrivacyStore.
func (s *Store) ExpireExport(ctx context.Context, id string, at time.Time) error {
	coll := s.db.Collection(CollExports)
	for from, to := range map[string]string{customer.ExportReady: customer.ExportExpired, customer.ExportPending: customer.ExportFailed} {
		if _, err := coll.UpdateOne(ctx, bson.M{"_id": id, "status": from},
			bson.M{"$set": bson.M{"status": to, "expiresAt": at.UTC()}, "$unset": bson.M{"ciphertext": ""}}); err != nil {
			return fmt.Errorf("customermongo: expire export %s: %w", id, err)
		}
	}
	return nil
}

// EraseUser implements customer.PrivacyStore. MongoDB has no transaction
// here (FerretDB), so each step is idempotent and the erasure workflow
// repeats the call until it succeeds.
func (s *Store) EraseUser(ctx context.Context, userID string, at time.Time) (customer.EraseCounts, error) {
	var n customer.EraseCounts
	// Profile versions keep their outbox events (ids only) so the relay
	// still publishes them, but lose their value.
	if _, err := s.db.Collection(CollProfileVersions).UpdateMany(ctx, bson.M{"key": userID},
		bson.M{"$set": bson.M{"value": bson.M{}}}); err != nil {
		return n, fmt.Errorf("customermongo: erase %s: profile versions: %w", userID, err)
	}
	// The head stays with an empty value, so the register does not fall
	// back to the versions; an empty profile reads as none.
	head, err := s.db.Collection(CollProfiles).UpdateOne(ctx, bson.M{"_id": userID, "value.userId": userID},
		bson.M{"$set": bson.M{"value": bson.M{}}})
	if err != nil {
		return n, fmt.Errorf("customermongo: erase %s: profile: %w", userID, err)
	}
	n.Profiles = head.ModifiedCount
	res, err := s.db.Collection(CollVerifications).DeleteMany(ctx, bson.M{"_id": userID})
	if err != nil {
		return n, fmt.Errorf("customermongo: erase %s: verifications: %w", userID, err)
	}
	n.Verifications = res.DeletedCount
	if res, err = s.db.Collection(CollExports).DeleteMany(ctx, bson.M{"userId": userID}); err != nil {
		return n, fmt.Errorf("customermongo: erase %s: exports: %w", userID, err)
	}
	n.Exports = res.DeletedCount
	up, err := s.db.Collection(CollNotifications).UpdateMany(ctx, bson.M{"userId": userID, "recipient": bson.M{"$ne": ""}},
		bson.M{"$set": bson.M{"recipient": "", "subject": "", "data": bson.M{}, "updatedAt": at.UTC()}})
	if err != nil {
		return n, fmt.Errorf("customermongo: erase %s: notifications: %w", userID, err)
	}
	n.Notifications = up.ModifiedCount
	if res, err = s.db.Collection(CollBookingRefs).DeleteMany(ctx, bson.M{"customerId": userID}); err != nil {
		return n, fmt.Errorf("customermongo: erase %s: booking references: %w", userID, err)
	}
	n.BookingRefs = res.DeletedCount
	return n, nil
}
