package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/auth"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
	"github.com/cubedhq/cubed/internal/migrate"
	"github.com/cubedhq/cubed/migrations"
)

// cheap keeps argon2id fast in tests; the format and checks are the same.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

// service returns a Service over a freshly migrated control database.
func service(t *testing.T, tg dbtest.Target) (*auth.Service, *db.DB) {
	t.Helper()
	ctx := context.Background()
	dsn := tg.ControlDSN
	if dsn == "" {
		dsn = filepath.Join(tg.DataDir, "control.db")
	}
	control, err := db.Open(ctx, dsn, db.Options{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { control.Close() })
	migs, err := migrate.Load(migrations.FS, "control", control.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(ctx, control, migs); err != nil {
		t.Fatal(err)
	}
	return auth.NewService(control, cheap), control
}

func mustUser(t *testing.T, s *auth.Service, email, password string) auth.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), email, "Someone", password, false)
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return u
}

func exec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

var phcRe = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

func TestHashPassword(t *testing.T) {
	params := []auth.Params{cheap, {Memory: 256, Time: 3, Threads: 2}, auth.DefaultParams}
	for _, p := range params {
		h1, err := auth.HashPassword("correct horse battery", p)
		if err != nil {
			t.Fatal(err)
		}
		m := phcRe.FindStringSubmatch(h1)
		if m == nil {
			t.Fatalf("%q is not a PHC argon2id hash with a 16-byte salt and a 32-byte key", h1)
		}
		if want := []string{itoa(p.Memory), itoa(p.Time), itoa(p.Threads)}; !reflect.DeepEqual(m[1:4], want) {
			t.Fatalf("parameters %v, want %v", m[1:4], want)
		}
		h2, _ := auth.HashPassword("correct horse battery", p)
		if h1 == h2 {
			t.Fatal("two hashes of one password are equal: the salt is not random")
		}
		cases := []struct {
			password string
			ok       bool
		}{
			{"correct horse battery", true},
			{"correct horse batterY", false},
			{"correct horse battery ", false},
			{"", false},
		}
		for _, c := range cases {
			for _, h := range []string{h1, h2} {
				ok, err := auth.VerifyPassword(c.password, h)
				if err != nil || ok != c.ok {
					t.Errorf("VerifyPassword(%q) with %v = %v, %v; want %v", c.password, p, ok, err, c.ok)
				}
			}
		}
	}
}

func itoa[N uint8 | uint32](n N) string { return strconv.FormatUint(uint64(n), 10) }

func TestVerifyTamperedHash(t *testing.T) {
	good, err := auth.HashPassword("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..., salt, key
	join := func(edit func(p []string)) string {
		p := append([]string(nil), parts...)
		edit(p)
		return strings.Join(p, "$")
	}
	bad := []struct{ name, hash string }{
		{"empty", ""},
		{"plain text", "correct horse battery"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", join(func(p []string) { p[1] = "argon2i" })},
		{"other version", join(func(p []string) { p[2] = "v=16" })},
		{"no version", join(func(p []string) { p[2] = "19" })},
		{"parameters garbled", join(func(p []string) { p[3] = "m=x,t=1,p=1" })},
		{"zero time", join(func(p []string) { p[3] = "m=64,t=0,p=1" })},
		{"zero threads", join(func(p []string) { p[3] = "m=64,t=1,p=0" })},
		{"too little memory", join(func(p []string) { p[3] = "m=0,t=1,p=1" })},
		{"absurd memory", join(func(p []string) { p[3] = "m=4294967295,t=1,p=1" })},
		{"salt not base64", join(func(p []string) { p[4] = "!!!" })},
		{"short salt", join(func(p []string) { p[4] = "c2FsdA" })},
		{"key not base64", join(func(p []string) { p[5] = "%%%" })},
		{"empty key", join(func(p []string) { p[5] = "" })},
		{"short key", join(func(p []string) { p[5] = "AAAA" })},
		{"missing part", strings.Join(parts[:5], "$")},
		{"extra part", good + "$x"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			for _, pw := range []string{"correct horse battery", ""} {
				ok, err := auth.VerifyPassword(pw, c.hash)
				if ok || !errors.Is(err, auth.ErrBadHash) {
					t.Fatalf("VerifyPassword(%q, %q) = %v, %v; want ErrBadHash", pw, c.hash, ok, err)
				}
			}
		})
	}
	t.Run("changed key is a mismatch, not an error", func(t *testing.T) {
		h := join(func(p []string) {
			k := []byte(p[5])
			if k[0] == 'A' {
				k[0] = 'B'
			} else {
				k[0] = 'A'
			}
			p[5] = string(k)
		})
		ok, err := auth.VerifyPassword("correct horse battery", h)
		if ok || err != nil {
			t.Fatalf("got %v, %v", ok, err)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s, control := service(t, tg)
		ana := mustUser(t, s, "Ana@Example.com", "correct horse battery")
		mustUser(t, s, "inactive@example.com", "correct horse battery")
		exec(t, control, `UPDATE "user" SET "active" = FALSE WHERE "email" = ?`, "inactive@example.com")
		mustUser(t, s, "keysonly@example.com", "")
		mustUser(t, s, "damaged@example.com", "correct horse battery")
		exec(t, control, `UPDATE "user" SET "password_hash" = ? WHERE "email" = ?`, "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$", "damaged@example.com")

		cases := []struct {
			name, email, password string
			ok                    bool
		}{
			{"right password", "ana@example.com", "correct horse battery", true},
			{"email in another case, with spaces", "  ANA@example.COM ", "correct horse battery", true},
			{"wrong password", "ana@example.com", "wrong horse battery", false},
			{"empty password", "ana@example.com", "", false},
			{"unknown email", "bo@example.com", "correct horse battery", false},
			{"inactive user", "inactive@example.com", "correct horse battery", false},
			{"user without a password", "keysonly@example.com", "", false},
			{"user without a password, any password", "keysonly@example.com", "correct horse battery", false},
			{"damaged stored hash", "damaged@example.com", "anything at all", false},
			{"injection in the email", "ana@example.com' OR '1'='1", "correct horse battery", false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				u, err := s.Authenticate(ctx, c.email, c.password)
				if c.ok {
					if err != nil || u.ID != ana.ID || u.Email != "ana@example.com" || !u.Active {
						t.Fatalf("got %+v, %v", u, err)
					}
					return
				}
				// One error, one message, no user: nothing tells the cases apart.
				if err != auth.ErrBadCredentials || u != (auth.User{}) {
					t.Fatalf("got %+v, %v; want exactly ErrBadCredentials", u, err)
				}
			})
		}

		t.Run("SetPassword", func(t *testing.T) {
			if err := s.SetPassword(ctx, ana.ID, "short"); !isInvalid(err, "password") {
				t.Fatalf("short password: %v", err)
			}
			if err := s.SetPassword(ctx, ana.ID, "a new long password"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, "ana@example.com", "correct horse battery"); err != auth.ErrBadCredentials {
				t.Fatalf("old password still works: %v", err)
			}
			if _, err := s.Authenticate(ctx, "ana@example.com", "a new long password"); err != nil {
				t.Fatalf("new password: %v", err)
			}
			var hash string
			if err := control.QueryRow(ctx, `SELECT "password_hash" FROM "user" WHERE "id" = ?`, ana.ID).Scan(&hash); err != nil || !phcRe.MatchString(hash) {
				t.Fatalf("stored %q, %v", hash, err)
			}
		})
	})
}

func isInvalid(err error, field string) bool {
	var inv *apperr.Invalid
	return errors.As(err, &inv) && inv.Field == field
}

func TestNormaliseEmail(t *testing.T) {
	cases := []struct {
		in, want string // want "" = invalid
	}{
		{"ana@example.com", "ana@example.com"},
		{"Ana@Example.COM", "ana@example.com"},
		{"  ana@example.com\t", "ana@example.com"},
		{"ana.b+tag@mail.example.co.uk", "ana.b+tag@mail.example.co.uk"},
		{"", ""},
		{"not-an-email", ""},
		{"ana@", ""},
		{"@example.com", ""},
		{"Ana <ana@example.com>", ""},
		{"ana@example.com, bo@example.com", ""},
		{"ana @example.com", ""},
		{strings.Repeat("a", 250) + "@example.com", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := auth.NormaliseEmail(c.in)
			if c.want == "" {
				if !isInvalid(err, "--email") {
					t.Fatalf("NormaliseEmail(%q) = %q, %v; want invalid --email", c.in, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("NormaliseEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
}

func TestCreateUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s, control := service(t, tg)
		u, err := s.CreateUser(ctx, " Ana@Example.COM", "Ana", "correct horse battery", true)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID <= 0 || u.Email != "ana@example.com" || u.Name != "Ana" || !u.IsStaff || !u.Active {
			t.Fatalf("user %+v", u)
		}
		var stored string
		if err := control.QueryRow(ctx, `SELECT "email" FROM "user" WHERE "id" = ?`, u.ID).Scan(&stored); err != nil || stored != "ana@example.com" {
			t.Fatalf("stored email %q, %v", stored, err)
		}
		cases := []struct {
			name, email, password string
			check                 func(err error) bool
		}{
			{"duplicate in another case", "ANA@example.com", "correct horse battery", func(err error) bool {
				var c *apperr.Conflict
				return errors.As(err, &c) && reflect.DeepEqual(c.Fields, []string{"email"}) && errors.Is(err, apperr.ErrConflict)
			}},
			{"bad email", "ana", "correct horse battery", func(err error) bool { return isInvalid(err, "--email") }},
			{"short password", "bo@example.com", "123456789", func(err error) bool { return isInvalid(err, "password") }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if _, err := s.CreateUser(ctx, c.email, "x", c.password, false); !c.check(err) {
					t.Fatalf("err %v", err)
				}
			})
		}
		var n int
		if err := control.QueryRow(ctx, `SELECT count(*) FROM "user"`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d users, %v", n, err)
		}
		got, err := s.UserByEmail(ctx, "ANA@EXAMPLE.COM ")
		if err != nil || got.ID != u.ID || got.LastLogin != nil {
			t.Fatalf("UserByEmail = %+v, %v", got, err)
		}
		if _, err := s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s, control := service(t, tg)
		ana := mustUser(t, s, "ana@example.com", "correct horse battery")
		bo := mustUser(t, s, "bo@example.com", "")
		key, err := s.CreateAPIKey(ctx, ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.CreateAPIKey(ctx, ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		boKey, err := s.CreateAPIKey(ctx, bo.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(key) < 32 || key == second || strings.ContainsAny(key, " $/+=") {
			t.Fatalf("keys %q, %q", key, second)
		}

		t.Run("only the hash is stored", func(t *testing.T) {
			var prefix, hash string
			if err := control.QueryRow(ctx, `SELECT "prefix", "key_hash" FROM "api_key" WHERE "key_hash" = ?`, auth.HashKey(key)).Scan(&prefix, &hash); err != nil {
				t.Fatal(err)
			}
			if prefix != key[:auth.APIKeyPrefixLen] || auth.APIKeyPrefixLen != 8 {
				t.Fatalf("prefix %q, want the first 8 characters of %q", prefix, key)
			}
			if len(hash) != 64 || strings.Contains(hash, key) {
				t.Fatalf("stored hash %q", hash)
			}
			var n int
			if err := control.QueryRow(ctx, `SELECT count(*) FROM "api_key" WHERE "key_hash" = ? OR "prefix" = ?`, key, key).Scan(&n); err != nil || n != 0 {
				t.Fatalf("the key itself is stored (%d rows, %v)", n, err)
			}
		})

		exec(t, control, `UPDATE "user" SET "active" = FALSE WHERE "id" = ?`, bo.ID)
		cases := []struct {
			name, email, key string
			want             int64 // user id, 0 = bad credentials
		}{
			{"right key", "ana@example.com", key, ana.ID},
			{"second key", "ana@example.com", second, ana.ID},
			{"email in another case", " Ana@Example.com", key, ana.ID},
			{"wrong key", "ana@example.com", key + "x", 0},
			{"prefix only", "ana@example.com", key[:8], 0},
			{"the stored hash as a key", "ana@example.com", auth.HashKey(key), 0},
			{"another user's email", "bo@example.com", key, 0},
			{"unknown email", "cy@example.com", key, 0},
			{"inactive user", "bo@example.com", boKey, 0},
			{"empty", "", "", 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				u, err := s.AuthenticateAPIKey(ctx, c.email, c.key)
				if c.want == 0 {
					if err != auth.ErrBadCredentials {
						t.Fatalf("got %+v, %v; want ErrBadCredentials", u, err)
					}
					return
				}
				if err != nil || u.ID != c.want {
					t.Fatalf("got %+v, %v", u, err)
				}
			})
		}
	})
}

func TestGrantAndRoles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s, control := service(t, tg)
		ana := mustUser(t, s, "ana@example.com", "")
		var accts []int64
		for _, name := range []string{"shop", "other"} {
			id, err := db.InsertID(ctx, control, `INSERT INTO "account" ("token", "name", "country", "db_name") VALUES (?, ?, 'gb', ?)`,
				"c-a-"+name+"-gb", name, "cubed_a_"+name+"_gb")
			if err != nil {
				t.Fatal(err)
			}
			accts = append(accts, id)
		}
		steps := []struct {
			account int64
			role    string
			want    []auth.Membership
		}{
			{accts[0], "viewer", []auth.Membership{{AccountID: accts[0], Role: "viewer"}}},
			{accts[0], "admin", []auth.Membership{{AccountID: accts[0], Role: "admin"}}}, // replaces
			{accts[1], "editor", []auth.Membership{{AccountID: accts[0], Role: "admin"}, {AccountID: accts[1], Role: "editor"}}},
			{accts[0], "viewer", []auth.Membership{{AccountID: accts[0], Role: "viewer"}, {AccountID: accts[1], Role: "editor"}}},
		}
		for _, st := range steps {
			if err := s.Grant(ctx, ana.ID, st.account, st.role); err != nil {
				t.Fatal(err)
			}
			got, err := s.Memberships(ctx, ana.ID)
			if err != nil || !reflect.DeepEqual(got, st.want) {
				t.Fatalf("after granting %s on %d: %+v, %v; want %+v", st.role, st.account, got, err, st.want)
			}
			if role, err := s.Role(ctx, ana.ID, st.account); err != nil || role != st.role {
				t.Fatalf("Role = %q, %v", role, err)
			}
		}
		if err := s.Grant(ctx, ana.ID, accts[0], "owner"); !isInvalid(err, "--role") {
			t.Fatalf("unknown role: %v", err)
		}
		if role, err := s.Role(ctx, ana.ID, 999999); err != nil || role != "" {
			t.Fatalf("Role without membership = %q, %v", role, err)
		}
		for role, rank := range map[string]int{"": 0, "owner": 0, "viewer": 1, "editor": 2, "admin": 3} {
			if got := auth.RoleRank(role); got != rank {
				t.Errorf("RoleRank(%q) = %d, want %d", role, got, rank)
			}
		}
	})
}

func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s, control := service(t, tg)
		ana := mustUser(t, s, "ana@example.com", "correct horse battery")
		cookie, sess, err := s.CreateSession(ctx, ana.ID, "203.0.113.9", strings.Repeat("ua", 400), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(cookie) < 40 || sess.CSRF == "" || time.Until(sess.Expires) < 59*time.Minute {
			t.Fatalf("cookie %q, session %+v", cookie, sess)
		}
		got, err := s.SessionByCookie(ctx, cookie)
		if err != nil || got.User.ID != ana.ID || got.CSRF != sess.CSRF {
			t.Fatalf("SessionByCookie = %+v, %v", got, err)
		}
		var stored, ua string
		if err := control.QueryRow(ctx, `SELECT "id", "user_agent" FROM "session" WHERE "user_id" = ?`, ana.ID).Scan(&stored, &ua); err != nil {
			t.Fatal(err)
		}
		if stored != auth.HashKey(cookie) || len(ua) != 512 {
			t.Fatalf("stored id %q (want the cookie's hash), user agent of %d bytes", stored, len(ua))
		}
		if u, _ := s.UserByEmail(ctx, "ana@example.com"); u.LastLogin == nil {
			t.Fatal("last_login not set")
		}

		expired, _, err := s.CreateSession(ctx, ana.ID, "", "", -time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct{ name, cookie string }{
			{"unknown cookie", "nope"},
			{"the stored hash as a cookie", auth.HashKey(cookie)},
			{"expired", expired},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if _, err := s.SessionByCookie(ctx, c.cookie); !errors.Is(err, auth.ErrNoSession) {
					t.Fatalf("err %v, want ErrNoSession", err)
				}
			})
		}
		t.Run("inactive user", func(t *testing.T) {
			exec(t, control, `UPDATE "user" SET "active" = FALSE WHERE "id" = ?`, ana.ID)
			defer exec(t, control, `UPDATE "user" SET "active" = TRUE WHERE "id" = ?`, ana.ID)
			if _, err := s.SessionByCookie(ctx, cookie); !errors.Is(err, auth.ErrNoSession) {
				t.Fatalf("err %v", err)
			}
		})
		t.Run("deleted", func(t *testing.T) {
			if err := s.DeleteSession(ctx, cookie); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SessionByCookie(ctx, cookie); !errors.Is(err, auth.ErrNoSession) {
				t.Fatalf("err %v", err)
			}
		})
	})
}

// Creating one email from several goroutines at once gives one user and
// a conflict for every other caller, never a raw database error.
func TestCreateUserConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s, control := service(t, tg)
		const n = 8
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = s.CreateUser(ctx, "race@example.com", "Race", "", false)
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, apperr.ErrConflict):
				t.Errorf("want a conflict, got %v", err)
			}
		}
		var rows int
		if err := control.QueryRow(ctx, `SELECT count(*) FROM "user"`).Scan(&rows); err != nil || rows != 1 || created != 1 {
			t.Fatalf("%d created, %d rows, %v", created, rows, err)
		}
	})
}
