package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Collections of the MongoDB store.
const (
	CollLog  = "audit_log"
	CollHead = "audit_head"
)

// MongoLog is a Log in a MongoDB database (the customer domain; FerretDB in
// development). FerretDB has no multi-document transactions, so Append is
// lock-free instead: it inserts the next entry under the unique _id
// "chain/seq" (a concurrent writer that took the same position gets a
// duplicate key and retries on the new end), then moves the head forward
// only if it is behind. Both writers can never hold the same position, so
// the chain cannot fork.
type MongoLog struct {
	db    *mongo.Database
	chain string
}

var _ Log = (*MongoLog)(nil)

// NewMongoLog returns the chain named chain in db.
func NewMongoLog(db *mongo.Database, chain string) *MongoLog {
	return &MongoLog{db: db, chain: chain}
}

// EnsureMongoIndexes creates the indexes the auditor queries use, one at a
// time with explicit names and only those missing (FerretDB fails on a
// repeated CreateMany of unnamed indexes).
func EnsureMongoIndexes(ctx context.Context, db *mongo.Database) error {
	coll := db.Collection(CollLog)
	cur, err := coll.Indexes().List(ctx)
	if err != nil {
		return fmt.Errorf("audit: mongo indexes: %w", err)
	}
	var existing []struct {
		Name string `bson:"name"`
	}
	if err := cur.All(ctx, &existing); err != nil {
		return fmt.Errorf("audit: mongo indexes: %w", err)
	}
	have := map[string]bool{}
	for _, x := range existing {
		have[x.Name] = true
	}
	for _, m := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "chain", Value: 1}, {Key: "seq", Value: 1}}, Options: options.Index().SetUnique(true).SetName("chain_seq")},
		{Keys: bson.D{{Key: "chain", Value: 1}, {Key: "subjects", Value: 1}}, Options: options.Index().SetName("chain_subjects")},
	} {
		if have[*m.Options.Name] {
			continue
		}
		if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("audit: mongo index %s: %w", *m.Options.Name, err)
		}
	}
	return nil
}

type logDoc struct {
	ID         string    `bson:"_id"`
	Chain      string    `bson:"chain"`
	Seq        int64     `bson:"seq"`
	At         time.Time `bson:"at"`
	Actor      string    `bson:"actor"`
	ActorRole  string    `bson:"actorRole"`
	Action     string    `bson:"action"`
	Domain     string    `bson:"domain"`
	CustomerID string    `bson:"customerId"`
	Resources  []string  `bson:"resources"`
	Subjects   []string  `bson:"subjects"`
	Reason     string    `bson:"reason"`
	RequestID  string    `bson:"requestId"`
	Outcome    string    `bson:"outcome"`
	Status     int       `bson:"status"`
	Details    string    `bson:"details"`
	PrevHash   string    `bson:"prevHash"`
	Hash       string    `bson:"hash"`
}

type headDoc struct {
	ID   string `bson:"_id"`
	Seq  int64  `bson:"seq"`
	Hash string `bson:"hash"`
}

func (l *MongoLog) docID(seq int64) string { return fmt.Sprintf("%s/%020d", l.chain, seq) }

// last returns the newest entry's position (zero when empty).
func (l *MongoLog) last(ctx context.Context) (Head, error) {
	var d logDoc
	err := l.db.Collection(CollLog).FindOne(ctx, bson.M{"chain": l.chain},
		options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Head{}, nil
	}
	if err != nil {
		return Head{}, err
	}
	return Head{Seq: d.Seq, Hash: d.Hash}, nil
}

// Append implements Log.
func (l *MongoLog) Append(ctx context.Context, e Entry) (Entry, error) {
	if err := validate(e); err != nil {
		return Entry{}, err
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Entry{}, fmt.Errorf("audit %s: append: %w", l.chain, err)
		}
		// The head first: entries are written before the head moves, so an
		// honest end read after it is never behind it.
		head, err := l.Head(ctx)
		if err != nil {
			return Entry{}, err
		}
		end, err := l.last(ctx)
		if err != nil {
			return Entry{}, fmt.Errorf("audit %s: read end: %w", l.chain, err)
		}
		if head.Seq > end.Seq {
			// Entries past the end are gone: refuse to write over the hole
			// (Verify reports it) rather than hide it.
			return Entry{}, fmt.Errorf("audit %s: append: the head records entry %d but the log ends at %d", l.chain, head.Seq, end.Seq)
		}
		out := e.seal(end)
		_, err = l.db.Collection(CollLog).InsertOne(ctx, l.toDoc(out))
		if mongo.IsDuplicateKeyError(err) && attempt < 1000 {
			continue // another writer took this position; link to it
		}
		if err != nil {
			return Entry{}, fmt.Errorf("audit %s: insert entry %d: %w", l.chain, out.Seq, err)
		}
		_, err = l.db.Collection(CollHead).UpdateOne(ctx,
			bson.M{"_id": l.chain, "seq": bson.M{"$lt": out.Seq}},
			bson.M{"$set": bson.M{"seq": out.Seq, "hash": out.Hash}}, options.Update().SetUpsert(true))
		if mongo.IsDuplicateKeyError(err) {
			err = nil // the head exists and a later writer already moved it past us
		}
		if err != nil {
			return Entry{}, fmt.Errorf("audit %s: advance head to %d: %w", l.chain, out.Seq, err)
		}
		return out, nil
	}
}

// Head implements Log.
func (l *MongoLog) Head(ctx context.Context) (Head, error) {
	var d headDoc
	err := l.db.Collection(CollHead).FindOne(ctx, bson.M{"_id": l.chain}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Head{}, nil
	}
	if err != nil {
		return Head{}, fmt.Errorf("audit %s: read head: %w", l.chain, err)
	}
	return Head{Seq: d.Seq, Hash: d.Hash}, nil
}

// Page implements Log.
func (l *MongoLog) Page(ctx context.Context, afterSeq int64, limit int) ([]Entry, error) {
	return l.find(ctx, bson.M{"chain": l.chain, "seq": bson.M{"$gt": afterSeq}}, limit)
}

// Find implements Log.
func (l *MongoLog) Find(ctx context.Context, q Query) ([]Entry, error) {
	f := bson.M{"chain": l.chain, "seq": bson.M{"$gt": q.AfterSeq}}
	if q.Subject != "" {
		f["subjects"] = q.Subject
	}
	if q.Actor != "" {
		f["actor"] = q.Actor
	}
	return l.find(ctx, f, q.Limit)
}

func (l *MongoLog) find(ctx context.Context, filter bson.M, limit int) ([]Entry, error) {
	cur, err := l.db.Collection(CollLog).Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limitOf(limit))))
	if err != nil {
		return nil, fmt.Errorf("audit %s: find: %w", l.chain, err)
	}
	var docs []logDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("audit %s: decode: %w", l.chain, err)
	}
	out := make([]Entry, len(docs))
	for i, d := range docs {
		res := d.Resources
		if res == nil {
			res = []string{}
		}
		out[i] = Entry{
			Seq: d.Seq, At: d.At.UTC(), Actor: d.Actor, ActorRole: d.ActorRole, Action: d.Action, Domain: d.Domain,
			CustomerID: d.CustomerID, Resources: res, Reason: d.Reason, RequestID: d.RequestID, Outcome: d.Outcome,
			Status: d.Status, Details: d.Details, PrevHash: d.PrevHash, Hash: d.Hash,
		}
	}
	return out, nil
}

func (l *MongoLog) toDoc(e Entry) logDoc {
	subjects := e.Subjects()
	if subjects == nil {
		subjects = []string{}
	}
	return logDoc{
		ID: l.docID(e.Seq), Chain: l.chain, Seq: e.Seq, At: e.At, Actor: e.Actor, ActorRole: e.ActorRole,
		Action: e.Action, Domain: e.Domain, CustomerID: e.CustomerID, Resources: e.Resources, Subjects: subjects,
		Reason: e.Reason, RequestID: e.RequestID, Outcome: e.Outcome, Status: e.Status, Details: e.Details,
		PrevHash: e.PrevHash, Hash: e.Hash,
	}
}
