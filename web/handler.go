//go:build !noweb

package web

import (
	"bytes"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Paths the dash never answers for: the API, the collector, health checks
// and the tag belong to other handlers, and an unknown path there must not
// turn into the dash's index.html.
var reserved = []string{"/api", "/collect", "/healthz", "/tag.js"}

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

type handler struct {
	files fs.FS
	index []byte // nil when dist has no index.html
}

// newHandler serves files from a Vite build directory.
func newHandler(files fs.FS) http.Handler {
	h := &handler{files: files}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		h.index = b
	}
	return h
}

func isReserved(p string) bool {
	for _, r := range reserved {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if isReserved(p) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch {
	case p == "/" || p == "/index.html":
		h.serveIndex(w, r)
	case path.Ext(p) == "":
		// A client-side route such as /a/c-a-demo-gb/config/pattern.
		h.serveIndex(w, r)
	default:
		h.serveFile(w, r, strings.TrimPrefix(p, "/"))
	}
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	if h.index == nil {
		http.Error(w, "the dash build has no index.html", http.StatusNotFound)
		return
	}
	w.Header().Set("Cache-Control", cacheRevalidate)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("X-Frame-Options", "DENY")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}

func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	f, err := h.files.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	rs, ok := f.(readSeeker)
	if !ok {
		http.Error(w, "unreadable file", http.StatusInternalServerError)
		return
	}
	if strings.HasPrefix(name, "assets/") {
		// Vite puts a content hash in every asset name: safe to keep forever.
		w.Header().Set("Cache-Control", cacheImmutable)
	} else {
		w.Header().Set("Cache-Control", cacheRevalidate)
	}
	// Zero modtime: embedded files carry none, and no Last-Modified is better than a fake one.
	http.ServeContent(w, r, name, time.Time{}, rs)
}

type readSeeker interface {
	Read(p []byte) (int, error)
	Seek(offset int64, whence int) (int64, error)
}
