package api

import (
	"net/http"

	"github.com/cubedhq/cubed/internal/api/resource"
)

// mountRiverUI serves River's UI (Deps.RiverUI) at /admin/river/ to staff
// only: a session (the dash's login) or an API key of a staff user.
// Anyone else gets the usual 401 or 403 envelope, never the UI.
func (s *Server) mountRiverUI() {
	guard := func(w http.ResponseWriter, r *http.Request) {
		p, err := resource.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		pr, err := s.authenticate(r.Context(), r, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !pr.user.IsStaff {
			s.fail(w, r, forbidden("River's UI is for staff only."))
			return
		}
		if err := checkCSRF(r, pr); err != nil {
			s.fail(w, r, err)
			return
		}
		// River's UI is a single-page app with its own scripts and API.
		w.Header().Del("Content-Security-Policy")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
		s.deps.RiverUI.ServeHTTP(w, r)
	}
	s.mux.HandleFunc("/admin/river/", guard)
	s.mux.HandleFunc("/admin/river", func(w http.ResponseWriter, r *http.Request) { redirectSlash(w, r) })
}
