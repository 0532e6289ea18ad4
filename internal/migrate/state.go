// Package migrate turns model declarations into numbered migration files
// (makemigrations) and applies those files to the control database and to
// every client database (migrate, migrate_client).
//
// A migration set (control or client) is a directory of dialect-neutral
// operation files, NNNN_name.json, which are the record of the schema state,
// plus the SQL generated from them for each dialect, sqlite/NNNN_name.sql and
// postgres/NNNN_name.sql, which is what gets applied.
package migrate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cubedhq/cubed/internal/schema"
)

// Table is the recorded state of one table.
type Table struct {
	Name    string         `json:"name"`
	Fields  []schema.Field `json:"fields"`
	Indexes []schema.Index `json:"indexes,omitempty"`
}

// Field returns a column by name.
func (t *Table) Field(name string) (schema.Field, int) {
	for i, f := range t.Fields {
		if f.Name == name {
			return f, i
		}
	}
	return schema.Field{}, -1
}

// State is the schema of one database as the migrations describe it.
type State struct {
	Tables map[string]*Table
}

// NewState returns an empty state.
func NewState() *State { return &State{Tables: map[string]*Table{}} }

// TableFromModel normalises a declaration into table state.
func TableFromModel(m *schema.Model) *Table {
	t := &Table{Name: m.Name}
	for _, f := range m.Fields {
		t.Fields = append(t.Fields, stateField(f))
	}
	t.Indexes = m.AllIndexes()
	return t
}

// stateField keeps only what the database stores.
func stateField(f schema.Field) schema.Field {
	return schema.Field{
		Name: f.Name, Type: f.Type, MaxLength: f.MaxLength, Precision: f.Precision, Scale: f.Scale,
		Null: f.Null, Default: f.Default, HasDefault: f.HasDefault, References: f.References,
		OnDelete: f.OnDelete, PrimaryKey: f.PrimaryKey,
	}
}

// StateFromModels builds the state the declarations ask for.
func StateFromModels(models []*schema.Model) *State {
	s := NewState()
	for _, m := range models {
		s.Tables[m.Name] = TableFromModel(m)
	}
	return s
}

func cloneTable(t *Table) *Table {
	c := &Table{Name: t.Name}
	c.Fields = append([]schema.Field(nil), t.Fields...)
	for _, ix := range t.Indexes {
		ix.Columns = append([]string(nil), ix.Columns...)
		c.Indexes = append(c.Indexes, ix)
	}
	return c
}

// Apply plays one operation onto the state.
func (s *State) Apply(op Op) error {
	switch op.Op {
	case OpCreateTable:
		if _, ok := s.Tables[op.Table]; ok {
			return fmt.Errorf("create_table %s: exists", op.Table)
		}
		t := &Table{Name: op.Table, Fields: append([]schema.Field(nil), op.Fields...)}
		s.Tables[op.Table] = t
	case OpDropTable:
		if _, ok := s.Tables[op.Table]; !ok {
			return fmt.Errorf("drop_table %s: no such table", op.Table)
		}
		delete(s.Tables, op.Table)
	case OpRenameTable:
		t, ok := s.Tables[op.Table]
		if !ok {
			return fmt.Errorf("rename_table %s: no such table", op.Table)
		}
		if _, ok := s.Tables[op.To]; ok {
			return fmt.Errorf("rename_table %s: %s exists", op.Table, op.To)
		}
		delete(s.Tables, op.Table)
		t.Name = op.To
		s.Tables[op.To] = t
		for _, o := range s.Tables {
			for i := range o.Fields {
				if o.Fields[i].References == op.Table {
					o.Fields[i].References = op.To
				}
			}
		}
	case OpAddColumn, OpAlterColumn, OpDropColumn, OpRenameColumn, OpAddIndex, OpDropIndex:
		t, ok := s.Tables[op.Table]
		if !ok {
			return fmt.Errorf("%s on %s: no such table", op.Op, op.Table)
		}
		return applyToTable(t, op)
	default:
		return fmt.Errorf("unknown operation %q", op.Op)
	}
	return nil
}

func applyToTable(t *Table, op Op) error {
	switch op.Op {
	case OpAddColumn:
		if _, i := t.Field(op.Field.Name); i >= 0 {
			return fmt.Errorf("add_column %s.%s: exists", t.Name, op.Field.Name)
		}
		t.Fields = append(t.Fields, *op.Field)
	case OpAlterColumn:
		_, i := t.Field(op.Field.Name)
		if i < 0 {
			return fmt.Errorf("alter_column %s.%s: no such column", t.Name, op.Field.Name)
		}
		t.Fields[i] = *op.Field
	case OpDropColumn:
		_, i := t.Field(op.Column)
		if i < 0 {
			return fmt.Errorf("drop_column %s.%s: no such column", t.Name, op.Column)
		}
		t.Fields = append(t.Fields[:i], t.Fields[i+1:]...)
	case OpRenameColumn:
		_, i := t.Field(op.Column)
		if i < 0 {
			return fmt.Errorf("rename_column %s.%s: no such column", t.Name, op.Column)
		}
		if _, j := t.Field(op.To); j >= 0 {
			return fmt.Errorf("rename_column %s.%s: %s exists", t.Name, op.Column, op.To)
		}
		t.Fields[i].Name = op.To
		for k := range t.Indexes {
			for c := range t.Indexes[k].Columns {
				if t.Indexes[k].Columns[c] == op.Column {
					t.Indexes[k].Columns[c] = op.To
				}
			}
		}
	case OpAddIndex:
		for _, ix := range t.Indexes {
			if ix.Name == op.Index.Name {
				return fmt.Errorf("add_index %s: exists", op.Index.Name)
			}
		}
		t.Indexes = append(t.Indexes, *op.Index)
		sort.Slice(t.Indexes, func(i, j int) bool { return t.Indexes[i].Name < t.Indexes[j].Name })
	case OpDropIndex:
		for i, ix := range t.Indexes {
			if ix.Name == op.Index.Name {
				t.Indexes = append(t.Indexes[:i], t.Indexes[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("drop_index %s: no such index", op.Index.Name)
	}
	return nil
}

// Describe summarises a state for messages.
func (s *State) Describe() string {
	names := make([]string, 0, len(s.Tables))
	for n := range s.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
