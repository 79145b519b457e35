// Package codec encrypts Temporal payloads with AES-256-GCM under a named,
// versioned key from a secrets.Provider (Vault or the local keyring), and
// serves the Temporal codec server protocol so an authenticated operator can
// read the payloads in the Temporal UI.
//
// Every payload is encrypted with the key's Current version; the payload's
// metadata names that version ("temporal-codec/v3"), so after a Rotate new
// payloads use the new version while histories written before still decode
// with the old one, as long as it is live. The key id is also the GCM
// additional data, so a payload cannot be re-labelled to another version.
//
// Crypto-shredding (ACCEPTANCE G2). A payload type that carries one
// customer's personal data implements DataSubject (its customer id); the
// data converter of NewDataConverter tags its payload (MetadataSubject)
// before the codec runs, and Encode encrypts it under that subject's own
// data key, key id "subject-<id>/vN" in the metadata. Client calls whose
// arguments cannot name their subject (the reserve update) name it with
// WithSubject on the call's context. Payloads without a subject keep the
// shared key. Shred destroys the subject's key, after which Decode of that
// subject's payloads, in every history, fails with ErrShredded while other
// subjects' and shared payloads still decode.
//
// The data key is the secrets provider's own per-name key "subject-<id>"
// rather than a key wrapped under KeyCodec: wrapping would need a blob
// store the Provider interface does not have, and it would add nothing
// here, because the wrapped key would sit in the same keyring file or
// Vault path, under the same access control, as the master key that
// unwraps it; what shredding needs — material that is destroyed, old KV
// versions included, and a version id never reused — both providers' Destroy
// already guarantees.
//
// A shredded subject stays shredded: Shred first writes a tombstone (a key
// named "subject-<id>.shredded", whose existence is the mark), and Encode
// for a tombstoned subject fails with ErrShredded instead of letting
// Provider.Current create a new key under the old name. Encode checks the
// tombstone before and after fetching the key, so a Shred racing with it
// cannot leave a recreated key live. Shred empties this Codec's caches at
// once (use one Codec per process); other processes keep a shredded key for
// at most their cache TTL (WithCacheTTL, 30s by default).
package codec

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// Metadata keys and values of an encrypted payload.
const (
	// EncodingEncrypted is the "encoding" metadata of an encrypted payload.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key version that encrypted the payload.
	MetadataKeyID = "encryption-key-id"
)

// ErrDecrypt is returned when a payload fails authentication: modified
// ciphertext, a re-labelled key id, or a key that was destroyed and
// recreated.
var ErrDecrypt = errors.New("codec: payload failed authentication")

// Codec is an AES-256-GCM converter.PayloadCodec. It is safe for concurrent
// use.
type Codec struct {
	provider secrets.Provider
	keyName  string
	cacheTTL time.Duration
	timeout  time.Duration
	now      func() time.Time

	mu       sync.Mutex
	current  cached
	byID     map[string]cached
	subjects map[string]cached // subject id → current data key, or its shredded mark
}

type cached struct {
	id       string
	aead     cipher.AEAD
	expires  time.Time
	shredded bool // a subject's tombstone was seen
}

// Option configures a Codec.
type Option func(*Codec)

// WithKeyName encrypts with the named key instead of secrets.KeyCodec.
func WithKeyName(name string) Option { return func(c *Codec) { c.keyName = name } }

// WithCacheTTL sets how long a key fetched from the provider is reused
// (default 30s; 0 fetches for every batch). It bounds how long after a
// Rotate old versions still encrypt, and after a Destroy payloads still
// decode in this process.
func WithCacheTTL(d time.Duration) Option { return func(c *Codec) { c.cacheTTL = d } }

// WithClock sets the clock of the key cache (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *Codec) { c.now = now } }

// WithTimeout bounds each provider call (default 10s): the PayloadCodec
// interface has no context.
func WithTimeout(d time.Duration) Option { return func(c *Codec) { c.timeout = d } }

// New returns a Codec over provider.
func New(provider secrets.Provider, opts ...Option) (*Codec, error) {
	if provider == nil {
		return nil, errors.New("codec: nil secrets provider")
	}
	c := &Codec{
		provider: provider,
		keyName:  secrets.KeyCodec,
		cacheTTL: 30 * time.Second,
		timeout:  10 * time.Second,
		now:      time.Now,
		byID:     map[string]cached{},
		subjects: map[string]cached{},
	}
	for _, o := range opts {
		o(c)
	}
	if c.keyName == "" {
		return nil, errors.New("codec: empty key name")
	}
	return c, nil
}

// NewDataConverter returns Temporal's default data converter with every
// payload encrypted by a Codec over provider: a value implementing
// DataSubject (or an argument of a client call whose context carries
// WithSubject) under its subject's key, every other payload under the
// shared key.
func NewDataConverter(provider secrets.Provider, opts ...Option) (converter.DataConverter, error) {
	c, err := New(provider, opts...)
	if err != nil {
		return nil, err
	}
	return c.DataConverter(), nil
}

// DataConverter returns Temporal's default data converter with every
// payload encrypted by c, subjects' payloads under their own keys (see
// NewDataConverter).
func (c *Codec) DataConverter() converter.DataConverter {
	return newSubjectDataConverter(converter.GetDefaultDataConverter(), c, "")
}

// Encode encrypts each payload with the current version of its key: the
// data key of the subject its MetadataSubject names, else the shared key.
// A payload of a shredded subject fails the batch with ErrShredded.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if len(payloads) == 0 {
		return payloads, nil
	}
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		p, subject := untagged(p)
		var key cached
		var err error
		if subject != "" {
			key, err = c.subjectKey(subject)
		} else {
			key, err = c.currentKey()
		}
		if err != nil {
			return nil, err
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: encode: marshal payload: %w", err)
		}
		nonce := make([]byte, key.aead.NonceSize(), key.aead.NonceSize()+len(plain)+key.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec: encode: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:              []byte(key.id),
			},
			Data: key.aead.Seal(nonce, nonce, plain, []byte(key.id)),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key version its metadata
// names; payloads that are not encrypted pass through unchanged. A payload
// that fails authentication returns an error wrapping ErrDecrypt; one whose
// key version is gone wraps secrets.ErrNotFound.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		key, err := c.keyByID(id)
		if err != nil {
			return nil, err
		}
		ns := key.aead.NonceSize()
		if len(p.Data) < ns+key.aead.Overhead() {
			return nil, fmt.Errorf("codec: decode with %s: %w: payload too short", id, ErrDecrypt)
		}
		plain, err := key.aead.Open(nil, p.Data[:ns], p.Data[ns:], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("codec: decode with %s: %w", id, ErrDecrypt)
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("codec: decode with %s: unmarshal payload: %w", id, err)
		}
		out[i] = &decoded
	}
	return out, nil
}

func (c *Codec) currentKey() (cached, error) {
	now := c.now()
	c.mu.Lock()
	cur := c.current
	c.mu.Unlock()
	if cur.aead != nil && now.Before(cur.expires) {
		return cur, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	k, err := c.provider.Current(ctx, c.keyName)
	if err != nil {
		return cached{}, fmt.Errorf("codec: current key %s: %w", c.keyName, err)
	}
	cur, err = newCached(k, now.Add(c.cacheTTL))
	if err != nil {
		return cached{}, err
	}
	c.mu.Lock()
	c.current = cur
	c.byID[cur.id] = cur
	c.mu.Unlock()
	return cur, nil
}

func (c *Codec) keyByID(id string) (cached, error) {
	now := c.now()
	c.mu.Lock()
	k, ok := c.byID[id]
	c.mu.Unlock()
	if ok && now.Before(k.expires) {
		return k, nil
	}
	name, version, err := ParseKeyID(id)
	if err != nil {
		return cached{}, fmt.Errorf("codec: decode: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	key, err := c.provider.Version(ctx, name, version)
	if subject := subjectOfKey(name); subject != "" && errors.Is(err, secrets.ErrNotFound) {
		if gone, terr := c.shredded(ctx, subject); terr == nil && gone {
			return cached{}, fmt.Errorf("codec: decode: key %s: %w", id, ErrShredded)
		}
	}
	if err != nil {
		return cached{}, fmt.Errorf("codec: decode: key %s: %w", id, err)
	}
	k, err = newCached(key, now.Add(c.cacheTTL))
	if err != nil {
		return cached{}, err
	}
	c.mu.Lock()
	for cid, e := range c.byID { // keep the cache bounded by live, recent keys
		if !now.Before(e.expires) {
			delete(c.byID, cid)
		}
	}
	c.byID[id] = k
	c.mu.Unlock()
	return k, nil
}

func newCached(k secrets.Key, expires time.Time) (cached, error) {
	block, err := aes.NewCipher(k.Material)
	if err != nil {
		return cached{}, fmt.Errorf("codec: key %s: %w", k.ID(), err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return cached{}, fmt.Errorf("codec: key %s: %w", k.ID(), err)
	}
	return cached{id: k.ID(), aead: aead, expires: expires}, nil
}

// ParseKeyID splits a key id "name/vN" (secrets.Key.ID) into name and
// version.
func ParseKeyID(id string) (name string, version int, err error) { return secrets.ParseKeyID(id) }
