// Package web owns SkyFly's web app: the TypeScript/React sources in this
// folder and their build output in dist/, which is embedded into the skyfly
// binary so the gateway can serve it at /. A fresh clone has only the
// placeholder dist/.gitkeep; `make build` (npm ci && npm run build) fills
// dist/ before the Go build, and the gateway answers a "not built" page
// until it has.
package web

import (
	"embed"
	"fmt"
	"io/fs"
)

// dist is the build output. The all: prefix keeps the committed placeholder
// (a dot file) so the pattern matches on a fresh clone.
//
//go:embed all:dist
var dist embed.FS

// Dist returns the built web app, rooted at dist/ (index.html, assets/...).
func Dist() (fs.FS, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, fmt.Errorf("web: dist: %w", err)
	}
	return sub, nil
}
