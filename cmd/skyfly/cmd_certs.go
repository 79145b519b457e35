package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/mtls"
)

// runCerts implements `skyfly certs init`: the development CA and a
// certificate per service under SKYFLY_TLS_DIR (default <data dir>/tls),
// re-issuing those past two thirds of their life; run it again (cron) to
// rotate, running processes pick the new files up without a restart.
func runCerts(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "init" {
		return errors.New("usage: skyfly certs init [flags]")
	}
	cfg, _, err := loadConfig("certs init", args[1:], getenv, stderr, nil)
	if err != nil {
		return err
	}
	dir := tlsDir(cfg)
	issued, err := mtls.Init(dir, time.Now(), mtls.Services...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "mTLS certificates in %s: issued %v (CA valid %s, service certificates %s)\n", dir, issued, mtls.CATTL, mtls.LeafTTL)
	return nil
}

func tlsDir(cfg *config.Config) string {
	if cfg.TLSDir != "" {
		return cfg.TLSDir
	}
	return filepath.Join(cfg.DataDir, "tls")
}

// identity is the process's mTLS identity when SKYFLY_TLS_DIR is set.
func identity(cfg *config.Config, name string) (*mtls.Identity, error) {
	if cfg.TLSDir == "" {
		return nil, nil
	}
	id, err := mtls.Load(cfg.TLSDir, name, nil)
	if err != nil {
		return nil, fmt.Errorf("mTLS identity %s (run skyfly certs init): %w", name, err)
	}
	return id, nil
}

// internalClient calls other SkyFly processes: with the process's
// certificate under mTLS, plain otherwise (nil).
func internalClient(id *mtls.Identity, timeout time.Duration) *http.Client {
	if id == nil {
		return nil
	}
	return &http.Client{Transport: id.Transport(), Timeout: timeout}
}
