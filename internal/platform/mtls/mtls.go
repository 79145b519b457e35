// Package mtls gives SkyFly's processes their service identities for
// mutual TLS between them (the split deployment): a development CA and one
// short-lived certificate per service (ECDSA P-256, SAN = the service
// name), server configurations that refuse a client without a valid
// certificate of an allowed peer, client configurations that present the
// process's own, and reloading of both when the files change (rotation
// without a restart). Production puts certificates issued by its own CA
// (files, or Vault's PKI engine writing them) in the same layout.
package mtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Services are the identities of SkyFly's processes.
var Services = []string{"gateway", "auth", "flight", "booking", "customer", "payment"}

// Validity of the development certificates.
const (
	CATTL   = 365 * 24 * time.Hour
	LeafTTL = 7 * 24 * time.Hour
)

// Files of an identity in dir: ca.pem (the trust anchor), <name>.pem and
// <name>-key.pem. The CA's key (ca-key.pem) is only needed to issue.
func certFile(dir, name string) string { return filepath.Join(dir, name+".pem") }
func keyFile(dir, name string) string  { return filepath.Join(dir, name+"-key.pem") }

// Init creates the development CA in dir when missing and issues a
// certificate for every name whose certificate is missing or past two
// thirds of its life. It reports the names it issued.
func Init(dir string, now time.Time, names ...string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mtls: %w", err)
	}
	ca, caKey, err := loadOrCreateCA(dir, now)
	if err != nil {
		return nil, err
	}
	var issued []string
	for _, n := range names {
		if c, err := readCert(certFile(dir, n)); err == nil && now.Before(c.NotBefore.Add(c.NotAfter.Sub(c.NotBefore)*2/3)) && c.CheckSignatureFrom(ca) == nil {
			continue
		}
		if err := Issue(dir, n, ca, caKey, now, LeafTTL); err != nil {
			return issued, err
		}
		issued = append(issued, n)
	}
	return issued, nil
}

func loadOrCreateCA(dir string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	if c, err := readCert(certFile(dir, "ca")); err == nil {
		k, err := readKey(keyFile(dir, "ca"))
		if err != nil {
			return nil, nil, fmt.Errorf("mtls: ca key: %w", err)
		}
		return c, k, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("mtls: ca key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "SkyFly development CA", Organization: []string{"SkyFly"}},
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(CATTL), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("mtls: ca: %w", err)
	}
	if err := writePEM(certFile(dir, "ca"), "CERTIFICATE", der, 0o644); err != nil {
		return nil, nil, err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("mtls: ca key: %w", err)
	}
	if err := writePEM(keyFile(dir, "ca"), "EC PRIVATE KEY", kb, 0o600); err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return c, key, err
}

// Issue writes a certificate for name signed by the CA, valid for ttl,
// for both server and client use, with SANs name, localhost and the
// loopback addresses. Files are replaced atomically (rename), so a
// process reloading them never reads half a file.
func Issue(dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time, ttl time.Duration) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("mtls: %s key: %w", name, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: name, Organization: []string{"SkyFly"}},
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(ttl),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{name, "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("mtls: %s certificate: %w", name, err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("mtls: %s key: %w", name, err)
	}
	// key first: a reader that sees the new certificate finds its key
	if err := writePEM(keyFile(dir, name), "EC PRIVATE KEY", kb, 0o600); err != nil {
		return err
	}
	return writePEM(certFile(dir, name), "CERTIFICATE", der, 0o644)
}

// LoadCA reads the CA certificate and key of dir (to issue with).
func LoadCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	c, err := readCert(certFile(dir, "ca"))
	if err != nil {
		return nil, nil, err
	}
	k, err := readKey(keyFile(dir, "ca"))
	return c, k, err
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		return fmt.Errorf("mtls: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("mtls: write %s: %w", path, err)
	}
	return nil
}

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("mtls: %s holds no certificate", path)
	}
	return x509.ParseCertificate(blk.Bytes)
}

func readKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("mtls: %s holds no key", path)
	}
	return x509.ParseECPrivateKey(blk.Bytes)
}

// Identity is one process's certificate and the CA it trusts, re-read
// from dir when the files change (checked at most once a second).
type Identity struct {
	dir, name string
	now       func() time.Time

	mu      sync.Mutex
	checked time.Time
	stamp   string
	cert    *tls.Certificate
	pool    *x509.CertPool
}

// Load returns the identity name of dir; it fails when its files are
// missing or do not match.
func Load(dir, name string, now func() time.Time) (*Identity, error) {
	if now == nil {
		now = time.Now
	}
	id := &Identity{dir: dir, name: name, now: now}
	if _, _, err := id.current(); err != nil {
		return nil, err
	}
	return id, nil
}

// Name is the identity's service name.
func (id *Identity) Name() string { return id.name }

func (id *Identity) stampNow() string {
	s := ""
	for _, p := range []string{certFile(id.dir, id.name), keyFile(id.dir, id.name), certFile(id.dir, "ca")} {
		if fi, err := os.Stat(p); err == nil {
			s += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
		}
	}
	return s
}

// current returns the certificate and CA pool, reloading them when the
// files changed since the last look.
func (id *Identity) current() (*tls.Certificate, *x509.CertPool, error) {
	id.mu.Lock()
	defer id.mu.Unlock()
	now := id.now()
	if id.cert != nil && now.Sub(id.checked) < time.Second {
		return id.cert, id.pool, nil
	}
	id.checked = now
	stamp := id.stampNow()
	if id.cert != nil && stamp == id.stamp {
		return id.cert, id.pool, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile(id.dir, id.name), keyFile(id.dir, id.name))
	if err != nil {
		if id.cert != nil {
			return id.cert, id.pool, nil // mid-rotation: keep serving the last good pair
		}
		return nil, nil, fmt.Errorf("mtls: %s: %w", id.name, err)
	}
	caPEM, err := os.ReadFile(certFile(id.dir, "ca"))
	if err != nil {
		if id.cert != nil {
			return id.cert, id.pool, nil
		}
		return nil, nil, fmt.Errorf("mtls: ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, nil, errors.New("mtls: ca.pem holds no certificate")
	}
	id.cert, id.pool, id.stamp = &cert, pool, stamp
	return id.cert, id.pool, nil
}

// PeerName is the service a verified certificate names (its first DNS SAN,
// else its common name): the caller's identity behind an mTLS connection.
func PeerName(c *x509.Certificate) string {
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return c.Subject.CommonName
}

// ServerConfig requires every client to present a certificate from the
// CA naming one of allowed (any SkyFly service when empty).
func (id *Identity) ServerConfig(allowed ...string) *tls.Config {
	if len(allowed) == 0 {
		allowed = Services
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cert, pool, err := id.current()
			if err != nil {
				return nil, err
			}
			return &tls.Config{
				MinVersion:   tls.VersionTLS13,
				Certificates: []tls.Certificate{*cert},
				ClientAuth:   tls.RequireAndVerifyClientCert,
				ClientCAs:    pool,
				VerifyConnection: func(cs tls.ConnectionState) error {
					if len(cs.PeerCertificates) == 0 {
						return errors.New("mtls: no client certificate")
					}
					if p := PeerName(cs.PeerCertificates[0]); !slices.Contains(allowed, p) {
						return fmt.Errorf("mtls: %s may not call %s", p, id.name)
					}
					return nil
				},
			}, nil
		},
	}
}

// ClientConfig presents this identity's certificate and verifies the
// server's against the CA (re-read on rotation).
func (id *Identity) ClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, _, err := id.current()
			return cert, err
		},
		// The chain is verified below against the current CA pool, so a
		// rotated CA takes effect without a restart.
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, pool, err := id.current()
			if err != nil {
				return err
			}
			if len(cs.PeerCertificates) == 0 {
				return errors.New("mtls: the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err = cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: cs.ServerName, Roots: pool, Intermediates: inter,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, CurrentTime: id.now()})
			return err
		},
	}
}

// Transport is an HTTP transport that speaks mTLS as this identity.
func (id *Identity) Transport() *http.Transport {
	return &http.Transport{TLSClientConfig: id.ClientConfig(), MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second,
		ForceAttemptHTTP2: true, TLSHandshakeTimeout: 10 * time.Second}
}
