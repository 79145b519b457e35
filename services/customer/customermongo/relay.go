package customermongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/skyfly/skyfly/internal/platform/outbox"
)

// RelayConfig configures a Relay. Zero values take the defaults noted.
type RelayConfig struct {
	Log       *slog.Logger
	DB        *mongo.Database
	Publisher outbox.Publisher
	Now       func() time.Time // time.Now
	// Pacing: batch, poll, backoff and the length of a lease window
	// (outbox.Pacing's defaults).
	Pacing      outbox.Pacing
	RepairEvery time.Duration         // how often Repair runs besides at start, 5 min
	Metrics     prometheus.Registerer // optional
}

// Relay publishes the customer domain's outbox events (see events.go) to
// skyfly.customer.v1, keyed by aggregate id, and marks them sent. One relay
// of a database publishes at a time: it holds the lease window it inserted
// (an insert-once token, the only atomic decision FerretDB offers).
type Relay struct {
	cfg        RelayConfig
	owner      string
	held       int64 // the lease window this relay holds
	nextRepair time.Time
	published  atomic.Int64

	mPublished prometheus.Counter
	mFailures  prometheus.Counter
}

// NewRelay returns a relay; Run starts it.
func NewRelay(cfg RelayConfig) *Relay {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Pacing = cfg.Pacing.WithDefaults()
	if cfg.RepairEvery <= 0 {
		cfg.RepairEvery = 5 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	r := &Relay{cfg: cfg, owner: uuid.NewString(), held: -1}
	r.mPublished, r.mFailures = outbox.RelayCounters(cfg.Metrics, Domain)
	return r
}

// Published is how many events this relay has published.
func (r *Relay) Published() int64 { return r.published.Load() }

// Run repairs missing hints, then publishes until ctx ends, backing off
// with jitter after failures and repairing again every RepairEvery.
func (r *Relay) Run(ctx context.Context) error {
	var failed func()
	if r.mFailures != nil {
		failed = r.mFailures.Inc
	}
	return outbox.RunLoop(ctx, r.cfg.Log, Domain, r.cfg.Pacing, nil, failed, func(ctx context.Context) (int, error) {
		if now := time.Now(); !now.Before(r.nextRepair) {
			if n, err := r.Repair(ctx); err != nil {
				r.cfg.Log.Warn("customer outbox: repair failed", "err", err)
			} else if n > 0 {
				r.cfg.Log.Info("customer outbox: hinted events written without a hint", "count", n)
			}
			r.nextRepair = now.Add(r.cfg.RepairEvery)
		}
		return r.RunOnce(ctx)
	})
}

type leaseDoc struct {
	ID       string    `bson:"_id"`
	Owner    string    `bson:"owner"`
	ExpireAt time.Time `bson:"expireAt"`
}

// acquire reports whether this relay holds the current lease window: the
// first relay to insert the window's token holds it.
func (r *Relay) acquire(ctx context.Context) (bool, error) {
	now := r.cfg.Now()
	w := now.UnixNano() / int64(r.cfg.Pacing.Lease)
	if w == r.held {
		return true, nil
	}
	coll := r.cfg.DB.Collection(CollTokens)
	id := "outbox-relay-lease|" + strconv.FormatInt(w, 10)
	_, err := coll.InsertOne(ctx, leaseDoc{ID: id, Owner: r.owner, ExpireAt: now.Add(2 * r.cfg.Pacing.Lease).UTC()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return false, fmt.Errorf("customer outbox: lease: %w", err)
	}
	if err != nil {
		var l leaseDoc
		if err := coll.FindOne(ctx, bson.M{"_id": id}).Decode(&l); err != nil {
			return false, fmt.Errorf("customer outbox: lease: %w", err)
		}
		if l.Owner != r.owner {
			return false, nil
		}
	}
	r.held = w
	return true, nil
}

// RunOnce publishes one batch of hinted events when this relay holds the
// lease, and returns how many it published.
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	ok, err := r.acquire(ctx)
	if err != nil || !ok {
		return 0, err
	}
	hints := r.cfg.DB.Collection(CollOutbox)
	cur, err := hints.Find(ctx, bson.M{}, options.Find().
		SetSort(bson.D{{Key: "at", Value: 1}, {Key: "aggregate", Value: 1}, {Key: "seq", Value: 1}}).SetLimit(int64(r.cfg.Pacing.Batch)))
	if err != nil {
		return 0, fmt.Errorf("customer outbox: pending: %w", err)
	}
	var pending []hintDoc
	if err := cur.All(ctx, &pending); err != nil {
		return 0, fmt.Errorf("customer outbox: pending: %w", err)
	}
	if len(pending) == 0 {
		return 0, nil
	}
	type holder struct{ coll, doc string }
	docs := map[holder][]eventDoc{}
	var msgs []outbox.Message
	ids := make([]string, 0, len(pending))
	for _, h := range pending {
		ids = append(ids, h.ID)
		k := holder{h.Coll, h.Doc}
		events, seen := docs[k]
		if !seen {
			if events, err = r.embedded(ctx, h.Coll, h.Doc); err != nil {
				return 0, err
			}
			docs[k] = events
		}
		for _, e := range events {
			if e.ID == h.ID {
				msgs = append(msgs, outbox.Message{Topic: outbox.Topic(Domain), Key: e.Aggregate, Value: e.Payload, EventID: e.ID, Type: e.Type})
				break
			}
		}
		// A hint whose event is not in its document describes a write that
		// did not happen (overwritten or gone): nothing to publish.
	}
	if len(msgs) > 0 {
		if err := r.cfg.Publisher.Publish(ctx, msgs); err != nil {
			return 0, fmt.Errorf("customer outbox: publish %d events: %w", len(msgs), err)
		}
	}
	// Published: a crash from here on gives duplicates, never a loss.
	ctx = context.WithoutCancel(ctx)
	now := r.cfg.Now().UTC()
	if len(msgs) > 0 {
		marks := make([]any, len(msgs))
		for i, m := range msgs {
			marks[i] = sentDoc{ID: m.EventID, SentAt: now, ExpireAt: now.Add(sentRetention)}
		}
		if _, err := r.cfg.DB.Collection(CollOutboxSent).InsertMany(ctx, marks, options.InsertMany().SetOrdered(false)); err != nil && !allDuplicates(err) {
			return 0, fmt.Errorf("customer outbox: mark %d sent: %w", len(msgs), err)
		}
	}
	if _, err := hints.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}}); err != nil {
		return 0, fmt.Errorf("customer outbox: clear %d hints: %w", len(ids), err)
	}
	r.published.Add(int64(len(msgs)))
	if r.mPublished != nil {
		r.mPublished.Add(float64(len(msgs)))
	}
	return len(msgs), nil
}

// embedded returns the events held by document id of coll.
func (r *Relay) embedded(ctx context.Context, coll, id string) ([]eventDoc, error) {
	var d struct {
		Events []eventDoc `bson:"events"`
	}
	err := r.cfg.DB.Collection(coll).FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("customer outbox: events of %s %s: %w", coll, id, err)
	}
	return d.Events, nil
}

// allDuplicates reports whether a bulk insert failed only on existing _ids.
func allDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 {
			return false
		}
	}
	return true
}

// Repair hints every event of the last repairWindow that has neither a
// sent marker nor a hint (its writer stopped between the state write and
// the hint) and returns how many. It reads the event-holding collections
// once; the relay runs it at start and every RepairEvery.
func (r *Relay) Repair(ctx context.Context) (int, error) {
	known := map[string]bool{}
	for _, coll := range []string{CollOutboxSent, CollOutbox} {
		cur, err := r.cfg.DB.Collection(coll).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1}))
		if err != nil {
			return 0, fmt.Errorf("customer outbox: repair: %s: %w", coll, err)
		}
		var ids []struct {
			ID string `bson:"_id"`
		}
		if err := cur.All(ctx, &ids); err != nil {
			return 0, fmt.Errorf("customer outbox: repair: %s: %w", coll, err)
		}
		for _, d := range ids {
			known[d.ID] = true
		}
	}
	since := r.cfg.Now().Add(-repairWindow)
	var missing []any
	for _, coll := range eventCollections {
		cur, err := r.cfg.DB.Collection(coll).Find(ctx, bson.M{"events": bson.M{"$exists": true}},
			options.Find().SetProjection(bson.M{"_id": 1, "events": 1}))
		if err != nil {
			return 0, fmt.Errorf("customer outbox: repair: %s: %w", coll, err)
		}
		var docs []struct {
			ID     string     `bson:"_id"`
			Events []eventDoc `bson:"events"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			return 0, fmt.Errorf("customer outbox: repair: %s: %w", coll, err)
		}
		for _, d := range docs {
			for _, e := range d.Events {
				if known[e.ID] || e.At.Before(since) {
					continue
				}
				known[e.ID] = true
				missing = append(missing, hintDoc{ID: e.ID, Coll: coll, Doc: d.ID, Aggregate: e.Aggregate, Seq: e.Seq, At: e.At})
			}
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	if _, err := r.cfg.DB.Collection(CollOutbox).InsertMany(ctx, missing, options.InsertMany().SetOrdered(false)); err != nil && !allDuplicates(err) {
		return 0, fmt.Errorf("customer outbox: repair: hint %d events: %w", len(missing), err)
	}
	return len(missing), nil
}
