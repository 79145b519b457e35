package bookinggorm_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/booking/bookinggorm"
)

// sqlRecorder is a GORM logger that keeps every rendered statement.
type sqlRecorder struct {
	logger.Interface
	mu   sync.Mutex
	stmt []string
}

func (r *sqlRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stmt = append(r.stmt, sql)
}

func (r *sqlRecorder) LogMode(logger.LogLevel) logger.Interface { return r }

// TestStore_I3_SQLServerDialect renders every query the store issues with
// GORM's sqlserver dialect (dry run, no server) and checks it is T-SQL: no
// FOR UPDATE, no LIMIT, no RETURNING, no ON CONFLICT.
func TestStore_I3_SQLServerDialect(t *testing.T) {
	dry, err := sqldb.DryRunSQLServer()
	require.NoError(t, err)
	rec := &sqlRecorder{Interface: logger.Discard}
	s := bookinggorm.NewWithGorm(dry.Session(&gorm.Session{Logger: rec}))
	ctx := context.Background()
	now := testdate.At(0, 1, 0)
	b := sampleBooking("bk_dry", now)
	b.PNR = "DRY234"
	b.Tickets = []booking.Ticket{{Number: "9991234567890", PassengerID: "bk_dry-p1", Status: booking.TicketIssued, IssuedAt: now}}

	require.NoError(t, s.Create(ctx, b))
	_, _ = s.Get(ctx, "bk_dry")
	_, _ = s.GetByPNR(ctx, "DRY234")
	_, _ = s.List(ctx, booking.ListFilter{CustomerID: "c", PNR: "DRY234", FlightID: "f", Status: booking.StatusHeld, FamilyName: "Dry", Limit: 10})
	_, _ = s.List(ctx, booking.ListFilter{Cursor: "MTc2NDExODgwMDAwMDAwMDAwMHxia194"})
	_, _ = s.Update(ctx, b)
	_, _ = s.TransitionFrom(ctx, "bk_dry", booking.StatusCancelling, booking.StatusConfirmed, booking.HistoryEntry{At: now, Event: "cancellation_failed"})
	require.NoError(t, s.SaveCancelQuote(ctx, booking.CancelQuote{QuoteID: "cq", BookingID: "bk_dry", Refund: money.New(1, "EUR"), Penalty: money.New(0, "EUR"), ExpiresAt: now, CreatedAt: now}))
	_, _ = s.GetCancelQuote(ctx, "cq")
	require.NoError(t, s.SaveChange(ctx, booking.Change{ID: "ch", BookingID: "bk_dry", Status: booking.ChangeQuoted, CreatedAt: now, UpdatedAt: now}))
	_, _ = s.GetChange(ctx, "ch")
	_, _ = s.ListChanges(ctx, "bk_dry")
	_, _ = s.ErasePersonalData(ctx, "c")

	require.GreaterOrEqual(t, len(rec.stmt), 20, "got %d statements, want every store query rendered", len(rec.stmt))
	forbidden := regexp.MustCompile(`(?i)\bFOR\s+UPDATE\b|\bLIMIT\b|\bRETURNING\b|\bON\s+CONFLICT\b|\bILIKE\b`)
	var sawPaging bool
	for _, q := range rec.stmt {
		require.False(t, forbidden.MatchString(q), "got %q, want T-SQL without FOR UPDATE/LIMIT/RETURNING/ON CONFLICT", q)
		if strings.Contains(q, "FETCH NEXT") {
			sawPaging = true
			require.Contains(t, q, "ORDER BY", "OFFSET/FETCH needs ORDER BY in T-SQL")
		}
	}
	require.True(t, sawPaging, "list renders OFFSET … FETCH NEXT")
}
