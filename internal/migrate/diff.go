package migrate

import (
	"fmt"
	"reflect"
	"sort"

	"github.com/cubedhq/cubed/internal/schema"
)

// Rename is an explicit rename requested by the developer; makemigrations
// never guesses renames from a drop plus an add.
type Rename struct {
	Table  string // table to rename, or the table of the column
	Column string // empty for a table rename
	To     string
}

// Diff returns the operations that turn old into the state the models
// declare. Renames are applied first.
func Diff(old *State, models []*schema.Model, renames []Rename) ([]Op, error) {
	cur := NewState()
	for n, t := range old.Tables {
		cur.Tables[n] = cloneTable(t)
	}
	var ops []Op
	for _, r := range renames {
		op := Op{Op: OpRenameTable, Table: r.Table, To: r.To}
		if r.Column != "" {
			op = Op{Op: OpRenameColumn, Table: r.Table, Column: r.Column, To: r.To}
		}
		if err := cur.Apply(op); err != nil {
			return nil, fmt.Errorf("rename: %w", err)
		}
		ops = append(ops, op)
	}

	want := StateFromModels(models)
	order := createOrder(models)

	// Indexes that disappear or change are dropped before columns change.
	for _, name := range sortedNames(cur.Tables) {
		t := cur.Tables[name]
		w, ok := want.Tables[name]
		if !ok {
			continue // dropped with its table
		}
		for _, ix := range t.Indexes {
			if wi, found := findIndex(w.Indexes, ix.Name); !found || !reflect.DeepEqual(wi, ix) {
				ix := ix
				ops = append(ops, Op{Op: OpDropIndex, Table: name, Index: &ix})
			}
		}
	}
	// New tables, in an order that creates referenced tables first.
	for _, m := range order {
		if _, ok := cur.Tables[m.Name]; ok {
			continue
		}
		w := want.Tables[m.Name]
		ops = append(ops, Op{Op: OpCreateTable, Table: m.Name, Fields: w.Fields})
	}
	// Column changes on existing tables.
	for _, m := range order {
		t, ok := cur.Tables[m.Name]
		if !ok {
			continue
		}
		w := want.Tables[m.Name]
		for _, f := range w.Fields {
			have, i := t.Field(f.Name)
			f := f
			switch {
			case i < 0:
				if !f.Null && !f.HasDefault && !f.PrimaryKey {
					return nil, fmt.Errorf("new field %s.%s is not nullable and has no default: existing rows need a value, so give it a default or make it nullable", m.Name, f.Name)
				}
				ops = append(ops, Op{Op: OpAddColumn, Table: m.Name, Field: &f})
			case !reflect.DeepEqual(have, f):
				if have.PrimaryKey != f.PrimaryKey {
					return nil, fmt.Errorf("field %s.%s: changing the primary key is not supported", m.Name, f.Name)
				}
				if have.Null && !f.Null && !f.HasDefault {
					return nil, fmt.Errorf("field %s.%s becomes not nullable without a default: existing NULLs need a value, so give it a default", m.Name, f.Name)
				}
				ops = append(ops, Op{Op: OpAlterColumn, Table: m.Name, Field: &f})
			}
		}
		for _, f := range t.Fields {
			if _, i := w.Field(f.Name); i < 0 {
				ops = append(ops, Op{Op: OpDropColumn, Table: m.Name, Column: f.Name})
			}
		}
	}
	// Indexes that are new or changed.
	for _, m := range order {
		w := want.Tables[m.Name]
		t := cur.Tables[m.Name]
		for _, ix := range w.Indexes {
			if t != nil {
				if hi, found := findIndex(t.Indexes, ix.Name); found && reflect.DeepEqual(hi, ix) {
					continue
				}
			}
			ix := ix
			ops = append(ops, Op{Op: OpAddIndex, Table: m.Name, Index: &ix})
		}
	}
	// Tables that are no longer declared, children before parents.
	var gone []string
	for _, name := range sortedNames(cur.Tables) {
		if _, ok := want.Tables[name]; !ok {
			gone = append(gone, name)
		}
	}
	for _, name := range dropOrder(cur.Tables, gone) {
		ops = append(ops, Op{Op: OpDropTable, Table: name})
	}
	return ops, nil
}

// dropOrder orders tables so each comes before the tables it references
// (children first, as PostgreSQL requires); otherwise names keep their
// order. A pairwise sort cannot do this: in a chain a <- b <- c, a and c
// are unrelated yet c must still precede a.
func dropOrder(tables map[string]*Table, names []string) []string {
	left := append([]string(nil), names...)
	out := make([]string, 0, len(left))
	for len(left) > 0 {
		pick := 0 // a reference cycle: nothing orders it
		for i, n := range left {
			referenced := false
			for _, o := range left {
				if o != n && references(tables[o], n) {
					referenced = true
					break
				}
			}
			if !referenced {
				pick = i
				break
			}
		}
		out = append(out, left[pick])
		left = append(left[:pick], left[pick+1:]...)
	}
	return out
}

func references(t *Table, other string) bool {
	for _, f := range t.Fields {
		if f.References == other {
			return true
		}
	}
	return false
}

func findIndex(list []schema.Index, name string) (schema.Index, bool) {
	for _, ix := range list {
		if ix.Name == name {
			return ix, true
		}
	}
	return schema.Index{}, false
}

func sortedNames(m map[string]*Table) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// createOrder orders models so a table comes after the tables it
// references, otherwise keeping declaration order.
func createOrder(models []*schema.Model) []*schema.Model {
	byName := map[string]*schema.Model{}
	for _, m := range models {
		byName[m.Name] = m
	}
	done := map[string]bool{}
	visiting := map[string]bool{}
	var out []*schema.Model
	var visit func(m *schema.Model)
	visit = func(m *schema.Model) {
		if done[m.Name] || visiting[m.Name] {
			return
		}
		visiting[m.Name] = true
		for _, f := range m.Fields {
			if f.Type == schema.ForeignKey && f.References != m.Name {
				if p, ok := byName[f.References]; ok {
					visit(p)
				}
			}
		}
		visiting[m.Name] = false
		done[m.Name] = true
		out = append(out, m)
	}
	for _, m := range models {
		visit(m)
	}
	return out
}
