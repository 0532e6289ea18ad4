package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/auth"
)

// keyCache remembers API-key authentications briefly so a busy client does
// not cost a database round trip per request. Disabling a user or deleting
// a key takes effect within the TTL.
type keyCache struct {
	auth *auth.Service
	ttl  time.Duration
	mu   sync.Mutex
	m    map[string]keyEntry
}

type keyEntry struct {
	user auth.User
	at   time.Time
}

func (k *keyCache) lookup(ctx context.Context, email, key string) (auth.User, error) {
	id := auth.HashKey(strings.ToLower(email) + "\x00" + key)
	now := time.Now()
	k.mu.Lock()
	if e, ok := k.m[id]; ok && now.Sub(e.at) < k.ttl {
		k.mu.Unlock()
		return e.user, nil
	}
	k.mu.Unlock()
	u, err := k.auth.AuthenticateAPIKey(ctx, email, key)
	if err != nil {
		return u, err
	}
	k.mu.Lock()
	if len(k.m) > 10000 {
		k.m = map[string]keyEntry{}
	}
	k.m[id] = keyEntry{user: u, at: now}
	k.mu.Unlock()
	return u, nil
}

// roleCache remembers roles for a few seconds: a revoked role stops
// working within roleTTL.
type roleCache struct {
	auth *auth.Service
	mu   sync.Mutex
	m    map[[2]int64]roleEntry
}

type roleEntry struct {
	role string
	at   time.Time
}

const roleTTL = 5 * time.Second

func (c *roleCache) role(ctx context.Context, userID, accountID int64) (string, error) {
	k := [2]int64{userID, accountID}
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.m[k]; ok && now.Sub(e.at) < roleTTL {
		c.mu.Unlock()
		return e.role, nil
	}
	c.mu.Unlock()
	r, err := c.auth.Role(ctx, userID, accountID)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if len(c.m) > 100000 {
		c.m = map[[2]int64]roleEntry{}
	}
	c.m[k] = roleEntry{role: r, at: now}
	c.mu.Unlock()
	return r, nil
}

func (s *Server) authRoute(w http.ResponseWriter, r *http.Request, rt route) {
	switch rt.name {
	case "login":
		if methodCheck(w, r, []string{"POST"}) {
			s.login(w, r)
		}
	case "logout":
		if methodCheck(w, r, []string{"POST"}) {
			s.logout(w, r)
		}
	case "me":
		if methodCheck(w, r, []string{"GET"}) {
			s.me(w, r)
		}
	default:
		WriteError(w, r, http.StatusNotFound, "not_found", "No such path.", nil)
	}
}

func (s *Server) setCookies(w http.ResponseWriter, r *http.Request, session, csrf string, maxAge int) {
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: session, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: csrf, Path: "/", MaxAge: maxAge, Secure: secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := s.readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, r, newErr(http.StatusBadRequest, "bad_request", "Send a JSON object with email and password."))
		return
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	ip := clientIP(r)
	if blocked, wait := s.loginEmail.blocked(email); blocked {
		s.fail(w, r, throttled(wait))
		return
	}
	if blocked, wait := s.loginIP.blocked(ip); blocked {
		s.fail(w, r, throttled(wait))
		return
	}
	u, err := s.deps.Auth.Authenticate(ctx, email, req.Password)
	if errors.Is(err, auth.ErrBadCredentials) {
		s.loginEmail.fail(email)
		s.loginIP.fail(ip)
		s.fail(w, r, unauthenticated("Unknown email or wrong password."))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cookie, sess, err := s.deps.Auth.CreateSession(ctx, u.ID, ip, r.UserAgent(), s.deps.Limits.SessionTTL)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setCookies(w, r, cookie, sess.CSRF, int(s.deps.Limits.SessionTTL.Seconds()))
	out, err := s.meObject(ctx, u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, _ := resource.ParseQuery(r.URL.RawQuery)
	pr, err := s.authenticate(ctx, r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkCSRF(r, pr); err != nil {
		s.fail(w, r, err)
		return
	}
	if c, err := r.Cookie("sessionid"); err == nil && pr.session != nil {
		if err := s.deps.Auth.DeleteSession(ctx, c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.setCookies(w, r, "", "", -1)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, _ := resource.ParseQuery(r.URL.RawQuery)
	pr, err := s.authenticate(ctx, r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.throttle(pr); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.meObject(ctx, pr.user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

func (s *Server) meObject(ctx context.Context, u auth.User) (map[string]any, error) {
	accts, err := s.deps.Tenants.List(ctx)
	if err != nil {
		return nil, err
	}
	roles := map[int64]string{}
	if !u.IsStaff {
		ms, err := s.deps.Auth.Memberships(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			roles[m.AccountID] = m.Role
		}
	}
	list := []map[string]any{}
	for _, a := range accts {
		role := roles[a.ID]
		if u.IsStaff {
			role = "admin"
		}
		if role == "" || !a.Active {
			continue
		}
		list = append(list, map[string]any{"id": a.ID, "name": a.Name, "role": role, "time_zone": a.TimeZone, "token": a.Token, "currency": a.Currency})
	}
	return map[string]any{"accounts": list, "email": u.Email, "id": u.ID, "is_staff": u.IsStaff, "name": u.Name}, nil
}
