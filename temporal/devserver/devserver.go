// Package devserver runs the pinned `temporal server start-dev` binary as a
// child process: on a data file or in memory, with SkyFly's search
// attributes registered, stopped (with its whole process group) on Stop or
// when the parent dies.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// Config configures a dev server.
type Config struct {
	// Bin is the temporal CLI; default: ./bin/temporal of the module root, or
	// $SKYFLY_TEMPORAL_BIN.
	Bin string
	// DBFile persists the server's state; empty runs in memory.
	DBFile string
	// IP to bind (default 127.0.0.1).
	IP string
	// Port of the frontend gRPC API; 0 picks a free one.
	Port int
	// UIPort of the Web UI; 0 picks a free one. Ignored when Headless.
	UIPort int
	// Headless disables the Web UI.
	Headless bool
	// UICodecEndpoint points the Web UI at a remote codec server so
	// operators can read encrypted payloads.
	UICodecEndpoint string
	// Namespace to create (default "default").
	Namespace string
	// SearchAttributes to register, name → type (Keyword, KeywordList, Int, ...).
	SearchAttributes map[string]string
	// Output receives the server's log (default: discarded).
	Output io.Writer
	// Logger for lifecycle messages (default: discarded).
	Logger *slog.Logger
	// StartTimeout bounds the wait for health (default 60s).
	StartTimeout time.Duration
}

// Server is a running dev server.
type Server struct {
	cmd       *exec.Cmd
	address   string
	uiURL     string
	namespace string
	done      chan error
	log       *slog.Logger
}

// Start launches the dev server and waits until its frontend answers health checks.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.IP == "" {
		cfg.IP = "127.0.0.1"
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Output == nil {
		cfg.Output = io.Discard
	}
	bin, err := resolveBin(cfg.Bin)
	if err != nil {
		return nil, err
	}
	if cfg.Port == 0 {
		if cfg.Port, err = FreePort(cfg.IP); err != nil {
			return nil, err
		}
	}
	args := []string{"server", "start-dev", "--ip", cfg.IP, "--port", strconv.Itoa(cfg.Port),
		"--namespace", cfg.Namespace, "--log-level", "warn", "--log-format", "pretty"}
	var uiURL string
	if cfg.Headless {
		args = append(args, "--headless")
	} else {
		if cfg.UIPort == 0 {
			if cfg.UIPort, err = FreePort(cfg.IP); err != nil {
				return nil, err
			}
		}
		args = append(args, "--ui-port", strconv.Itoa(cfg.UIPort))
		if cfg.UICodecEndpoint != "" {
			args = append(args, "--ui-codec-endpoint", cfg.UICodecEndpoint)
		}
		uiURL = fmt.Sprintf("http://%s:%d", cfg.IP, cfg.UIPort)
	}
	if cfg.DBFile != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("devserver: data dir: %w", err)
		}
		args = append(args, "--db-filename", cfg.DBFile)
	}
	names := make([]string, 0, len(cfg.SearchAttributes))
	for n := range cfg.SearchAttributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		args = append(args, "--search-attribute", n+"="+cfg.SearchAttributes[n])
	}
	// The metrics port would otherwise default to a fixed one and collide.
	mport, err := FreePort(cfg.IP)
	if err != nil {
		return nil, err
	}
	args = append(args, "--metrics-port", strconv.Itoa(mport))

	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = cfg.Output, cfg.Output
	// Own process group so Stop reaches every child; die with the parent.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start %s: %w", bin, err)
	}
	s := &Server{cmd: cmd, address: fmt.Sprintf("%s:%d", cfg.IP, cfg.Port), uiURL: uiURL, namespace: cfg.Namespace, done: make(chan error, 1), log: cfg.Logger}
	go func() { s.done <- cmd.Wait() }()

	waitCtx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	if err := s.waitHealthy(waitCtx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	cfg.Logger.Info("temporal dev server ready", "address", s.address, "ui", uiURL, "db", cfg.DBFile)
	return s, nil
}

func (s *Server) waitHealthy(ctx context.Context) error {
	for {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("devserver: exited before it was healthy: %v", err)
		default:
		}
		c, err := client.Dial(client.Options{HostPort: s.address, Namespace: s.namespace, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
		if err == nil {
			_, herr := c.CheckHealth(ctx, &client.CheckHealthRequest{})
			if herr == nil {
				_, herr = c.WorkflowService().DescribeNamespace(ctx, describeNamespace(s.namespace))
			}
			c.Close()
			if herr == nil {
				return nil
			}
			err = herr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: not healthy at %s: %w (last error: %v)", s.address, ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Address is the frontend host:port.
func (s *Server) Address() string { return s.address }

// UIURL is the Web UI's URL ("" when headless).
func (s *Server) UIURL() string { return s.uiURL }

// Namespace is the namespace the server was started with.
func (s *Server) Namespace() string { return s.namespace }

// Stop terminates the server's process group and waits for it to exit.
func (s *Server) Stop() error {
	if s.cmd.Process == nil {
		return nil
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		return nil
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		err := <-s.done
		s.done <- err
		return nil
	}
}

// Kill stops the server abruptly (SIGKILL), as a crash would.
func (s *Server) Kill() error {
	if s.cmd.Process == nil {
		return errors.New("devserver: not started")
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	err := <-s.done
	s.done <- err
	return nil
}

// FreePort asks the kernel for a free TCP port on ip.
func FreePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("devserver: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func resolveBin(bin string) (string, error) {
	if bin == "" {
		bin = os.Getenv("SKYFLY_TEMPORAL_BIN")
	}
	if bin == "" {
		root, err := ModuleRoot()
		if err != nil {
			return "", err
		}
		bin = filepath.Join(root, "bin", "temporal")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("devserver: temporal CLI not found at %s (run `make bin/temporal`): %w", bin, err)
	}
	return bin, nil
}

// ModuleRoot finds the directory holding go.mod, walking up from the working
// directory (tests run in their package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devserver: go.mod not found above the working directory")
		}
		dir = parent
	}
}
