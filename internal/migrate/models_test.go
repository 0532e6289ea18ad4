package migrate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/schema"
)

// Model fixtures. Each call returns fresh values: registering a model
// completes it in place.

func channelModel() *schema.Model {
	return &schema.Model{Name: "channel", SoftDelete: schema.Deactivate, Fields: []schema.Field{
		schema.TextF("name", 64).Uniq(),
		schema.TextF("colour", 7).Nullable(),
		schema.BoolF("is_paid", false),
		schema.IntF("sort").DefInt(0),
		schema.Created(), schema.Updated(),
	}}
}

func patternModel() *schema.Model {
	return &schema.Model{Name: "pattern", Fields: []schema.Field{
		schema.FK("channel_id", "channel", "CASCADE"),
		schema.TextF("pattern", 255),
		schema.TextF("match_on", 16).Def("referrer").OneOf("referrer", "utm_source"),
		schema.IntF("priority").DefInt(100),
	}}
}

// with returns m after fn changed it.
func with(m *schema.Model, fn func(m *schema.Model)) *schema.Model {
	fn(m)
	return m
}

// without drops the named fields from m.
func without(m *schema.Model, names ...string) *schema.Model {
	var keep []schema.Field
	for _, f := range m.Fields {
		drop := false
		for _, n := range names {
			drop = drop || f.Name == n
		}
		if !drop {
			keep = append(keep, f)
		}
	}
	m.Fields = keep
	return m
}

// setField replaces the named field of m.
func setField(m *schema.Model, f schema.Field) *schema.Model {
	for i := range m.Fields {
		if m.Fields[i].Name == f.Name {
			m.Fields[i] = f
			return m
		}
	}
	panic("no field " + f.Name)
}

// declare registers models (as client models unless they say otherwise)
// and returns them completed, in declaration order.
func declare(ms ...*schema.Model) []*schema.Model {
	reg := schema.NewRegistry()
	for _, m := range ms {
		if m.DB == "" {
			m.DB = schema.Client
		}
		reg.Add(m)
	}
	return reg.Models(schema.Client)
}

// summary renders ops one line each, for readable comparisons.
func summary(ops []Op) []string {
	out := []string{}
	for _, op := range ops {
		switch op.Op {
		case OpCreateTable, OpDropTable:
			out = append(out, op.Op+" "+op.Table)
		case OpAddColumn, OpAlterColumn:
			out = append(out, op.Op+" "+op.Table+"."+op.Field.Name)
		case OpDropColumn:
			out = append(out, op.Op+" "+op.Table+"."+op.Column)
		case OpRenameTable:
			out = append(out, op.Op+" "+op.Table+" -> "+op.To)
		case OpRenameColumn:
			out = append(out, op.Op+" "+op.Table+"."+op.Column+" -> "+op.To)
		case OpAddIndex, OpDropIndex:
			s := op.Op + " " + op.Index.Name
			if op.Index.Unique {
				s += " unique"
			}
			out = append(out, s+" ("+strings.Join(op.Index.Columns, ", ")+")")
		default:
			out = append(out, fmt.Sprintf("%+v", op))
		}
	}
	return out
}

func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
