// Package deploy checks the production-shaped docker-compose stack: Docker
// is not needed, the file is loaded and validated with compose-go, and its
// wiring is checked against SkyFly's configuration table.
package deploy

import (
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/temporal/queues"
)

const (
	conditionHealthy   = types.ServiceConditionHealthy
	conditionCompleted = types.ServiceConditionCompletedSuccessfully
)

// domains are the SkyFly services and the database service each owns.
var domains = []struct {
	name, dsnEnv, scheme, dbService, dbPort, database string
}{
	{"auth", "SKYFLY_AUTH_DSN", "postgres", "postgres", "5432", "auth"},
	{"flight", "SKYFLY_FLIGHT_DSN", "mysql", "mysql", "3306", "flight"},
	{"booking", "SKYFLY_BOOKING_DSN", "sqlserver", "sqlserver", "1433", "booking"},
	{"customer", "SKYFLY_CUSTOMER_DSN", "mongodb", "mongodb", "27017", "customer"},
	{"payment", "SKYFLY_PAYMENT_DSN", "postgres", "postgres", "5432", "payment"},
}

// oneShots run to completion (initialisation jobs); they need no
// healthcheck, and services wait for them with service_completed_successfully.
var oneShots = []string{"sqlserver-init", "vault-seed"}

var skyflyServices = []string{"gateway", "auth", "flight", "booking", "customer", "payment", "codec-server"}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// load reads docker-compose.yml as `docker compose` would, with env as the
// process environment (nil: none, so every default applies).
func load(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	root := repoRoot(t)
	if env == nil {
		env = map[string]string{}
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("skyfly", true)
		o.ResolvePaths = true
	})
	require.NoError(t, err, "docker-compose.yml must load and validate")
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	require.True(t, ok, "service %s is missing", name)
	return s
}

func env(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	require.True(t, ok && v != nil, "service %s: %s is not set", s.Name, key)
	return *v
}

func TestCompose_HasEveryExpectedService(t *testing.T) {
	p := load(t, nil)
	want := []string{
		"postgres", "mysql", "sqlserver", "mongodb", "redis", "vault", "kafka",
		"temporal", "temporal-admin-tools", "temporal-ui",
		"gateway", "auth", "flight", "booking", "customer", "payment", "codec-server",
	}
	want = append(want, oneShots...)
	got := make([]string, 0, len(p.Services))
	for name := range p.Services {
		got = append(got, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	require.Equal(t, want, got)
}

func TestCompose_EveryLongRunningServiceHasAHealthcheck(t *testing.T) {
	p := load(t, nil)
	for name, s := range p.Services {
		if slices.Contains(oneShots, name) {
			require.Equal(t, "no", s.Restart, "one-shot %s must not restart", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			hc := s.HealthCheck
			require.NotNil(t, hc, "service %s has no healthcheck", name)
			require.False(t, hc.Disable)
			require.NotEmpty(t, hc.Test)
			require.Contains(t, []string{"CMD", "CMD-SHELL"}, hc.Test[0])
			require.NotNil(t, hc.Interval)
			require.NotNil(t, hc.Retries)
			require.Equal(t, "unless-stopped", s.Restart)
		})
	}
	// Whoever waits for a one-shot waits for it to complete.
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			if slices.Contains(oneShots, dep) {
				require.Equal(t, conditionCompleted, d.Condition, "%s waits for one-shot %s", name, dep)
			}
		}
	}
}

var versionLike = regexp.MustCompile(`\d+\.\d+`)

// pinned reports whether an image reference has an explicit version tag.
func requirePinned(t *testing.T, where, image string) {
	t.Helper()
	ref, err := reference.ParseNormalizedNamed(image)
	require.NoError(t, err, "%s: image %q", where, image)
	tagged, ok := ref.(reference.Tagged)
	require.True(t, ok, "%s: image %q has no tag", where, image)
	require.NotEqual(t, "latest", tagged.Tag(), "%s: image %q uses latest", where, image)
	require.Regexp(t, versionLike, tagged.Tag(), "%s: image %q is not pinned to a version", where, image)
}

func TestCompose_ImageTagsArePinned(t *testing.T) {
	p := load(t, nil)
	for name, s := range p.Services {
		requirePinned(t, "service "+name, s.Image)
	}

	dockerfile, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	require.NoError(t, err)
	var froms int
	for line := range strings.Lines(string(dockerfile)) {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.EqualFold(f[0], "FROM") {
			requirePinned(t, "Dockerfile", f[1])
			froms++
		}
	}
	require.Equal(t, 3, froms, "a multi-stage build: web app, Go builder and runtime")
	require.Contains(t, string(dockerfile), "CGO_ENABLED=0")
	require.Regexp(t, regexp.MustCompile(`(?m)^USER [1-9][0-9]*$`), string(dockerfile), "the runtime runs as a non-root user")
	require.Regexp(t, regexp.MustCompile(`(?m)^ENTRYPOINT \["/usr/local/bin/skyfly"\]$`), string(dockerfile))
}

func TestCompose_SkyflyProcessesShareOneImageBuiltFromTheDockerfile(t *testing.T) {
	p := load(t, nil)
	var image string
	for _, name := range skyflyServices {
		s := service(t, p, name)
		require.NotNil(t, s.Build, "%s is built", name)
		require.Equal(t, repoRoot(t), s.Build.Context)
		require.Equal(t, "Dockerfile", s.Build.Dockerfile)
		if image == "" {
			image = s.Image
		}
		require.Equal(t, image, s.Image, "one image for every role")
	}
	wantCommand := map[string][]string{
		"gateway": {"gateway"}, "codec-server": {"codec-server"},
		"auth": {"service", "auth"}, "flight": {"service", "flight"}, "booking": {"service", "booking"},
		"customer": {"service", "customer"}, "payment": {"service", "payment"},
	}
	for name, want := range wantCommand {
		require.Equal(t, types.ShellCommand(want), service(t, p, name).Command, "command of %s", name)
	}
}

func TestCompose_SkyflyServicesWaitForTheirDependencies(t *testing.T) {
	p := load(t, nil)
	common := map[string]string{
		"temporal": conditionHealthy, "temporal-admin-tools": conditionHealthy,
		"vault": conditionHealthy, "vault-seed": conditionCompleted, "redis": conditionHealthy,
		"kafka": conditionHealthy, // every domain relays its outbox there
	}
	for _, d := range domains {
		t.Run(d.name+" waits for its database, Temporal and Vault", func(t *testing.T) {
			s := service(t, p, d.name)
			want := map[string]string{d.dbService: conditionHealthy}
			for k, v := range common {
				want[k] = v
			}
			if d.name != "auth" {
				want["auth"] = conditionHealthy // its JWKS verifies tokens
			}
			if d.name == "booking" {
				want["sqlserver-init"] = conditionCompleted
			}
			requireDependsOn(t, s, want)
		})
	}
	t.Run("the gateway waits for every service", func(t *testing.T) {
		want := map[string]string{"redis": conditionHealthy, "vault": conditionHealthy}
		for _, d := range domains {
			want[d.name] = conditionHealthy
		}
		requireDependsOn(t, service(t, p, "gateway"), want)
	})
	t.Run("the codec server waits for Vault", func(t *testing.T) {
		requireDependsOn(t, service(t, p, "codec-server"), map[string]string{"vault": conditionHealthy, "vault-seed": conditionCompleted})
	})
	t.Run("Temporal waits for PostgreSQL, its tools and UI for Temporal", func(t *testing.T) {
		requireDependsOn(t, service(t, p, "temporal"), map[string]string{"postgres": conditionHealthy})
		requireDependsOn(t, service(t, p, "temporal-admin-tools"), map[string]string{"temporal": conditionHealthy})
		requireDependsOn(t, service(t, p, "temporal-ui"), map[string]string{"temporal": conditionHealthy})
	})
}

func requireDependsOn(t *testing.T, s types.ServiceConfig, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for dep, d := range s.DependsOn {
		got[dep] = d.Condition
	}
	require.Equal(t, want, got, "depends_on of %s", s.Name)
}

func TestCompose_EachDSNPointsAtItsOwnDatabase(t *testing.T) {
	// Non-default passwords prove both sides read the same variable.
	overrides := map[string]string{
		"AUTH_DB_PASSWORD": "a1", "PAYMENT_DB_PASSWORD": "p2", "FLIGHT_DB_PASSWORD": "f3",
		"BOOKING_DB_PASSWORD": "B4-Passw0rd", "CUSTOMER_DB_PASSWORD": "c5",
	}
	p := load(t, overrides)
	dbPassword := map[string]string{
		"auth":     env(t, service(t, p, "postgres"), "AUTH_DB_PASSWORD"),
		"payment":  env(t, service(t, p, "postgres"), "PAYMENT_DB_PASSWORD"),
		"flight":   env(t, service(t, p, "mysql"), "MYSQL_PASSWORD"),
		"booking":  env(t, service(t, p, "sqlserver-init"), "BOOKING_DB_PASSWORD"),
		"customer": env(t, service(t, p, "mongodb"), "CUSTOMER_DB_PASSWORD"),
	}
	for _, d := range domains {
		t.Run(d.name, func(t *testing.T) {
			s := service(t, p, d.name)
			u, err := url.Parse(env(t, s, d.dsnEnv))
			require.NoError(t, err)
			require.Equal(t, d.scheme, u.Scheme)
			require.Equal(t, d.dbService, u.Hostname(), "%s reaches its database service", d.dsnEnv)
			require.Equal(t, d.dbPort, u.Port())
			database := strings.TrimPrefix(u.Path, "/")
			if d.scheme == "sqlserver" {
				database = u.Query().Get("database")
			}
			require.Equal(t, d.database, database)
			pw, _ := u.User.Password()
			require.Equal(t, dbPassword[d.name], pw, "the DSN's password is the one the database was initialised with")
			require.Equal(t, overrides[strings.ToUpper(d.name)+"_DB_PASSWORD"], pw)

			// Database per service: no other domain's DSN leaks in.
			for _, other := range domains {
				if other.name != d.name {
					_, leaked := s.Environment[other.dsnEnv]
					require.False(t, leaked, "%s must not see %s", d.name, other.dsnEnv)
				}
			}
			// Vault holds the same DSN for wiring that reads it from there.
			require.Equal(t, env(t, s, d.dsnEnv), env(t, service(t, p, "vault-seed"), d.dsnEnv))
		})
	}
	require.Equal(t, "skyfly_flight", u(t, env(t, service(t, p, "flight"), "SKYFLY_FLIGHT_DSN")).User.Username())
	require.Equal(t, env(t, service(t, p, "mysql"), "MYSQL_USER"), "skyfly_flight")
	require.Equal(t, "flight", env(t, service(t, p, "mysql"), "MYSQL_DATABASE"))
}

func u(t *testing.T, raw string) *url.URL {
	t.Helper()
	parsed, err := url.Parse(raw)
	require.NoError(t, err)
	return parsed
}

// listenPort is the port of a host:port listen address.
func listenPort(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return port
}

func TestCompose_GatewayKnowsEveryServiceURL(t *testing.T) {
	p := load(t, nil)
	gw := service(t, p, "gateway")
	for _, d := range domains {
		t.Run(d.name, func(t *testing.T) {
			target := u(t, env(t, gw, "SKYFLY_"+strings.ToUpper(d.name)+"_URL"))
			require.Equal(t, "http", target.Scheme)
			require.Equal(t, d.name, target.Hostname(), "the gateway proxies to the %s service", d.name)
			s := service(t, p, d.name)
			addr := env(t, s, "SKYFLY_SERVICE_ADDR")
			require.Equal(t, listenPort(t, addr), target.Port(), "the service listens where the gateway sends")
			host, _, _ := net.SplitHostPort(addr)
			require.Equal(t, "0.0.0.0", host, "reachable from other containers")
			require.Contains(t, strings.Join(s.HealthCheck.Test, " "), ":"+target.Port()+"/readyz")
		})
	}
	require.Equal(t, listenPort(t, env(t, gw, "SKYFLY_GATEWAY_ADDR")), publishedTarget(t, gw), "the gateway's port is published")
	jwks := u(t, env(t, gw, "SKYFLY_JWKS_URL"))
	require.Equal(t, "auth", jwks.Hostname())
	require.Equal(t, "/api/v1/auth/.well-known/jwks.json", jwks.Path)
}

func publishedTarget(t *testing.T, s types.ServiceConfig) string {
	t.Helper()
	require.Len(t, s.Ports, 1, "%s publishes one port", s.Name)
	return strconv.Itoa(int(s.Ports[0].Target))
}

func TestCompose_PlatformWiring(t *testing.T) {
	p := load(t, nil)
	vault := service(t, p, "vault")
	ui := service(t, p, "temporal-ui")
	codec := service(t, p, "codec-server")
	for _, name := range skyflyServices {
		s := service(t, p, name)
		t.Run(name, func(t *testing.T) {
			temporal := env(t, s, "SKYFLY_TEMPORAL_ADDRESS")
			require.Equal(t, "temporal:7233", temporal)
			require.Equal(t, "vault", u(t, env(t, s, "SKYFLY_VAULT_ADDR")).Hostname())
			require.Equal(t, env(t, vault, "VAULT_DEV_ROOT_TOKEN_ID"), env(t, s, "SKYFLY_VAULT_TOKEN"), "keys come from Vault, shared by every process")
			require.Equal(t, "redis", u(t, env(t, s, "SKYFLY_REDIS_URL")).Hostname())
			require.Equal(t, "kafka:9092", env(t, s, "SKYFLY_KAFKA_BROKERS"), "domain events go to the compose Kafka")
		})
	}
	// Kafka advertises the address the services dial, in KRaft mode.
	kafka := service(t, p, "kafka")
	require.Equal(t, "PLAINTEXT://kafka:9092", env(t, kafka, "KAFKA_ADVERTISED_LISTENERS"))
	require.Equal(t, "broker,controller", env(t, kafka, "KAFKA_PROCESS_ROLES"), "KRaft: no ZooKeeper")
	// The browser loads the UI and calls the codec server from the same origin.
	uiPublished := ui.Ports[0].Published
	require.Equal(t, "http://localhost:"+uiPublished, env(t, codec, "SKYFLY_CODEC_CORS_ORIGIN"))
	require.Equal(t, "http://localhost:"+codec.Ports[0].Published, env(t, ui, "TEMPORAL_CODEC_ENDPOINT"))
	require.Equal(t, "true", env(t, ui, "TEMPORAL_CODEC_INCLUDE_CREDENTIALS"), "the UI sends the codec session cookie")
	require.Equal(t, listenPort(t, env(t, codec, "SKYFLY_CODEC_ADDR")), publishedTarget(t, codec))
	require.NotEmpty(t, env(t, codec, "SKYFLY_CODEC_TOKEN"))
	require.Equal(t, env(t, codec, "SKYFLY_CODEC_TOKEN"), env(t, service(t, p, "vault-seed"), "SKYFLY_CODEC_TOKEN"))
}

func TestCompose_SkyflyEnvIsTheConfigurationTable(t *testing.T) {
	p := load(t, nil)
	known := map[string]bool{}
	for _, s := range (&config.Config{}).Settings() {
		known[s.Env] = true
	}
	for _, name := range skyflyServices {
		s := service(t, p, name)
		t.Run(name, func(t *testing.T) {
			for key := range s.Environment {
				require.True(t, known[key], "%s: %s is not a SkyFly setting", name, key)
			}
			getenv := func(k string) string {
				if v, ok := s.Environment[k]; ok && v != nil {
					return *v
				}
				return ""
			}
			cfg, _, err := config.Load("skyfly", nil, getenv, io.Discard)
			require.NoError(t, err, "the environment parses as configuration")
			require.Equal(t, "/var/lib/skyfly", cfg.DataDir)
			require.Equal(t, "json", cfg.LogFormat)
		})
	}
}

func TestCompose_MountedFilesExist(t *testing.T) {
	p := load(t, nil)
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			_, err := os.Stat(v.Source)
			require.NoError(t, err, "service %s mounts %s", name, v.Source)
			require.True(t, v.ReadOnly, "service %s mounts %s read-only", name, v.Source)
		}
	}
	for _, script := range []string{"deploy/postgres/init-databases.sh", "deploy/temporal/register-search-attributes.sh", "deploy/vault/seed.sh"} {
		st, err := os.Stat(filepath.Join(repoRoot(t), script))
		require.NoError(t, err)
		require.NotZero(t, st.Mode().Perm()&0o111, "%s is executable", script)
	}
}

func TestCompose_RegistersTheSearchAttributesOfQueues(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy/temporal/register-search-attributes.sh"))
	require.NoError(t, err)
	got := map[string]string{}
	for line := range strings.Lines(string(script)) {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "register" {
			got[f[1]] = f[2]
		}
	}
	require.Equal(t, queues.SearchAttributes(), got, "the compose stack registers exactly the search attributes the code uses")
}
