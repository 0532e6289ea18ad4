// Package registry is the value every app fills in at start-up: its models,
// and what must happen when an account is created. It is built by package
// app and passed down; nothing here is global.
package registry

import (
	"context"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/report"
	"github.com/cubedhq/cubed/internal/schema"
)

// NewAccount describes an account being created, for seeders.
type NewAccount struct {
	Token, Name, Country, Domain, TimeZone, Currency string
}

// Seeder loads an app's default rows into a new client database.
type Seeder struct {
	Name string
	Seed func(ctx context.Context, tx *db.Tx, a NewAccount) error
}

// Registry collects what apps declare.
type Registry struct {
	Models    *schema.Registry
	Seeders   []Seeder
	Resources []*resource.Resource
	// Commands holds the apps' data commands (r.Commands.Add(cmd)).
	Commands *command.Registry
	// Reports are the report resource declarations (spec/api.md §10).
	Reports []*report.Report
}

// AddReports registers report resources.
func (r *Registry) AddReports(rs ...*report.Report) { r.Reports = append(r.Reports, rs...) }

// AddResources registers API model resources.
func (r *Registry) AddResources(rs ...*resource.Resource) { r.Resources = append(r.Resources, rs...) }

// New returns an empty registry.
func New() *Registry { return &Registry{Models: schema.NewRegistry(), Commands: command.NewRegistry()} }

// AddSeeder registers a seeder.
func (r *Registry) AddSeeder(s Seeder) { r.Seeders = append(r.Seeders, s) }
