package integrations

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/secret"
)

// Options configure a Service. Config, Box and Control are required.
type Options struct {
	Config *Config
	// Box seals every token and PKCE verifier at rest.
	Box     *secret.Box
	Control *db.DB
	// HTTPClient talks to the providers (default: 60 s timeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock (tests move it); nil means time.Now.
	Now func() time.Time
}

// Service is the integrations of one process: the providers, the connect
// flow, token storage and refresh, and the imports.
type Service struct {
	cfg       *Config
	box       *secret.Box
	control   *db.DB
	hc        *http.Client
	log       *slog.Logger
	now       func() time.Time
	providers map[string]Provider

	mu    sync.Mutex
	locks map[int64]*sync.Mutex // per connection, serialises refreshes
}

// New builds the service and its providers.
func New(opt Options) (*Service, error) {
	if opt.Config == nil || opt.Box == nil || opt.Control == nil {
		return nil, errors.New("integrations: Config, Box and Control are required")
	}
	if err := opt.Config.Validate(); err != nil {
		return nil, err
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Service{cfg: opt.Config, box: opt.Box, control: opt.Control, hc: opt.HTTPClient, log: opt.Logger, now: opt.Now,
		providers: map[string]Provider{}, locks: map[int64]*sync.Mutex{}}
	for name, pc := range opt.Config.Providers {
		redirect := opt.Config.RedirectURL(name)
		switch name {
		case Google:
			s.providers[name] = newGoogle(pc, redirect, opt.HTTPClient, opt.Now)
		case MicrosoftAds:
			s.providers[name] = newMicrosoft(pc, redirect, opt.HTTPClient, opt.Now)
		case MetaAds:
			s.providers[name] = newMeta(pc, redirect, opt.HTTPClient, opt.Now)
		}
	}
	return s, nil
}

// SetupOptions are what `cubed serve` and `cubed demo` know.
type SetupOptions struct {
	// ConfigFile is --integrations-config; empty means integrations off.
	ConfigFile string
	// SecretKey (CUBED_SECRET_KEY) and SecretKeyFile (--secret-key-file;
	// wins when both are set).
	SecretKey, SecretKeyFile string
	Control                  *db.DB
	Logger                   *slog.Logger
	HTTPClient               *http.Client
}

// Setup builds the Service from the process configuration. With no
// configuration file it returns (nil, nil): integrations are off. With one
// and no secret key it refuses (an error matching secret.ErrNoKey): tokens
// are never stored unencrypted.
func Setup(opt SetupOptions) (*Service, error) {
	if opt.ConfigFile == "" {
		return nil, nil
	}
	cfg, err := LoadConfig(opt.ConfigFile)
	if err != nil {
		return nil, err
	}
	box, err := secret.Load(opt.SecretKey, opt.SecretKeyFile)
	if err != nil {
		return nil, fmt.Errorf("integrations are configured (%s) but the token encryption key is missing: %w", opt.ConfigFile, err)
	}
	return New(Options{Config: cfg, Box: box, Control: opt.Control, Logger: opt.Logger, HTTPClient: opt.HTTPClient})
}

// Config returns the configuration.
func (s *Service) Config() *Config { return s.cfg }

// Provider returns a configured provider.
func (s *Service) Provider(name string) (Provider, bool) {
	p, ok := s.providers[name]
	return p, ok
}

// Providers lists the configured providers, sorted.
func (s *Service) Providers() []string { return s.cfg.Enabled() }

// FlowError is a connect-flow failure with the HTTP status and API error
// code it maps to (spec/api.md §7). Its message is safe to show.
type FlowError struct {
	Status  int
	Code    string
	Message string
}

func (e *FlowError) Error() string { return e.Message }

// HTTPStatus is the status the API answers with.
func (e *FlowError) HTTPStatus() int { return e.Status }

// ErrorCode is the API error code.
func (e *FlowError) ErrorCode() string { return e.Code }

func flowErr(status int, code, format string, args ...any) error {
	return &FlowError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// StateTTL is how long a connect attempt may take.
const StateTTL = 10 * time.Minute

func hashState(state string) string {
	h := sha256.Sum256([]byte(state))
	return hex.EncodeToString(h[:])
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Service) ts() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Begin starts connecting provider to an account for a user whose role
// the caller has checked: it stores the state's hash (bound to user,
// account and provider) with the PKCE verifier sealed, and returns the
// provider's authorization URL.
func (s *Service) Begin(ctx context.Context, provider string, accountID, userID int64) (string, error) {
	p, ok := s.providers[provider]
	if !ok {
		return "", flowErr(http.StatusNotFound, "not_found", "The integration %q is not configured.", provider)
	}
	state := randomToken(32)
	hash := hashState(state)
	verifier := oauth2.GenerateVerifier()
	sealed, err := s.box.Seal(verifier, "oauth_state:"+hash+":pkce_verifier")
	if err != nil {
		return "", err
	}
	now := s.ts()
	if _, err := s.control.Exec(ctx, `DELETE FROM "oauth_state" WHERE "created" < ?`, now.Add(-24*time.Hour)); err != nil {
		return "", err
	}
	if _, err := s.control.Exec(ctx, `INSERT INTO "oauth_state" ("state", "account_id", "user_id", "provider", "pkce_verifier_enc", "created") VALUES (?, ?, ?, ?, ?, ?)`,
		hash, accountID, userID, provider, sealed, now); err != nil {
		return "", fmt.Errorf("store oauth state: %w", err)
	}
	return p.AuthCodeURL(state, verifier), nil
}

// DashPath is where the dash shows an account's integrations.
func DashPath(accountToken string, q url.Values) string {
	u := "/a/" + url.PathEscape(accountToken) + "/integrations"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// Complete handles the provider's redirect back: it checks the state
// (known, this provider, this user, unused, younger than StateTTL) and
// consumes it, exchanges the code, stores the connection with its tokens
// sealed and picks the external account when there is exactly one. It
// returns the dash path to send the browser to. State failures are
// FlowErrors (400, or 403 for another user's state) and store nothing.
func (s *Service) Complete(ctx context.Context, provider string, userID int64, q url.Values) (string, error) {
	p, ok := s.providers[provider]
	if !ok {
		return "", flowErr(http.StatusNotFound, "not_found", "The integration %q is not configured.", provider)
	}
	state := q.Get("state")
	if state == "" || len(state) > 512 {
		return "", flowErr(http.StatusBadRequest, "bad_request", "The state parameter is missing.")
	}
	hash := hashState(state)
	var st struct {
		accountID, userID int64
		provider, sealed  string
		created           time.Time
		used              sql.NullTime
	}
	err := s.control.QueryRow(ctx, `SELECT "account_id", "user_id", "provider", "pkce_verifier_enc", "created", "used" FROM "oauth_state" WHERE "state" = ?`, hash).
		Scan(&st.accountID, &st.userID, &st.provider, &st.sealed, &st.created, &st.used)
	if errors.Is(err, sql.ErrNoRows) {
		return "", flowErr(http.StatusBadRequest, "bad_request", "Unknown or expired connect attempt; start connecting again.")
	}
	if err != nil {
		return "", err
	}
	now := s.ts()
	switch {
	case st.provider != provider:
		return "", flowErr(http.StatusBadRequest, "bad_request", "This connect attempt was for another provider.")
	case st.userID != userID:
		return "", flowErr(http.StatusForbidden, "forbidden", "This connect attempt belongs to another user's session.")
	case st.used.Valid:
		return "", flowErr(http.StatusBadRequest, "bad_request", "This connect attempt was already used; start connecting again.")
	case now.Sub(st.created) > StateTTL:
		return "", flowErr(http.StatusBadRequest, "bad_request", "This connect attempt expired (10 minutes); start connecting again.")
	}
	res, err := s.control.Exec(ctx, `UPDATE "oauth_state" SET "used" = ? WHERE "state" = ? AND "used" IS NULL`, now, hash)
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", flowErr(http.StatusBadRequest, "bad_request", "This connect attempt was already used; start connecting again.")
	}
	var token string
	if err := s.control.QueryRow(ctx, `SELECT "token" FROM "account" WHERE "id" = ?`, st.accountID).Scan(&token); err != nil {
		return "", fmt.Errorf("account %d: %w", st.accountID, err)
	}
	back := func(kv ...string) string {
		v := url.Values{"provider": {provider}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return DashPath(token, v)
	}
	if e := q.Get("error"); e != "" {
		s.log.Info("integration consent refused", "account", token, "provider", provider, "error", shorten(e))
		return back("error", "denied"), nil
	}
	code := q.Get("code")
	if code == "" {
		return back("error", "no_code"), nil
	}
	verifier, err := s.box.Open(st.sealed, "oauth_state:"+hash+":pkce_verifier")
	if err != nil {
		return "", fmt.Errorf("oauth state: %w", err)
	}
	tok, err := p.Exchange(ctx, code, verifier)
	if err != nil {
		s.log.Warn("integration code exchange failed", "account", token, "provider", provider, "err", err)
		return back("error", "exchange_failed"), nil
	}
	choices, err := s.choices(ctx, p, tok)
	if err != nil {
		s.log.Warn("integration account listing failed", "account", token, "provider", provider, "err", err)
		return back("error", "list_failed"), nil
	}
	if len(choices.Accounts) == 0 && len(choices.Sites) == 0 {
		return back("error", "no_accounts"), nil
	}
	scope := ""
	if sc, ok := tok.Extra("scope").(string); ok {
		scope = sc
	}
	pick, single := choices.single()
	id, err := s.store(ctx, st.accountID, userID, provider, scope, tok, pick, single)
	if err != nil {
		return "", err
	}
	s.log.Info("integration connected", "account", token, "provider", provider, "connection", id, "picked", single)
	if single {
		return back("connected", strconv.FormatInt(id, 10)), nil
	}
	return back("pick", strconv.FormatInt(id, 10)), nil
}

// Choices are the external accounts (and Search Console sites) a grant
// can see.
type Choices struct {
	Accounts []ExternalAccount `json:"accounts"`
	Sites    []Site            `json:"sites"`
}

// selection is what a connection reports on.
type selection struct {
	Account ExternalAccount
	Site    string
}

// single returns the selection when there is nothing to choose.
func (c Choices) single() (selection, bool) {
	if len(c.Accounts) > 1 || len(c.Sites) > 1 {
		return selection{}, false
	}
	var sel selection
	if len(c.Accounts) == 1 {
		sel.Account = c.Accounts[0]
	}
	if len(c.Sites) == 1 {
		sel.Site = c.Sites[0].URL
	}
	return sel, true
}

func (s *Service) choices(ctx context.Context, p Provider, tok *oauth2.Token) (Choices, error) {
	var c Choices
	var err error
	if c.Accounts, err = p.ExternalAccounts(ctx, tok); err != nil {
		return c, err
	}
	if sc, ok := p.(SearchConsole); ok {
		if c.Sites, err = sc.Sites(ctx, tok); err != nil {
			return c, err
		}
	}
	if c.Accounts == nil {
		c.Accounts = []ExternalAccount{}
	}
	if c.Sites == nil {
		c.Sites = []Site{}
	}
	return c, nil
}

// store saves a new grant. With a selection, a live connection of the
// account to the same external account is repaired in place (new tokens,
// status active) instead of being duplicated.
func (s *Service) store(ctx context.Context, accountID, userID int64, provider, scope string, tok *oauth2.Token, sel selection, selected bool) (int64, error) {
	now := s.ts()
	var id int64
	err := s.control.InTx(ctx, func(tx *db.Tx) error {
		if selected {
			existing, err := s.existing(ctx, tx, accountID, provider, sel, 0)
			if err != nil {
				return err
			}
			if existing != 0 {
				id = existing
				return s.saveTokens(ctx, tx, id, tok, now)
			}
		}
		var err error
		id, err = db.InsertID(ctx, tx, `INSERT INTO "integration_connection" ("account_id", "provider", "external_account_id", "name", "scope",
				"status", "status_detail", "external_parent_id", "site_url", "created_by", "created", "updated", "deleted", "active")
			VALUES (?, ?, ?, ?, ?, 'active', '', ?, ?, ?, ?, ?, FALSE, TRUE)`,
			accountID, provider, sel.Account.ID, displayName(sel), truncate(scope, 1000), sel.Account.ParentID, sel.Site, userID, now, now)
		if err != nil {
			return err
		}
		return s.saveTokens(ctx, tx, id, tok, now)
	})
	return id, err
}

// existing finds a live connection of the account to the same external
// account (and site), other than except.
func (s *Service) existing(ctx context.Context, q db.Querier, accountID int64, provider string, sel selection, except int64) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT "id" FROM "integration_connection" WHERE "account_id" = ? AND "provider" = ? AND "external_account_id" = ?
		AND "site_url" = ? AND "deleted" = FALSE AND "id" <> ? ORDER BY "id" LIMIT 1`, accountID, provider, sel.Account.ID, sel.Site, except).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

func displayName(sel selection) string {
	name := sel.Account.Name
	if name == "" {
		name = sel.Site
	}
	return truncate(name, 255)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !validCut(s, n) {
		n--
	}
	return s[:n]
}

// validCut reports whether s[:n] ends on a UTF-8 boundary.
func validCut(s string, n int) bool { return n >= len(s) || s[n]&0xC0 != 0x80 }

// aad binds a sealed token to its row and column.
func aad(id int64, column string) string {
	return "integration_connection:" + strconv.FormatInt(id, 10) + ":" + column
}

// saveTokens seals and stores a token set; the connection becomes active.
func (s *Service) saveTokens(ctx context.Context, q db.Querier, id int64, tok *oauth2.Token, now time.Time) error {
	access, err := s.box.Seal(tok.AccessToken, aad(id, "access_token_enc"))
	if err != nil {
		return err
	}
	var refresh any
	if tok.RefreshToken != "" {
		r, err := s.box.Seal(tok.RefreshToken, aad(id, "refresh_token_enc"))
		if err != nil {
			return err
		}
		refresh = r
	}
	var expires any
	if !tok.Expiry.IsZero() {
		expires = tok.Expiry.UTC().Truncate(time.Microsecond)
	}
	_, err = q.Exec(ctx, `UPDATE "integration_connection" SET "access_token_enc" = ?, "refresh_token_enc" = ?, "expires_at" = ?,
		"status" = 'active', "status_detail" = '', "updated" = ? WHERE "id" = ?`, access, refresh, expires, now, id)
	return err
}

// Connection is a stored connection (never its tokens).
type Connection struct {
	ID, AccountID                                        int64
	Provider, ExternalAccountID, Name, ParentID, SiteURL string
	Status, StatusDetail                                 string
	ExpiresAt                                            time.Time
	Deleted                                              bool
}

// Account is the selected external account.
func (c *Connection) Account() ExternalAccount {
	return ExternalAccount{ID: c.ExternalAccountID, Name: c.Name, ParentID: c.ParentID}
}

const connColumns = `"id", "account_id", "provider", "external_account_id", "name", "external_parent_id", "site_url", "status", "status_detail", "expires_at", "deleted"`

func scanConn(sc interface{ Scan(...any) error }) (Connection, error) {
	var c Connection
	var exp sql.NullTime
	err := sc.Scan(&c.ID, &c.AccountID, &c.Provider, &c.ExternalAccountID, &c.Name, &c.ParentID, &c.SiteURL, &c.Status, &c.StatusDetail, &exp, &c.Deleted)
	c.ExpiresAt = exp.Time
	return c, err
}

// Connection loads a connection by id (apperr-style not found as a
// FlowError 404).
func (s *Service) Connection(ctx context.Context, id int64) (Connection, error) {
	c, err := scanConn(s.control.QueryRow(ctx, `SELECT `+connColumns+` FROM "integration_connection" WHERE "id" = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, flowErr(http.StatusNotFound, "not_found", "No connection with id %d.", id)
	}
	return c, err
}

// Connections lists an account's live connections of a provider.
func (s *Service) Connections(ctx context.Context, accountID int64, provider string) ([]Connection, error) {
	rows, err := s.control.Query(ctx, `SELECT `+connColumns+` FROM "integration_connection"
		WHERE "account_id" = ? AND "provider" = ? AND "deleted" = FALSE AND "active" = TRUE ORDER BY "id"`, accountID, provider)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Connection
	for rows.Next() {
		c, err := scanConn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// refreshMargin: a token expiring within it is refreshed before use. Meta
// long-lived tokens (about 60 days) are re-exchanged a week ahead.
func refreshMargin(provider string) time.Duration {
	if provider == MetaAds {
		return 7 * 24 * time.Hour
	}
	return 5 * time.Minute
}

func (s *Service) lock(id int64) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.locks[id]
	if !ok {
		l = &sync.Mutex{}
		s.locks[id] = l
	}
	return l
}

// ErrConnectionBroken means a connection's grant no longer works; the
// user must connect it again. The error's text names the connection.
var ErrConnectionBroken = errors.New("connection broken")

// BrokenError names a broken connection and why.
type BrokenError struct {
	ConnectionID      int64
	Provider          string
	ExternalAccountID string
	Detail            string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("%s connection %d (external account %q) is broken: %s; connect it again under Integrations",
		e.Provider, e.ConnectionID, e.ExternalAccountID, e.Detail)
}

// Is makes BrokenError match ErrConnectionBroken.
func (e *BrokenError) Is(target error) bool { return target == ErrConnectionBroken }

func brokenErr(c Connection, detail string) error {
	return &BrokenError{ConnectionID: c.ID, Provider: c.Provider, ExternalAccountID: c.ExternalAccountID, Detail: detail}
}

// Token returns a usable access token for a connection, refreshing it
// first when it expires within the provider's margin (or force is set).
// A grant the provider rejects marks the connection broken and returns a
// *BrokenError.
func (s *Service) Token(ctx context.Context, connID int64, force bool) (*oauth2.Token, error) {
	l := s.lock(connID)
	l.Lock()
	defer l.Unlock()
	c, err := s.Connection(ctx, connID)
	if err != nil {
		return nil, err
	}
	if c.Deleted {
		return nil, fmt.Errorf("%s connection %d was disconnected", c.Provider, c.ID)
	}
	if c.Status == "broken" {
		return nil, brokenErr(c, c.StatusDetail)
	}
	p, ok := s.providers[c.Provider]
	if !ok {
		return nil, fmt.Errorf("connection %d: the %s integration is not configured", c.ID, c.Provider)
	}
	tok, err := s.openTokens(ctx, c)
	if err != nil {
		return nil, err
	}
	if !force && (tok.Expiry.IsZero() || s.now().Add(refreshMargin(c.Provider)).Before(tok.Expiry)) {
		return tok, nil
	}
	nt, err := p.Refresh(ctx, tok)
	if errors.Is(err, ErrRevoked) {
		detail := "the provider no longer accepts the grant (revoked or expired)"
		if err := s.MarkBroken(ctx, c.ID, detail); err != nil {
			return nil, err
		}
		return nil, brokenErr(c, detail)
	}
	if err != nil {
		return nil, fmt.Errorf("%s connection %d: refresh the access token: %w", c.Provider, c.ID, err)
	}
	if err := s.saveTokens(ctx, s.control, c.ID, nt, s.ts()); err != nil {
		return nil, err
	}
	s.log.Info("integration token refreshed", "provider", c.Provider, "connection", c.ID)
	return nt, nil
}

func (s *Service) openTokens(ctx context.Context, c Connection) (*oauth2.Token, error) {
	var access, refresh sql.NullString
	if err := s.control.QueryRow(ctx, `SELECT "access_token_enc", "refresh_token_enc" FROM "integration_connection" WHERE "id" = ?`, c.ID).Scan(&access, &refresh); err != nil {
		return nil, err
	}
	tok := &oauth2.Token{TokenType: "Bearer", Expiry: c.ExpiresAt}
	var err error
	if access.Valid && access.String != "" {
		if tok.AccessToken, err = s.box.Open(access.String, aad(c.ID, "access_token_enc")); err != nil {
			return nil, fmt.Errorf("connection %d: access token: %w", c.ID, err)
		}
	}
	if refresh.Valid && refresh.String != "" {
		if tok.RefreshToken, err = s.box.Open(refresh.String, aad(c.ID, "refresh_token_enc")); err != nil {
			return nil, fmt.Errorf("connection %d: refresh token: %w", c.ID, err)
		}
	}
	return tok, nil
}

// MarkBroken sets a connection's status to broken with a reason (shown by
// the connection resource).
func (s *Service) MarkBroken(ctx context.Context, id int64, detail string) error {
	_, err := s.control.Exec(ctx, `UPDATE "integration_connection" SET "status" = 'broken', "status_detail" = ?, "updated" = ? WHERE "id" = ?`,
		truncate(detail, 500), s.ts(), id)
	if err == nil {
		s.log.Warn("integration connection broken", "connection", id, "reason", detail)
	}
	return err
}

// withToken runs call with the connection's token; when the provider
// refuses the access token it refreshes once and tries again, and when it
// refuses the fresh one too the connection is broken.
func (s *Service) withToken(ctx context.Context, c Connection, call func(*oauth2.Token) error) error {
	tok, err := s.Token(ctx, c.ID, false)
	if err != nil {
		return err
	}
	err = call(tok)
	if !errors.Is(err, ErrUnauthorized) {
		return err
	}
	if tok, err = s.Token(ctx, c.ID, true); err != nil {
		return err
	}
	err = call(tok)
	if errors.Is(err, ErrUnauthorized) {
		detail := "the provider refuses fresh access tokens"
		if err := s.MarkBroken(ctx, c.ID, detail); err != nil {
			return err
		}
		return brokenErr(c, detail)
	}
	return err
}

// Choices lists what a connection's grant can report on, for the dash's
// picker. allow says whether the caller may act on the connection's
// account; a connection it may not see is not found.
func (s *Service) Choices(ctx context.Context, connID int64, allow func(accountID int64) bool) (Choices, error) {
	c, err := s.visible(ctx, connID, allow)
	if err != nil {
		return Choices{}, err
	}
	var out Choices
	err = s.withToken(ctx, c, func(tok *oauth2.Token) error {
		var err error
		out, err = s.choices(ctx, s.providers[c.Provider], tok)
		return err
	})
	return out, s.userErr(err)
}

// userErr turns provider failures into a FlowError the API can show.
func (s *Service) userErr(err error) error {
	var fe *FlowError
	var be *BrokenError
	var ra *RetryAfterError
	switch {
	case err == nil || errors.As(err, &fe):
		return err
	case errors.As(err, &be):
		return flowErr(http.StatusConflict, "conflict", "%s", be.Error())
	case errors.As(err, &ra):
		return &FlowError{Status: http.StatusServiceUnavailable, Code: "provider_busy", Message: "The provider is rate limiting requests; try again in a minute."}
	}
	s.log.Warn("integration provider call failed", "err", err)
	return flowErr(http.StatusBadGateway, "provider_error", "The provider did not answer as expected; try again later.")
}

func (s *Service) visible(ctx context.Context, connID int64, allow func(int64) bool) (Connection, error) {
	c, err := s.Connection(ctx, connID)
	if err != nil {
		return c, err
	}
	if c.Deleted || allow == nil || !allow(c.AccountID) {
		return c, flowErr(http.StatusNotFound, "not_found", "No connection with id %d.", connID)
	}
	if _, ok := s.providers[c.Provider]; !ok {
		return c, flowErr(http.StatusNotFound, "not_found", "The integration %q is not configured.", c.Provider)
	}
	return c, nil
}

// Select sets the external account (and, for Google, the Search Console
// site) a connection reports on; both must be among the grant's choices.
// Selecting what another live connection of the account already reports
// on moves this grant there and removes this connection. It returns the
// connection's public fields.
func (s *Service) Select(ctx context.Context, connID int64, externalAccountID, siteURL string, allow func(int64) bool) (map[string]any, error) {
	c, err := s.visible(ctx, connID, allow)
	if err != nil {
		return nil, err
	}
	var ch Choices
	err = s.withToken(ctx, c, func(tok *oauth2.Token) error {
		var err error
		ch, err = s.choices(ctx, s.providers[c.Provider], tok)
		return err
	})
	if err != nil {
		return nil, s.userErr(err)
	}
	var sel selection
	fields := map[string][]string{}
	switch {
	case externalAccountID == "" && len(ch.Accounts) > 0:
		fields["external_account_id"] = []string{"This field is required."}
	case externalAccountID != "":
		for _, a := range ch.Accounts {
			if a.ID == externalAccountID {
				sel.Account = a
			}
		}
		if sel.Account.ID == "" {
			fields["external_account_id"] = []string{"Must be one of the ad accounts this connection can see."}
		}
	}
	if siteURL != "" {
		for _, st := range ch.Sites {
			if st.URL == siteURL {
				sel.Site = siteURL
			}
		}
		if sel.Site == "" {
			fields["site_url"] = []string{"Must be one of the Search Console properties this connection can see."}
		}
	}
	if len(fields) == 0 && sel.Account.ID == "" && sel.Site == "" {
		fields["site_url"] = []string{"Choose a Search Console property: this connection sees no ad account."}
	}
	if len(fields) > 0 {
		return nil, &FieldsError{Fields: fields}
	}
	now := s.ts()
	id := c.ID
	err = s.control.InTx(ctx, func(tx *db.Tx) error {
		other, err := s.existing(ctx, tx, c.AccountID, c.Provider, sel, c.ID)
		if err != nil {
			return err
		}
		if other != 0 {
			// Move the grant to the existing connection (re-sealed for
			// its row) and drop this one.
			tok, err := s.openTokens(ctx, c)
			if err != nil {
				return err
			}
			if err := s.saveTokens(ctx, tx, other, tok, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM "integration_connection" WHERE "id" = ?`, c.ID); err != nil {
				return err
			}
			id = other
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE "integration_connection" SET "external_account_id" = ?, "name" = ?, "external_parent_id" = ?, "site_url" = ?, "updated" = ? WHERE "id" = ?`,
			sel.Account.ID, displayName(sel), sel.Account.ParentID, sel.Site, now, c.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	c, err = s.Connection(ctx, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"id": c.ID, "provider": c.Provider, "external_account_id": c.ExternalAccountID, "name": c.Name,
		"site_url": c.SiteURL, "status": c.Status, "resource_uri": "/api/v1/connection/" + strconv.FormatInt(c.ID, 10) + "/",
	}, nil
}

// FieldsError is a validation failure naming fields (API 400
// validation_failed).
type FieldsError struct {
	Fields map[string][]string
}

func (e *FieldsError) Error() string { return "invalid selection" }

// HTTPStatus is 400.
func (e *FieldsError) HTTPStatus() int { return http.StatusBadRequest }

// ErrorCode is validation_failed.
func (e *FieldsError) ErrorCode() string { return "validation_failed" }

// FieldErrors returns the fields and their messages.
func (e *FieldsError) FieldErrors() map[string][]string { return e.Fields }

// Disconnect revokes a connection's grant at the provider (best effort)
// and soft-deletes it, wiping its tokens. The connection resource's
// DELETE only soft-deletes; this is for callers that can reach the
// provider.
func (s *Service) Disconnect(ctx context.Context, connID int64) error {
	c, err := s.Connection(ctx, connID)
	if err != nil {
		return err
	}
	if p, ok := s.providers[c.Provider]; ok {
		if tok, err := s.openTokens(ctx, c); err == nil {
			if err := p.Revoke(ctx, tok); err != nil {
				s.log.Warn("integration revoke failed", "connection", c.ID, "err", err)
			}
		}
	}
	_, err = s.control.Exec(ctx, `UPDATE "integration_connection" SET "deleted" = TRUE, "active" = FALSE, "status" = 'disconnected',
		"access_token_enc" = NULL, "refresh_token_enc" = NULL, "updated" = ? WHERE "id" = ?`, s.ts(), c.ID)
	return err
}

// PickChoices is Choices as the API renders it (sorted-key maps).
func (s *Service) PickChoices(ctx context.Context, connID int64, allow func(accountID int64) bool) (map[string]any, error) {
	ch, err := s.Choices(ctx, connID, allow)
	if err != nil {
		return nil, err
	}
	accts := make([]map[string]any, 0, len(ch.Accounts))
	for _, a := range ch.Accounts {
		accts = append(accts, map[string]any{"id": a.ID, "name": a.Name, "currency": a.Currency})
	}
	sites := make([]map[string]any, 0, len(ch.Sites))
	for _, st := range ch.Sites {
		sites = append(sites, map[string]any{"url": st.URL, "permission": st.Permission})
	}
	return map[string]any{"connection": connID, "accounts": accts, "sites": sites}, nil
}

// Sweep finishes disconnections made through the connection resource
// (whose DELETE only soft-deletes): for each deleted connection of the
// account that still holds tokens, the grant is revoked at the provider
// (best effort) and the tokens are wiped. The import commands call it.
func (s *Service) Sweep(ctx context.Context, accountID int64) error {
	rows, err := s.control.Query(ctx, `SELECT "id" FROM "integration_connection" WHERE "account_id" = ? AND "deleted" = TRUE
		AND ("access_token_enc" IS NOT NULL OR "refresh_token_enc" IS NOT NULL)`, accountID)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.Disconnect(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
