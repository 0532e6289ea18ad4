// Package resource is the Tastypie-compatible model resource engine: a
// resource is a declaration over a schema.Model (filtering, ordering,
// methods, related fields, soft-delete behaviour, scoping) and the engine
// serves list, detail, set, schema and every write from it, on both SQL
// dialects, with identifiers only from declarations and values only as bound
// parameters.
package resource

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cubedhq/cubed/internal/schema"
)

// Filtering levels, as Tastypie's ALL and ALL_WITH_RELATIONS.
const (
	All              = 1
	AllWithRelations = 2
)

// Filter says how a field may be filtered: a level (All,
// AllWithRelations) or an explicit list of lookups.
type Filter struct {
	Level   int
	Lookups []string
}

// Lookups lists every lookup the engine knows, in Django's names.
var Lookups = []string{"exact", "iexact", "contains", "icontains", "in", "gt", "gte", "lt", "lte",
	"startswith", "istartswith", "endswith", "iendswith", "range", "isnull", "regex", "iregex",
	"year", "month", "day", "week_day", "date"}

// Related declares a to-one related field.
type Related struct {
	Resource string // related resource name
	Full     bool   // nest the related object instead of its URI
}

// Resource is one model resource declaration.
type Resource struct {
	Name  string
	Model *schema.Model
	// Filtering maps API field names to their filter rules.
	Filtering map[string]Filter
	// Ordering lists API field names allowed in order_by.
	Ordering []string
	// DefaultOrder applies without order_by ("-field" for descending).
	DefaultOrder []string
	// ListMethods and DetailMethods allowed (upper case).
	ListMethods, DetailMethods []string
	// ReadOnly lists API fields never written through the API (beyond the
	// model's read-only fields).
	ReadOnly []string
	// Exclude lists API fields never exposed.
	Exclude []string
	// Related maps to-one API field names (foreign keys) to resources.
	Related map[string]Related
	// DefaultLimit and MaxLimit bound pages (defaults 20 and 1000).
	DefaultLimit, MaxLimit int
	// Validate checks a complete object before it is written and returns
	// field errors keyed by API field name.
	Validate func(obj map[string]any) map[string][]string
	// AccountColumn, on control resources, is the column holding the
	// account id the row belongs to ("id" for account itself); reads are
	// limited to the caller's accounts and writes need WriteRole there.
	AccountColumn string
	// WriteRole is the least role that may write (viewer, editor, admin);
	// "staff" means staff only.
	WriteRole string

	fields []*Field
	byName map[string]*Field
}

// Field is one API field of a resource.
type Field struct {
	Name     string // API name
	Column   string // database column
	Model    schema.Field
	Related  *Related
	ReadOnly bool
}

// APIName maps a column to its API name: foreign keys drop "_id".
func APIName(f schema.Field) string {
	if f.Type == schema.ForeignKey && strings.HasSuffix(f.Name, "_id") {
		return strings.TrimSuffix(f.Name, "_id")
	}
	return f.Name
}

// IsClient tells whether the resource reads a client database.
func (r *Resource) IsClient() bool { return r.Model.DB == schema.Client }

// Fields returns the API fields in declaration order.
func (r *Resource) Fields() []*Field { return r.fields }

// Field returns an API field by name.
func (r *Resource) Field(name string) (*Field, bool) {
	f, ok := r.byName[name]
	return f, ok
}

// PK is the primary key field.
func (r *Resource) PK() *Field { return r.byName["id"] }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Registry holds every resource by name.
type Registry struct {
	byName map[string]*Resource
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]*Resource{}} }

// Add completes and validates resources; a broken declaration is an error
// that must stop start-up.
func (g *Registry) Add(rs ...*Resource) error {
	for _, r := range rs {
		if err := g.complete(r); err != nil {
			return fmt.Errorf("resource %s: %w", r.Name, err)
		}
		if _, dup := g.byName[r.Name]; dup {
			return fmt.Errorf("resource %s declared twice", r.Name)
		}
		g.byName[r.Name] = r
	}
	return nil
}

// Check verifies cross-resource references once every resource is added.
func (g *Registry) Check() error {
	for _, r := range g.byName {
		for name, rel := range r.Related {
			if _, ok := g.byName[rel.Resource]; !ok {
				return fmt.Errorf("resource %s: field %s relates to unknown resource %s", r.Name, name, rel.Resource)
			}
		}
	}
	return nil
}

// Get returns a resource by name.
func (g *Registry) Get(name string) (*Resource, bool) {
	r, ok := g.byName[name]
	return r, ok
}

// Names returns every resource name, sorted.
func (g *Registry) Names() []string {
	out := make([]string, 0, len(g.byName))
	for n := range g.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (g *Registry) complete(r *Resource) error {
	if r.Model == nil {
		return fmt.Errorf("no model")
	}
	if r.DefaultLimit == 0 {
		r.DefaultLimit = 20
	}
	if r.MaxLimit == 0 {
		r.MaxLimit = 1000
	}
	if r.ListMethods == nil {
		r.ListMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	}
	if r.DetailMethods == nil {
		r.DetailMethods = []string{"GET", "PUT", "PATCH", "DELETE"}
	}
	if r.WriteRole == "" {
		r.WriteRole = "editor"
	}
	r.byName = map[string]*Field{}
	r.fields = nil
	for _, mf := range r.Model.Fields {
		if mf.Hidden {
			continue
		}
		name := APIName(mf)
		if contains(r.Exclude, name) {
			continue
		}
		f := &Field{Name: name, Column: mf.Name, Model: mf, ReadOnly: mf.ReadOnly || mf.PrimaryKey || contains(r.ReadOnly, name)}
		if mf.Type == schema.ForeignKey {
			rel, ok := r.Related[name]
			if !ok {
				return fmt.Errorf("foreign key %s has no Related declaration", name)
			}
			f.Related = &rel
		}
		r.fields = append(r.fields, f)
		r.byName[name] = f
	}
	if _, ok := r.byName["id"]; !ok {
		return fmt.Errorf("model %s has no id", r.Model.Name)
	}
	for name, fl := range r.Filtering {
		f, ok := r.byName[name]
		if !ok {
			return fmt.Errorf("filtering names unknown field %s", name)
		}
		if fl.Level == AllWithRelations && f.Related == nil {
			return fmt.Errorf("filtering: %s is not a relation, ALL_WITH_RELATIONS needs one", name)
		}
		for _, l := range fl.Lookups {
			if !contains(Lookups, l) {
				return fmt.Errorf("filtering %s: unknown lookup %s", name, l)
			}
		}
	}
	for _, name := range append(append([]string{}, r.Ordering...), trimDesc(r.DefaultOrder)...) {
		if _, ok := r.byName[name]; !ok {
			return fmt.Errorf("ordering names unknown field %s", name)
		}
	}
	return nil
}

func trimDesc(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.TrimPrefix(s, "-")
	}
	return out
}

// AllFields returns a Filtering map with every field at level All, and
// relations at AllWithRelations: the common "everything filterable" case.
func AllFields(m *schema.Model) map[string]Filter {
	out := map[string]Filter{}
	for _, f := range m.Fields {
		if f.Hidden {
			continue
		}
		if f.Type == schema.ForeignKey {
			out[APIName(f)] = Filter{Level: AllWithRelations}
		} else {
			out[APIName(f)] = Filter{Level: All}
		}
	}
	return out
}

// AllOrdering lists every visible field of a model for ordering.
func AllOrdering(m *schema.Model) []string {
	var out []string
	for _, f := range m.Fields {
		if !f.Hidden {
			out = append(out, APIName(f))
		}
	}
	return out
}
