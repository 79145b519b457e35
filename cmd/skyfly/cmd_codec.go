package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/skyfly/skyfly/temporal/codec"
)

// runCodecServer serves the payload codec for the Temporal UI and CLI: POST
// /encode and /decode behind SKYFLY_CODEC_TOKEN, CORS for
// SKYFLY_CODEC_CORS_ORIGIN, keys from the same secrets provider (keyring or
// Vault) as the workers. In dev mode an empty token is generated and
// printed; elsewhere it is required.
func runCodecServer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("codec-server", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("codec-server: unexpected arguments %q", rest)
	}
	token := cfg.CodecToken
	generated := false
	if token == "" {
		if !cfg.Dev {
			return errors.New("codec-server: SKYFLY_CODEC_TOKEN is required outside dev mode")
		}
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("codec-server: generate token: %w", err)
		}
		token, generated = hex.EncodeToString(b), true
	}
	p, err := newPlatform(ctx, cfg, stderr)
	if err != nil {
		return fmt.Errorf("codec-server: %w", err)
	}
	defer p.close()
	srv, err := codec.NewServer(codec.ServerConfig{
		Token:         token,
		AllowedOrigin: cfg.CodecCORSOrigin,
		Namespaces:    []string{cfg.TemporalNamespace},
		Logger:        p.log.With("component", "codec-server"),
	}, p.codec)
	if err != nil {
		return fmt.Errorf("codec-server: %w", err)
	}

	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, p.log, "codec-server", cfg.CodecAddr, srv, cfg.ShutdownGrace, ready) }()
	select {
	case err := <-errc:
		return err
	case addr := <-ready:
		lines := []string{
			"endpoint:     http://" + addr,
			"namespace:    " + cfg.TemporalNamespace,
			"CORS origin:  " + cfg.CodecCORSOrigin,
		}
		if generated {
			lines = append(lines, "token:        "+token+"  (generated; set SKYFLY_CODEC_TOKEN to fix it)")
		}
		lines = append(lines,
			"Temporal UI:  sign in once at http://"+addr+"/session, then set the UI's codec endpoint to http://"+addr+" with credentials",
			"CLI:          temporal workflow show --codec-endpoint http://"+addr+" --codec-auth 'Bearer <token>' ...")
		printBox(stdout, "SkyFly codec server", lines)
	}
	return <-errc
}
