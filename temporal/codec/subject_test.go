package codec_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/temporal/codec"
)

// customerPassenger is a payload type that names its data subject, as the
// saga payload types do (workflows/*/subject.go).
type customerPassenger struct {
	CustomerID string `json:"customerId"`
	passenger
}

func (p customerPassenger) DataSubject() string { return p.CustomerID }

var (
	aliceOfA = customerPassenger{CustomerID: "cus-a", passenger: alice}
	bobOfB   = customerPassenger{CustomerID: "cus-b", passenger: passenger{GivenName: "Bob", Email: "bob@example.com", Passport: "Y7654321"}}
)

func keyID(p *commonpb.Payload) string { return string(p.Metadata[codec.MetadataKeyID]) }

func decodeInto(dc converter.DataConverter, p *commonpb.Payload) (customerPassenger, error) {
	var got customerPassenger
	err := dc.FromPayload(p, &got)
	return got, err
}

// encodeThree encodes a payload of cus-a, one of cus-b and a shared one
// with a codec (default cache TTL) over a new keyring.
func encodeThree(t *testing.T) (c *codec.Codec, dc converter.DataConverter, a, b, shared *commonpb.Payload) {
	t.Helper()
	c, err := codec.New(newKeyring(t))
	require.NoError(t, err)
	dc = c.DataConverter()
	return c, dc, encodeValue(t, dc, aliceOfA), encodeValue(t, dc, bobOfB), encodeValue(t, dc, alice)
}

func TestCodec_G2_SubjectPayloadsAreEncryptedUnderTheSubjectsKey(t *testing.T) {
	c, dc, a, b, shared := encodeThree(t)

	require.Equal(t, "subject-cus-a/v1", keyID(a))
	require.Equal(t, "subject-cus-b/v1", keyID(b))
	require.Equal(t, "temporal-codec/v1", keyID(shared), "a value without a subject keeps the shared key")
	for _, p := range []*commonpb.Payload{a, b, shared} {
		require.Equal(t, codec.EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
		require.NotContains(t, p.String(), "@example.com")
		require.NotContains(t, p.String(), codec.MetadataSubject, "the subject tag is consumed by the codec")
	}

	got, err := decodeInto(dc, a)
	require.NoError(t, err)
	require.Equal(t, aliceOfA, got)
	got, err = decodeInto(dc, b)
	require.NoError(t, err)
	require.Equal(t, bobOfB, got)

	plain, err := c.Decode([]*commonpb.Payload{a})
	require.NoError(t, err)
	require.NotContains(t, plain[0].Metadata, codec.MetadataSubject, "the plaintext is what the default converter wrote")
	require.Equal(t, "json/plain", string(plain[0].Metadata[converter.MetadataEncoding]))
}

func TestCodec_G2_ShredMakesOnlyThatSubjectUnreadable(t *testing.T) {
	ctx := context.Background()
	// The default cache TTL: the shredded key was cached by Encode and
	// Decode, so this also proves Shred invalidates this process's caches.
	c, dc, a, b, shared := encodeThree(t)
	_, err := decodeInto(dc, a)
	require.NoError(t, err, "decodes before the shred (and caches the key)")

	require.NoError(t, c.Shred(ctx, "cus-a"))

	got, err := decodeInto(dc, a)
	require.ErrorIs(t, err, codec.ErrShredded)
	require.Equal(t, customerPassenger{}, got)
	_, err = c.Decode([]*commonpb.Payload{a})
	require.ErrorIs(t, err, codec.ErrShredded, "the codec server's Decode fails the same way")

	got, err = decodeInto(dc, b)
	require.NoError(t, err, "another subject still decodes")
	require.Equal(t, bobOfB, got)
	var p passenger
	require.NoError(t, dc.FromPayload(shared, &p), "shared-key payloads still decode")
	require.Equal(t, alice, p)

	require.NoError(t, c.Shred(ctx, "cus-a"), "shredding twice is not an error")
	require.Error(t, c.Shred(ctx, "cus.a"), "a subject id that could name a tombstone is refused")
}

func TestCodec_G2_ShreddedSubjectIsNeverGivenANewKey(t *testing.T) {
	ctx := context.Background()
	keys := newKeyring(t)
	c, err := codec.New(keys)
	require.NoError(t, err)
	dc := c.DataConverter()
	encodeValue(t, dc, aliceOfA)
	require.NoError(t, c.Shred(ctx, "cus-a"))

	other, err := codec.New(keys) // another process: no cache, reads the tombstone
	require.NoError(t, err)
	for name, dc := range map[string]converter.DataConverter{"this process": dc, "another process": other.DataConverter()} {
		t.Run(name+" refuses to encode for the shredded subject", func(t *testing.T) {
			_, err := dc.ToPayload(aliceOfA)
			require.ErrorIs(t, err, codec.ErrShredded)
			_, err = keys.Versions(ctx, codec.SubjectKeyName("cus-a"))
			require.ErrorIs(t, err, secrets.ErrNotFound, "no new key was created under the shredded name")
		})
	}
	require.Equal(t, "subject-cus-b/v1", keyID(encodeValue(t, dc, bobOfB)), "other subjects still encode")
}

// racingProvider runs hook before every Current of the named key: it lets a
// test shred a subject between the codec's tombstone check and its fetch of
// the subject's key.
type racingProvider struct {
	secrets.Provider
	name string
	hook func()
}

func (r *racingProvider) Current(ctx context.Context, name string) (secrets.Key, error) {
	if name == r.name && r.hook != nil {
		hook := r.hook
		r.hook = nil
		hook()
	}
	return r.Provider.Current(ctx, name)
}

func TestCodec_G2_ShredRacingAnEncodeLeavesNoLiveKey(t *testing.T) {
	ctx := context.Background()
	keys := newKeyring(t)
	shredder, err := codec.New(keys)
	require.NoError(t, err)
	racing := &racingProvider{Provider: keys, name: codec.SubjectKeyName("cus-a")}
	encoder, err := codec.New(racing)
	require.NoError(t, err)
	racing.hook = func() { require.NoError(t, shredder.Shred(ctx, "cus-a")) }

	// The encoder saw no tombstone, then Current recreates the key the
	// shred just destroyed; the second tombstone check must catch it.
	_, err = encoder.DataConverter().ToPayload(aliceOfA)
	require.ErrorIs(t, err, codec.ErrShredded)
	_, err = keys.Versions(ctx, codec.SubjectKeyName("cus-a"))
	require.ErrorIs(t, err, secrets.ErrNotFound, "the recreated key was destroyed again")
}

func TestCodec_G2_OtherProcessesForgetAShreddedKeyWithinTheirCacheTTL(t *testing.T) {
	ctx := context.Background()
	keys := newKeyring(t)
	now := testdate.At(0, 1, 0)
	other, err := codec.New(keys, codec.WithCacheTTL(time.Minute), codec.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	dc := other.DataConverter()
	a := encodeValue(t, dc, aliceOfA)
	shredder, err := codec.New(keys)
	require.NoError(t, err)

	require.NoError(t, shredder.Shred(ctx, "cus-a"))

	_, err = decodeInto(dc, a)
	require.NoError(t, err, "within its cache TTL another process still holds the key (the documented bound)")
	now = now.Add(time.Minute)
	_, err = decodeInto(dc, a)
	require.ErrorIs(t, err, codec.ErrShredded, "after the TTL the shred reaches every process")
	_, err = dc.ToPayload(aliceOfA)
	require.ErrorIs(t, err, codec.ErrShredded)
}

func TestCodec_G2_TamperedSubjectKeyIDsFail(t *testing.T) {
	c, err := codec.New(newKeyring(t), codec.WithCacheTTL(0))
	require.NoError(t, err)
	dc := c.DataConverter()
	encodeValue(t, dc, bobOfB) // cus-b's key and the shared key exist, so re-labelling to them is possible
	encodeValue(t, dc, alice)

	tests := []struct {
		name  string
		value any
		to    string
	}{
		{"a subject's payload re-labelled to another subject's key fails", aliceOfA, "subject-cus-b/v1"},
		{"a subject's payload re-labelled to the shared key fails", aliceOfA, "temporal-codec/v1"},
		{"a shared payload re-labelled to a subject's key fails", alice, "subject-cus-b/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := encodeValue(t, dc, tt.value)
			p.Metadata[codec.MetadataKeyID] = []byte(tt.to)
			_, err := c.Decode([]*commonpb.Payload{p})
			require.ErrorIs(t, err, codec.ErrDecrypt)
		})
	}
	t.Run("a key id naming a subject that never had a key is not found, not shredded", func(t *testing.T) {
		p := encodeValue(t, dc, aliceOfA)
		p.Metadata[codec.MetadataKeyID] = []byte("subject-cus-z/v1")
		_, err := c.Decode([]*commonpb.Payload{p})
		require.ErrorIs(t, err, secrets.ErrNotFound)
		require.NotErrorIs(t, err, codec.ErrShredded)
	})
}

func TestCodec_G2_ClientContextNamesTheSubjectOfUntypedArguments(t *testing.T) {
	c, err := codec.New(newKeyring(t))
	require.NoError(t, err)
	dc, ok := c.DataConverter().(converter.ContextAware)
	require.True(t, ok, "the SDK calls WithContext for client calls")

	withA := dc.WithContext(codec.WithSubject(context.Background(), "cus-a"))
	require.Equal(t, "subject-cus-a/v1", keyID(encodeValue(t, withA, alice)), "the context's subject")
	require.Equal(t, "subject-cus-b/v1", keyID(encodeValue(t, withA, bobOfB)), "a value's own subject wins")
	ps, err := withA.ToPayloads(alice, "x")
	require.NoError(t, err)
	for _, p := range ps.Payloads {
		require.Equal(t, "subject-cus-a/v1", keyID(p))
	}
	plainCtx := dc.WithContext(context.Background())
	require.Equal(t, "temporal-codec/v1", keyID(encodeValue(t, plainCtx, alice)))
}

func TestCodec_G2_InvalidSubjectIDsAreRefused(t *testing.T) {
	c, err := codec.New(newKeyring(t))
	require.NoError(t, err)
	for _, id := range []string{"a.b", "a/b", strings.Repeat("x", 129), "ä"} {
		_, err := c.DataConverter().ToPayload(customerPassenger{CustomerID: id, passenger: alice})
		require.ErrorContains(t, err, "data subject", "id %q", id)
	}
}

// BenchmarkCodec_SubjectKey measures encrypt+decrypt of one booking-sized
// payload through the data converter, under a customer's key and under the
// shared key (both with the default key cache).
func BenchmarkCodec_SubjectKey(b *testing.B) {
	keys, err := secrets.NewKeyring(filepath.Join(b.TempDir(), "keyring.json"), nil)
	require.NoError(b, err)
	c, err := codec.New(keys)
	require.NoError(b, err)
	dc := c.DataConverter()
	big := passenger{GivenName: strings.Repeat("Alice Example 1990-01-01 F X1234567 ", 25), Email: alice.Email}
	for _, bc := range []struct {
		name  string
		value any
	}{{"subject", customerPassenger{CustomerID: "cus-a", passenger: big}}, {"shared", big}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := dc.ToPayload(bc.value)
				if err != nil {
					b.Fatal(err)
				}
				var out customerPassenger
				if err := dc.FromPayload(p, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
