package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/temporal/devserver"
)

// devProcess is a running `skyfly dev`.
type devProcess struct {
	cmd      *exec.Cmd
	gateway  string
	kafka    string // the embedded Kafka's bootstrap address
	temporal string
	ui       string
	codec    string // the codec server's base URL and its bearer token
	codecTok string
	dataDir  string
	output   *lineBuffer
	exited   chan error
}

type lineBuffer struct {
	lines chan string
	mu    sync.Mutex
	all   strings.Builder
}

func (b *lineBuffer) add(l string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all.WriteString(l + "\n")
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.all.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	p, err := devserver.FreePort("127.0.0.1")
	require.NoError(t, err)
	return fmt.Sprintf("127.0.0.1:%d", p)
}

// binDir holds the skyfly binary the process-level tests share; TestMain
// removes it.
var (
	buildOnce sync.Once
	binDir    string
	binErr    error
	binOut    []byte
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopTemporal()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildSkyfly builds ./cmd/skyfly once per test run and returns the binary
// and the module root to run it in.
func buildSkyfly(t *testing.T) (bin, root string) {
	t.Helper()
	root, err := devserver.ModuleRoot()
	require.NoError(t, err)
	buildOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "skyfly-test-bin-")
		if binErr != nil {
			return
		}
		build := exec.Command("go", "build", "-o", filepath.Join(binDir, "skyfly"), "./cmd/skyfly")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		binOut, binErr = build.CombinedOutput()
	})
	require.NoError(t, binErr, string(binOut))
	return filepath.Join(binDir, "skyfly"), root
}

// startDev builds the binary and runs `skyfly dev` on free ports with a
// fresh data dir, waiting for its ready banner. env entries (KEY=value)
// override the test defaults (e.g. SKYFLY_RATE_LIMIT_RPS= for the shipped
// default).
func startDev(t *testing.T, env ...string) *devProcess {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIPPED: -short: no full platform")
	}
	bin, root := buildSkyfly(t)

	d := &devProcess{temporal: freeAddr(t), ui: freeAddr(t), dataDir: t.TempDir(), exited: make(chan error, 1)}
	cmd := exec.Command(bin, "dev")
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"SKYFLY_DATA_DIR="+d.dataDir,
		"SKYFLY_GATEWAY_ADDR=127.0.0.1:0", // the banner names the port it got
		"SKYFLY_PUBLIC_URL=",
		"SKYFLY_AUTH_URL=",
		"SKYFLY_JWKS_URL=",
		"SKYFLY_TEMPORAL_ADDRESS="+d.temporal,
		"SKYFLY_TEMPORAL_UI_URL=http://"+d.ui,
		"SKYFLY_CODEC_ADDR="+freeAddr(t),
		"SKYFLY_RATE_LIMIT_RPS=1000",
		"SKYFLY_REDIS_URL=",
	)
	cmd.Env = append(cmd.Env, env...) // the last value of a key wins
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	d.cmd = cmd
	d.output = &lineBuffer{lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			d.output.add(sc.Text())
			select {
			case d.output.lines <- sc.Text():
			default:
			}
		}
		d.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
		if t.Failed() {
			t.Logf("skyfly dev output:\n%s", d.output.String())
		}
	})
	deadline := time.After(4 * time.Minute)
	for {
		select {
		case l := <-d.output.lines:
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "gateway" {
				d.gateway = strings.TrimPrefix(f[1], "http://")
			}
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "Kafka" {
				d.kafka = f[1]
			}
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "codec" {
				d.codec = f[1]
				if _, tok, ok := strings.Cut(l, "with token "); ok {
					d.codecTok = strings.TrimSuffix(strings.TrimSpace(tok), ")")
				}
			}
			if strings.Contains(l, "ready in") {
				require.NotEmpty(t, d.gateway, "the banner names the gateway")
				return d
			}
		case err := <-d.exited:
			t.Fatalf("skyfly dev exited before it was ready: %v\n%s", err, d.output.String())
		case <-deadline:
			t.Fatalf("skyfly dev not ready in time:\n%s", d.output.String())
		}
	}
}

// stop sends Ctrl-C and waits for a clean exit.
func (d *devProcess) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, d.cmd.Process.Signal(os.Interrupt))
	select {
	case err := <-d.exited:
		require.NoError(t, err, "skyfly dev exits cleanly on Ctrl-C:\n%s", d.output.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("skyfly dev did not stop within 60s of Ctrl-C")
	}
}

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		require.NoError(t, json.Unmarshal(b, out), string(b))
	}
	return resp.StatusCode
}

// TestDev_StartsHealthyAndStopsCleanly is issue #2's acceptance: `skyfly dev`
// comes up with every dependency ok, the Temporal UI answers, and Ctrl-C
// leaves no process behind.
func TestDev_StartsHealthyAndStopsCleanly(t *testing.T) {
	d := startDev(t)

	var health struct {
		Status string                    `json:"status"`
		Checks map[string]map[string]any `json:"checks"`
	}
	code := getJSON(t, "http://"+d.gateway+"/api/v1/health", &health)
	require.Equal(t, http.StatusOK, code, "health: %+v", health)
	require.Equal(t, "ok", health.Status)
	for _, dep := range []string{"temporal", "auth-db", "flight-db", "booking-db", "customer-db", "payment-db"} {
		require.Contains(t, health.Checks, dep)
		require.Equal(t, "ok", health.Checks[dep]["status"], dep)
	}
	resp, err := http.Get("http://" + d.ui + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the Temporal UI answers")

	d.stop(t)
	for _, addr := range []string{d.gateway, d.temporal, d.ui} {
		conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			conn.Close()
			t.Fatalf("%s still accepts connections after Ctrl-C: a process was left behind", addr)
		}
	}
}
