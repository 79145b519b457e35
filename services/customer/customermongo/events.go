package customermongo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/services/customer"
)

// The customer domain's outbox on MongoDB. FerretDB 1.24 accepts
// startTransaction and autocommit but ignores them (its handlers mark them
// `ignored`): there are no multi-document transactions, and a conditional
// update is not isolated (see the package doc). What is atomic is the
// write of one document. So an event is embedded in the document whose
// write is the state change: a profile change's event is part of the
// version document whose insert decides the change (register), a delivery
// outcome's event is $pushed in the same update that records the outcome
// on the notification. Either both are stored or neither is.
//
// The relay must not scan every profile version and notification for
// unsent events (FerretDB scans for any filter but _id), so right after the
// state write the store inserts a hint (CollOutbox, _id = event id) naming
// the document that holds the event. The relay reads the hints, loads each
// named document by _id, publishes the embedded event, inserts a sent
// marker (CollOutboxSent, _id = event id) and deletes the hint. A crash
// between publishing and marking publishes again (a duplicate, never a
// loss); a crash between the state write and its hint leaves an event
// without a hint, which Repair (at relay start and every few minutes)
// finds by scanning the documents once and hints again. A profile version
// whose events are unsent is never pruned.
const (
	CollOutbox     = "outbox"
	CollOutboxSent = "outbox_sent"
)

// Domain is the customer domain's name on the bus (skyfly.customer.v1).
const Domain = "customer"

// sentRetention keeps sent markers this long; Repair looks back
// repairWindow, less, so it never mistakes an event whose marker expired
// for an unsent one.
const (
	sentRetention = 7 * 24 * time.Hour
	repairWindow  = 6 * 24 * time.Hour
)

// eventDoc is an event embedded in the document of the change it records.
type eventDoc struct {
	ID        string    `bson:"id"`
	Type      string    `bson:"type"`
	Aggregate string    `bson:"aggregate"` // aggregate id: the Kafka key
	Seq       int64     `bson:"seq"`       // orders an aggregate's events of one instant
	At        time.Time `bson:"at"`
	Payload   []byte    `bson:"payload"` // the JSON envelope (outbox.Event) as published
}

// hintDoc tells the relay which document holds an unsent event.
type hintDoc struct {
	ID        string    `bson:"_id"` // the event id
	Coll      string    `bson:"coll"`
	Doc       string    `bson:"doc"`
	Aggregate string    `bson:"aggregate"`
	Seq       int64     `bson:"seq"`
	At        time.Time `bson:"at"`
}

type sentDoc struct {
	ID       string    `bson:"_id"`
	SentAt   time.Time `bson:"sentAt"`
	ExpireAt time.Time `bson:"expireAt"`
}

// eventCollections are the collections whose documents embed events.
var eventCollections = []string{CollProfileVersions, CollNotifications}

func newEvent(id, typ, aggType, aggID string, seq int64, at time.Time, data any) (eventDoc, error) {
	e, err := outbox.New(id, typ, outbox.Aggregate{Type: aggType, ID: aggID}, at, data)
	if err != nil {
		return eventDoc{}, err
	}
	payload, err := json.Marshal(e)
	if err != nil {
		return eventDoc{}, fmt.Errorf("event %s: %w", id, err)
	}
	return eventDoc{ID: e.ID, Type: typ, Aggregate: aggID, Seq: seq, At: e.OccurredAt, Payload: payload}, nil
}

func profileEvent(typ string, p customer.Profile, version int64, changed []string, at time.Time) (eventDoc, error) {
	if changed == nil {
		changed = []string{}
	}
	return newEvent(customer.ProfileEventID(p.UserID, version), typ, customer.AggregateCustomer, p.UserID, version, at,
		customer.ProfileEventData{CustomerID: p.UserID, Version: version, Changed: changed})
}

// hint records that coll's document doc holds events. It is best effort:
// the state change is stored already, and Repair hints any event whose
// hint is missing.
func (s *Store) hint(ctx context.Context, coll, doc string, events []eventDoc) {
	if len(events) == 0 {
		return
	}
	docs := make([]any, len(events))
	for i, e := range events {
		docs[i] = hintDoc{ID: e.ID, Coll: coll, Doc: doc, Aggregate: e.Aggregate, Seq: e.Seq, At: e.At}
	}
	_, _ = s.db.Collection(CollOutbox).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
}

// unsent reports whether any of events has no sent marker.
func unsent(ctx context.Context, sent *mongo.Collection, events []eventDoc) (bool, error) {
	for _, e := range events {
		err := sent.FindOne(ctx, bson.M{"_id": e.ID}).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("sent marker %s: %w", e.ID, err)
		}
	}
	return false, nil
}
