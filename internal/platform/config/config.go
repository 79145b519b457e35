// Package config loads SkyFly's configuration from environment variables
// (12-factor) with command-line flags overriding them. Every setting has a
// default that works for `skyfly dev`.
package config

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of every SkyFly process.
type Config struct {
	DataDir   string
	LogLevel  string
	LogFormat string
	Dev       bool

	GatewayAddr string
	ServiceAddr string
	PublicURL   string

	TemporalAddress   string
	TemporalNamespace string
	TemporalTLSCert   string
	TemporalTLSKey    string
	TemporalTLSCA     string
	TemporalAPIKey    string
	TemporalUIURL     string

	AuthDSN           string
	FlightDSN         string
	BookingDSN        string
	PaymentDSN        string
	CustomerDSN       string
	MongoWriteConcern string
	FerretDBHandler   string
	FerretDBPostgres  string

	AuthURL     string
	FlightURL   string
	BookingURL  string
	CustomerURL string
	PaymentURL  string

	JWKSURL     string
	JWTIssuer   string
	JWTAudience string

	RedisURL string

	// TLSDir holds the mTLS CA and service certificates of the split
	// deployment; empty: plain HTTP between processes.
	TLSDir string

	KafkaBrokers string
	// OutboxRelay off leaves every domain's events in its outbox (written,
	// never published): the bench measures the relays' cost with it.
	OutboxRelay bool

	VaultAddr     string
	VaultToken    string
	VaultRoleID   string
	VaultSecretID string
	VaultMount    string
	VaultPrefix   string

	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string

	CodecAddr       string
	CodecToken      string
	CodecCORSOrigin string

	OTLPEndpoint string

	HoldTTL            time.Duration
	StaffHoldTTL       time.Duration
	ExportTTL          time.Duration
	ErasureCoolingOff  time.Duration
	QuoteTTL           time.Duration
	RateLimitRPS       float64
	ShutdownGrace      time.Duration
	SeedScale          float64
	PaymentSandbox     bool
	TrustedProxies     string
	AuthTrustedProxies string
}

// Setting describes one configuration entry, for flags, docs and the README.
type Setting struct {
	Env     string
	Flag    string
	Default string
	Usage   string
	target  any
}

// Settings lists every setting bound to c's fields.
func (c *Config) Settings() []Setting {
	s := func(env, def, usage string, target any) Setting {
		f := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(env, "SKYFLY_"), "_", "-"))
		return Setting{Env: env, Flag: f, Default: def, Usage: usage, target: target}
	}
	return []Setting{
		s("SKYFLY_DATA_DIR", ".skyfly", "directory for SQLite files, the keyring, FerretDB and Temporal state", &c.DataDir),
		s("SKYFLY_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel),
		s("SKYFLY_LOG_FORMAT", "text", "text or json", &c.LogFormat),
		s("SKYFLY_DEV", "false", "development mode: dev OIDC provider, login_hint, dev outbox, sandbox payments", &c.Dev),
		s("SKYFLY_GATEWAY_ADDR", "127.0.0.1:8080", "gateway listen address", &c.GatewayAddr),
		s("SKYFLY_SERVICE_ADDR", "127.0.0.1:8081", "listen address of `skyfly service <domain>`", &c.ServiceAddr),
		s("SKYFLY_PUBLIC_URL", "http://127.0.0.1:8080", "public base URL of the gateway (OIDC redirects, webhooks)", &c.PublicURL),
		s("SKYFLY_TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend host:port", &c.TemporalAddress),
		s("SKYFLY_TEMPORAL_NAMESPACE", "default", "Temporal namespace", &c.TemporalNamespace),
		s("SKYFLY_TEMPORAL_TLS_CERT", "", "client certificate for mTLS to Temporal", &c.TemporalTLSCert),
		s("SKYFLY_TEMPORAL_TLS_KEY", "", "client key for mTLS to Temporal", &c.TemporalTLSKey),
		s("SKYFLY_TEMPORAL_TLS_CA", "", "CA bundle for the Temporal server certificate", &c.TemporalTLSCA),
		s("SKYFLY_TEMPORAL_API_KEY", "", "API key for Temporal Cloud (implies TLS)", &c.TemporalAPIKey),
		s("SKYFLY_TEMPORAL_UI_URL", "http://127.0.0.1:8233", "Temporal Web UI URL (printed, and the codec server's CORS origin)", &c.TemporalUIURL),
		s("SKYFLY_AUTH_DSN", "", "auth database (default sqlite:<data>/auth.db; production postgres://)", &c.AuthDSN),
		s("SKYFLY_FLIGHT_DSN", "", "flight database (default sqlite:<data>/flight.db; production mysql://)", &c.FlightDSN),
		s("SKYFLY_BOOKING_DSN", "", "booking database (default sqlite:<data>/booking.db; production sqlserver://)", &c.BookingDSN),
		s("SKYFLY_PAYMENT_DSN", "", "payment database (default sqlite:<data>/payment.db; production postgres://)", &c.PaymentDSN),
		s("SKYFLY_CUSTOMER_DSN", "", "customer MongoDB URI (default: embedded FerretDB)", &c.CustomerDSN),
		s("SKYFLY_MONGO_WRITE_CONCERN", "majority", "customer write concern: majority or a node count", &c.MongoWriteConcern),
		s("SKYFLY_FERRETDB_HANDLER", "sqlite", "embedded FerretDB backend: sqlite or postgresql", &c.FerretDBHandler),
		s("SKYFLY_FERRETDB_POSTGRES_URL", "", "PostgreSQL URL for the embedded FerretDB postgresql handler", &c.FerretDBPostgres),
		s("SKYFLY_AUTH_URL", "http://127.0.0.1:8081", "auth service URL (gateway proxy target, JWKS source)", &c.AuthURL),
		s("SKYFLY_FLIGHT_URL", "http://127.0.0.1:8082", "flight service URL (gateway proxy target)", &c.FlightURL),
		s("SKYFLY_BOOKING_URL", "http://127.0.0.1:8083", "booking service URL (gateway proxy target)", &c.BookingURL),
		s("SKYFLY_CUSTOMER_URL", "http://127.0.0.1:8084", "customer service URL (gateway proxy target)", &c.CustomerURL),
		s("SKYFLY_PAYMENT_URL", "http://127.0.0.1:8085", "payment service URL (gateway proxy target)", &c.PaymentURL),
		s("SKYFLY_JWKS_URL", "", "JWKS of the auth service (default <auth url>/api/v1/auth/.well-known/jwks.json)", &c.JWKSURL),
		s("SKYFLY_JWT_ISSUER", "skyfly-auth", "pinned access-token issuer", &c.JWTIssuer),
		s("SKYFLY_JWT_AUDIENCE", "skyfly-api", "pinned access-token audience", &c.JWTAudience),
		s("SKYFLY_REDIS_URL", "", "Redis for shared rate limits, revocations and caches (in-process when empty)", &c.RedisURL),
		s("SKYFLY_TLS_DIR", "", "mTLS between processes: directory of ca.pem and <service>.pem/-key.pem (skyfly certs init creates them); service URLs are then https://; empty: plain HTTP", &c.TLSDir),
		s("SKYFLY_KAFKA_BROKERS", "", "Kafka brokers (comma-separated) the outbox relays publish domain events to; skyfly dev runs an embedded cluster when empty", &c.KafkaBrokers),
		s("SKYFLY_OUTBOX_RELAY", "true", "run the outbox relays that publish domain events to Kafka; false leaves the events in the outboxes (still written with each change) to measure the relays' cost", &c.OutboxRelay),
		s("SKYFLY_VAULT_ADDR", "", "Vault address; when set, keys and secrets come from Vault instead of the local keyring", &c.VaultAddr),
		s("SKYFLY_VAULT_TOKEN", "", "Vault token auth", &c.VaultToken),
		s("SKYFLY_VAULT_ROLE_ID", "", "Vault AppRole role id", &c.VaultRoleID),
		s("SKYFLY_VAULT_SECRET_ID", "", "Vault AppRole secret id", &c.VaultSecretID),
		s("SKYFLY_VAULT_MOUNT", "secret", "Vault KV v2 mount", &c.VaultMount),
		s("SKYFLY_VAULT_PREFIX", "skyfly", "path prefix under the KV mount", &c.VaultPrefix),
		s("SKYFLY_OIDC_ISSUER", "", "customer OIDC issuer (https://accounts.google.com in production; the built-in dev provider when empty in dev mode)", &c.OIDCIssuer),
		s("SKYFLY_OIDC_CLIENT_ID", "skyfly-web", "OIDC client id", &c.OIDCClientID),
		s("SKYFLY_OIDC_CLIENT_SECRET", "", "OIDC client secret", &c.OIDCClientSecret),
		s("SKYFLY_CODEC_ADDR", "127.0.0.1:8090", "codec server listen address", &c.CodecAddr),
		s("SKYFLY_CODEC_TOKEN", "", "bearer token operators present to the codec server (generated in dev)", &c.CodecToken),
		s("SKYFLY_CODEC_CORS_ORIGIN", "http://127.0.0.1:8233", "origin of the Temporal UI allowed to call the codec server", &c.CodecCORSOrigin),
		s("SKYFLY_OTLP_ENDPOINT", "", "OTLP/HTTP endpoint for traces (tracing off when empty)", &c.OTLPEndpoint),
		s("SKYFLY_HOLD_TTL", "15m", "how long a customer's seat hold lasts", &c.HoldTTL),
		s("SKYFLY_STAFF_HOLD_TTL", "24h", "how long a staff seat hold lasts", &c.StaffHoldTTL),
		s("SKYFLY_EXPORT_TTL", "168h", "how long a data export file can be downloaded before it is deleted", &c.ExportTTL),
		s("SKYFLY_ERASURE_COOLING_OFF", "168h", "cooling-off period between an erasure request and the erasure (cancellable meanwhile)", &c.ErasureCoolingOff),
		s("SKYFLY_QUOTE_TTL", "20m", "price guarantee of a fare quote", &c.QuoteTTL),
		s("SKYFLY_RATE_LIMIT_RPS", "20", "search requests per second per principal and IP (booking and payment get a quarter)", &c.RateLimitRPS),
		s("SKYFLY_SHUTDOWN_GRACE", "15s", "graceful shutdown window", &c.ShutdownGrace),
		s("SKYFLY_PAYMENT_SANDBOX", "false", "enable the sandbox payment provider outside dev mode (it moves no real money; always on in dev mode)", &c.PaymentSandbox),
		s("SKYFLY_TRUSTED_PROXIES", "", "comma-separated addresses/CIDRs of load balancers allowed to set X-Forwarded-For at the gateway (none by default)", &c.TrustedProxies),
		s("SKYFLY_AUTH_TRUSTED_PROXIES", "", "comma-separated addresses/CIDRs the auth service takes X-Forwarded-For from for its per-IP throttles (default: loopback and private networks; set it to the gateway's)", &c.AuthTrustedProxies),
		s("SKYFLY_SEED_SCALE", "1", "demo schedule size: every flight frequency times this (10 for the PF1 10× measurement)", &c.SeedScale),
	}
}

// List splits a comma-separated setting, dropping empty items.
func List(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Load reads the environment, then args (flags) over it, and fills derived
// defaults. getenv is usually os.Getenv.
func Load(name string, args []string, getenv func(string) string, output io.Writer) (*Config, []string, error) {
	c := &Config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(output)
	for _, s := range c.Settings() {
		val := s.Default
		if v := getenv(s.Env); v != "" {
			val = v
		}
		if err := set(s.target, val); err != nil {
			return nil, nil, fmt.Errorf("config: %s=%q: %w", s.Env, val, err)
		}
		fs.Func(s.Flag, s.Usage+" (env "+s.Env+", default "+quoteEmpty(s.Default)+")", func(v string) error { return set(s.target, v) })
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	c.fillDerived()
	return c, fs.Args(), nil
}

// Defaults returns the configuration with no environment and no flags.
func Defaults() *Config {
	c, _, err := Load("skyfly", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		panic(err) // the built-in defaults always parse
	}
	return c
}

func (c *Config) fillDerived() {
	dsn := func(v *string, file string) {
		if *v == "" {
			*v = "sqlite:" + filepath.Join(c.DataDir, file)
		}
	}
	dsn(&c.AuthDSN, "auth.db")
	dsn(&c.FlightDSN, "flight.db")
	dsn(&c.BookingDSN, "booking.db")
	dsn(&c.PaymentDSN, "payment.db")
	if c.JWKSURL == "" {
		c.JWKSURL = strings.TrimSuffix(c.AuthURL, "/") + "/api/v1/auth/.well-known/jwks.json"
	}
}

func set(target any, v string) error {
	switch t := target.(type) {
	case *string:
		*t = v
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		*t = b
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		*t = d
	case *float64:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return err
		}
		*t = f
	default:
		return fmt.Errorf("unsupported setting type %T", target)
	}
	return nil
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// MarkdownTable renders the settings as the README's configuration table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| env | flag | default | meaning |\n|---|---|---|---|\n")
	for _, s := range (&Config{}).Settings() {
		fmt.Fprintf(&b, "| `%s` | `--%s` | `%s` | %s |\n", s.Env, s.Flag, s.Default, s.Usage)
	}
	return b.String()
}
