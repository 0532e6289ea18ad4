//go:build noweb

package web

import "net/http"

// Handler answers every request with a plain-text 404 that says the dash
// was left out of this build (built with -tags noweb).
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("The Cubed dash is not built into this binary (built with -tags noweb).\n" +
			"The API is at /api/v1/. To include the dash, run `npm ci && npm run build` in web/ and build without -tags noweb.\n"))
	})
}
