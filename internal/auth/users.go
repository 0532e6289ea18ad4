package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/db"
)

// User is a row of the user table (without its hash).
type User struct {
	ID        int64
	Email     string
	Name      string
	IsStaff   bool
	Active    bool
	Created   time.Time
	LastLogin *time.Time
}

// Service manages users, memberships and API keys in the control database.
type Service struct {
	control *db.DB
	params  Params
}

// NewService returns a Service; params tune argon2id.
func NewService(control *db.DB, params Params) *Service {
	return &Service{control: control, params: params}
}

// NormaliseEmail validates and lower-cases an email address.
func NormaliseEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || len(e) > 254 {
		return "", apperr.Invalidf("--email", email, "must be an email address such as ana@example.com")
	}
	return e, nil
}

// MinPasswordLength is enforced on every new password.
const MinPasswordLength = 10

// CreateUser adds a user. An empty password leaves the account without a
// usable password (API keys only).
func (s *Service) CreateUser(ctx context.Context, email, name, password string, staff bool) (User, error) {
	e, err := NormaliseEmail(email)
	if err != nil {
		return User{}, err
	}
	hash := ""
	if password != "" {
		if len(password) < MinPasswordLength {
			return User{}, apperr.Invalidf("password", "", "must be at least %d characters", MinPasswordLength)
		}
		if hash, err = HashPassword(password, s.params); err != nil {
			return User{}, err
		}
	}
	if _, err := s.UserByEmail(ctx, e); err == nil {
		return User{}, &apperr.Conflict{Fields: []string{"email"}, Msg: fmt.Sprintf("user %s already exists", e)}
	}
	now := time.Now().UTC()
	id, err := db.InsertID(ctx, s.control, `INSERT INTO "user" ("email", "name", "password_hash", "is_staff", "active", "created") VALUES (?, ?, ?, ?, TRUE, ?)`,
		e, name, hash, staff, now)
	if _, dup := db.UniqueViolation(err); dup {
		// Created by a concurrent call since the check above.
		return User{}, &apperr.Conflict{Fields: []string{"email"}, Msg: fmt.Sprintf("user %s already exists", e)}
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return User{ID: id, Email: e, Name: name, IsStaff: staff, Active: true, Created: now}, nil
}

// SetPassword replaces a user's password.
func (s *Service) SetPassword(ctx context.Context, userID int64, password string) error {
	if len(password) < MinPasswordLength {
		return apperr.Invalidf("password", "", "must be at least %d characters", MinPasswordLength)
	}
	hash, err := HashPassword(password, s.params)
	if err != nil {
		return err
	}
	_, err = s.control.Exec(ctx, `UPDATE "user" SET "password_hash" = ? WHERE "id" = ?`, hash, userID)
	return err
}

// UserByEmail finds a user.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	var last sql.NullTime
	err := s.control.QueryRow(ctx, `SELECT "id", "email", "name", "is_staff", "active", "created", "last_login" FROM "user" WHERE "email" = ?`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.Email, &u.Name, &u.IsStaff, &u.Active, &u.Created, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", email, apperr.ErrNotFound)
	}
	if last.Valid {
		u.LastLogin = &last.Time
	}
	return u, err
}

// Authenticate checks an email and password. Unknown users, wrong
// passwords and inactive users give the same error.
func (s *Service) Authenticate(ctx context.Context, email, password string) (User, error) {
	var u User
	var hash string
	err := s.control.QueryRow(ctx, `SELECT "id", "email", "name", "is_staff", "active", "created", "password_hash" FROM "user" WHERE "email" = ?`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.Email, &u.Name, &u.IsStaff, &u.Active, &u.Created, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check so timing reveals nothing.
		_, _ = VerifyPassword(password, dummyHash)
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	ok, err := VerifyPassword(password, hash)
	if err != nil || !ok || !u.Active {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// ErrBadCredentials is the one error for every failed login.
var ErrBadCredentials = errors.New("bad credentials")

// dummyHash has DefaultParams' cost.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$U0r97sHaIKv5XcF4W53mag$TYHpebZpJmAR5iFbJMMgqYVnl2Ata7OkjCUjPgq86FA"

// Grant gives a user a role on an account (replacing an existing role).
func (s *Service) Grant(ctx context.Context, userID, accountID int64, role string) error {
	switch role {
	case "viewer", "editor", "admin":
	default:
		return apperr.Invalidf("--role", role, "must be viewer, editor or admin")
	}
	return s.control.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE "account_user" SET "role" = ? WHERE "account_id" = ? AND "user_id" = ?`, role, accountID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO "account_user" ("account_id", "user_id", "role") VALUES (?, ?, ?)`, accountID, userID, role)
		return err
	})
}

// Membership is a user's role on an account.
type Membership struct {
	AccountID int64
	Role      string
}

// Memberships lists a user's roles.
func (s *Service) Memberships(ctx context.Context, userID int64) ([]Membership, error) {
	rows, err := s.control.Query(ctx, `SELECT "account_id", "role" FROM "account_user" WHERE "user_id" = ? ORDER BY "account_id"`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		if err := rows.Scan(&m.AccountID, &m.Role); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// APIKeyPrefixLen is how much of a key is kept in clear to recognise it.
const APIKeyPrefixLen = 8

// CreateAPIKey makes a new key for a user and returns it; only its hash is
// stored, so this is the one time it can be shown.
func (s *Service) CreateAPIKey(ctx context.Context, userID int64) (string, error) {
	key := "ck" + RandomToken(30)
	_, err := s.control.Exec(ctx, `INSERT INTO "api_key" ("user_id", "prefix", "key_hash", "created") VALUES (?, ?, ?, ?)`,
		userID, key[:APIKeyPrefixLen], HashKey(key), time.Now().UTC())
	if err != nil {
		return "", fmt.Errorf("create api key: %w", err)
	}
	return key, nil
}

// AuthenticateAPIKey checks an email and key pair.
func (s *Service) AuthenticateAPIKey(ctx context.Context, email, key string) (User, error) {
	var u User
	err := s.control.QueryRow(ctx, `SELECT u."id", u."email", u."name", u."is_staff", u."active", u."created" FROM "api_key" k JOIN "user" u ON u."id" = k."user_id" WHERE k."key_hash" = ? AND u."email" = ?`,
		HashKey(key), strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.Email, &u.Name, &u.IsStaff, &u.Active, &u.Created)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !u.Active) {
		return User{}, ErrBadCredentials
	}
	return u, err
}
