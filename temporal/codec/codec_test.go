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

// passenger is PII of the kind a booking workflow carries.
type passenger struct {
	GivenName string `json:"givenName"`
	Email     string `json:"email"`
	Passport  string `json:"passport"`
}

var alice = passenger{GivenName: "Alice", Email: "alice@example.com", Passport: "X1234567"}

func newKeyring(t *testing.T) *secrets.Keyring {
	t.Helper()
	k, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), nil)
	require.NoError(t, err)
	return k
}

func encodeValue(t *testing.T, dc converter.DataConverter, v any) *commonpb.Payload {
	t.Helper()
	p, err := dc.ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestCodec_T12_RoundTripHidesPlaintext(t *testing.T) {
	dc, err := codec.NewDataConverter(newKeyring(t), codec.WithCacheTTL(0))
	require.NoError(t, err)

	p := encodeValue(t, dc, alice)

	require.Equal(t, codec.EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
	require.Equal(t, "temporal-codec/v1", string(p.Metadata[codec.MetadataKeyID]))
	raw := p.String()
	for _, pii := range []string{alice.Email, alice.Passport, alice.GivenName, "json/plain"} {
		require.NotContains(t, raw, pii, "the encrypted payload must not reveal %q", pii)
	}

	var got passenger
	require.NoError(t, dc.FromPayload(p, &got))
	require.Equal(t, alice, got)
}

func TestCodec_EqualInputsGiveDifferentCiphertexts(t *testing.T) {
	c, err := codec.New(newKeyring(t))
	require.NoError(t, err)
	plain := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"x"`)}

	a, err := c.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	b, err := c.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.NotEqual(t, a[0].Data, b[0].Data, "every payload gets a fresh nonce")
}

func TestCodec_V1_RotationOldPayloadsStillDecode(t *testing.T) {
	ctx := context.Background()
	keys := newKeyring(t)
	dc, err := codec.NewDataConverter(keys, codec.WithCacheTTL(0))
	require.NoError(t, err)
	before := encodeValue(t, dc, alice)

	_, err = keys.Rotate(ctx, secrets.KeyCodec)
	require.NoError(t, err)
	after := encodeValue(t, dc, alice)

	require.Equal(t, "temporal-codec/v1", string(before.Metadata[codec.MetadataKeyID]))
	require.Equal(t, "temporal-codec/v2", string(after.Metadata[codec.MetadataKeyID]), "new payloads use the new version")
	for name, p := range map[string]*commonpb.Payload{"before rotation": before, "after rotation": after} {
		var got passenger
		require.NoError(t, dc.FromPayload(p, &got), name)
		require.Equal(t, alice, got, name)
	}

	// Ending the overlap: the old version is destroyed, its payloads are gone.
	require.NoError(t, keys.DestroyVersion(ctx, secrets.KeyCodec, 1))
	var got passenger
	require.ErrorIs(t, dc.FromPayload(before, &got), secrets.ErrNotFound)
	require.NoError(t, dc.FromPayload(after, &got))
}

func TestCodec_TamperedPayloadsFail(t *testing.T) {
	ctx := context.Background()
	keys := newKeyring(t)
	c, err := codec.New(keys, codec.WithCacheTTL(0))
	require.NoError(t, err)
	_, err = keys.Current(ctx, secrets.KeyCodec)
	require.NoError(t, err)
	_, err = keys.Rotate(ctx, secrets.KeyCodec) // v2 exists, so re-labelling to it is possible
	require.NoError(t, err)

	tests := []struct {
		name   string
		tamper func(p *commonpb.Payload)
	}{
		{"a flipped ciphertext byte fails", func(p *commonpb.Payload) { p.Data[len(p.Data)/2] ^= 0x01 }},
		{"a flipped nonce byte fails", func(p *commonpb.Payload) { p.Data[0] ^= 0x80 }},
		{"a flipped tag byte fails", func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 0x01 }},
		{"a truncated payload fails", func(p *commonpb.Payload) { p.Data = p.Data[:10] }},
		{"a payload re-labelled to another key version fails", func(p *commonpb.Payload) {
			p.Metadata[codec.MetadataKeyID] = []byte("temporal-codec/v1")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := c.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"card":"tok_visa"}`)}})
			require.NoError(t, err)
			require.Equal(t, "temporal-codec/v2", string(enc[0].Metadata[codec.MetadataKeyID]))

			tt.tamper(enc[0])

			_, err = c.Decode(enc)
			require.ErrorIs(t, err, codec.ErrDecrypt)
		})
	}
}

func TestCodec_MalformedKeyIDsFail(t *testing.T) {
	c, err := codec.New(newKeyring(t))
	require.NoError(t, err)
	for _, id := range []string{"", "temporal-codec", "temporal-codec/v0", "temporal-codec/vX", "/v1"} {
		_, err := c.Decode([]*commonpb.Payload{{Metadata: map[string][]byte{
			converter.MetadataEncoding: []byte(codec.EncodingEncrypted),
			codec.MetadataKeyID:        []byte(id),
		}, Data: make([]byte, 64)}})
		require.ErrorContains(t, err, "malformed key id", "id %q", id)
	}
}

func TestCodec_G2_DestroyedKeyNoLongerDecodes(t *testing.T) {
	ctx := context.Background()
	keys := newKeyring(t)
	dc, err := codec.NewDataConverter(keys, codec.WithKeyName("customer-42"), codec.WithCacheTTL(0))
	require.NoError(t, err)
	p := encodeValue(t, dc, alice)
	require.Equal(t, "customer-42/v1", string(p.Metadata[codec.MetadataKeyID]))

	require.NoError(t, keys.Destroy(ctx, "customer-42"))

	var got passenger
	err = dc.FromPayload(p, &got)
	require.ErrorIs(t, err, secrets.ErrNotFound)
	require.Equal(t, passenger{}, got)
}

func TestCodec_UnencryptedPayloadsPassThrough(t *testing.T) {
	c, err := codec.New(newKeyring(t))
	require.NoError(t, err)
	plain := converter.GetDefaultDataConverter()
	p, err := plain.ToPayload(alice)
	require.NoError(t, err)

	got, err := c.Decode([]*commonpb.Payload{p})
	require.NoError(t, err)
	require.Same(t, p, got[0], "payloads written before encryption was enabled stay readable")
}

func TestCodec_KeyCacheExpires(t *testing.T) {
	ctx := context.Background()
	keys := newKeyring(t)
	now := testdate.At(0, 1, 0)
	c, err := codec.New(keys, codec.WithCacheTTL(time.Minute), codec.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	encodeID := func() string {
		enc, err := c.Encode([]*commonpb.Payload{{Data: []byte("x")}})
		require.NoError(t, err)
		return string(enc[0].Metadata[codec.MetadataKeyID])
	}
	require.Equal(t, "temporal-codec/v1", encodeID())

	_, err = keys.Rotate(ctx, secrets.KeyCodec)
	require.NoError(t, err)
	require.Equal(t, "temporal-codec/v1", encodeID(), "within the cache TTL the cached version still encrypts")

	now = now.Add(time.Minute)
	require.Equal(t, "temporal-codec/v2", encodeID(), "after the TTL the rotation takes effect")
}

func TestParseKeyID(t *testing.T) {
	name, version, err := codec.ParseKeyID("customer-7/v12")
	require.NoError(t, err)
	require.Equal(t, "customer-7", name)
	require.Equal(t, 12, version)
	require.True(t, strings.HasPrefix(secrets.Key{Name: "a", Version: 3}.ID(), "a/v"))
}

// BenchmarkCodec measures encrypt+decrypt of one booking-sized payload
// (about 1 KiB of JSON), with the key cache (the default) and without it
// (a keyring read per batch).
func BenchmarkCodec(b *testing.B) {
	keys, err := secrets.NewKeyring(filepath.Join(b.TempDir(), "keyring.json"), nil)
	require.NoError(b, err)
	plain, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{
		"passengers": strings.Repeat("Alice Example 1990-01-01 F X1234567 ", 25),
		"contact":    "alice@example.com +441234567890",
	})
	require.NoError(b, err)
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"cached", 30 * time.Second}, {"uncached", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := codec.New(keys, codec.WithCacheTTL(bc.ttl))
			require.NoError(b, err)
			b.SetBytes(int64(len(plain.Data)))
			b.ReportAllocs()
			for b.Loop() {
				enc, err := c.Encode([]*commonpb.Payload{plain})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Decode(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
