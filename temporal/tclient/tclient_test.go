package tclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/temporal/tclient"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopTemporal()
	os.Exit(code)
}

// pki is a throw-away CA with a server certificate for 127.0.0.1 and a
// client certificate, written as PEM files.
type pki struct {
	dir                  string
	caFile               string
	clientCert, clientKy string
	serverCert           tls.Certificate
	caPool               *x509.CertPool
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "skyfly test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	issue := func(cn string, usage x509.ExtKeyUsage, ips ...net.IP) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		return der, key
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return p
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		b, err := x509.MarshalECPrivateKey(k)
		require.NoError(t, err)
		return b
	}

	p := pki{dir: dir, caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	p.caFile = write("ca.pem", "CERTIFICATE", caDER)
	cDER, cKey := issue("skyfly-worker", x509.ExtKeyUsageClientAuth)
	p.clientCert = write("client.pem", "CERTIFICATE", cDER)
	p.clientKy = write("client-key.pem", "EC PRIVATE KEY", keyDER(cKey))
	sDER, sKey := issue("temporal-frontend", x509.ExtKeyUsageServerAuth, net.ParseIP("127.0.0.1"))
	p.serverCert = tls.Certificate{Certificate: [][]byte{sDER}, PrivateKey: sKey}
	return p
}

func TestOptions_PlaintextByDefault(t *testing.T) {
	cfg := config.Defaults()
	cfg.TemporalAddress = "temporal:7233"
	cfg.TemporalNamespace = "skyfly"

	opts, err := tclient.Options(cfg)
	require.NoError(t, err)
	require.Equal(t, "temporal:7233", opts.HostPort)
	require.Equal(t, "skyfly", opts.Namespace)
	require.Nil(t, opts.ConnectionOptions.TLS)
	require.Nil(t, opts.Credentials)
}

func TestOptions_MutualTLSLoadsTheFiles(t *testing.T) {
	p := newPKI(t)
	cfg := config.Defaults()
	cfg.TemporalTLSCert, cfg.TemporalTLSKey, cfg.TemporalTLSCA = p.clientCert, p.clientKy, p.caFile

	opts, err := tclient.Options(cfg)
	require.NoError(t, err)
	tlsCfg := opts.ConnectionOptions.TLS
	require.NotNil(t, tlsCfg)
	require.Len(t, tlsCfg.Certificates, 1, "the client certificate is loaded")
	leaf, err := x509.ParseCertificate(tlsCfg.Certificates[0].Certificate[0])
	require.NoError(t, err)
	require.Equal(t, "skyfly-worker", leaf.Subject.CommonName)
	require.True(t, p.caPool.Equal(tlsCfg.RootCAs), "the CA bundle is the trust root")
	require.Equal(t, uint16(tls.VersionTLS12), tlsCfg.MinVersion)
	require.Nil(t, opts.Credentials)
}

func TestOptions_APIKeyImpliesTLS(t *testing.T) {
	cfg := config.Defaults()
	cfg.TemporalAPIKey = "cloud-api-key"

	opts, err := tclient.Options(cfg)
	require.NoError(t, err)
	require.NotNil(t, opts.Credentials, "the API key becomes credentials")
	require.NotNil(t, opts.ConnectionOptions.TLS, "an API key is never sent in plaintext")
	require.Nil(t, opts.ConnectionOptions.TLS.RootCAs, "system roots, as Temporal Cloud needs")
}

func TestOptions_RejectsBadTLSSettings(t *testing.T) {
	p := newPKI(t)
	notPEM := filepath.Join(p.dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	tests := []struct {
		name string
		set  func(c *config.Config)
		want string
	}{
		{"a certificate without its key", func(c *config.Config) { c.TemporalTLSCert = p.clientCert }, "set together"},
		{"a key without its certificate", func(c *config.Config) { c.TemporalTLSKey = p.clientKy }, "set together"},
		{"a missing certificate file", func(c *config.Config) {
			c.TemporalTLSCert, c.TemporalTLSKey = filepath.Join(p.dir, "nope.pem"), p.clientKy
		}, "load client certificate"},
		{"a missing CA file", func(c *config.Config) { c.TemporalTLSCA = filepath.Join(p.dir, "nope.pem") }, "read CA bundle"},
		{"a CA file without certificates", func(c *config.Config) { c.TemporalTLSCA = notPEM }, "no PEM certificate"},
		{"an empty address", func(c *config.Config) { c.TemporalAddress = "" }, "ADDRESS is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			cfg := config.Defaults()
			tt.set(cfg)
			_, err := tclient.Options(cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// frontend is a minimal TLS gRPC server in the place of Temporal's
// frontend: it answers the health check and GetSystemInfo the SDK calls on
// dial, and records the caller's certificate and authorization header.
type frontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	mu        sync.Mutex
	auth      []string
	clientCNs []string
}

func (f *frontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = append(f.auth, md.Get("authorization")...)
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
			f.clientCNs = append(f.clientCNs, ti.State.PeerCertificates[0].Subject.CommonName)
		}
	}
	return &workflowservice.GetSystemInfoResponse{ServerVersion: "test"}, nil
}

func startFrontend(t *testing.T, p pki) (*frontend, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	creds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{p.serverCert},
		ClientCAs:    p.caPool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
	srv := grpc.NewServer(grpc.Creds(creds))
	f := &frontend{}
	workflowservice.RegisterWorkflowServiceServer(srv, f)
	hs := health.NewServer()
	hs.SetServingStatus("temporal.api.workflowservice.v1.WorkflowService", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return f, ln.Addr().String()
}

func TestDial_MutualTLSAndAPIKeyReachTheServer(t *testing.T) {
	p := newPKI(t)
	f, addr := startFrontend(t, p)
	cfg := config.Defaults()
	cfg.TemporalAddress, cfg.TemporalNamespace = addr, "skyfly"
	cfg.TemporalTLSCert, cfg.TemporalTLSKey, cfg.TemporalTLSCA = p.clientCert, p.clientKy, p.caFile
	cfg.TemporalAPIKey = "cloud-api-key"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	c, err := tclient.Dial(ctx, cfg, nil, nil)
	require.NoError(t, err)
	defer c.Close()

	f.mu.Lock()
	defer f.mu.Unlock()
	require.Contains(t, f.clientCNs, "skyfly-worker", "the client certificate was presented")
	require.Contains(t, f.auth, "Bearer cloud-api-key", "the API key was sent as a bearer token")
}

func TestDial_RefusesAServerTheCADoesNotVouchFor(t *testing.T) {
	p := newPKI(t)
	_, addr := startFrontend(t, p)
	other := newPKI(t) // a different CA
	cfg := config.Defaults()
	cfg.TemporalAddress = addr
	cfg.TemporalTLSCert, cfg.TemporalTLSKey, cfg.TemporalTLSCA = other.clientCert, other.clientKy, other.caFile
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err := tclient.Dial(ctx, cfg, nil, nil)
	require.Error(t, err)
}

func TestDial_DevServer(t *testing.T) {
	srv := testenv.TemporalServer(t)
	cfg := config.Defaults()
	cfg.TemporalAddress, cfg.TemporalNamespace = srv.Address, srv.Namespace
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	modified := false

	c, err := tclient.Dial(ctx, cfg, nil, nil, func(o *client.Options) { modified = true })
	require.NoError(t, err)
	defer c.Close()
	require.True(t, modified, "modify functions run before dialing")
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	require.NoError(t, err)
}
