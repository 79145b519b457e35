package observability

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Tracing carries one process's tracer provider and the W3C propagator. It
// is passed explicitly (no otel globals): the gateway starts a span per
// request, proxies inject traceparent, services extract it, and the Temporal
// interceptor carries the context through workflows into activities.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
}

// NewTracing builds the provider. With an OTLP/HTTP endpoint spans are
// exported in batches; without one they are still created and propagated
// (trace ids in logs and across services) but not exported.
func NewTracing(ctx context.Context, endpoint, service string) (*Tracing, error) {
	res := sdkresource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(service))
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if endpoint != "" {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
		if err != nil {
			return nil, fmt.Errorf("observability: otlp exporter %s: %w", endpoint, err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracing{
		provider:   tp,
		tracer:     tp.Tracer("github.com/skyfly/skyfly"),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}, nil
}

// Tracer returns the process tracer.
func (t *Tracing) Tracer() trace.Tracer { return t.tracer }

// Middleware extracts an incoming trace context and starts a server span
// named after the route.
func (t *Tracing) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := t.propagator.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		ctx, span := t.tracer.Start(ctx, c.Request.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", c.Request.Method), attribute.String("http.route", route)))
		defer span.End()
		// Downstream (in-process services, proxies) see the gateway's span.
		t.propagator.Inject(ctx, propagation.HeaderCarrier(c.Request.Header))
		c.Request = c.Request.WithContext(ctx)
		c.Header("Traceparent", c.Request.Header.Get("Traceparent"))
		c.Next()
		status := c.Writer.Status()
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
}

// HTTPMiddleware is Middleware for plain net/http handlers (services).
func (t *Tracing) HTTPMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := t.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.tracer.Start(ctx, r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Inject writes the trace context of ctx into outgoing headers.
func (t *Tracing) Inject(ctx context.Context, h http.Header) {
	t.propagator.Inject(ctx, propagation.HeaderCarrier(h))
}

// TemporalInterceptor propagates traces through workflows into activities.
func (t *Tracing) TemporalInterceptor() (interceptor.Interceptor, error) {
	i, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: t.tracer, TextMapPropagator: t.propagator})
	if err != nil {
		return nil, fmt.Errorf("observability: temporal tracing interceptor: %w", err)
	}
	return i, nil
}

// Shutdown flushes and stops exporting.
func (t *Tracing) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return t.provider.Shutdown(ctx)
}
