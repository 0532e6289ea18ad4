package migrate

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/cubedhq/cubed/internal/schema"
)

// go test ./internal/migrate -run Golden -update rewrites testdata/golden.
var update = flag.Bool("update", false, "rewrite golden files in testdata")

// representative is a model set with every field type, default kind,
// foreign-key action and index kind, plus a table without id and a name
// long enough to be hashed.
func representative() []*schema.Model {
	return []*schema.Model{
		// Declared before the table it references.
		{Name: "sale", Fields: []schema.Field{
			schema.TextF("order_id", 64).Uniq(),
			schema.BigIntF("revenue_minor").DefInt(0),
			schema.DecimalF("tax_rate", 5, 4).Def("0.2"),
			schema.FloatF("weight").Nullable(),
			schema.DateF("day").Indexed(),
			schema.DateTimeF("at"),
			schema.JSONF("meta").Nullable(),
			schema.TextF("note", 0).Def("it's new"),
			schema.BoolF("refunded", false),
			schema.FK("channel_id", "channel", "SET NULL").Nullable(),
			schema.FK("campaign_id", "campaign", "RESTRICT").Nullable(),
			schema.Created(),
		}, Indexes: []schema.Index{{Name: "sale_day_channel", Columns: []string{"day", "channel_id"}}}},
		{Name: "channel", SoftDelete: schema.Deactivate, Fields: []schema.Field{
			schema.TextF("name", 64).Uniq(),
			schema.TextF("colour", 7).Nullable(),
			schema.IntF("sort").DefInt(0),
			schema.Created(), schema.Updated(),
		}},
		{Name: "campaign", SoftDelete: schema.Deleted, Fields: []schema.Field{
			schema.FK("channel_id", "channel", "CASCADE"),
			schema.TextF("utm_campaign", 255).Def(""),
			schema.IntF("lookback_days").Nullable(),
		}, UniqueTogether: [][]string{{"channel_id", "utm_campaign"}}},
		{Name: "agg_channel_day_with_a_rather_long_table_name", NoID: true, Fields: []schema.Field{
			schema.DateF("day"),
			schema.FK("channel_id", "channel", "CASCADE"),
			schema.BigIntF("visits").DefInt(0),
			schema.BigIntF("revenue_minor").DefInt(0),
		}, UniqueTogether: [][]string{{"day", "channel_id", "visits", "revenue_minor"}}},
		{Name: "token", NoID: true, Fields: []schema.Field{
			{Name: "hash", Type: schema.Text, MaxLength: 64, PrimaryKey: true},
			schema.DateTimeF("expires").Indexed(),
		}},
	}
}

// changed is representative after a developer's edits: one of every
// operation kind that needs no explicit rename, plus two renames.
func changed() ([]*schema.Model, []Rename) {
	ms := representative()
	sale, channel, campaign, agg := ms[0], ms[1], ms[2], ms[3] // token, ms[4], is dropped
	// add_column (constant default, "now" default), drop_column, alter_column.
	sale.Fields = append(sale.Fields, schema.TextF("currency", 3).Def("GBP"))
	without(sale, "weight")
	setField(sale, schema.DecimalF("tax_rate", 6, 4).Def("0.2"))
	setField(channel, schema.TextF("colour", 7).Def("#cccccc"))
	campaign.Fields = append(campaign.Fields, schema.Updated())
	// Unique together dropped (the foreign key gets its own index back),
	// an index added.
	campaign.UniqueTogether = nil
	setField(campaign, schema.IntF("lookback_days").Nullable().Indexed())
	// Renames: a table and a column.
	agg.Name = "agg_channel_day"
	for i := range agg.Fields {
		if agg.Fields[i].Name == "visits" {
			agg.Fields[i].Name = "sessions"
		}
	}
	agg.UniqueTogether = [][]string{{"day", "channel_id"}}
	return []*schema.Model{sale, channel, campaign, agg}, []Rename{
		{Table: "agg_channel_day_with_a_rather_long_table_name", To: "agg_channel_day"},
		{Table: "agg_channel_day", Column: "visits", To: "sessions"},
	}
}

// TestGolden writes the migrations makemigrations would write for the
// representative models and then for their edited version, and compares
// every file with testdata/golden.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	step := func(models []*schema.Model, renames []Rename, name string) {
		t.Helper()
		plan, err := MakePlan(os.DirFS(dir), "client", declare(models...), renames, name)
		if err != nil {
			t.Fatal(err)
		}
		if plan.File == nil {
			t.Fatal("no migration planned")
		}
		if _, err := plan.Write(dir, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
	}
	step(representative(), nil, "")
	ms, renames := changed()
	step(ms, renames, "")

	golden := filepath.Join("testdata", "golden")
	if *update {
		if err := os.RemoveAll(golden); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(golden, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
	}
	got := readTree(t, dir)
	want := readTree(t, golden)
	for name, body := range got {
		w, ok := want[name]
		switch {
		case !ok:
			t.Errorf("%s: not in %s (run go test -update)", name, golden)
		case !bytes.Equal(body, w):
			t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n--- got\n%s\n--- want\n%s", name, body, w)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: golden file no longer generated", name)
		}
	}
	for _, name := range []string{"client/0001_initial.json", "client/sqlite/0001_initial.sql", "client/postgres/0001_initial.sql",
		"client/0002_auto.json", "client/sqlite/0002_auto.sql", "client/postgres/0002_auto.sql"} {
		if _, ok := got[name]; !ok {
			t.Errorf("expected %s to be written", name)
		}
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(filepath.Join(root, p))
		out[p] = raw
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
