// Package collect is the collector: POST /collect (batches of hits from
// the tag or a server), GET /collect/pixel.gif (impressions) and GET
// /tag.js. Hits are validated one by one (a bad hit never costs the good
// ones), then handed to a per-database batch writer that groups the hits
// of concurrent requests into one transaction per small window and answers
// each request only after that transaction committed.
package collect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/tenant"
	"github.com/prometheus/client_golang/prometheus"
)

// Tenants is what the collector needs of the accounts registry;
// *tenant.Manager provides it.
type Tenants interface {
	// Lookup finds an account by token (cached briefly).
	Lookup(ctx context.Context, ref string) (tenant.Account, error)
	// Acquire returns the account's client database and a release func.
	Acquire(ctx context.Context, a tenant.Account) (*db.DB, func(), error)
}

// Options configure a Collector; zero values take the defaults shown.
type Options struct {
	Tenants Tenants
	Log     *slog.Logger
	// Metrics, if set, receives the collector's Prometheus series
	// (cubed_collect_*).
	Metrics prometheus.Registerer
	// Now is the clock (tests move it); nil means time.Now.
	Now func() time.Time

	// MaxHits (500) and MaxBody (1 MiB) bound one POST /collect.
	MaxHits int
	MaxBody int64
	// Window (2 ms) and MaxBatchHits (2,000) bound one write transaction:
	// a writer takes what is queued, waits up to Window for requests that
	// are being validated (never when none is), and writes at most about
	// MaxBatchHits hits at once.
	Window       time.Duration
	MaxBatchHits int
	// MaxQueuedHits (20,000) bounds the hits waiting for (or being written
	// by) one database's writer; past it requests get 503 and Retry-After.
	MaxQueuedHits int
	// IdleTimeout (1 min): a writer idle this long releases its database.
	IdleTimeout time.Duration
	// HitsPerSecond (5,000) and Burst (25,000) are the per-account token
	// bucket over hits; a negative HitsPerSecond disables the limit.
	HitsPerSecond float64
	Burst         int
	// EventTTL (30 s) bounds how stale the cached event names may be.
	EventTTL time.Duration
	// CountryHeader names a request header, set by a trusted proxy, that
	// carries the visitor's country (e.g. CF-IPCountry). Empty: none.
	CountryHeader string

	// Fault, when set, is called by the batch writer at each FaultPoint
	// with the batch's hit count; an error (or a panic) aborts the batch
	// as a crash would. For tests only.
	Fault func(point FaultPoint, hits int) error
}

func (o *Options) fill() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxHits <= 0 {
		o.MaxHits = 500
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.Window == 0 {
		o.Window = 2 * time.Millisecond
	}
	if o.MaxBatchHits <= 0 {
		o.MaxBatchHits = 2000
	}
	if o.MaxQueuedHits <= 0 {
		o.MaxQueuedHits = 20000
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = time.Minute
	}
	if o.HitsPerSecond == 0 {
		o.HitsPerSecond = 5000
	}
	if o.Burst <= 0 {
		o.Burst = 25000
	}
	if o.Burst < o.MaxHits {
		o.Burst = o.MaxHits
	}
	if o.EventTTL <= 0 {
		o.EventTTL = 30 * time.Second
	}
}

// Errors of Submit; the HTTP handler maps them to statuses.
var (
	// ErrUnknownAccount: no active account has the batch's token (404).
	ErrUnknownAccount = errors.New("unknown or inactive account")
	// ErrOverloaded: the account's write queue is full (503).
	ErrOverloaded = errors.New("collector overloaded; retry later")
	// ErrClosed: the collector is shutting down (503).
	ErrClosed = errors.New("collector is shutting down")
)

// RateLimitError says the account sent more hits than its limit (429).
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limit exceeded; retry after %s", e.RetryAfter)
}

// Collector validates hits and writes them through per-database writers.
type Collector struct {
	opt     Options
	log     *slog.Logger
	limiter *limiter
	stmts   *stmtText
	metrics *metrics

	mu      sync.Mutex
	closed  bool
	writers map[string]*writer

	evMu   sync.Mutex
	events map[string]eventCache
}

type eventCache struct {
	names map[string]bool
	at    time.Time
}

// New returns a collector; call Close to flush and stop its writers.
func New(opt Options) (*Collector, error) {
	if opt.Tenants == nil {
		return nil, errors.New("collect: Options.Tenants is required")
	}
	opt.fill()
	return &Collector{
		opt:     opt,
		log:     opt.Log,
		limiter: newLimiter(opt.HitsPerSecond, float64(opt.Burst)),
		metrics: newMetrics(opt.Metrics),
		stmts:   &stmtText{m: map[string]string{}},
		writers: map[string]*writer{},
		events:  map[string]eventCache{},
	}, nil
}

// Close stops accepting hits, lets every writer commit what is queued and
// waits for them (or for ctx).
func (c *Collector) Close(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	var waits []chan struct{}
	for key, w := range c.writers {
		close(w.queue)
		delete(c.writers, key)
		waits = append(waits, w.exited)
	}
	c.mu.Unlock()
	for _, ch := range waits {
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("collector: flush: %w", ctx.Err())
		}
	}
	return nil
}

// retireIfIdle removes w when nothing is queued for it.
func (c *Collector) retireIfIdle(w *writer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w.queued > 0 || len(w.queue) > 0 || c.writers[w.acct.Token] != w {
		// Busy, or Close took the writer over: it drains its queue first.
		return false
	}
	delete(c.writers, w.acct.Token)
	close(w.queue)
	return true
}

// retire removes w and fails whatever is still queued for it.
func (c *Collector) retire(w *writer, fail func(*job)) {
	c.mu.Lock()
	if c.writers[w.acct.Token] == w {
		delete(c.writers, w.acct.Token)
		close(w.queue)
	}
	c.mu.Unlock()
	for j := range w.queue {
		fail(j)
		c.mu.Lock()
		w.queued -= len(j.hits)
		c.mu.Unlock()
	}
}

// writerLocked returns the account's writer, starting one if needed.
func (c *Collector) writerLocked(acct tenant.Account) *writer {
	w := c.writers[acct.Token]
	if w == nil {
		w = &writer{c: c, acct: acct, queue: make(chan *job, 4096), exited: make(chan struct{}), stmts: c.stmts}
		c.writers[acct.Token] = w
		go w.run()
	}
	return w
}

// announce tells the account's writer a batch is being validated; call
// the returned func when it is queued (or dropped).
func (c *Collector) announce(acct tenant.Account) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return func() {}
	}
	w := c.writerLocked(acct)
	w.incoming.Add(1)
	return func() { w.incoming.Add(-1) }
}

// enqueue hands a job to the account's writer, starting one if needed.
func (c *Collector) enqueue(acct tenant.Account, j *job) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	w := c.writerLocked(acct)
	if w.queued+len(j.hits) > c.opt.MaxQueuedHits {
		return ErrOverloaded
	}
	select {
	case w.queue <- j:
		w.queued += len(j.hits)
		return nil
	default:
		return ErrOverloaded
	}
}

// account resolves a batch's account token.
func (c *Collector) account(ctx context.Context, token string) (tenant.Account, error) {
	if !ValidAccountToken(token) {
		return tenant.Account{}, ErrUnknownAccount
	}
	a, err := c.opt.Tenants.Lookup(ctx, token)
	if errors.Is(err, apperr.ErrNotFound) {
		return a, ErrUnknownAccount
	}
	if err != nil {
		return a, fmt.Errorf("account %s: %w", token, err)
	}
	if !a.Active {
		return a, ErrUnknownAccount
	}
	return a, nil
}

// eventNames returns the account's active event names, cached for EventTTL.
func (c *Collector) eventNames(ctx context.Context, acct tenant.Account) (map[string]bool, error) {
	now := time.Now()
	c.evMu.Lock()
	ec, ok := c.events[acct.Token]
	c.evMu.Unlock()
	if ok && now.Sub(ec.at) < c.opt.EventTTL {
		return ec.names, nil
	}
	d, release, err := c.opt.Tenants.Acquire(ctx, acct)
	if err != nil {
		return nil, err
	}
	defer release()
	rows, err := d.Query(ctx, `SELECT "name" FROM "event_definition" WHERE "active" = ?`, true)
	if err != nil {
		return nil, fmt.Errorf("account %s: event definitions: %w", acct.Token, err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.evMu.Lock()
	if len(c.events) > 10000 {
		c.events = map[string]eventCache{}
	}
	c.events[acct.Token] = eventCache{names: names, at: now}
	c.evMu.Unlock()
	return names, nil
}

// ForgetEvents drops the cached event names of an account, so a change to
// its event definitions applies to the next batch.
func (c *Collector) ForgetEvents(token string) {
	c.evMu.Lock()
	delete(c.events, token)
	c.evMu.Unlock()
}

// SubmitOptions adjust Submit for in-process callers.
type SubmitOptions struct {
	// AnyTimestamp lifts the ts window (7 days back, 5 minutes ahead), for
	// writing history (the generator). The HTTP handler never sets it.
	AnyTimestamp bool
	// NoRateLimit skips the per-account rate limit.
	NoRateLimit bool
}

// Pending is a batch handed to a writer; Wait returns its outcome.
type Pending struct {
	res  Result
	done chan error
}

// Wait blocks until the batch's hits are committed (or failed). An error
// means none of its accepted hits may be counted as stored.
func (p *Pending) Wait(ctx context.Context) (Result, error) {
	if p.done == nil {
		return p.res, nil
	}
	select {
	case err := <-p.done:
		p.done = nil
		if err != nil {
			p.res = Result{}
			return Result{}, err
		}
		return p.res, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Submit validates a batch and returns once its accepted hits are
// committed. It is what POST /collect runs. The batch's account is the
// one the first hit naming an account names; when it is unknown or
// inactive the whole batch fails with ErrUnknownAccount.
func (c *Collector) Submit(ctx context.Context, hits []Hit, opt SubmitOptions) (Result, error) {
	p, err := c.SubmitAsync(ctx, hits, opt)
	if err != nil {
		return Result{}, err
	}
	return p.Wait(ctx)
}

// SubmitAsync validates a batch and queues its accepted hits; batches
// queued by one goroutine are written in the order they were queued.
func (c *Collector) SubmitAsync(ctx context.Context, hits []Hit, opt SubmitOptions) (*Pending, error) {
	token := ""
	for i := range hits {
		if hits[i].Account != "" {
			token = hits[i].Account
			break
		}
	}
	res := Result{Rejected: []Rejection{}}
	if token == "" {
		for i := range hits {
			res.Rejected = append(res.Rejected, Rejection{Index: i, Field: "account", Reason: "is required"})
		}
		return &Pending{res: res}, nil
	}
	acct, err := c.account(ctx, token)
	if err != nil {
		return nil, err
	}
	if !opt.NoRateLimit {
		if ok, wait := c.limiter.take(acct.Token, float64(len(hits)), c.opt.Now()); !ok {
			return nil, &RateLimitError{RetryAfter: wait}
		}
	}
	done := c.announce(acct)
	defer done()
	v := &validator{account: acct, now: c.opt.Now().UTC(), anyTS: opt.AnyTimestamp, agents: map[string]agent{}}
	for i := range hits {
		if hits[i].Type == "event" {
			if v.events, err = c.eventNames(ctx, acct); err != nil {
				return nil, err
			}
			break
		}
	}
	good := make([]*hit, 0, len(hits))
	slab := make([]hit, len(hits))
	for i := range hits {
		if r := v.check(&hits[i], &slab[i]); r != nil {
			res.Rejected = append(res.Rejected, Rejection{Index: i, Field: r.field, Reason: r.reason})
			continue
		}
		good = append(good, &slab[i])
	}
	res.Accepted = len(good)
	if len(good) == 0 {
		return &Pending{res: res}, nil
	}
	j := &job{hits: good, done: make(chan error, 1)}
	if err := c.enqueue(acct, j); err != nil {
		return nil, err
	}
	return &Pending{res: res, done: j.done}, nil
}

// SubmitImpressions stores impressions for an account (the pixel, and the
// generator) through the same writer; it returns once they are committed.
func (c *Collector) SubmitImpressions(ctx context.Context, token string, imps []Impression, opt SubmitOptions) error {
	p, err := c.SubmitImpressionsAsync(ctx, token, imps, opt)
	if err != nil {
		return err
	}
	_, err = p.Wait(ctx)
	return err
}

// SubmitImpressionsAsync queues impressions; see SubmitAsync.
func (c *Collector) SubmitImpressionsAsync(ctx context.Context, token string, imps []Impression, opt SubmitOptions) (*Pending, error) {
	acct, err := c.account(ctx, token)
	if err != nil {
		return nil, err
	}
	if !opt.NoRateLimit {
		if ok, wait := c.limiter.take(acct.Token, float64(len(imps)), c.opt.Now()); !ok {
			return nil, &RateLimitError{RetryAfter: wait}
		}
	}
	hits := make([]*hit, 0, len(imps))
	for _, im := range imps {
		if im.ID == "" {
			im.ID = randomToken()
		}
		if !validHitID(im.ID) {
			return nil, apperr.Invalidf("id", im.ID, "must be 1-64 letters, digits or . _ : -")
		}
		if im.TS.IsZero() {
			im.TS = c.opt.Now()
		}
		im.TS = im.TS.UTC().Truncate(time.Microsecond)
		im.Medium, im.Source, im.Campaign, im.Content = clip(im.Medium, 255), clip(im.Source, 255), clip(im.Campaign, 255), clip(im.Content, 255)
		im.SyncHash = clip(im.SyncHash, 128)
		x := im
		hits = append(hits, &hit{kind: kindImpression, id: im.ID, ts: im.TS, imp: &x})
	}
	res := Result{Accepted: len(hits), Rejected: []Rejection{}}
	if len(hits) == 0 {
		return &Pending{res: res}, nil
	}
	j := &job{hits: hits, done: make(chan error, 1)}
	if err := c.enqueue(acct, j); err != nil {
		return nil, err
	}
	return &Pending{res: res, done: j.done}, nil
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
