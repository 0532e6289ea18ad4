// Package schema declares Cubed's models: tables, fields, indexes and
// soft-delete kinds, for the control database and for client databases.
//
// Declarations are plain values; migrate diffs them against the state
// recorded by migration files, and the API builds resources and /schema/
// from them.
package schema

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Database says which database a model lives in.
type Database string

// The two kinds of database.
const (
	Control Database = "control"
	Client  Database = "client"
)

// Type is a field's storage type.
type Type string

// Field types.
const (
	Int        Type = "int"
	BigInt     Type = "bigint"
	Float      Type = "float"
	Decimal    Type = "decimal"
	Text       Type = "text"
	Bool       Type = "bool"
	Date       Type = "date"
	DateTime   Type = "datetime"
	JSON       Type = "json"
	ForeignKey Type = "fk"
)

// SoftDelete is a model's soft-delete kind, as the original's base classes.
type SoftDelete string

// Soft-delete kinds.
const (
	// Hard: DELETE removes the row.
	Hard SoftDelete = ""
	// Deactivate (DeactivateBase): DELETE sets active=false.
	Deactivate SoftDelete = "deactivate"
	// Deleted (DeletedBase): DELETE sets deleted=true, active=false.
	Deleted SoftDelete = "deleted"
)

// Field is one column.
type Field struct {
	Name      string `json:"name"`
	Type      Type   `json:"type"`
	MaxLength int    `json:"max_length,omitempty"` // text(n); 0 = unbounded
	Precision int    `json:"precision,omitempty"`  // decimal(p,s)
	Scale     int    `json:"scale,omitempty"`
	Null      bool   `json:"null,omitempty"`
	// Default is the canonical text of the default value ("30", "GBP",
	// "true", "now" for the current time); HasDefault says whether there is one.
	Default    string `json:"default,omitempty"`
	HasDefault bool   `json:"has_default,omitempty"`
	// References names the table of a foreign key; OnDelete is CASCADE,
	// SET NULL or RESTRICT (default).
	References string `json:"references,omitempty"`
	OnDelete   string `json:"on_delete,omitempty"`
	PrimaryKey bool   `json:"primary_key,omitempty"`

	// Declaration-only attributes (not part of migration state).
	Unique     bool     `json:"-"`
	Index      bool     `json:"-"`
	Help       string   `json:"-"`
	Verbose    string   `json:"-"`
	AutoNow    bool     `json:"-"` // set to now on every write (updated)
	AutoNowAdd bool     `json:"-"` // set to now on insert (created)
	Choices    []string `json:"-"`
	ReadOnly   bool     `json:"-"` // never written through the API
	Hidden     bool     `json:"-"` // never serialised by the API (secrets)
}

// Index is a (possibly unique) index over columns.
type Index struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Unique  bool     `json:"unique,omitempty"`
}

// Model is a table declaration.
type Model struct {
	Name        string
	DB          Database
	App         string
	VerboseName string
	Fields      []Field
	Indexes     []Index
	// UniqueTogether lists column sets that must be unique together.
	UniqueTogether [][]string
	SoftDelete     SoftDelete
	// NoID: the table has no surrogate id (aggregate and link tables keyed
	// by a unique index instead).
	NoID bool
}

// Field returns the named field.
func (m *Model) Field(name string) (Field, bool) {
	for _, f := range m.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

var identRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidIdent tells whether s is an acceptable table or column name.
func ValidIdent(s string) bool { return identRe.MatchString(s) }

// Registry holds every declared model, keyed by database and name.
type Registry struct {
	models []*Model
	byKey  map[string]*Model
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byKey: map[string]*Model{}} }

// Add declares models. It completes each (id, soft-delete columns) and
// panics on an invalid declaration: declarations are code, and a broken one
// must stop the program at start-up with a clear message.
func (r *Registry) Add(models ...*Model) {
	for _, m := range models {
		complete(m)
		if err := validate(m); err != nil {
			panic(fmt.Sprintf("schema: model %s: %v", m.Name, err))
		}
		k := string(m.DB) + "." + m.Name
		if _, dup := r.byKey[k]; dup {
			panic(fmt.Sprintf("schema: model %s declared twice", k))
		}
		r.byKey[k] = m
		r.models = append(r.models, m)
	}
}

// Get returns a model by database and table name.
func (r *Registry) Get(db Database, name string) (*Model, bool) {
	m, ok := r.byKey[string(db)+"."+name]
	return m, ok
}

// Models returns the models of a database in declaration order.
func (r *Registry) Models(db Database) []*Model {
	var out []*Model
	for _, m := range r.models {
		if m.DB == db {
			out = append(out, m)
		}
	}
	return out
}

func complete(m *Model) {
	if !m.NoID {
		if _, ok := m.Field("id"); !ok {
			m.Fields = append([]Field{{Name: "id", Type: BigInt, PrimaryKey: true, ReadOnly: true, Verbose: "ID"}}, m.Fields...)
		}
	}
	if m.SoftDelete == Deleted {
		if _, ok := m.Field("deleted"); !ok {
			m.Fields = append(m.Fields, Field{Name: "deleted", Type: Bool, HasDefault: true, Default: "false", Help: "Soft-deleted rows are hidden and answer 404."})
		}
	}
	if m.SoftDelete == Deactivate || m.SoftDelete == Deleted {
		if _, ok := m.Field("active"); !ok {
			m.Fields = append(m.Fields, Field{Name: "active", Type: Bool, HasDefault: true, Default: "true", Help: "Inactive rows are hidden from lists unless a filter names active."})
		}
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Verbose == "" {
			f.Verbose = strings.ReplaceAll(f.Name, "_", " ")
		}
		if f.Type == ForeignKey && f.OnDelete == "" {
			f.OnDelete = "RESTRICT"
		}
		if f.AutoNow || f.AutoNowAdd {
			f.ReadOnly = true
		}
	}
	if m.VerboseName == "" {
		m.VerboseName = strings.ReplaceAll(m.Name, "_", " ")
	}
}

func validate(m *Model) error {
	if !ValidIdent(m.Name) {
		return fmt.Errorf("invalid table name %q", m.Name)
	}
	if m.DB != Control && m.DB != Client {
		return fmt.Errorf("database must be control or client, not %q", m.DB)
	}
	seen := map[string]bool{}
	for _, f := range m.Fields {
		if !ValidIdent(f.Name) {
			return fmt.Errorf("invalid field name %q", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("field %s declared twice", f.Name)
		}
		seen[f.Name] = true
		switch f.Type {
		case Int, BigInt, Float, Text, Bool, Date, DateTime, JSON:
		case Decimal:
			if f.Precision <= 0 || f.Scale < 0 || f.Scale > f.Precision {
				return fmt.Errorf("field %s: decimal needs 0 <= scale <= precision, precision > 0", f.Name)
			}
		case ForeignKey:
			if f.References == "" {
				return fmt.Errorf("field %s: foreign key without References", f.Name)
			}
			switch f.OnDelete {
			case "CASCADE", "SET NULL", "RESTRICT":
			default:
				return fmt.Errorf("field %s: on delete %q", f.Name, f.OnDelete)
			}
		default:
			return fmt.Errorf("field %s: unknown type %q", f.Name, f.Type)
		}
		if f.HasDefault {
			if err := checkDefault(f); err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
	}
	for _, cols := range m.UniqueTogether {
		for _, c := range cols {
			if !seen[c] {
				return fmt.Errorf("unique together names unknown field %s", c)
			}
		}
	}
	for _, ix := range m.Indexes {
		for _, c := range ix.Columns {
			if !seen[c] {
				return fmt.Errorf("index %s names unknown field %s", ix.Name, c)
			}
		}
	}
	return nil
}

func checkDefault(f Field) error {
	v := f.Default
	switch f.Type {
	case Int, BigInt, ForeignKey:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("default %q is not an integer", v)
		}
	case Float, Decimal:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("default %q is not a number", v)
		}
	case Bool:
		if v != "true" && v != "false" {
			return fmt.Errorf("default %q is not true or false", v)
		}
	case DateTime, Date:
		if v != "now" {
			return fmt.Errorf("default %q: only now is supported", v)
		}
	}
	return nil
}

// IndexName builds a stable index name within PostgreSQL's 63-byte limit.
func IndexName(table string, cols []string, unique bool) string {
	suffix := "_idx"
	if unique {
		suffix = "_uniq"
	}
	n := table + "_" + strings.Join(cols, "_") + suffix
	if len(n) <= 63 {
		return n
	}
	h := sha1.Sum([]byte(n))
	return n[:63-len(suffix)-9] + "_" + hex.EncodeToString(h[:4]) + suffix
}

// AllIndexes returns the model's indexes, normalised: explicit indexes,
// unique-together sets, unique and indexed fields, and an index on every
// foreign key not already leading another index. Sorted by name.
func (m *Model) AllIndexes() []Index {
	var out []Index
	have := map[string]bool{}
	add := func(ix Index) {
		if ix.Name == "" {
			ix.Name = IndexName(m.Name, ix.Columns, ix.Unique)
		}
		if have[ix.Name] {
			return
		}
		have[ix.Name] = true
		out = append(out, ix)
	}
	for _, ix := range m.Indexes {
		add(ix)
	}
	for _, cols := range m.UniqueTogether {
		add(Index{Columns: cols, Unique: true})
	}
	for _, f := range m.Fields {
		if f.PrimaryKey {
			continue
		}
		if f.Unique {
			add(Index{Columns: []string{f.Name}, Unique: true})
		} else if f.Index {
			add(Index{Columns: []string{f.Name}})
		}
	}
	for _, f := range m.Fields {
		if f.Type != ForeignKey || f.Unique || f.Index {
			continue
		}
		covered := false
		for _, ix := range out {
			if ix.Columns[0] == f.Name {
				covered = true
				break
			}
		}
		if !covered {
			add(Index{Columns: []string{f.Name}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// UniqueFieldsByIndex maps unique index names to their columns, so a
// constraint violation can name the fields (409 conflict).
func (m *Model) UniqueFieldsByIndex() map[string][]string {
	out := map[string][]string{}
	for _, ix := range m.AllIndexes() {
		if ix.Unique {
			out[ix.Name] = ix.Columns
		}
	}
	return out
}
