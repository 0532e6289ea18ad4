package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/auth"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/tenant"
)

// Uploads stores files uploaded to an account; the attrib app implements
// it for offline sales CSVs. The API authenticates, checks the role and
// the size, and maps errors; the implementation validates every row and
// stores the upload with its row errors (good rows are kept).
type Uploads interface {
	// Kinds lists the accepted kinds; the first is the default.
	Kinds() []string
	// Upload stores one file and returns the new upload's id. A file
	// that was uploaded before is an *apperr.Conflict; a file that cannot
	// be read at all is an *apperr.Invalid naming "file".
	Upload(ctx context.Context, d *db.DB, acct tenant.Account, kind, filename string, body io.Reader, userID int64) (int64, error)
	// MaxBytes is the largest file accepted.
	MaxBytes() int64
}

// uploadResource is the read-only model resource that lists uploads.
const uploadResource = "file-upload"

// mountUploads adds POST /api/v1/file-upload/?account=<id or token>
// (multipart/form-data with a "file" part and an optional "kind"; editor
// role; CSRF for sessions). It answers 201 with the upload as GET
// /api/v1/file-upload/<id>/ shows it — row errors included — 409 when
// the same file (by SHA-256) was uploaded before, 400 naming the field
// when the request or the file is unusable. Listing and detail are the
// file-upload model resource's.
func (s *Server) mountUploads() {
	s.mux.HandleFunc("POST /api/v1/"+uploadResource+"/{$}", s.upload)
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.deps.Limits.RequestDeadline)
	defer cancel()
	res, ok := s.deps.Resources.Get(uploadResource)
	if !ok {
		WriteError(w, r, http.StatusNotFound, "not_found", fmt.Sprintf("No resource named %q.", uploadResource), nil)
		return
	}
	pr, p, err := s.apiUser(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	acct, role, err := s.tenancy(ctx, route{kind: "list", name: uploadResource}, p, pr)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if auth.RoleRank(role) < auth.RoleRank("editor") {
		s.fail(w, r, forbidden(fmt.Sprintf("Your role (%s) cannot upload files.", role)))
		return
	}
	up := s.deps.Uploads
	limit := up.MaxBytes() + 64<<10 // the multipart envelope around the file
	if r.ContentLength > limit {
		s.fail(w, r, uploadTooLarge(up.MaxBytes()))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		s.fail(w, r, newErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "Uploads must be multipart/form-data with the CSV in a part named \"file\"."))
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s.fail(w, r, fieldErr("file", "The multipart body could not be read."))
		return
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	defer body.Close()
	kind := ""
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.fail(w, r, uploadTooLarge(up.MaxBytes()))
				return
			}
			s.fail(w, r, fieldErr("file", "The multipart body could not be read."))
			return
		}
		switch part.FormName() {
		case "kind":
			raw, _ := io.ReadAll(io.LimitReader(part, 64))
			kind = strings.TrimSpace(string(raw))
			if !slices.Contains(up.Kinds(), kind) {
				s.fail(w, r, fieldErr("kind", fmt.Sprintf("Must be one of %s.", strings.Join(up.Kinds(), ", "))))
				return
			}
		case "file":
			if kind == "" {
				kind = up.Kinds()[0]
			}
			s.storeUpload(ctx, w, r, res, acct, kind, part, pr.user.ID)
			return
		}
		part.Close()
	}
	s.fail(w, r, fieldErr("file", "This field is required: send the CSV in a multipart part named \"file\"."))
}

// storeUpload stores the file part and answers with the new upload.
func (s *Server) storeUpload(ctx context.Context, w http.ResponseWriter, r *http.Request, res *resource.Resource, acct tenant.Account, kind string, part io.Reader, userID int64) {
	d, release, err := s.deps.Tenants.Acquire(ctx, acct)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	filename := ""
	if fp, ok := part.(interface{ FileName() string }); ok {
		filename = fp.FileName()
	}
	id, err := s.deps.Uploads.Upload(ctx, d, acct, kind, filename, part, userID)
	var inv *apperr.Invalid
	var conflict *apperr.Conflict
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		s.fail(w, r, uploadTooLarge(s.deps.Uploads.MaxBytes()))
		return
	case errors.As(err, &inv):
		s.fail(w, r, fieldErr(inv.Field, inv.Rule))
		return
	case errors.As(err, &conflict):
		ae := newErr(http.StatusConflict, "conflict", conflict.Msg)
		ae.fields = map[string][]string{}
		for _, f := range conflict.Fields {
			ae.fields[f] = []string{conflict.Msg}
		}
		s.fail(w, r, ae)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	p, _ := resource.ParseQuery("")
	obj, err := s.engine.Detail(ctx, resource.Env{DB: d, Loc: acct.Location()}, res, strconv.FormatInt(id, 10), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/%s/%d/", uploadResource, id))
	WriteJSON(w, http.StatusCreated, obj)
}

func fieldErr(field, msg string) *apiError {
	e := newErr(http.StatusBadRequest, "validation_failed", fmt.Sprintf("%s: %s", field, msg))
	e.fields = map[string][]string{field: {msg}}
	return e
}

func uploadTooLarge(max int64) *apiError {
	return newErr(http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("The file is over %d MiB.", max>>20))
}
