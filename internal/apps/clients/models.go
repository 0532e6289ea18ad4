// Package clients is the original's clients app: the control database's
// accounts, users, memberships, API keys, sessions and integration
// connections.
package clients

import (
	"github.com/cubedhq/cubed/internal/registry"
	s "github.com/cubedhq/cubed/internal/schema"
)

// Roles a user may hold on an account.
var Roles = []string{"viewer", "editor", "admin"}

// Models returns the control tables of spec/domain.md §2.
func Models() []*s.Model {
	account := &s.Model{
		Name: "account", DB: s.Control, App: "clients", SoftDelete: s.Deactivate,
		Fields: []s.Field{
			s.TextF("token", 64).Uniq().RO().Doc("token", "Account token, c-a-<name>-<cc>; used by the tag and the API."),
			s.TextF("name", 32).Doc("name", "Short lowercase name, part of the token."),
			s.TextF("country", 2).Doc("country", "Two-letter country code (lower case)."),
			s.TextF("domain", 253).Def("").Doc("domain", "The site's domain; referrals from it are self-referrals."),
			s.TextF("db_name", 63).Uniq().RO().Doc("database name", "cubed_a_<name>_<cc>"),
			s.TextF("db_dsn", 1000).Nullable().Secret().Doc("database DSN", "PostgreSQL DSN of the client database; null = SQLite file."),
			s.TextF("timezone", 64).Def("Europe/London").Doc("time zone", "IANA time zone for report dates and periods."),
			s.TextF("currency", 3).Def("GBP").Doc("currency", "ISO 4217 currency of money values."),
			s.IntF("lookback_days").DefInt(30).Doc("lookback days", "Attribution lookback window."),
			s.IntF("session_timeout_minutes").DefInt(30).Doc("session timeout (minutes)", "Inactivity gap that starts a new visit."),
			s.Created(), s.Updated(),
		},
	}
	user := &s.Model{
		Name: "user", DB: s.Control, App: "clients",
		Fields: []s.Field{
			s.TextF("email", 254).Uniq().Doc("email", "Login email, stored lower-cased."),
			s.TextF("name", 128).Def(""),
			s.TextF("password_hash", 255).Def("").Secret(),
			s.BoolF("is_staff", false).Doc("staff", "Staff see and manage every account."),
			s.BoolF("active", true),
			s.Created(),
			s.DateTimeF("last_login").Nullable().RO(),
		},
	}
	membership := &s.Model{
		Name: "account_user", DB: s.Control, App: "clients", VerboseName: "membership",
		Fields: []s.Field{
			s.FK("account_id", "account", "CASCADE"),
			s.FK("user_id", "user", "CASCADE"),
			s.TextF("role", 16).Def("viewer").OneOf(Roles...).Doc("role", "viewer, editor or admin."),
		},
		UniqueTogether: [][]string{{"account_id", "user_id"}},
	}
	apiKey := &s.Model{
		Name: "api_key", DB: s.Control, App: "clients", VerboseName: "API key",
		Fields: []s.Field{
			s.FK("user_id", "user", "CASCADE"),
			s.TextF("prefix", 8).RO().Doc("prefix", "First 8 characters of the key, to recognise it."),
			s.TextF("key_hash", 64).Uniq().Secret(),
			s.Created(),
			s.DateTimeF("last_used").Nullable().RO(),
		},
	}
	session := &s.Model{
		Name: "session", DB: s.Control, App: "clients", NoID: true,
		Fields: []s.Field{
			{Name: "id", Type: s.Text, MaxLength: 64, PrimaryKey: true, Help: "SHA-256 of the cookie value."},
			s.FK("user_id", "user", "CASCADE"),
			s.TextF("csrf_token", 64).Secret(),
			s.Created(),
			s.DateTimeF("expires").Indexed(),
			s.TextF("ip", 45).Def(""),
			s.TextF("user_agent", 512).Def(""),
		},
	}
	conn := &s.Model{
		Name: "integration_connection", DB: s.Control, App: "clients", VerboseName: "connection", SoftDelete: s.Deleted,
		Fields: []s.Field{
			s.FK("account_id", "account", "CASCADE"),
			s.TextF("provider", 32).OneOf("google", "microsoft_ads", "meta_ads"),
			s.TextF("external_account_id", 128).Def(""),
			s.TextF("name", 255).Def(""),
			s.TextF("scope", 1000).Def(""),
			s.TextF("access_token_enc", 0).Nullable().Secret(),
			s.TextF("refresh_token_enc", 0).Nullable().Secret(),
			s.DateTimeF("expires_at").Nullable(),
			s.TextF("status", 16).Def("active").OneOf("active", "broken", "disconnected"),
			s.TextF("status_detail", 500).Def("").RO().Doc("status detail", "Why the connection is broken (e.g. the grant was revoked); empty while active."),
			s.TextF("external_parent_id", 128).Def("").RO().Doc("external parent id", "Microsoft Advertising: the customer that owns the ad account (CustomerId header). Empty for other providers."),
			s.TextF("site_url", 2048).Def("").RO().Doc("Search Console property", "Google only: the Search Console property imported (https://example.com/ or sc-domain:example.com)."),
			s.FK("created_by", "user", "SET NULL").Nullable(),
			s.Created(), s.Updated(),
		},
	}
	oauthState := &s.Model{
		Name: "oauth_state", DB: s.Control, App: "clients", NoID: true,
		Fields: []s.Field{
			{Name: "state", Type: s.Text, MaxLength: 64, PrimaryKey: true, Help: "SHA-256 of the state value."},
			s.FK("account_id", "account", "CASCADE"),
			s.FK("user_id", "user", "CASCADE"),
			s.TextF("provider", 32),
			s.TextF("pkce_verifier_enc", 0).Def("").Secret(),
			s.Created(),
			s.DateTimeF("used").Nullable(),
		},
	}
	return []*s.Model{account, user, membership, apiKey, session, conn, oauthState}
}

// Register declares the app's models.
func Register(r *registry.Registry) {
	models := Models()
	r.Models.Add(models...)
	r.AddResources(controlResources(models)...)
}
