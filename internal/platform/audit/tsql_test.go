package audit_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm/logger"
)

// sqlRecorder is a GORM logger that keeps every rendered statement.
type sqlRecorder struct {
	mu   sync.Mutex
	stmt []string
}

func (r *sqlRecorder) LogMode(logger.LogLevel) logger.Interface { return r }
func (r *sqlRecorder) Info(context.Context, string, ...any)     {}
func (r *sqlRecorder) Warn(context.Context, string, ...any)     {}
func (r *sqlRecorder) Error(context.Context, string, ...any)    {}
func (r *sqlRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stmt = append(r.stmt, sql)
}

// check requires at least min statements, none with syntax T-SQL lacks.
func (r *sqlRecorder) check(t *testing.T, min int) {
	t.Helper()
	require.GreaterOrEqual(t, len(r.stmt), min, "got %d statements %q", len(r.stmt), r.stmt)
	forbidden := regexp.MustCompile(`(?i)\bFOR\s+UPDATE\b|\bLIMIT\b|\bRETURNING\b|\bON\s+CONFLICT\b|\bILIKE\b`)
	for _, q := range r.stmt {
		require.False(t, forbidden.MatchString(q), "got %q, want T-SQL", q)
		if strings.Contains(q, "FETCH NEXT") {
			require.Contains(t, q, "ORDER BY")
		}
	}
}
