package migrate

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/migrations"
)

// BenchmarkApplyInitialSQLite measures what migrate_client does for one
// empty client database: open a new SQLite file and apply the whole client
// migration set shipped in the binary. scripts/bench/migrate_clients.sh
// measures the command end to end.
func BenchmarkApplyInitialSQLite(b *testing.B) {
	migs, err := Load(migrations.FS, "client", db.SQLite)
	if err != nil {
		b.Fatal(err)
	}
	statements := 0
	for _, m := range migs {
		statements += len(m.Statements)
	}
	ctx := context.Background()
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		d, err := db.Open(ctx, filepath.Join(dir, fmt.Sprintf("client%d.db", i)), db.Options{CreateIfMissing: true, MaxReadConns: 1})
		if err != nil {
			b.Fatal(err)
		}
		res, err := Apply(ctx, d, migs)
		if err != nil {
			b.Fatal(err)
		}
		if res.To != len(migs) {
			b.Fatalf("applied to %d of %d", res.To, len(migs))
		}
		d.Close()
	}
	b.ReportMetric(float64(statements), "statements/op")
}
