package config_test

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad_DefaultsWorkForDev(t *testing.T) {
	c := config.Defaults()
	require.Equal(t, ".skyfly", c.DataDir)
	require.Equal(t, "sqlite:.skyfly/flight.db", c.FlightDSN)
	require.Equal(t, "http://127.0.0.1:8081/api/v1/auth/.well-known/jwks.json", c.JWKSURL)
	require.Equal(t, 15*time.Minute, c.HoldTTL)
	require.Equal(t, 20*time.Minute, c.QuoteTTL)
}

func TestLoad_FlagsOverrideEnv(t *testing.T) {
	c, rest, err := config.Load("t", []string{"--hold-ttl", "5m", "--data-dir", "/d", "extra"},
		env(map[string]string{"SKYFLY_HOLD_TTL": "30m", "SKYFLY_DATA_DIR": "/env", "SKYFLY_REDIS_URL": "redis://x"}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, c.HoldTTL, "flag wins")
	require.Equal(t, "/d", c.DataDir)
	require.Equal(t, "redis://x", c.RedisURL, "env applies without a flag")
	require.Equal(t, "sqlite:/d/auth.db", c.AuthDSN, "derived from the final data dir")
	require.Equal(t, []string{"extra"}, rest)
}

func TestLoad_BadValueNamesTheVariable(t *testing.T) {
	_, _, err := config.Load("t", nil, env(map[string]string{"SKYFLY_HOLD_TTL": "soon"}), io.Discard)
	require.ErrorContains(t, err, "SKYFLY_HOLD_TTL")
}

// TestREADME_ConfigTableIsCurrent keeps the README's table true.
func TestREADME_ConfigTableIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	s := string(b)
	start := strings.Index(s, "<!-- config-table:start -->\n")
	end := strings.Index(s, "<!-- config-table:end -->")
	require.True(t, start >= 0 && end > start, "README has the config-table markers")
	got := s[start+len("<!-- config-table:start -->\n") : end]
	require.Equal(t, config.MarkdownTable(), got, "regenerate with `go run ./cmd/skyfly config`")
}

func TestList(t *testing.T) {
	require.Equal(t, []string{"10.0.0.1", "192.168.0.0/16"}, config.List(" 10.0.0.1, ,192.168.0.0/16 "))
	require.Empty(t, config.List(""))
}
