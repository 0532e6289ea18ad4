package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/cubedhq/cubed/internal/api/resource"
	"github.com/cubedhq/cubed/internal/db"
)

// Options bound the engine; zero values take the defaults.
type Options struct {
	// CSVMaxRows: a CSV export with more rows answers 400 before any
	// output. Default 1,000,000.
	CSVMaxRows int
	// GraphMaxRows: a graph with more rows answers 400. Default 10,000.
	GraphMaxRows int
	// MaxGroups: a query making more groups answers 400. Default
	// 1,000,000.
	MaxGroups int
	// CacheEntries and CacheRows bound the results cache (defaults 256
	// results and 200,000 rows in all); results over CacheRows/10 rows
	// are not cached. CacheEntries < 0 disables the cache.
	CacheEntries, CacheRows int
	// OnQuery, when set, receives every aggregation statement the engine
	// runs with its bound values and how long it took to execute and scan
	// (benchmarks compare the engine with its own SQL run directly).
	OnQuery func(query string, args []any, took time.Duration)
}

func (o *Options) fill() {
	if o.CSVMaxRows <= 0 {
		o.CSVMaxRows = 1_000_000
	}
	if o.GraphMaxRows <= 0 {
		o.GraphMaxRows = 10_000
	}
	if o.MaxGroups <= 0 {
		o.MaxGroups = 1_000_000
	}
	if o.CacheEntries == 0 {
		o.CacheEntries = 256
	}
	if o.CacheRows <= 0 {
		o.CacheRows = 200_000
	}
}

// Engine serves report requests. It is safe for concurrent use; its
// results cache is shared by every account (keys include the account and
// the data version).
type Engine struct {
	opts  Options
	cache *resultCache
}

// NewEngine returns an engine with its own results cache.
func NewEngine(opts Options) *Engine {
	opts.fill()
	return &Engine{opts: opts, cache: newResultCache(opts.CacheEntries, opts.CacheRows)}
}

// Env is what one request gives the engine: the account's database, time
// zone and currency.
type Env struct {
	DB        *db.DB
	Loc       *time.Location
	AccountID int64
	Account   string // the account token (CSV file names)
	Currency  string
	// Path is the request path, for pagination links.
	Path string
	// Now is the request time (CSV file names).
	Now time.Time
}

// Request is a parsed and validated report request whose data version and
// ETag are known; Run computes it.
type Request struct {
	e        *Engine
	env      Env
	r        *Report
	q        *query
	p        resource.Params
	version  string
	etag     string
	cacheKey string
}

// Prepare parses and checks the request's parameters (400 errors are
// *resource.Error), resolves default filters and reads the data version.
// It runs no aggregation: a caller can answer 304 from ETag alone.
func (e *Engine) Prepare(ctx context.Context, env Env, r *Report, p resource.Params) (*Request, error) {
	if r.c == nil {
		return nil, fmt.Errorf("report %s is not registered", r.Name)
	}
	if env.Loc == nil {
		env.Loc = time.UTC
	}
	q, err := parseQuery(r, p, env.Loc)
	if err != nil {
		return nil, err
	}
	if err := q.applyDefaults(ctx, env.DB); err != nil {
		return nil, err
	}
	version, err := Version(ctx, env.DB, r.versionTables())
	if err != nil {
		return nil, err
	}
	base := r.Name + "\x1e" + strconv.FormatInt(env.AccountID, 10) + "\x1e" + env.Loc.String() + "\x1e" + env.Currency + "\x1e" + version + "\x1e"
	sum := sha256.Sum256([]byte(base + q.key(true)))
	return &Request{
		e: e, env: env, r: r, q: q, p: p, version: version,
		etag:     `"` + hex.EncodeToString(sum[:16]) + `"`,
		cacheKey: base + q.key(false),
	}, nil
}

// versionTables are the tables whose versions make the data version: the
// backing tables and the dict dimensions' related tables.
func (r *Report) versionTables() []string {
	var out []string
	for _, t := range r.c.tables {
		if t.from == "" {
			out = append(out, t.name)
			continue
		}
		for _, src := range t.sources {
			if !contains(out, src) {
				out = append(out, src)
			}
		}
	}
	for _, rel := range r.c.related {
		if !contains(out, rel) {
			out = append(out, rel)
		}
	}
	return out
}

// ETag is the response's entity tag (quoted).
func (rq *Request) ETag() string { return rq.etag }

// DataVersion is the data version the response reports.
func (rq *Request) DataVersion() string { return rq.version }

// CSV tells whether the request asked for format=csv.
func (rq *Request) CSV() bool { return rq.q.format == "csv" }

// Filename is the CSV attachment name: <resource>-<account>-<YYYYMMDD>.csv,
// today in the account's time zone.
func (rq *Request) Filename() string {
	now := rq.env.Now
	if now.IsZero() {
		now = time.Now()
	}
	return rq.r.Name + "-" + rq.env.Account + "-" + now.In(rq.env.Loc).Format("20060102") + ".csv"
}

// computed is a request's whole answer before pagination; cached.
type computed struct {
	cols       []*dimInfo // group columns in key order
	rows       []*row
	totals     *row
	servedFrom string
	dictNames  map[int]map[int64]any
}

// Result is a computed request, ready to render.
type Result struct {
	rq   *Request
	comp *computed
}

// Run computes the request, or takes it from the results cache. A CSV
// over the row cap is a 400 here, before any output.
func (rq *Request) Run(ctx context.Context) (*Result, error) {
	comp, ok := rq.e.cache.get(rq.cacheKey)
	if !ok {
		x := &exec{c: rq.r.c, d: rq.env.DB, dialect: rq.env.DB.Dialect(), loc: rq.env.Loc, maxGroups: rq.e.opts.MaxGroups, onQuery: rq.e.opts.OnQuery,
			factor: minorFactor(rq.env.Currency), graphMax: rq.e.opts.GraphMaxRows}
		var err error
		if rq.q.graph != nil {
			comp, err = x.computeGraph(ctx, rq.q)
		} else {
			comp, err = x.computeGroups(ctx, rq.q)
		}
		if err != nil {
			return nil, err
		}
		if err := x.resolveDictMetrics(ctx, rq.q, comp); err != nil {
			return nil, err
		}
		rq.e.cache.put(rq.cacheKey, comp, len(comp.rows)+1)
	}
	if rq.CSV() && len(comp.rows) > rq.e.opts.CSVMaxRows {
		return nil, badRequest("The export has %d rows, over the limit of %d: add filters or group by fewer dimensions.", len(comp.rows), rq.e.opts.CSVMaxRows)
	}
	return &Result{rq: rq, comp: comp}, nil
}
