package observability_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/internal/platform/observability"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopTemporal()
	os.Exit(code)
}

func traceIDActivity(ctx context.Context) (string, error) {
	return trace.SpanContextFromContext(ctx).TraceID().String(), nil
}

func traceWorkflow(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var id string
	err := workflow.ExecuteActivity(ctx, traceIDActivity).Get(ctx, &id)
	return id, err
}

// TestTracing_PropagatesFromHTTPThroughTemporalIntoActivities: a request's
// trace id, started at the HTTP edge, is the trace id an activity sees.
func TestTracing_PropagatesFromHTTPThroughTemporalIntoActivities(t *testing.T) {
	srv := testenv.TemporalServer(t)
	tr, err := observability.NewTracing(context.Background(), "", "test")
	require.NoError(t, err)
	ti, err := tr.TemporalInterceptor()
	require.NoError(t, err)
	c, err := client.Dial(client.Options{HostPort: srv.Address, Namespace: srv.Namespace, Interceptors: []interceptor.ClientInterceptor{ti}})
	require.NoError(t, err)
	defer c.Close()
	queue := "trace-" + time.Now().Format("150405.000000")
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(traceWorkflow)
	w.RegisterActivity(traceIDActivity)
	require.NoError(t, w.Start())
	defer w.Stop()

	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.Use(tr.Middleware())
	var httpTrace, activityTrace string
	e.POST("/start", func(g *gin.Context) {
		httpTrace = trace.SpanContextFromContext(g.Request.Context()).TraceID().String()
		run, err := c.ExecuteWorkflow(g.Request.Context(), client.StartWorkflowOptions{TaskQueue: queue}, traceWorkflow)
		require.NoError(t, err)
		require.NoError(t, run.Get(g.Request.Context(), &activityTrace))
		g.Status(http.StatusOK)
	})
	req := httptest.NewRequest("POST", "/start", nil)
	// An upstream caller's trace context is continued, not replaced.
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", httpTrace)
	require.Equal(t, httpTrace, activityTrace, "the activity runs in the request's trace")
}
