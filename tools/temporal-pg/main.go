// Command temporal-pg runs a single-process Temporal server (frontend,
// history, matching and worker services) from go.temporal.io/server with
// PostgreSQL persistence: the production persistence, beside the SQLite dev
// server, for the scale-out benchmark (docs/BENCHMARKS.md "Scale-out").
//
// At start it creates its two databases when missing, sets up or upgrades
// their schemas from the server's embedded schema files (the same steps
// temporal-sql-tool runs: setup-schema -v 0.0, update-schema), starts the
// server and registers the namespace. It is pinned to the server version the
// temporal CLI in ./bin embeds (1.29.1) and has its own go.mod so the main
// module keeps its SDK versions. Build: make bin/temporal-pg.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

type options struct {
	pgHost, pgUser, pgPassword string
	pgPort                     int
	db, visibilityDB           string
	ip                         string
	port                       int
	metricsPort                int
	shards                     int
	namespace                  string
	retention                  time.Duration
	maxConns                   int
	logLevel                   string
}

func main() {
	var o options
	fs := flag.NewFlagSet("temporal-pg", flag.ExitOnError)
	fs.StringVar(&o.pgHost, "pg-host", "127.0.0.1", "PostgreSQL host")
	fs.IntVar(&o.pgPort, "pg-port", 5432, "PostgreSQL port")
	fs.StringVar(&o.pgUser, "pg-user", "postgres", "PostgreSQL user")
	fs.StringVar(&o.pgPassword, "pg-password", os.Getenv("TEMPORAL_PG_PASSWORD"), "PostgreSQL password (env TEMPORAL_PG_PASSWORD)")
	fs.StringVar(&o.db, "db", "temporal", "database of the default store (created when missing)")
	fs.StringVar(&o.visibilityDB, "visibility-db", "temporal_visibility", "database of the visibility store (created when missing)")
	fs.StringVar(&o.ip, "ip", "127.0.0.1", "address the services bind to")
	fs.IntVar(&o.port, "port", 7233, "frontend gRPC port (history, matching, worker use the next ports)")
	fs.IntVar(&o.metricsPort, "metrics-port", 0, "Prometheus metrics port (0: off)")
	fs.IntVar(&o.shards, "shards", 4, "history shards (fixed at the cluster's first start; auto-setup's default)")
	fs.StringVar(&o.namespace, "namespace", "default", "namespace registered at start")
	fs.DurationVar(&o.retention, "retention", 24*time.Hour, "retention of the registered namespace")
	fs.IntVar(&o.maxConns, "max-conns", 20, "PostgreSQL connections per store and service")
	fs.StringVar(&o.logLevel, "log-level", "warn", "server log level")
	_ = fs.Parse(os.Args[1:])

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(o, logger); err != nil {
		logger.Error("temporal-pg", "error", err)
		os.Exit(1)
	}
}

func run(o options, logger *slog.Logger) error {
	tl := tlog.NewZapLogger(tlog.BuildZapLogger(tlog.Config{Level: o.logLevel, Format: "console"}))
	stores := map[string]struct{ db, schemaName string }{
		"postgres-default":    {o.db, "postgresql/v12/temporal"},
		"postgres-visibility": {o.visibilityDB, "postgresql/v12/visibility"},
	}
	dataStores := map[string]config.DataStore{}
	for name, s := range stores {
		sqlCfg := o.sqlConfig(s.db)
		if err := ensureSchema(sqlCfg, s.schemaName, tl); err != nil {
			return fmt.Errorf("schema of %s: %w", s.db, err)
		}
		dataStores[name] = config.DataStore{SQL: sqlCfg}
		logger.Info("schema current", "database", s.db, "schema", s.schemaName)
	}

	conf := o.serverConfig(dataStores)
	hosts := map[primitives.ServiceName]static.Hosts{}
	for svc, c := range conf.Services {
		hosts[primitives.ServiceName(svc)] = static.SingleLocalHost(fmt.Sprintf("%s:%d", o.ip, c.RPC.GRPCPort))
	}
	// The same dynamic config the temporal CLI's dev server sets, so the two
	// servers differ in their persistence only.
	dyn := dynamicconfig.StaticClient{
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(tl),
		temporal.WithDynamicConfigClient(dyn),
	)
	if err != nil {
		return fmt.Errorf("new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	defer srv.Stop()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := registerNamespace(ctx, fmt.Sprintf("%s:%d", o.ip, o.port), o.namespace, o.retention); err != nil {
		return fmt.Errorf("register namespace %s: %w", o.namespace, err)
	}
	logger.Info("temporal server on PostgreSQL ready", "address", fmt.Sprintf("%s:%d", o.ip, o.port),
		"namespace", o.namespace, "db", o.db, "visibility_db", o.visibilityDB, "shards", o.shards)
	fmt.Printf("READY %s:%d\n", o.ip, o.port)
	<-ctx.Done()
	logger.Info("stopping")
	return nil
}

func (o options) sqlConfig(db string) *config.SQL {
	return &config.SQL{
		PluginName:      postgresql.PluginName,
		DatabaseName:    db,
		ConnectAddr:     fmt.Sprintf("%s:%d", o.pgHost, o.pgPort),
		ConnectProtocol: "tcp",
		User:            o.pgUser,
		Password:        o.pgPassword,
		MaxConns:        o.maxConns,
		MaxIdleConns:    o.maxConns,
		MaxConnLifetime: time.Hour,
	}
}

// ensureSchema creates the database when missing, then brings its schema to
// the newest version the server embeds (a no-op when it is current).
func ensureSchema(cfg *config.SQL, schemaName string, logger tlog.Logger) error {
	create := *cfg
	if err := sqltool.DoCreateDatabase(&create, "postgres", logger); err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("create database: %w", err)
	}
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	// setup-schema -v 0.0: the version tables and the initial version,
	// skipped when the database already has a newer version.
	if err := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger).Run(); err != nil {
		return fmt.Errorf("setup schema: %w", err)
	}
	if err := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger).Run(); err != nil {
		return fmt.Errorf("update schema: %w", err)
	}
	return nil
}

func (o options) serverConfig(stores map[string]config.DataStore) *config.Config {
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = o.ip
	if o.metricsPort > 0 {
		conf.Global.Metrics = &metrics.Config{Prometheus: &metrics.PrometheusConfig{
			ListenAddress: fmt.Sprintf("%s:%d", o.ip, o.metricsPort), HandlerPath: "/metrics",
		}}
	}
	conf.Persistence.DefaultStore = "postgres-default"
	conf.Persistence.VisibilityStore = "postgres-visibility"
	conf.Persistence.NumHistoryShards = int32(o.shards)
	conf.Persistence.DataStores = stores
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        "active",
		CurrentClusterName:       "active",
		ClusterInformation: map[string]cluster.ClusterInformation{"active": {
			Enabled:                true,
			InitialFailoverVersion: 1,
			RPCAddress:             fmt.Sprintf("%s:%d", o.ip, o.port),
			HTTPAddress:            fmt.Sprintf("%s:%d", o.ip, o.port+4),
		}},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	service := func(grpcPort, membershipPort int) config.Service {
		var s config.Service
		s.RPC.GRPCPort = grpcPort
		s.RPC.MembershipPort = membershipPort
		s.RPC.BindOnIP = o.ip
		return s
	}
	frontend := service(o.port, o.port+100)
	frontend.RPC.HTTPPort = o.port + 4
	conf.Services = map[string]config.Service{
		"frontend": frontend,
		"history":  service(o.port+1, o.port+101),
		"matching": service(o.port+2, o.port+102),
		"worker":   service(o.port+3, o.port+103),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = fmt.Sprintf("%s:%d", o.ip, o.port)
	return &conf
}

// registerNamespace registers ns through the frontend once it answers;
// an existing namespace is fine.
func registerNamespace(ctx context.Context, addr, ns string, retention time.Duration) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	wf := workflowservice.NewWorkflowServiceClient(conn)
	deadline := time.Now().Add(60 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = wf.RegisterNamespace(rctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        ns,
			WorkflowExecutionRetentionPeriod: durationpb.New(retention),
		})
		cancel()
		if err == nil || status.Code(err) == codes.AlreadyExists {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
}
