package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/problem"
)

// ContentSecurityPolicy is the policy of every web app response: only the
// gateway's own origin, no inline scripts or styles, no plugins, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// notBuiltPage answers every web app path when the binary was built before
// the web app (a fresh clone's `go build`): it says how to fix it.
const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>SkyFly: web app not built</title></head>
<body>
<h1>SkyFly's web app is not built</h1>
<p>This skyfly binary was built without the web app. Run <code>make build</code> (it runs <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code> before the Go build) and start it again.</p>
<p>The API is up: <a href="/api/v1/health">/api/v1/health</a>.</p>
</body>
</html>
`

// webApp serves the single-page app from fsys for the paths no route
// matched: a file when one exists, index.html for any other GET (the app
// routes on the client). It never answers for the API or the platform's own
// paths, whose unknown URLs stay problem+json 404s, and it cannot shadow a
// route: it only ever runs as the engine's NoRoute handler.
type webApp struct {
	fsys     fs.FS
	index    []byte // nil: the app is not built
	modified time.Time
}

func newWebApp(fsys fs.FS, temporalUI string) (*webApp, error) {
	w := &webApp{fsys: fsys, modified: time.Now()}
	b, err := fs.ReadFile(fsys, "index.html")
	switch {
	case err == nil:
		w.index = b
		if temporalUI != "" {
			// A meta tag, not an inline script: the CSP stays strict.
			meta := `<meta name="skyfly-temporal-ui" content="` + html.EscapeString(temporalUI) + `">`
			w.index = bytes.Replace(b, []byte("</head>"), []byte(meta+"</head>"), 1)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("gateway: web app: read index.html: %w", err)
	}
	return w, nil
}

// platformPath reports whether p belongs to the API or the platform (health,
// metrics, OIDC discovery), where the web app must never answer.
func platformPath(p string) bool {
	for _, prefix := range []string{"/api", "/.well-known"} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	switch p {
	case "/livez", "/readyz", "/healthz", "/metrics":
		return true
	}
	return false
}

func (w *webApp) handle(c *gin.Context) {
	p := c.Request.URL.Path
	if (c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) || platformPath(p) {
		problem.NoRoute(c)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if w.index == nil {
		h.Set("Cache-Control", "no-store")
		c.Data(http.StatusServiceUnavailable, "text/html; charset=utf-8", []byte(notBuiltPage))
		return
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name != "" && name != "index.html" {
		if st, err := fs.Stat(w.fsys, name); err == nil && !st.IsDir() {
			if strings.HasPrefix(name, "assets/") {
				// Vite names assets by content hash.
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				h.Set("Cache-Control", "no-cache")
			}
			http.ServeFileFS(c.Writer, c.Request, w.fsys, name)
			return
		}
		// A missing file (it has an extension, or is under assets/) is a
		// 404, not the app: a stale script URL must fail visibly.
		if path.Ext(name) != "" || strings.HasPrefix(name, "assets/") {
			problem.NoRoute(c)
			return
		}
	}
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(c.Writer, c.Request, "index.html", w.modified, bytes.NewReader(w.index))
}
