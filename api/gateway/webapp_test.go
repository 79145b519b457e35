package gateway_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/gateway"
	"github.com/skyfly/skyfly/web"
)

// newWebGateway is a gateway over echo domain targets serving app as its web app.
func newWebGateway(t *testing.T, app fstest.MapFS) http.Handler {
	t.Helper()
	targets := map[string]http.Handler{}
	for _, d := range []string{gateway.DomainAuth, gateway.DomainFlight, gateway.DomainBooking, gateway.DomainCustomer, gateway.DomainPayment} {
		targets[d] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Domain", d)
			_, _ = io.WriteString(w, "domain "+d)
		})
	}
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{}, Issuer: issuer, Audience: audience})
	h, err := gateway.New(gateway.Config{Verifier: v, Targets: targets, Web: app})
	require.NoError(t, err)
	return h
}

func get(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

const indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-abc.js"></script></head><body><div id="root"></div></body></html>`

func builtApp() fstest.MapFS {
	return fstest.MapFS{
		"index.html":          {Data: []byte(indexHTML)},
		"assets/index-abc.js": {Data: []byte("console.log('skyfly')")},
		"favicon.svg":         {Data: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")},
	}
}

func TestWebApp_ServesTheAppWithAStrictCSP(t *testing.T) {
	h := newWebGateway(t, builtApp())

	for _, path := range []string{"/", "/trips", "/trips/b_123", "/book/it/fare"} {
		t.Run("GET "+path+" answers index.html (SPA fallback)", func(t *testing.T) {
			w := get(t, h, http.MethodGet, path)
			require.Equal(t, http.StatusOK, w.Code)
			require.Equal(t, indexHTML, w.Body.String())
			require.Contains(t, w.Header().Get("Content-Type"), "text/html")
			require.Equal(t, gateway.ContentSecurityPolicy, w.Header().Get("Content-Security-Policy"))
			require.Equal(t, "no-cache", w.Header().Get("Cache-Control"))
			require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			require.NotEmpty(t, w.Header().Get("X-Request-Id"))
		})
	}

	t.Run("the policy allows only the gateway's origin and no inline code", func(t *testing.T) {
		csp := gateway.ContentSecurityPolicy
		require.Contains(t, csp, "default-src 'self'")
		require.Contains(t, csp, "script-src 'self';")
		require.Contains(t, csp, "style-src 'self';")
		require.Contains(t, csp, "frame-ancestors 'none'")
		require.NotContains(t, csp, "unsafe-inline")
		require.NotContains(t, csp, "unsafe-eval")
	})

	t.Run("a hashed asset is served with its type and cached for good", func(t *testing.T) {
		w := get(t, h, http.MethodGet, "/assets/index-abc.js")
		require.Equal(t, http.StatusOK, w.Code)
		require.Equal(t, "console.log('skyfly')", w.Body.String())
		require.Contains(t, w.Header().Get("Content-Type"), "javascript")
		require.Contains(t, w.Header().Get("Cache-Control"), "immutable")
		require.Equal(t, gateway.ContentSecurityPolicy, w.Header().Get("Content-Security-Policy"))
	})

	t.Run("a missing asset is a 404, not the app", func(t *testing.T) {
		w := get(t, h, http.MethodGet, "/assets/index-old.js")
		require.Equal(t, http.StatusNotFound, w.Code)
		require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	})
}

func TestWebApp_TellsTheAppWhereTheTemporalUIIs(t *testing.T) {
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{}, Issuer: issuer, Audience: audience})
	h, err := gateway.New(gateway.Config{Verifier: v, Targets: map[string]http.Handler{gateway.DomainAuth: http.NotFoundHandler(),
		gateway.DomainFlight: http.NotFoundHandler(), gateway.DomainBooking: http.NotFoundHandler(), gateway.DomainCustomer: http.NotFoundHandler(),
		gateway.DomainPayment: http.NotFoundHandler()}, Web: builtApp(), TemporalUI: `http://127.0.0.1:8233/namespaces/default"><script>`})
	require.NoError(t, err)
	w := get(t, h, http.MethodGet, "/staff")
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), `<meta name="skyfly-temporal-ui" content="http://127.0.0.1:8233/namespaces/default&#34;&gt;&lt;script&gt;"></head>`,
		"a meta tag, escaped, never an inline script")
	require.Equal(t, gateway.ContentSecurityPolicy, w.Header().Get("Content-Security-Policy"))
}

func TestWebApp_NeverShadowsTheAPI(t *testing.T) {
	h := newWebGateway(t, builtApp())

	for _, path := range []string{"/api", "/api/", "/api/v1/nope", "/api/v1/flights/search/extra", "/.well-known/openid-configuration", "/healthz"} {
		t.Run("GET "+path+" stays a problem+json 404", func(t *testing.T) {
			w := get(t, h, http.MethodGet, path)
			require.Equal(t, http.StatusNotFound, w.Code, w.Body.String())
			require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
			require.Empty(t, w.Header().Get("Content-Security-Policy"))
			var p struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
				Detail string `json:"detail"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
			require.Equal(t, http.StatusNotFound, p.Status)
			require.Equal(t, "not_found", p.Code)
		})
	}

	t.Run("a route the gateway knows still reaches its domain", func(t *testing.T) {
		w := get(t, h, http.MethodGet, "/api/v1/flights/search?origin=JFK")
		require.Equal(t, "flight", w.Header().Get("X-Domain"))
		require.Equal(t, "domain flight", w.Body.String())
	})

	t.Run("the platform's own endpoints still answer", func(t *testing.T) {
		require.Equal(t, http.StatusOK, get(t, h, http.MethodGet, "/livez").Code)
		w := get(t, h, http.MethodGet, "/metrics")
		require.Equal(t, http.StatusOK, w.Code)
		require.Contains(t, w.Body.String(), "# HELP")
	})

	t.Run("a wrong method on an API route is still a 405 problem", func(t *testing.T) {
		w := get(t, h, http.MethodGet, "/api/v1/pricing/quote")
		require.Equal(t, http.StatusMethodNotAllowed, w.Code)
		require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	})

	t.Run("a POST to an app path is a problem 404, not the app", func(t *testing.T) {
		w := get(t, h, http.MethodPost, "/trips")
		require.Equal(t, http.StatusNotFound, w.Code)
		require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	})
}

func TestWebApp_NotBuiltSaysHowToBuildIt(t *testing.T) {
	h := newWebGateway(t, fstest.MapFS{".gitkeep": {Data: nil}})

	w := get(t, h, http.MethodGet, "/")
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.Contains(t, w.Body.String(), "web app is not built")
	require.Contains(t, w.Body.String(), "make build")
	require.Equal(t, gateway.ContentSecurityPolicy, w.Header().Get("Content-Security-Policy"))

	api := get(t, h, http.MethodGet, "/api/v1/nope")
	require.Equal(t, http.StatusNotFound, api.Code)
	require.Equal(t, "application/problem+json", api.Header().Get("Content-Type"))
}

// The embedded tree always holds the placeholder, built or not, so the Go
// build works on a fresh clone; when the app is built its index.html loads
// only same-origin files, never inline code.
func TestWebApp_EmbeddedDist(t *testing.T) {
	app, err := web.Dist()
	require.NoError(t, err)
	b, err := fs.ReadFile(app, "index.html")
	if err != nil {
		t.Skip("SKIPPED: web/dist is not built (npm run build in web/); the placeholder page is served")
	}
	html := string(b)
	require.NotContains(t, html, "<style", "no inline styles (CSP style-src 'self')")
	for _, chunk := range strings.Split(html, "<script")[1:] {
		require.Contains(t, strings.SplitN(chunk, ">", 2)[0], "src=", "every script is a file, none inline (CSP script-src 'self')")
	}
}
