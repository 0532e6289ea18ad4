package clients

import (
	"github.com/cubedhq/cubed/internal/api/resource"
	s "github.com/cubedhq/cubed/internal/schema"
)

// controlResources declares the control resources. Reads are limited to
// the caller's accounts by the API (AccountColumn); writes need WriteRole.
func controlResources(models []*s.Model) []*resource.Resource {
	by := map[string]*s.Model{}
	for _, m := range models {
		by[m.Name] = m
	}
	account := &resource.Resource{
		Name: "account", Model: by["account"], AccountColumn: "id", WriteRole: "admin",
		Filtering: map[string]resource.Filter{
			"id": {Level: resource.All}, "token": {Lookups: []string{"exact", "in"}}, "name": {Level: resource.All},
			"country": {Level: resource.All}, "active": {Level: resource.All}, "created": {Level: resource.All},
		},
		Ordering:      []string{"id", "token", "name", "created"},
		ReadOnly:      []string{"name", "country", "active"},
		ListMethods:   []string{"GET"},
		DetailMethods: []string{"GET", "PATCH"},
	}
	user := &resource.Resource{
		Name: "user", Model: by["user"], WriteRole: "staff",
		Filtering: map[string]resource.Filter{
			"id": {Level: resource.All}, "email": {Level: resource.All}, "is_staff": {Level: resource.All}, "active": {Level: resource.All},
		},
		Ordering:      []string{"id", "email", "created", "last_login"},
		ReadOnly:      []string{"email"},
		ListMethods:   []string{"GET"},
		DetailMethods: []string{"GET", "PATCH"},
	}
	membership := &resource.Resource{
		Name: "membership", Model: by["account_user"], AccountColumn: "account_id", WriteRole: "admin",
		Filtering: map[string]resource.Filter{
			"account": {Level: resource.AllWithRelations}, "user": {Level: resource.AllWithRelations}, "role": {Level: resource.All},
		},
		Ordering:      []string{"id", "account", "user", "role"},
		Related:       map[string]resource.Related{"account": {Resource: "account"}, "user": {Resource: "user"}},
		ListMethods:   []string{"GET", "POST"},
		DetailMethods: []string{"GET", "PATCH", "DELETE"},
	}
	apiKey := &resource.Resource{
		Name: "api-key", Model: by["api_key"],
		Filtering:     map[string]resource.Filter{"user": {Level: resource.All}, "prefix": {Level: resource.All}},
		Ordering:      []string{"id", "created", "last_used"},
		Related:       map[string]resource.Related{"user": {Resource: "user"}},
		ListMethods:   []string{"GET"},
		DetailMethods: []string{"GET", "DELETE"},
		WriteRole:     "viewer",
	}
	// connection: integration connections (OAuth2 grants to ad platforms).
	// Tokens are Secret fields: never listed, never written here; the
	// connect flow (internal/api/integrations.go) creates connections and
	// DELETE disconnects (soft delete).
	connection := &resource.Resource{
		Name: "connection", Model: by["integration_connection"], AccountColumn: "account_id", WriteRole: "admin",
		Filtering: map[string]resource.Filter{
			"account": {Level: resource.AllWithRelations}, "provider": {Level: resource.All}, "status": {Level: resource.All},
			"external_account_id": {Level: resource.All}, "active": {Level: resource.All}, "deleted": {Level: resource.All},
			"created": {Level: resource.All},
		},
		Ordering:      []string{"id", "account", "provider", "status", "created", "updated"},
		Related:       map[string]resource.Related{"account": {Resource: "account"}, "created_by": {Resource: "user"}},
		ListMethods:   []string{"GET"},
		DetailMethods: []string{"GET", "DELETE"},
	}
	return []*resource.Resource{account, user, membership, apiKey, connection}
}
