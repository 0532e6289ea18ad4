package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a logged-in browser session.
type Session struct {
	User    User
	CSRF    string
	Expires time.Time
}

// CreateSession stores a new session and returns the cookie value (only its
// hash is stored) and the CSRF token.
func (s *Service) CreateSession(ctx context.Context, userID int64, ip, userAgent string, ttl time.Duration) (cookie string, sess Session, err error) {
	cookie = RandomToken(32)
	csrf := RandomToken(24)
	now := time.Now().UTC()
	if len(userAgent) > 512 {
		userAgent = userAgent[:512]
	}
	if len(ip) > 45 {
		ip = ip[:45]
	}
	if _, err = s.control.Exec(ctx, `INSERT INTO "session" ("id", "user_id", "csrf_token", "created", "expires", "ip", "user_agent") VALUES (?, ?, ?, ?, ?, ?, ?)`,
		HashKey(cookie), userID, csrf, now, now.Add(ttl), ip, userAgent); err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	if _, err = s.control.Exec(ctx, `UPDATE "user" SET "last_login" = ? WHERE "id" = ?`, now, userID); err != nil {
		return "", Session{}, err
	}
	// Expired sessions of this user are pruned on login.
	if _, err = s.control.Exec(ctx, `DELETE FROM "session" WHERE "user_id" = ? AND "expires" < ?`, userID, now); err != nil {
		return "", Session{}, err
	}
	return cookie, Session{CSRF: csrf, Expires: now.Add(ttl)}, nil
}

// ErrNoSession means the cookie names no live session.
var ErrNoSession = errors.New("no such session")

// SessionByCookie returns the live session for a cookie value.
func (s *Service) SessionByCookie(ctx context.Context, cookie string) (Session, error) {
	var sess Session
	u := &sess.User
	err := s.control.QueryRow(ctx, `SELECT u."id", u."email", u."name", u."is_staff", u."active", u."created", s."csrf_token", s."expires" FROM "session" s JOIN "user" u ON u."id" = s."user_id" WHERE s."id" = ?`,
		HashKey(cookie)).Scan(&u.ID, &u.Email, &u.Name, &u.IsStaff, &u.Active, &u.Created, &sess.CSRF, &sess.Expires)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, ErrNoSession
	}
	if err != nil {
		return sess, err
	}
	if !u.Active || time.Now().After(sess.Expires) {
		return sess, ErrNoSession
	}
	return sess, nil
}

// DeleteSession removes a session server-side.
func (s *Service) DeleteSession(ctx context.Context, cookie string) error {
	_, err := s.control.Exec(ctx, `DELETE FROM "session" WHERE "id" = ?`, HashKey(cookie))
	return err
}

// Role returns the user's role on an account ("" when none).
func (s *Service) Role(ctx context.Context, userID, accountID int64) (string, error) {
	var role string
	err := s.control.QueryRow(ctx, `SELECT "role" FROM "account_user" WHERE "user_id" = ? AND "account_id" = ?`, userID, accountID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return role, err
}

// RoleRank orders roles: viewer < editor < admin.
func RoleRank(role string) int {
	switch role {
	case "viewer":
		return 1
	case "editor":
		return 2
	case "admin":
		return 3
	}
	return 0
}
