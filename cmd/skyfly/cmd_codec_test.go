package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/temporal/codec"
)

func TestCodecServer_RefusesToStartWithoutATokenOutsideDev(t *testing.T) {
	env := map[string]string{"SKYFLY_DATA_DIR": t.TempDir(), "SKYFLY_CODEC_ADDR": "127.0.0.1:0"}
	err := runCodecServer(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
	require.ErrorContains(t, err, "SKYFLY_CODEC_TOKEN is required")
}

func TestCodecServer_RefusesStrayArguments(t *testing.T) {
	env := map[string]string{"SKYFLY_DATA_DIR": t.TempDir(), "SKYFLY_CODEC_TOKEN": "t"}
	err := runCodecServer(context.Background(), []string{"extra"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	require.ErrorContains(t, err, "unexpected arguments")
}

func TestCodecServer_DevGeneratesATokenAndDecodesWorkerPayloads(t *testing.T) {
	dataDir := t.TempDir()
	env := map[string]string{
		"SKYFLY_DEV":                "true",
		"SKYFLY_DATA_DIR":           dataDir,
		"SKYFLY_CODEC_ADDR":         "127.0.0.1:0",
		"SKYFLY_TEMPORAL_NAMESPACE": "default",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runCodecServer(ctx, nil, func(k string) string { return env[k] }, w, io.Discard)
		w.Close()
	}()

	var endpoint, token string
	sc := bufio.NewScanner(out)
	for sc.Scan() && (endpoint == "" || token == "") {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "endpoint:"); ok {
			endpoint = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "token:"); ok {
			token = strings.Fields(v)[0]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	require.NotEmpty(t, endpoint, "the banner names the endpoint")
	require.Len(t, token, 48, "a generated token is printed in dev mode")

	// A worker of `skyfly dev` encrypts with the keyring in the data dir.
	keys, err := secrets.NewKeyring(filepath.Join(dataDir, "keyring.json"), nil)
	require.NoError(t, err)
	dc, err := codec.NewDataConverter(keys)
	require.NoError(t, err)
	p, err := dc.ToPayload(map[string]string{"email": "alice@example.com"})
	require.NoError(t, err)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	require.NoError(t, err)

	decode := func(auth string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, endpoint+"/decode", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Namespace", "default")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, _ := decode("")
	require.Equal(t, http.StatusUnauthorized, status)
	status, got := decode("Bearer " + token)
	require.Equal(t, http.StatusOK, status, got)
	var decoded commonpb.Payloads
	require.NoError(t, protojson.Unmarshal([]byte(got), &decoded))
	require.Len(t, decoded.Payloads, 1)
	require.JSONEq(t, `{"email":"alice@example.com"}`, string(decoded.Payloads[0].Data))

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "a cancelled codec server shuts down cleanly")
	case <-time.After(20 * time.Second):
		t.Fatal("codec server did not stop")
	}
}
