// Package mongodb connects to MongoDB by DSN with the official driver and runs
// an embedded FerretDB (MongoDB wire protocol over SQLite or PostgreSQL) for
// the embedded default and for tests.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"
	"go.mongodb.org/mongo-driver/mongo/writeconcern"
)

// Config configures a client.
type Config struct {
	// DSN is a mongodb:// URI; its path names the database (default "skyfly").
	DSN string
	// WriteConcern is "majority" (production default) or a node count such
	// as "1" (FerretDB and single nodes).
	WriteConcern string
	// Timeout bounds connecting and the first ping (default 10s).
	Timeout time.Duration
}

// Client is a connected client and the database it uses.
type Client struct {
	*mongo.Client
	DB *mongo.Database
}

// Connect dials MongoDB and pings it.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	u, err := url.Parse(cfg.DSN)
	if err != nil || (u.Scheme != "mongodb" && u.Scheme != "mongodb+srv") {
		return nil, fmt.Errorf("mongodb: DSN must be a mongodb:// URI")
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	if dbName == "" {
		dbName = "skyfly"
	}
	opts := options.Client().ApplyURI(cfg.DSN).SetConnectTimeout(cfg.Timeout).SetServerSelectionTimeout(cfg.Timeout)
	switch cfg.WriteConcern {
	case "", "majority":
		opts.SetWriteConcern(writeconcern.Majority())
	default:
		var n int
		if _, err := fmt.Sscanf(cfg.WriteConcern, "%d", &n); err != nil || n < 0 {
			return nil, fmt.Errorf("mongodb: write concern %q is neither majority nor a number", cfg.WriteConcern)
		}
		opts.SetWriteConcern(&writeconcern.WriteConcern{W: n})
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	c, err := mongo.Connect(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("mongodb: connect: %w", err)
	}
	if err := c.Ping(ctx, readpref.Primary()); err != nil {
		_ = c.Disconnect(context.Background())
		return nil, fmt.Errorf("mongodb: ping: %w", err)
	}
	return &Client{Client: c, DB: c.Database(dbName)}, nil
}

// Close disconnects.
func (c *Client) Close(ctx context.Context) error { return c.Disconnect(ctx) }

// EmbeddedConfig configures an embedded FerretDB.
type EmbeddedConfig struct {
	// Handler is "sqlite" (default) or "postgresql".
	Handler string
	// SQLiteDir holds the SQLite files (sqlite handler).
	SQLiteDir string
	// PostgreSQLURL is the backing database (postgresql handler).
	PostgreSQLURL string
	// Addr to listen on (default 127.0.0.1:0, a free port).
	Addr   string
	Logger *slog.Logger
}

// Embedded is a running FerretDB.
type Embedded struct {
	uri  string
	stop context.CancelFunc
	done chan struct{}
}

// StartEmbedded starts FerretDB and returns once it accepts connections.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.Handler == "" {
		cfg.Handler = "sqlite"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	addr := cfg.Addr
	if addr == "" || strings.HasSuffix(addr, ":0") {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("mongodb: free port: %w", err)
		}
		addr = l.Addr().String()
		_ = l.Close()
	}
	fc := &ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: addr}, Handler: cfg.Handler, Logger: cfg.Logger}
	switch cfg.Handler {
	case "sqlite":
		if cfg.SQLiteDir == "" {
			return nil, errors.New("mongodb: embedded sqlite handler needs a directory")
		}
		if err := os.MkdirAll(cfg.SQLiteDir, 0o755); err != nil {
			return nil, fmt.Errorf("mongodb: ferretdb dir: %w", err)
		}
		fc.SQLiteURL = "file:" + strings.TrimSuffix(cfg.SQLiteDir, "/") + "/"
	case "postgresql":
		fc.PostgreSQLURL = cfg.PostgreSQLURL
	default:
		return nil, fmt.Errorf("mongodb: unknown FerretDB handler %q", cfg.Handler)
	}
	f, err := ferretdb.New(fc)
	if err != nil {
		return nil, fmt.Errorf("mongodb: ferretdb: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &Embedded{uri: "mongodb://" + addr + "/", stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return e, nil
		}
		if time.Now().After(deadline) {
			e.Stop()
			return nil, fmt.Errorf("mongodb: ferretdb did not listen on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URI is the mongodb:// URI of the embedded server (without a database).
func (e *Embedded) URI() string { return e.uri }

// Stop shuts FerretDB down and waits for it.
func (e *Embedded) Stop() {
	e.stop()
	<-e.done
}
