package customermongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// register is a versioned value under a key, written by compare-and-swap
// even on FerretDB (see the package doc). Version n of a key is the document
// "key#n" of the versions collection, inserted once, so of two writers of
// version n one wins. The head collection's document "key" caches the
// newest version so that reading is a primary-key lookup (FerretDB scans
// for any other filter); a reader then follows newer versions until there
// is none, so a head write that was lost (a crash, or a slower writer
// landing late) costs one more read, never a stale answer.
type register struct {
	head, versions *mongo.Collection
	// keep is how many versions stay behind the newest; older ones are
	// deleted (0 keeps them until Sweep expires them). A writer can only
	// re-create a version after it is gone, so keep must exceed how far
	// behind a writer can realistically read.
	keep int64
	// sent holds the outbox's sent markers when versions embed events: a
	// version whose events are unsent is not pruned (nil: no events).
	sent *mongo.Collection
}

type registerDoc struct {
	ID       string     `bson:"_id"`
	Key      string     `bson:"key"`
	Version  int64      `bson:"version"`
	Value    bson.Raw   `bson:"value"`
	ExpireAt *time.Time `bson:"expireAt,omitempty"`
	// Events are the outbox events of this version, written with it.
	Events []eventDoc `bson:"events,omitempty"`
}

func versionID(key string, version int64) string { return fmt.Sprintf("%s#%d", key, version) }

// load returns the newest version of key and its value (0 and nil when the
// key was never written).
func (r register) load(ctx context.Context, key string) (int64, bson.Raw, error) {
	var version int64
	var value bson.Raw
	var h registerDoc
	err := r.head.FindOne(ctx, bson.M{"_id": key}).Decode(&h)
	switch {
	case err == nil:
		version, value = h.Version, h.Value
	case !errors.Is(err, mongo.ErrNoDocuments):
		return 0, nil, fmt.Errorf("read %s: %w", key, err)
	}
	for {
		var v registerDoc
		err := r.versions.FindOne(ctx, bson.M{"_id": versionID(key, version+1)}).Decode(&v)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return version, value, nil
		}
		if err != nil {
			return 0, nil, fmt.Errorf("read %s: %w", key, err)
		}
		version, value = v.Version, v.Value
	}
}

// store writes value as version prev+1 of key, with the events that
// describe the change in the same document, and reports whether it won that
// version.
func (r register) store(ctx context.Context, key string, prev int64, value any, expireAt *time.Time, events ...eventDoc) (bool, error) {
	raw, err := bson.Marshal(value)
	if err != nil {
		return false, fmt.Errorf("encode %s: %w", key, err)
	}
	next := prev + 1
	_, err = r.versions.InsertOne(ctx, registerDoc{ID: versionID(key, next), Key: key, Version: next, Value: raw, ExpireAt: expireAt, Events: events})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("write %s: %w", key, err)
	}
	set := bson.M{"key": key, "version": next, "value": value}
	if expireAt != nil {
		set["expireAt"] = *expireAt
	}
	_, err = r.head.UpdateOne(ctx, bson.M{"_id": key, "version": bson.M{"$lt": next}}, bson.M{"$set": set}, options.Update().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) { // duplicate: a newer head exists
		return true, fmt.Errorf("write head of %s: %w", key, err)
	}
	if r.keep > 0 && next > r.keep {
		if err := r.prune(ctx, versionID(key, next-r.keep)); err != nil {
			return true, fmt.Errorf("prune %s: %w", key, err)
		}
	}
	return true, nil
}

// prune deletes version document id unless it holds an unsent event (the
// relay still needs it; it stays until a later sweep of versions, which
// never prunes an unsent one either).
func (r register) prune(ctx context.Context, id string) error {
	if r.sent != nil {
		var v registerDoc
		err := r.versions.FindOne(ctx, bson.M{"_id": id}).Decode(&v)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil
		}
		if err != nil {
			return err
		}
		if pending, err := unsent(ctx, r.sent, v.Events); err != nil || pending {
			return err
		}
	}
	_, err := r.versions.DeleteOne(ctx, bson.M{"_id": id})
	return err
}
