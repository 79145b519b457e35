// Package customermongo is the customer domain's Store on MongoDB (and on
// FerretDB, which SkyFly embeds for development and tests) with the official
// mongo-driver: profiles, phone verifications, notification records,
// rate-limit state and the service's Idempotency-Key records, and the
// domain's outbox of events with its relay to skyfly.customer.v1 (each
// event embedded in the document write that makes its change; events.go).
//
// FerretDB 1.24 does not apply a conditional update atomically (it reads,
// filters and writes without isolation: eight concurrent
// `updateOne({consumed:false},{$set:{consumed:true}})` all match, on both its
// SQLite and PostgreSQL handlers; see the contract suite), and it uses no
// secondary index for a filter (it scans). The only atomic decision it
// offers is the unique _id on insert, and the only cheap read is by _id. So
// every compare-and-swap here is an insert of a uniquely named document:
// versions of profiles and rate-limit states (see register), and tokens for
// each verification attempt, a verification's single use and each delivery
// attempt of a notification; and every hot read is by _id. The same code is
// correct on MongoDB.
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

// Collection names.
const (
	CollProfiles          = "profiles"
	CollProfileVersions   = "profile_versions"
	CollVerifications     = "verifications"
	CollNotifications     = "notifications"
	CollRateLimits        = "rate_limits"
	CollRateLimitVersions = "rate_limit_versions"
	CollIdempotency       = "idempotency_keys"
	CollTokens            = "tokens"
	CollInbox             = "inbox_events"
	CollBookingRefs       = "booking_refs"
)

// Store implements customer.Store on a MongoDB database.
type Store struct {
	db       *mongo.Database
	profiles register
	limits   register
}

var _ customer.Store = (*Store)(nil)

// New returns a store on db. Call EnsureIndexes once (skyfly migrate
// customer does) before use.
func New(db *mongo.Database) *Store {
	return &Store{
		db: db,
		profiles: register{head: db.Collection(CollProfiles), versions: db.Collection(CollProfileVersions), keep: keepProfileVersions,
			sent: db.Collection(CollOutboxSent)},
		limits: register{head: db.Collection(CollRateLimits), versions: db.Collection(CollRateLimitVersions), keep: keepLimiterVersions},
	}
}

// ttl is an index that expires documents: a TTL index on MongoDB; FerretDB
// 1.24 does not implement TTL indexes (it answers NotImplemented), so there
// it becomes a plain index and Sweep removes expired documents.
type ttl struct {
	coll, field, name string
	after             time.Duration
}

var ttlIndexes = []ttl{
	{CollRateLimits, "expireAt", "expire_ttl", 0},
	{CollRateLimitVersions, "expireAt", "expire_ttl", 0},
	{CollTokens, "expireAt", "expire_ttl", 0},
	{CollIdempotency, "expiresAt", "expires_ttl", 0},
	{CollVerifications, "expiresAt", "expires_ttl", verificationRetention},
	{CollOutboxSent, "expireAt", "expire_ttl", 0},
}

// verificationRetention keeps a finished verification (for its attempt
// count and audit) this long after its code expired.
const verificationRetention = 24 * time.Hour

// EnsureIndexes creates the collections' indexes; it is idempotent. It
// reports whether the server expires documents by itself (TTL indexes); when
// it does not, run Sweep periodically.
func EnsureIndexes(ctx context.Context, db *mongo.Database) (ttlSupported bool, err error) {
	specs := map[string][]mongo.IndexModel{
		CollNotifications: {
			{Keys: bson.D{{Key: "dedupeKey", Value: 1}}, Options: options.Index().SetName("dedupe_key_unique").SetUnique(true)},
			{Keys: bson.D{{Key: "userId", Value: 1}, {Key: "createdAt", Value: -1}}, Options: options.Index().SetName("user_created")},
			{Keys: bson.D{{Key: "recipient", Value: 1}, {Key: "createdAt", Value: -1}}, Options: options.Index().SetName("recipient_created")},
		},
		CollProfiles: {
			{Keys: bson.D{{Key: "value.email", Value: 1}}, Options: options.Index().SetName("email")},
		},
		CollBookingRefs: {
			{Keys: bson.D{{Key: "customerId", Value: 1}}, Options: options.Index().SetName("customer")},
		},
	}
	for coll, models := range specs {
		existing, err := indexNames(ctx, db.Collection(coll))
		if err != nil {
			return false, err
		}
		for _, m := range models {
			if existing[*m.Options.Name] {
				continue
			}
			if _, err := db.Collection(coll).Indexes().CreateOne(ctx, m); err != nil {
				return false, fmt.Errorf("customermongo: index %s of %s: %w", *m.Options.Name, coll, err)
			}
		}
	}
	ttlSupported = true
	for _, x := range ttlIndexes {
		existing, err := indexNames(ctx, db.Collection(x.coll))
		if err != nil {
			return false, err
		}
		if existing[x.name+"_plain"] {
			ttlSupported = false
			continue
		}
		if existing[x.name] {
			continue
		}
		m := mongo.IndexModel{Keys: bson.D{{Key: x.field, Value: 1}}, Options: options.Index().SetName(x.name).SetExpireAfterSeconds(int32(x.after.Seconds()))}
		_, err = db.Collection(x.coll).Indexes().CreateOne(ctx, m)
		var ce mongo.CommandError
		if errors.As(err, &ce) && ce.Name == "NotImplemented" {
			ttlSupported = false
			m = mongo.IndexModel{Keys: bson.D{{Key: x.field, Value: 1}}, Options: options.Index().SetName(x.name + "_plain")}
			_, err = db.Collection(x.coll).Indexes().CreateOne(ctx, m)
		}
		if err != nil {
			return false, fmt.Errorf("customermongo: index %s of %s: %w", x.name, x.coll, err)
		}
	}
	return ttlSupported, nil
}

// indexNames lists the indexes a collection has. EnsureIndexes creates only
// missing ones: FerretDB 1.24 panics on createIndexes for an index that
// already exists in a database it reopened.
func indexNames(ctx context.Context, coll *mongo.Collection) (map[string]bool, error) {
	specs, err := coll.Indexes().ListSpecifications(ctx)
	if err != nil {
		return nil, fmt.Errorf("customermongo: indexes of %s: %w", coll.Name(), err)
	}
	names := map[string]bool{}
	for _, s := range specs {
		names[s.Name] = true
	}
	return names, nil
}

// Sweep deletes the documents a TTL index would have expired by now, and
// returns how many. It is for servers without TTL indexes (FerretDB).
func Sweep(ctx context.Context, db *mongo.Database, now time.Time) (int64, error) {
	var total int64
	for _, x := range ttlIndexes {
		res, err := db.Collection(x.coll).DeleteMany(ctx, bson.M{x.field: bson.M{"$lt": now.Add(-x.after).UTC()}})
		if err != nil {
			return total, fmt.Errorf("customermongo: sweep %s: %w", x.coll, err)
		}
		total += res.DeletedCount
	}
	return total, nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		return fmt.Errorf("customermongo: ping: %w", err)
	}
	return nil
}

// ---- profiles

type profileDoc struct {
	ID              string         `bson:"userId"`
	Email           string         `bson:"email"`
	GivenName       string         `bson:"givenName,omitempty"`
	FamilyName      string         `bson:"familyName,omitempty"`
	Phone           string         `bson:"phone,omitempty"`
	PhoneVerified   bool           `bson:"phoneVerified"`
	PhoneVerifiedAt *time.Time     `bson:"phoneVerifiedAt,omitempty"`
	Preferences     preferencesDoc `bson:"preferences"`
	Travellers      []travellerDoc `bson:"travellers"`
	CreatedAt       time.Time      `bson:"createdAt"`
	UpdatedAt       time.Time      `bson:"updatedAt"`
	Version         int64          `bson:"version"`
}

type preferencesDoc struct {
	Seat     string   `bson:"seat,omitempty"`
	Meal     string   `bson:"meal,omitempty"`
	Language string   `bson:"language"`
	Channels []string `bson:"channels"`
	OptOuts  []string `bson:"optOuts"`
}

type travellerDoc struct {
	ID          string       `bson:"id"`
	Type        string       `bson:"type"`
	Title       string       `bson:"title,omitempty"`
	GivenName   string       `bson:"givenName"`
	FamilyName  string       `bson:"familyName"`
	DateOfBirth string       `bson:"dateOfBirth"`
	Gender      string       `bson:"gender,omitempty"`
	Document    *documentDoc `bson:"document,omitempty"`
}

type documentDoc struct {
	Type           string `bson:"type"`
	Number         string `bson:"number"`
	IssuingCountry string `bson:"issuingCountry"`
	Nationality    string `bson:"nationality,omitempty"`
	ExpiryDate     string `bson:"expiryDate"`
}

func toProfileDoc(p customer.Profile) profileDoc {
	d := profileDoc{
		ID: p.UserID, Email: p.Email, GivenName: p.GivenName, FamilyName: p.FamilyName, Phone: p.Phone,
		PhoneVerified: p.PhoneVerified, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(), Version: p.Version,
		Preferences: preferencesDoc{
			Seat: p.Preferences.Seat, Meal: p.Preferences.Meal, Language: p.Preferences.Language,
			Channels: make([]string, 0, len(p.Preferences.Channels)), OptOuts: append([]string{}, p.Preferences.OptOuts...),
		},
		Travellers: make([]travellerDoc, 0, len(p.Travellers)),
	}
	if !p.PhoneVerifiedAt.IsZero() {
		t := p.PhoneVerifiedAt.UTC()
		d.PhoneVerifiedAt = &t
	}
	for _, c := range p.Preferences.Channels {
		d.Preferences.Channels = append(d.Preferences.Channels, string(c))
	}
	for _, t := range p.Travellers {
		td := travellerDoc{ID: t.ID, Type: t.Type, Title: t.Title, GivenName: t.GivenName, FamilyName: t.FamilyName, DateOfBirth: t.DateOfBirth, Gender: t.Gender}
		if t.Document != nil {
			td.Document = &documentDoc{Type: t.Document.Type, Number: t.Document.Number, IssuingCountry: t.Document.IssuingCountry, Nationality: t.Document.Nationality, ExpiryDate: t.Document.ExpiryDate}
		}
		d.Travellers = append(d.Travellers, td)
	}
	return d
}

func toProfile(d profileDoc) customer.Profile {
	p := customer.Profile{
		UserID: d.ID, Email: d.Email, GivenName: d.GivenName, FamilyName: d.FamilyName, Phone: d.Phone,
		PhoneVerified: d.PhoneVerified, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version,
		Preferences: customer.Preferences{
			Seat: d.Preferences.Seat, Meal: d.Preferences.Meal, Language: d.Preferences.Language,
			OptOuts: append([]string{}, d.Preferences.OptOuts...), Channels: []customer.Channel{},
		},
		Travellers: []customer.Traveller{},
	}
	if d.PhoneVerifiedAt != nil {
		p.PhoneVerifiedAt = d.PhoneVerifiedAt.UTC()
	}
	for _, c := range d.Preferences.Channels {
		p.Preferences.Channels = append(p.Preferences.Channels, customer.Channel(c))
	}
	for _, t := range d.Travellers {
		ct := customer.Traveller{ID: t.ID, Type: t.Type, Title: t.Title, GivenName: t.GivenName, FamilyName: t.FamilyName, DateOfBirth: t.DateOfBirth, Gender: t.Gender}
		if t.Document != nil {
			ct.Document = &customer.TravelDocument{Type: t.Document.Type, Number: t.Document.Number, IssuingCountry: t.Document.IssuingCountry, Nationality: t.Document.Nationality, ExpiryDate: t.Document.ExpiryDate}
		}
		p.Travellers = append(p.Travellers, ct)
	}
	return p
}

// Versions kept behind the newest: profiles keep a short history; rate
// limits keep enough for their busiest contention and expire the rest.
const (
	keepProfileVersions = 8
	keepLimiterVersions = 64
)

func (s *Store) loadProfile(ctx context.Context, userID string) (profileDoc, int64, error) {
	version, raw, err := s.profiles.load(ctx, userID)
	if err != nil || version == 0 {
		return profileDoc{}, version, err
	}
	var d profileDoc
	if err := bson.Unmarshal(raw, &d); err != nil {
		return profileDoc{}, 0, fmt.Errorf("decode profile %s: %w", userID, err)
	}
	if d.ID == "" {
		return profileDoc{}, 0, nil // erased (EraseUser): as if never written
	}
	d.Version = version
	return d, version, nil
}

// Profile implements customer.Store.
func (s *Store) Profile(ctx context.Context, userID string) (customer.Profile, error) {
	d, version, err := s.loadProfile(ctx, userID)
	if err != nil {
		return customer.Profile{}, fmt.Errorf("customermongo: profile %s: %w", userID, err)
	}
	if version == 0 {
		return customer.Profile{}, fmt.Errorf("customermongo: profile %s: %w", userID, customer.ErrNotFound)
	}
	return toProfile(d), nil
}

// CreateProfile implements customer.Store.
func (s *Store) CreateProfile(ctx context.Context, p customer.Profile) error {
	_, version, err := s.loadProfile(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("customermongo: create profile %s: %w", p.UserID, err)
	}
	if version > 0 {
		return fmt.Errorf("customermongo: create profile %s: %w", p.UserID, customer.ErrAlreadyExists)
	}
	d := toProfileDoc(p)
	d.Version = 1
	ev, err := profileEvent(customer.EventProfileCreated, p, 1, nil, p.CreatedAt)
	if err != nil {
		return fmt.Errorf("customermongo: create profile %s: %w", p.UserID, err)
	}
	won, err := s.profiles.store(ctx, p.UserID, 0, d, nil, ev)
	if err != nil {
		return fmt.Errorf("customermongo: create profile %s: %w", p.UserID, err)
	}
	if !won {
		return fmt.Errorf("customermongo: create profile %s: %w", p.UserID, customer.ErrAlreadyExists)
	}
	s.hint(ctx, CollProfileVersions, versionID(p.UserID, 1), []eventDoc{ev})
	return nil
}

// UpdateProfile implements customer.Store. It writes version prevVersion+1
// (p.Version is ignored and set so).
func (s *Store) UpdateProfile(ctx context.Context, p customer.Profile, prevVersion int64) error {
	prev, version, err := s.loadProfile(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("customermongo: update profile %s: %w", p.UserID, err)
	}
	if version == 0 {
		return fmt.Errorf("customermongo: update profile %s: %w", p.UserID, customer.ErrNotFound)
	}
	if version != prevVersion {
		return fmt.Errorf("customermongo: update profile %s from version %d (now %d): %w", p.UserID, prevVersion, version, customer.ErrConflict)
	}
	d := toProfileDoc(p)
	d.Version = prevVersion + 1
	ev, err := profileEvent(customer.EventProfileChanged, p, d.Version, customer.ChangedFields(toProfile(prev), p), p.UpdatedAt)
	if err != nil {
		return fmt.Errorf("customermongo: update profile %s: %w", p.UserID, err)
	}
	won, err := s.profiles.store(ctx, p.UserID, prevVersion, d, nil, ev)
	if err != nil {
		return fmt.Errorf("customermongo: update profile %s: %w", p.UserID, err)
	}
	if !won {
		return fmt.Errorf("customermongo: update profile %s from version %d: %w", p.UserID, prevVersion, customer.ErrConflict)
	}
	s.hint(ctx, CollProfileVersions, versionID(p.UserID, d.Version), []eventDoc{ev})
	return nil
}

// ---- tokens: insert-once documents deciding races

type tokenDoc struct {
	ID         string     `bson:"_id"`
	LeaseUntil *time.Time `bson:"leaseUntil,omitempty"`
	ExpireAt   time.Time  `bson:"expireAt"`
}

// takeToken inserts token id and reports whether this caller got it.
func (s *Store) takeToken(ctx context.Context, t tokenDoc) (bool, error) {
	_, err := s.db.Collection(CollTokens).InsertOne(ctx, t)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("token %s: %w", t.ID, err)
	}
	return true, nil
}

func (s *Store) token(ctx context.Context, id string) (tokenDoc, bool, error) {
	var t tokenDoc
	err := s.db.Collection(CollTokens).FindOne(ctx, bson.M{"_id": id}).Decode(&t)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return tokenDoc{}, false, nil
	}
	if err != nil {
		return tokenDoc{}, false, fmt.Errorf("token %s: %w", id, err)
	}
	return t, true, nil
}

// ---- verifications

type verificationDoc struct {
	UserID     string    `bson:"_id"`
	ID         string    `bson:"id"`
	Phone      string    `bson:"phone"`
	CodeHash   []byte    `bson:"codeHash"`
	KeyVersion int       `bson:"keyVersion"`
	Attempts   int       `bson:"attempts"`
	Consumed   bool      `bson:"consumed"`
	CreatedAt  time.Time `bson:"createdAt"`
	ExpiresAt  time.Time `bson:"expiresAt"`
}

func toVerification(d verificationDoc) customer.Verification {
	return customer.Verification{
		ID: d.ID, UserID: d.UserID, Phone: d.Phone, CodeHash: d.CodeHash, KeyVersion: d.KeyVersion,
		Attempts: d.Attempts, Consumed: d.Consumed, CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(),
	}
}

// PutVerification implements customer.Store.
func (s *Store) PutVerification(ctx context.Context, v customer.Verification) error {
	d := verificationDoc{
		UserID: v.UserID, ID: v.ID, Phone: v.Phone, CodeHash: v.CodeHash, KeyVersion: v.KeyVersion,
		Attempts: v.Attempts, Consumed: v.Consumed, CreatedAt: v.CreatedAt.UTC(), ExpiresAt: v.ExpiresAt.UTC(),
	}
	_, err := s.db.Collection(CollVerifications).ReplaceOne(ctx, bson.M{"_id": v.UserID}, d, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("customermongo: put verification of %s: %w", v.UserID, err)
	}
	return nil
}

// Verification implements customer.Store.
func (s *Store) Verification(ctx context.Context, userID string) (customer.Verification, error) {
	var d verificationDoc
	err := s.db.Collection(CollVerifications).FindOne(ctx, bson.M{"_id": userID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return customer.Verification{}, fmt.Errorf("customermongo: verification of %s: %w", userID, customer.ErrNotFound)
	}
	if err != nil {
		return customer.Verification{}, fmt.Errorf("customermongo: verification of %s: %w", userID, err)
	}
	return toVerification(d), nil
}

// AddVerificationAttempt implements customer.Store. Attempt k of a code is
// the token "vattempt|id|k": of concurrent attempts each gets its own k, and
// none gets one beyond max.
func (s *Store) AddVerificationAttempt(ctx context.Context, userID, id string, maxAttempts int) (customer.Verification, error) {
	v, err := s.Verification(ctx, userID)
	if err != nil {
		return customer.Verification{}, err
	}
	if v.ID != id {
		return customer.Verification{}, fmt.Errorf("customermongo: verification %s of %s was replaced: %w", id, userID, customer.ErrNotFound)
	}
	if _, used, err := s.token(ctx, "vconsume|"+id); err != nil {
		return customer.Verification{}, fmt.Errorf("customermongo: verification %s: %w", id, err)
	} else if used || v.Consumed {
		return customer.Verification{}, fmt.Errorf("customermongo: verification %s: %w", id, customer.ErrVerificationUsed)
	}
	expire := v.ExpiresAt.Add(verificationRetention)
	for k := v.Attempts + 1; k <= maxAttempts; k++ {
		ok, err := s.takeToken(ctx, tokenDoc{ID: fmt.Sprintf("vattempt|%s|%d", id, k), ExpireAt: expire})
		if err != nil {
			return customer.Verification{}, fmt.Errorf("customermongo: verification attempt of %s: %w", userID, err)
		}
		if !ok {
			continue
		}
		// The stored count is a hint for the next caller; the tokens decide.
		if _, err := s.db.Collection(CollVerifications).UpdateOne(ctx, bson.M{"_id": userID, "id": id, "attempts": bson.M{"$lt": k}},
			bson.M{"$set": bson.M{"attempts": k}}); err != nil {
			return customer.Verification{}, fmt.Errorf("customermongo: verification attempt of %s: %w", userID, err)
		}
		v.Attempts = k
		return v, nil
	}
	return customer.Verification{}, fmt.Errorf("customermongo: verification %s: %w", id, customer.ErrVerificationAttempts)
}

// ConsumeVerification implements customer.Store: the token "vconsume|id"
// is taken once.
func (s *Store) ConsumeVerification(ctx context.Context, userID, id string) error {
	v, err := s.Verification(ctx, userID)
	if err != nil {
		return err
	}
	if v.ID != id {
		return fmt.Errorf("customermongo: verification %s of %s was replaced: %w", id, userID, customer.ErrNotFound)
	}
	ok, err := s.takeToken(ctx, tokenDoc{ID: "vconsume|" + id, ExpireAt: v.ExpiresAt.Add(verificationRetention)})
	if err != nil {
		return fmt.Errorf("customermongo: consume verification of %s: %w", userID, err)
	}
	if !ok {
		return fmt.Errorf("customermongo: verification %s: %w", id, customer.ErrVerificationUsed)
	}
	if _, err := s.db.Collection(CollVerifications).UpdateOne(ctx, bson.M{"_id": userID, "id": id},
		bson.M{"$set": bson.M{"consumed": true}}); err != nil {
		return fmt.Errorf("customermongo: consume verification of %s: %w", userID, err)
	}
	return nil
}

// ---- notifications

type notificationDoc struct {
	ID                string            `bson:"_id"`
	DedupeKey         string            `bson:"dedupeKey"`
	UserID            string            `bson:"userId,omitempty"`
	Channel           string            `bson:"channel"`
	Recipient         string            `bson:"recipient"`
	TemplateID        string            `bson:"templateId"`
	Category          string            `bson:"category"`
	Language          string            `bson:"language"`
	Data              map[string]string `bson:"data"`
	Subject           string            `bson:"subject"`
	Status            string            `bson:"status"`
	Reason            string            `bson:"reason,omitempty"`
	ProviderMessageID string            `bson:"providerMessageId,omitempty"`
	Attempts          int               `bson:"attempts"`
	LeaseUntil        *time.Time        `bson:"leaseUntil,omitempty"`
	CreatedAt         time.Time         `bson:"createdAt"`
	UpdatedAt         time.Time         `bson:"updatedAt"`
	SentAt            *time.Time        `bson:"sentAt,omitempty"`
	// Events are the outbox events of delivery outcomes, each $pushed in
	// the update that records its outcome.
	Events []eventDoc `bson:"events,omitempty"`
}

func toNotificationDoc(n customer.Notification) notificationDoc {
	d := notificationDoc{
		ID: n.ID, DedupeKey: n.DedupeKey, UserID: n.UserID, Channel: string(n.Channel), Recipient: n.Recipient,
		TemplateID: n.TemplateID, Category: string(n.Category), Language: n.Language, Data: n.Data, Subject: n.Subject,
		Status: string(n.Status), Reason: n.Reason, ProviderMessageID: n.ProviderMessageID, Attempts: n.Attempts,
		CreatedAt: n.CreatedAt.UTC(), UpdatedAt: n.UpdatedAt.UTC(),
	}
	if d.Data == nil {
		d.Data = map[string]string{}
	}
	if !n.LeaseUntil.IsZero() {
		t := n.LeaseUntil.UTC()
		d.LeaseUntil = &t
	}
	if !n.SentAt.IsZero() {
		t := n.SentAt.UTC()
		d.SentAt = &t
	}
	return d
}

func toNotification(d notificationDoc) customer.Notification {
	n := customer.Notification{
		ID: d.ID, DedupeKey: d.DedupeKey, UserID: d.UserID, Channel: customer.Channel(d.Channel), Recipient: d.Recipient,
		TemplateID: d.TemplateID, Category: customer.Category(d.Category), Language: d.Language, Data: d.Data, Subject: d.Subject,
		Status: customer.Status(d.Status), Reason: d.Reason, ProviderMessageID: d.ProviderMessageID, Attempts: d.Attempts,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
	if d.LeaseUntil != nil {
		n.LeaseUntil = d.LeaseUntil.UTC()
	}
	if d.SentAt != nil {
		n.SentAt = d.SentAt.UTC()
	}
	return n
}

// InsertNotification implements customer.Store.
func (s *Store) InsertNotification(ctx context.Context, n customer.Notification) error {
	_, err := s.db.Collection(CollNotifications).InsertOne(ctx, toNotificationDoc(n))
	if mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("customermongo: insert notification %s: %w", n.DedupeKey, customer.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("customermongo: insert notification %s: %w", n.DedupeKey, err)
	}
	return nil
}

// Notification implements customer.Store.
func (s *Store) Notification(ctx context.Context, id string) (customer.Notification, error) {
	var d notificationDoc
	err := s.db.Collection(CollNotifications).FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return customer.Notification{}, fmt.Errorf("customermongo: notification %s: %w", id, customer.ErrNotFound)
	}
	if err != nil {
		return customer.Notification{}, fmt.Errorf("customermongo: notification %s: %w", id, err)
	}
	return toNotification(d), nil
}

// claimRetention keeps delivery-attempt tokens after their lease.
const claimRetention = 7 * 24 * time.Hour

// ClaimNotification implements customer.Store. Delivery attempt k is the
// token "nclaim|id|k" carrying its lease: one claimer gets each k, and an
// attempt whose holder vanished before recording it is skipped once its
// lease ended.
func (s *Store) ClaimNotification(ctx context.Context, id string, now, leaseUntil time.Time) (customer.Notification, bool, error) {
	coll := s.db.Collection(CollNotifications)
	var d notificationDoc
	err := coll.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return customer.Notification{}, false, fmt.Errorf("customermongo: claim notification %s: %w", id, customer.ErrNotFound)
	}
	if err != nil {
		return customer.Notification{}, false, fmt.Errorf("customermongo: claim notification %s: %w", id, err)
	}
	n := toNotification(d)
	switch n.Status {
	case customer.StatusQueued, customer.StatusFailed:
	case customer.StatusSending:
		if n.LeaseUntil.After(now) {
			return n, false, nil
		}
	default:
		return n, false, nil
	}
	for k := n.Attempts + 1; ; k++ {
		lease := leaseUntil.UTC()
		tid := fmt.Sprintf("nclaim|%s|%d", id, k)
		ok, err := s.takeToken(ctx, tokenDoc{ID: tid, LeaseUntil: &lease, ExpireAt: lease.Add(claimRetention)})
		if err != nil {
			return customer.Notification{}, false, fmt.Errorf("customermongo: claim notification %s: %w", id, err)
		}
		if ok {
			_, err := coll.UpdateOne(ctx, bson.M{"_id": id},
				bson.M{"$set": bson.M{"status": string(customer.StatusSending), "leaseUntil": lease, "attempts": k, "updatedAt": now.UTC()}})
			if err != nil {
				return customer.Notification{}, false, fmt.Errorf("customermongo: claim notification %s: %w", id, err)
			}
			n.Status, n.LeaseUntil, n.Attempts, n.UpdatedAt = customer.StatusSending, lease, k, now.UTC()
			return n, true, nil
		}
		t, found, err := s.token(ctx, tid)
		if err != nil {
			return customer.Notification{}, false, fmt.Errorf("customermongo: claim notification %s: %w", id, err)
		}
		if found && t.LeaseUntil != nil && t.LeaseUntil.After(now) {
			return n, false, nil // another sender holds attempt k
		}
	}
}

// FinishNotification implements customer.Store. A delivered or failed
// attempt writes its event (customer.notification.delivered or .failed) in
// the same document update.
func (s *Store) FinishNotification(ctx context.Context, id string, status customer.Status, providerMessageID, reason string, at time.Time) error {
	coll := s.db.Collection(CollNotifications)
	var d notificationDoc
	err := coll.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("customermongo: finish notification %s: %w", id, customer.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("customermongo: finish notification %s: %w", id, err)
	}
	set := bson.M{"status": string(status), "updatedAt": at.UTC(), "reason": reason}
	if providerMessageID != "" {
		set["providerMessageId"] = providerMessageID
	}
	if status == customer.StatusSent {
		set["sentAt"] = at.UTC()
	}
	update := bson.M{"$set": set, "$unset": bson.M{"leaseUntil": ""}}
	var events []eventDoc
	if typ, ok := customer.NotificationEventType(status); ok {
		data := customer.NotificationEventData{NotificationID: id, CustomerID: d.UserID, Channel: customer.Channel(d.Channel),
			TemplateID: d.TemplateID, Category: customer.Category(d.Category), Status: status, Attempt: d.Attempts}
		if status == customer.StatusFailed {
			data.Error = "delivery_failed"
		}
		ev, err := newEvent(customer.NotificationEventID(id, status, d.Attempts), typ, customer.AggregateNotification, id,
			int64(d.Attempts), at, data)
		if err != nil {
			return fmt.Errorf("customermongo: finish notification %s: %w", id, err)
		}
		events = append(events, ev)
		update["$push"] = bson.M{"events": ev}
	}
	res, err := coll.UpdateOne(ctx, bson.M{"_id": id}, update)
	if err != nil {
		return fmt.Errorf("customermongo: finish notification %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("customermongo: finish notification %s: %w", id, customer.ErrNotFound)
	}
	s.hint(ctx, CollNotifications, id, events)
	return nil
}

// ListNotifications implements customer.Store.
func (s *Store) ListNotifications(ctx context.Context, f customer.NotificationFilter) ([]customer.Notification, error) {
	filter := bson.M{}
	if f.UserID != "" {
		filter["userId"] = f.UserID
	}
	if f.Recipient != "" {
		filter["recipient"] = f.Recipient
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	cur, err := s.db.Collection(CollNotifications).Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("customermongo: list notifications: %w", err)
	}
	var docs []notificationDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("customermongo: list notifications: %w", err)
	}
	out := make([]customer.Notification, 0, len(docs))
	for _, d := range docs {
		out = append(out, toNotification(d))
	}
	return out, nil
}

// ---- rate limits

type limiterValue struct {
	TAT int64 `bson:"tat"`
}

// LimiterState implements customer.Store.
func (s *Store) LimiterState(ctx context.Context, key string) (int64, int64, error) {
	version, raw, err := s.limits.load(ctx, key)
	if err != nil {
		return 0, 0, fmt.Errorf("customermongo: rate limit %s: %w", key, err)
	}
	if version == 0 {
		return 0, 0, nil
	}
	var v limiterValue
	if err := bson.Unmarshal(raw, &v); err != nil {
		return 0, 0, fmt.Errorf("customermongo: rate limit %s: %w", key, err)
	}
	return v.TAT, version, nil
}

// SwapLimiterState implements customer.Store.
func (s *Store) SwapLimiterState(ctx context.Context, key string, prevVersion, next int64, expireAt time.Time) (bool, error) {
	exp := expireAt.UTC()
	won, err := s.limits.store(ctx, key, prevVersion, limiterValue{TAT: next}, &exp)
	if err != nil {
		return won, fmt.Errorf("customermongo: rate limit %s: %w", key, err)
	}
	return won, nil
}

// ---- consumed events

type inboxDoc struct {
	ID        string    `bson:"_id"` // consumer|event id
	AppliedAt time.Time `bson:"appliedAt"`
}

func inboxID(consumer, eventID string) string { return consumer + "|" + eventID }

// EventApplied implements customer.Store.
func (s *Store) EventApplied(ctx context.Context, consumer, eventID string) (bool, error) {
	err := s.db.Collection(CollInbox).FindOne(ctx, bson.M{"_id": inboxID(consumer, eventID)}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("customermongo: inbox %s: %w", inboxID(consumer, eventID), err)
	}
	return true, nil
}

// RecordEventApplied implements customer.Store.
func (s *Store) RecordEventApplied(ctx context.Context, consumer, eventID string, at time.Time) error {
	_, err := s.db.Collection(CollInbox).InsertOne(ctx, inboxDoc{ID: inboxID(consumer, eventID), AppliedAt: at.UTC()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("customermongo: inbox %s: %w", inboxID(consumer, eventID), err)
	}
	return nil
}

// ---- booking references

type bookingRefDoc struct {
	ID         string    `bson:"_id"` // booking id
	PNR        string    `bson:"pnr"`
	CustomerID string    `bson:"customerId"`
	At         time.Time `bson:"at"`
}

// PutBookingRef implements customer.Store.
func (s *Store) PutBookingRef(ctx context.Context, r customer.BookingRef) error {
	doc := bookingRefDoc{ID: r.BookingID, PNR: r.PNR, CustomerID: r.CustomerID, At: r.At.UTC()}
	_, err := s.db.Collection(CollBookingRefs).ReplaceOne(ctx, bson.M{"_id": r.BookingID}, doc, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("customermongo: booking ref %s: %w", r.BookingID, err)
	}
	return nil
}

// BookingRef implements customer.Store.
func (s *Store) BookingRef(ctx context.Context, bookingID string) (customer.BookingRef, error) {
	var doc bookingRefDoc
	err := s.db.Collection(CollBookingRefs).FindOne(ctx, bson.M{"_id": bookingID}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return customer.BookingRef{}, fmt.Errorf("customermongo: booking ref %s: %w", bookingID, customer.ErrNotFound)
	}
	if err != nil {
		return customer.BookingRef{}, fmt.Errorf("customermongo: booking ref %s: %w", bookingID, err)
	}
	return customer.BookingRef{BookingID: doc.ID, PNR: doc.PNR, CustomerID: doc.CustomerID, At: doc.At.UTC()}, nil
}
