package schema

import (
	"reflect"
	"strings"
	"testing"
)

func TestAddCompletesModels(t *testing.T) {
	r := NewRegistry()
	r.Add(
		&Model{Name: "channel", DB: Client, SoftDelete: Deactivate, Fields: []Field{TextF("name", 64), Updated()}},
		&Model{Name: "rule", DB: Client, SoftDelete: Deleted, Fields: []Field{FK("channel_id", "channel", "")}},
		&Model{Name: "link", DB: Client, NoID: true, Fields: []Field{IntF("a"), IntF("b")}},
		&Model{Name: "account", DB: Control, Fields: []Field{TextF("token", 64)}},
	)
	names := func(m *Model) []string {
		var out []string
		for _, f := range m.Fields {
			out = append(out, f.Name)
		}
		return out
	}
	cases := []struct {
		db     Database
		table  string
		fields []string
	}{
		{Client, "channel", []string{"id", "name", "updated", "active"}},
		{Client, "rule", []string{"id", "channel_id", "deleted", "active"}},
		{Client, "link", []string{"a", "b"}},
		{Control, "account", []string{"id", "token"}},
	}
	for _, c := range cases {
		m, ok := r.Get(c.db, c.table)
		if !ok {
			t.Fatalf("%s.%s not registered", c.db, c.table)
		}
		if got := names(m); !reflect.DeepEqual(got, c.fields) {
			t.Errorf("%s fields %v, want %v", c.table, got, c.fields)
		}
	}
	ch, _ := r.Get(Client, "channel")
	if id := ch.Fields[0]; !id.PrimaryKey || id.Type != BigInt || !id.ReadOnly {
		t.Errorf("id %+v", id)
	}
	if u, _ := ch.Field("updated"); !u.ReadOnly || u.Default != "now" {
		t.Errorf("auto-now field %+v must be read-only with default now", u)
	}
	if ch.VerboseName != "channel" {
		t.Errorf("verbose name %q", ch.VerboseName)
	}
	rule, _ := r.Get(Client, "rule")
	if f, _ := rule.Field("channel_id"); f.OnDelete != "RESTRICT" || f.Verbose != "channel id" {
		t.Errorf("foreign key %+v: default on delete is RESTRICT", f)
	}
	if got := len(r.Models(Client)); got != 3 {
		t.Errorf("%d client models", got)
	}
	if _, ok := r.Get(Client, "account"); ok {
		t.Error("a control model found among client models")
	}
}

func TestAddRejectsBadDeclarations(t *testing.T) {
	cases := []struct {
		name string
		m    *Model
		want string
	}{
		{"table name", &Model{Name: "Channel", DB: Client}, "invalid table name"},
		{"database", &Model{Name: "x", DB: "other"}, "database must be"},
		{"field name", &Model{Name: "x", DB: Client, Fields: []Field{TextF("Bad-Name", 1)}}, "invalid field name"},
		{"duplicate field", &Model{Name: "x", DB: Client, Fields: []Field{TextF("a", 1), IntF("a")}}, "declared twice"},
		{"unknown type", &Model{Name: "x", DB: Client, Fields: []Field{{Name: "a", Type: "money"}}}, "unknown type"},
		{"decimal scale", &Model{Name: "x", DB: Client, Fields: []Field{DecimalF("a", 2, 3)}}, "decimal"},
		{"foreign key target", &Model{Name: "x", DB: Client, Fields: []Field{{Name: "a", Type: ForeignKey}}}, "without References"},
		{"on delete", &Model{Name: "x", DB: Client, Fields: []Field{FK("a", "y", "CASCADE; DROP")}}, "on delete"},
		{"int default", &Model{Name: "x", DB: Client, Fields: []Field{IntF("a").Def("ten")}}, "not an integer"},
		{"bool default", &Model{Name: "x", DB: Client, Fields: []Field{{Name: "a", Type: Bool, HasDefault: true, Default: "yes"}}}, "true or false"},
		{"time default", &Model{Name: "x", DB: Client, Fields: []Field{DateTimeF("a").Def("yesterday")}}, "only now"},
		{"unique together", &Model{Name: "x", DB: Client, Fields: []Field{IntF("a")}, UniqueTogether: [][]string{{"a", "b"}}}, "unknown field b"},
		{"index column", &Model{Name: "x", DB: Client, Indexes: []Index{{Name: "i", Columns: []string{"b"}}}}, "unknown field b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				p := recover()
				msg, _ := p.(string)
				if !strings.Contains(msg, c.want) || !strings.Contains(msg, "schema: model") {
					t.Fatalf("panic %v, want one containing %q", p, c.want)
				}
			}()
			NewRegistry().Add(c.m)
		})
	}
	t.Run("declared twice", func(t *testing.T) {
		defer func() {
			if p := recover(); p == nil || !strings.Contains(p.(string), "declared twice") {
				t.Fatalf("panic %v", p)
			}
		}()
		NewRegistry().Add(&Model{Name: "x", DB: Client}, &Model{Name: "x", DB: Client})
	})
}

func TestIndexName(t *testing.T) {
	long := strings.Repeat("t", 40)
	cases := []struct {
		table  string
		cols   []string
		unique bool
		want   string
	}{
		{"pattern", []string{"channel_id"}, false, "pattern_channel_id_idx"},
		{"pattern", []string{"channel_id", "pattern"}, true, "pattern_channel_id_pattern_uniq"},
	}
	for _, c := range cases {
		if got := IndexName(c.table, c.cols, c.unique); got != c.want {
			t.Errorf("IndexName(%s, %v) = %q, want %q", c.table, c.cols, got, c.want)
		}
	}
	a := IndexName(long, []string{"first_column", "second_column"}, true)
	b := IndexName(long, []string{"first_column", "second_columm"}, true)
	if len(a) > 63 || len(b) > 63 || a == b || !strings.HasSuffix(a, "_uniq") || a != IndexName(long, []string{"first_column", "second_column"}, true) {
		t.Fatalf("long names %q, %q: want at most 63 bytes, distinct, stable", a, b)
	}
}

func TestAllIndexes(t *testing.T) {
	r := NewRegistry()
	m := &Model{Name: "sale", DB: Client, Fields: []Field{
		FK("channel_id", "channel", "CASCADE"),
		FK("campaign_id", "campaign", "CASCADE"),
		FK("owner_id", "user", "CASCADE").Indexed(),
		TextF("order_id", 64).Uniq(),
		DateF("day").Indexed(),
	},
		UniqueTogether: [][]string{{"campaign_id", "day"}},
		Indexes:        []Index{{Name: "sale_by_day", Columns: []string{"day", "channel_id"}}},
	}
	r.Add(m)
	var got []string
	for _, ix := range m.AllIndexes() {
		s := ix.Name + "(" + strings.Join(ix.Columns, ",") + ")"
		if ix.Unique {
			s += " unique"
		}
		got = append(got, s)
	}
	want := []string{
		"sale_by_day(day,channel_id)",
		"sale_campaign_id_day_uniq(campaign_id,day) unique", // covers campaign_id: no extra index
		"sale_channel_id_idx(channel_id)",                   // not leading sale_by_day
		"sale_day_idx(day)",
		"sale_order_id_uniq(order_id) unique",
		"sale_owner_id_idx(owner_id)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("indexes\n got %v\nwant %v", got, want)
	}
	if u := m.UniqueFieldsByIndex(); !reflect.DeepEqual(u, map[string][]string{"sale_campaign_id_day_uniq": {"campaign_id", "day"}, "sale_order_id_uniq": {"order_id"}}) {
		t.Fatalf("UniqueFieldsByIndex = %v", u)
	}
}
