package attrib

import (
	"context"
	"io"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/schema"
	"github.com/cubedhq/cubed/internal/tenant"
)

// uploadResources declares file-upload: uploads listed and read through
// the API (row errors included); they are created by POST
// /api/v1/file-upload/ (api.Uploads, implemented by Uploads) or `cubed
// import offline-sales`, never written field by field.
func uploadResources(models []*schema.Model) []*resource.Resource {
	for _, m := range models {
		if m.Name != "file_upload" {
			continue
		}
		return []*resource.Resource{{
			Name: "file-upload", Model: m,
			Filtering:     resource.AllFields(m),
			Ordering:      resource.AllOrdering(m),
			DefaultOrder:  []string{"-uploaded_at"},
			ListMethods:   []string{"GET"},
			DetailMethods: []string{"GET"},
		}}
	}
	return nil
}

// Uploads stores files uploaded through the API: offline sales CSVs.
type Uploads struct{}

// Kinds lists the accepted upload kinds.
func (Uploads) Kinds() []string { return UploadKinds }

// MaxBytes is the largest file accepted.
func (Uploads) MaxBytes() int64 { return MaxUploadBytes }

// Upload validates and stores an offline sales CSV (ImportOfflineSales).
func (Uploads) Upload(ctx context.Context, d *db.DB, acct tenant.Account, _ string, filename string, body io.Reader, userID int64) (int64, error) {
	res, err := ImportOfflineSales(ctx, d, acct, filename, body, userID)
	if err != nil {
		return 0, err
	}
	return res.ID, nil
}
