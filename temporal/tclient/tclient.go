// Package tclient builds SkyFly's Temporal client from configuration: the
// frontend address and namespace, mTLS (client certificate and CA bundle)
// or a Temporal Cloud API key, the slog logger and the data converter that
// encrypts payloads.
package tclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/skyfly/skyfly/internal/platform/config"
)

// Options returns the client options of cfg without logger or data
// converter: HostPort and Namespace, TLS when a certificate, CA or API key
// is configured, and API-key credentials. It fails when the TLS files cannot
// be read or only half of the client key pair is set.
func Options(cfg *config.Config) (client.Options, error) {
	if cfg == nil {
		return client.Options{}, errors.New("tclient: nil config")
	}
	if cfg.TemporalAddress == "" {
		return client.Options{}, errors.New("tclient: SKYFLY_TEMPORAL_ADDRESS is empty")
	}
	opts := client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return client.Options{}, err
	}
	opts.ConnectionOptions.TLS = tlsCfg
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	return opts, nil
}

// tlsConfig returns nil (plaintext) unless a client certificate, a CA bundle
// or an API key is configured; an API key is never sent in the clear.
func tlsConfig(cfg *config.Config) (*tls.Config, error) {
	if cfg.TemporalTLSCert == "" && cfg.TemporalTLSKey == "" && cfg.TemporalTLSCA == "" && cfg.TemporalAPIKey == "" {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case cfg.TemporalTLSCert != "" && cfg.TemporalTLSKey != "":
		pair, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
		if err != nil {
			return nil, fmt.Errorf("tclient: load client certificate %s: %w", cfg.TemporalTLSCert, err)
		}
		t.Certificates = []tls.Certificate{pair}
	case cfg.TemporalTLSCert != "" || cfg.TemporalTLSKey != "":
		return nil, errors.New("tclient: SKYFLY_TEMPORAL_TLS_CERT and SKYFLY_TEMPORAL_TLS_KEY must be set together")
	}
	if cfg.TemporalTLSCA != "" {
		pem, err := os.ReadFile(cfg.TemporalTLSCA)
		if err != nil {
			return nil, fmt.Errorf("tclient: read CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tclient: CA bundle %s holds no PEM certificate", cfg.TemporalTLSCA)
		}
		t.RootCAs = pool // otherwise the system roots (Temporal Cloud)
	}
	return t, nil
}

// Dial connects to Temporal with Options(cfg), log as the SDK's logger and
// dc as the data converter (nil: the SDK default). Each modify function may
// adjust the options before dialing (metrics handler, interceptors).
func Dial(ctx context.Context, cfg *config.Config, log *slog.Logger, dc converter.DataConverter, modify ...func(*client.Options)) (client.Client, error) {
	opts, err := Options(cfg)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.Logger = sdklog.NewStructuredLogger(log.With("component", "temporal"))
	opts.DataConverter = dc
	for _, m := range modify {
		m(&opts)
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("tclient: dial %s namespace %s: %w", opts.HostPort, opts.Namespace, err)
	}
	return c, nil
}
