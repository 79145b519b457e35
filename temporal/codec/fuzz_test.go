package codec_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/temporal/codec"
)

func fuzzCodec(f *testing.F) *codec.Codec {
	kr, err := secrets.NewKeyring(filepath.Join(f.TempDir(), "keyring.json"), time.Now)
	if err != nil {
		f.Fatal(err)
	}
	c, err := codec.New(kr)
	if err != nil {
		f.Fatal(err)
	}
	return c
}

// FuzzCodec_RoundTripAndTampering: any payload encodes and decodes back to
// itself; a flipped ciphertext byte or a re-labelled key id never decodes
// (it fails authentication) and never panics.
func FuzzCodec_RoundTripAndTampering(f *testing.F) {
	c := fuzzCodec(f)
	f.Add([]byte(`{"bookingId":"bk_1","email":"ada@example.com"}`), "json/plain", uint(3))
	f.Add([]byte{}, "binary/null", uint(0))
	f.Add([]byte{0xff, 0x00, 0x10}, "binary/encrypted", uint(100))
	f.Fuzz(func(t *testing.T, data []byte, encoding string, flip uint) {
		in := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(encoding)}, Data: data}
		enc, err := c.Encode([]*commonpb.Payload{in})
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if bytes.Contains(enc[0].Data, data) && len(data) > 8 {
			t.Fatalf("the plaintext shows in the ciphertext")
		}
		dec, err := c.Decode(enc)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !bytes.Equal(dec[0].Data, data) || string(dec[0].Metadata[converter.MetadataEncoding]) != encoding {
			t.Fatalf("round trip changed the payload")
		}
		tampered := bytes.Clone(enc[0].Data)
		tampered[int(flip%uint(len(tampered)))] ^= 0x01
		bad := &commonpb.Payload{Metadata: enc[0].Metadata, Data: tampered}
		if _, err := c.Decode([]*commonpb.Payload{bad}); !errors.Is(err, codec.ErrDecrypt) {
			t.Fatalf("a flipped byte decoded: %v", err)
		}
	})
}

// FuzzCodec_DecodeArbitraryPayloads: whatever a history holds, Decode
// answers a payload or an error, never a panic.
func FuzzCodec_DecodeArbitraryPayloads(f *testing.F) {
	c := fuzzCodec(f)
	f.Add([]byte("garbage"), "codec/1")
	f.Add([]byte{}, "")
	f.Add(bytes.Repeat([]byte{0}, 64), "codec/999")
	f.Fuzz(func(t *testing.T, data []byte, keyID string) {
		p := &commonpb.Payload{Metadata: map[string][]byte{
			converter.MetadataEncoding: []byte(codec.EncodingEncrypted), codec.MetadataKeyID: []byte(keyID)}, Data: data}
		if out, err := c.Decode([]*commonpb.Payload{p}); err == nil && len(out) != 1 {
			t.Fatalf("decode answered %d payloads", len(out))
		}
	})
}
