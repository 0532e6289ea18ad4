package migrate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/schema"
)

// chain declares alpha <- beta <- gamma (each references the one before);
// names sort parent-first, so only a real dependency order drops them right.
func chain() []*schema.Model {
	return []*schema.Model{
		{Name: "alpha", Fields: []schema.Field{schema.TextF("a", 10)}},
		{Name: "beta", Fields: []schema.Field{schema.FK("alpha_id", "alpha", "CASCADE")}},
		{Name: "gamma", Fields: []schema.Field{schema.FK("beta_id", "beta", "RESTRICT")}},
	}
}

func TestDiff(t *testing.T) {
	base := func() []*schema.Model { return []*schema.Model{channelModel(), patternModel()} }
	cases := []struct {
		name    string
		old     []*schema.Model // nil: an empty database
		models  []*schema.Model
		renames []Rename
		want    []string
		wantErr string // the error must contain this
	}{
		{
			name:   "create tables in foreign-key order",
			models: []*schema.Model{patternModel(), channelModel()}, // child declared first
			want: []string{
				"create_table channel",
				"create_table pattern",
				"add_index channel_name_uniq unique (name)",
				"add_index pattern_channel_id_idx (channel_id)",
			},
		},
		{
			name: "create a chain declared leaf first",
			models: func() []*schema.Model {
				c := chain()
				return []*schema.Model{c[2], c[1], c[0]}
			}(),
			want: []string{
				"create_table alpha",
				"create_table beta",
				"create_table gamma",
				"add_index beta_alpha_id_idx (alpha_id)",
				"add_index gamma_beta_id_idx (beta_id)",
			},
		},
		{
			name:   "no changes",
			old:    base(),
			models: base(),
			want:   []string{},
		},
		{
			name:   "add nullable column",
			old:    base(),
			models: []*schema.Model{with(channelModel(), func(m *schema.Model) { m.Fields = append(m.Fields, schema.TextF("notes", 200).Nullable()) }), patternModel()},
			want:   []string{"add_column channel.notes"},
		},
		{
			name:   "add not-null column with a default",
			old:    base(),
			models: []*schema.Model{with(channelModel(), func(m *schema.Model) { m.Fields = append(m.Fields, schema.IntF("weight").DefInt(1)) }), patternModel()},
			want:   []string{"add_column channel.weight"},
		},
		{
			name:    "refuse a not-null column without default on an existing table",
			old:     base(),
			models:  []*schema.Model{with(channelModel(), func(m *schema.Model) { m.Fields = append(m.Fields, schema.TextF("code", 8)) }), patternModel()},
			wantErr: "channel.code is not nullable and has no default",
		},
		{
			name:   "a new table may have not-null columns without default",
			old:    base(),
			models: append(base(), &schema.Model{Name: "market", Fields: []schema.Field{schema.TextF("code", 8)}}),
			want:   []string{"create_table market"},
		},
		{
			name:   "alter null to not null with a default",
			old:    base(),
			models: []*schema.Model{setField(channelModel(), schema.TextF("colour", 7).Def("#cccccc")), patternModel()},
			want:   []string{"alter_column channel.colour"},
		},
		{
			name:    "refuse null to not null without a default",
			old:     base(),
			models:  []*schema.Model{setField(channelModel(), schema.TextF("colour", 7)), patternModel()},
			wantErr: "channel.colour becomes not nullable without a default",
		},
		{
			name:   "alter not null to null",
			old:    base(),
			models: []*schema.Model{channelModel(), setField(patternModel(), schema.TextF("pattern", 255).Nullable())},
			want:   []string{"alter_column pattern.pattern"},
		},
		{
			name:   "change a default",
			old:    base(),
			models: []*schema.Model{channelModel(), setField(patternModel(), schema.IntF("priority").DefInt(50))},
			want:   []string{"alter_column pattern.priority"},
		},
		{
			name:   "change a length",
			old:    base(),
			models: []*schema.Model{channelModel(), setField(patternModel(), schema.TextF("pattern", 500))},
			want:   []string{"alter_column pattern.pattern"},
		},
		{
			name:   "declaration-only attributes are not changes",
			old:    base(),
			models: []*schema.Model{channelModel(), setField(patternModel(), schema.TextF("pattern", 255).Doc("regular expression", "RE2").RO())},
			want:   []string{},
		},
		{
			name:    "refuse a primary key change",
			old:     []*schema.Model{{Name: "tag", NoID: true, Fields: []schema.Field{{Name: "code", Type: schema.Text, MaxLength: 8, PrimaryKey: true}}}},
			models:  []*schema.Model{{Name: "tag", NoID: true, Fields: []schema.Field{schema.TextF("code", 8)}}},
			wantErr: "primary key",
		},
		{
			name:   "drop column",
			old:    base(),
			models: []*schema.Model{without(channelModel(), "colour"), patternModel()},
			want:   []string{"drop_column channel.colour"},
		},
		{
			name:   "drop an indexed column drops its index first",
			old:    []*schema.Model{with(channelModel(), func(m *schema.Model) { m.Fields = append(m.Fields, schema.TextF("code", 8).Def("").Indexed()) }), patternModel()},
			models: base(),
			want:   []string{"drop_index channel_code_idx (code)", "drop_column channel.code"},
		},
		{
			name:   "add index",
			old:    base(),
			models: []*schema.Model{setField(channelModel(), schema.IntF("sort").DefInt(0).Indexed()), patternModel()},
			want:   []string{"add_index channel_sort_idx (sort)"},
		},
		{
			name:   "drop index",
			old:    []*schema.Model{setField(channelModel(), schema.IntF("sort").DefInt(0).Indexed()), patternModel()},
			models: base(),
			want:   []string{"drop_index channel_sort_idx (sort)"},
		},
		{
			name:   "index becomes unique",
			old:    []*schema.Model{setField(channelModel(), schema.IntF("sort").DefInt(0).Indexed()), patternModel()},
			models: []*schema.Model{setField(channelModel(), schema.IntF("sort").DefInt(0).Uniq()), patternModel()},
			want:   []string{"drop_index channel_sort_idx (sort)", "add_index channel_sort_uniq unique (sort)"},
		},
		{
			name:   "add unique together (which now covers the foreign key)",
			old:    base(),
			models: []*schema.Model{channelModel(), with(patternModel(), func(m *schema.Model) { m.UniqueTogether = [][]string{{"channel_id", "pattern"}} })},
			want:   []string{"drop_index pattern_channel_id_idx (channel_id)", "add_index pattern_channel_id_pattern_uniq unique (channel_id, pattern)"},
		},
		{
			name:   "drop unique together",
			old:    []*schema.Model{channelModel(), with(patternModel(), func(m *schema.Model) { m.UniqueTogether = [][]string{{"channel_id", "pattern"}} })},
			models: base(),
			want:   []string{"drop_index pattern_channel_id_pattern_uniq unique (channel_id, pattern)", "add_index pattern_channel_id_idx (channel_id)"},
		},
		{
			name: "explicit index name",
			old:  base(),
			models: []*schema.Model{channelModel(), with(patternModel(), func(m *schema.Model) {
				m.Indexes = []schema.Index{{Name: "pattern_by_priority", Columns: []string{"priority", "id"}}}
			})},
			want: []string{"add_index pattern_by_priority (priority, id)"},
		},
		{
			name:    "explicit rename table",
			old:     base(),
			models:  []*schema.Model{with(channelModel(), func(m *schema.Model) { m.Name = "medium" }), with(patternModel(), func(m *schema.Model) { m.Fields[0].References = "medium" })},
			renames: []Rename{{Table: "channel", To: "medium"}},
			want: []string{
				"rename_table channel -> medium",
				"drop_index channel_name_uniq unique (name)",
				"add_index medium_name_uniq unique (name)",
			},
		},
		{
			name:   "a rename is never guessed",
			old:    []*schema.Model{channelModel()},
			models: []*schema.Model{with(channelModel(), func(m *schema.Model) { m.Name = "medium" })},
			want:   []string{"create_table medium", "add_index medium_name_uniq unique (name)", "drop_table channel"},
		},
		{
			name:    "explicit rename column",
			old:     base(),
			models:  []*schema.Model{with(channelModel(), func(m *schema.Model) { m.Fields[0].Name = "title" }), patternModel()},
			renames: []Rename{{Table: "channel", Column: "name", To: "title"}},
			want: []string{
				"rename_column channel.name -> title",
				// The old index follows the column; only its name is stale.
				"drop_index channel_name_uniq unique (title)",
				"add_index channel_title_uniq unique (title)",
			},
		},
		{
			name:   "a column rename is never guessed",
			old:    base(),
			models: []*schema.Model{channelModel(), with(patternModel(), func(m *schema.Model) { m.Fields[1].Name = "regex" })},
			// A not-null column without default cannot appear on an existing table.
			wantErr: "pattern.regex is not nullable and has no default",
		},
		{
			name:    "rename of an unknown table",
			old:     base(),
			models:  base(),
			renames: []Rename{{Table: "nowhere", To: "somewhere"}},
			wantErr: "rename_table nowhere: no such table",
		},
		{
			name:    "rename onto an existing column",
			old:     base(),
			models:  base(),
			renames: []Rename{{Table: "channel", Column: "name", To: "colour"}},
			wantErr: "colour exists",
		},
		{
			name:   "drop tables children first",
			old:    append(chain(), &schema.Model{Name: "zeta", Fields: []schema.Field{schema.FK("gamma_id", "gamma", "CASCADE")}}),
			models: []*schema.Model{},
			want:   []string{"drop_table zeta", "drop_table gamma", "drop_table beta", "drop_table alpha"},
		},
		{
			name:   "drop a child, keep its parent",
			old:    base(),
			models: []*schema.Model{channelModel()},
			want:   []string{"drop_table pattern"},
		},
		{
			name: "several changes in one diff",
			old:  base(),
			models: []*schema.Model{
				setField(without(channelModel(), "sort"), schema.TextF("colour", 7).Def("#cccccc")),
				with(patternModel(), func(m *schema.Model) { m.Fields = append(m.Fields, schema.Created()) }),
				&schema.Model{Name: "campaign", Fields: []schema.Field{schema.FK("channel_id", "channel", "SET NULL").Nullable()}},
			},
			want: []string{
				"create_table campaign",
				"alter_column channel.colour",
				"drop_column channel.sort",
				"add_column pattern.created",
				"add_index campaign_channel_id_idx (channel_id)",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := NewState()
			if c.old != nil {
				old = StateFromModels(declare(c.old...))
			}
			before, _ := json.Marshal(old)
			ops, err := Diff(old, declare(c.models...), c.renames)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sameLines(t, summary(ops), c.want)
			if after, _ := json.Marshal(old); string(after) != string(before) {
				t.Fatalf("Diff changed its input state:\n%s\n%s", before, after)
			}
			// Playing the ops onto the old state gives exactly the declared state.
			got := NewState()
			for n, tb := range old.Tables {
				got.Tables[n] = cloneTable(tb)
			}
			for _, op := range ops {
				if err := got.Apply(op); err != nil {
					t.Fatalf("apply %s: %v", op.Op, err)
				}
			}
			wantState := StateFromModels(declare(c.models...))
			if again, err := Diff(got, declare(c.models...), nil); err != nil || len(again) != 0 {
				t.Fatalf("after applying, Diff still finds %v (%v)", summary(again), err)
			}
			if got.Describe() != wantState.Describe() {
				t.Fatalf("tables %s, want %s", got.Describe(), wantState.Describe())
			}
		})
	}
}

func TestStateApplyErrors(t *testing.T) {
	s := StateFromModels(declare(channelModel(), patternModel()))
	f := schema.TextF("x", 1)
	cases := []struct {
		op   Op
		want string
	}{
		{Op{Op: OpCreateTable, Table: "channel"}, "exists"},
		{Op{Op: OpDropTable, Table: "nope"}, "no such table"},
		{Op{Op: OpRenameTable, Table: "channel", To: "pattern"}, "pattern exists"},
		{Op{Op: OpAddColumn, Table: "channel", Field: &schema.Field{Name: "name", Type: schema.Text}}, "exists"},
		{Op{Op: OpAlterColumn, Table: "channel", Field: &f}, "no such column"},
		{Op{Op: OpDropColumn, Table: "channel", Column: "x"}, "no such column"},
		{Op{Op: OpRenameColumn, Table: "channel", Column: "x", To: "y"}, "no such column"},
		{Op{Op: OpAddIndex, Table: "channel", Index: &schema.Index{Name: "channel_name_uniq"}}, "exists"},
		{Op{Op: OpDropIndex, Table: "channel", Index: &schema.Index{Name: "nope"}}, "no such index"},
		{Op{Op: OpAddColumn, Table: "nope", Field: &f}, "no such table"},
		{Op{Op: "truncate", Table: "channel"}, "unknown operation"},
	}
	for _, c := range cases {
		t.Run(c.op.Op+"/"+c.want, func(t *testing.T) {
			err := s.Apply(c.op)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestRenameTableUpdatesReferences(t *testing.T) {
	s := StateFromModels(declare(channelModel(), patternModel()))
	if err := s.Apply(Op{Op: OpRenameTable, Table: "channel", To: "medium"}); err != nil {
		t.Fatal(err)
	}
	f, _ := s.Tables["pattern"].Field("channel_id")
	if f.References != "medium" {
		t.Fatalf("pattern.channel_id references %q after the rename", f.References)
	}
	if s.Tables["medium"].Name != "medium" {
		t.Fatalf("renamed table is called %q", s.Tables["medium"].Name)
	}
}
