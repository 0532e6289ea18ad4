//go:build !noweb

// Package web serves the dash: the Vite build in web/dist, embedded in the
// binary. Build with -tags noweb to leave it out (see embed_noweb.go).
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed all:dist
var distFS embed.FS

// Handler serves the embedded dash at "/": hashed files under /assets/ are
// cached for a year, index.html is revalidated on every load, and any other
// GET or HEAD path without a file extension (outside the API, collector and
// health paths) gets index.html so that client-side routes survive a reload.
func Handler() http.Handler {
	sub, err := fs.Sub(distFS, "dist")
	if err != nil {
		// Only possible if the embed directive changes; fail loudly at startup.
		panic("web: " + err.Error())
	}
	return newHandler(sub)
}
