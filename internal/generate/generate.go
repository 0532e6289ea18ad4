// Package generate writes synthetic, realistic tracking data for an
// account (spec/domain.md §13): visitors, visits, page views, events with
// items, labels, sync ids, impressions and offline sales. The same seed
// (and end date) always gives the same data: every random choice comes
// from math/rand/v2 PCG streams seeded from the seed, and ids and tokens
// are derived from it. Hits go through the collector's validation and
// batched write path (Collector.SubmitAsync), impressions through the
// pixel's, offline sales through the CSV import; nothing is written with
// SQL of its own except the configuration it needs (event definitions,
// goals, products, campaigns), added when missing.
package generate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cubedhq/cubed/internal/apperr"
	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/collect"
	"github.com/cubedhq/cubed/internal/tenant"
)

// Options say what to generate.
type Options struct {
	// Days is the number of days up to and including EndDate (1-3,650).
	Days int
	// Visitors is the number of ordinary visitors (1-10,000,000); a few
	// edge-case visitors are added.
	Visitors int
	// Seed picks the data; the same seed gives the same rows.
	Seed uint64
	// EndDate's year, month and day are the last day generated, in the
	// account's time zone; zero means yesterday there.
	EndDate time.Time
	// Progress, if set, is called as visitors are committed.
	Progress func(done, total int)
	Log      *slog.Logger
}

// Deps are what Run writes through.
type Deps struct {
	Tenants collect.Tenants
	// Collector, if set, receives the hits; otherwise Run makes its own
	// (no rate limit) and closes it before returning.
	Collector *collect.Collector
}

// Summary counts what Run submitted.
type Summary struct {
	Account        string
	From, To       string // local dates, YYYY-MM-DD
	Visitors       int
	Visits         int
	PageViews      int
	Events         int
	Sales          int
	Impressions    int
	RepeatedHits   int // hits sent twice on purpose (client retries); stored once
	OfflineRows    int
	OfflineUpload  int64
	OfflineWasDone bool // the same offline file was imported before
	Elapsed        time.Duration
}

// Hits is the number of hits (page views and events) submitted.
func (s Summary) Hits() int { return s.PageViews + s.Events }

// Batching: hits per SubmitAsync and batches in flight.
const (
	batchHits = 2000
	inFlight  = 4
)

// Run generates data for acct. It is what `cubed generate` and `cubed
// demo` run.
func Run(ctx context.Context, deps Deps, acct tenant.Account, opt Options) (Summary, error) {
	start := time.Now()
	if opt.Days < 1 || opt.Days > 3650 {
		return Summary{}, apperr.Invalidf("--days", fmt.Sprint(opt.Days), "must be from 1 to 3650")
	}
	if opt.Visitors < 1 || opt.Visitors > 10_000_000 {
		return Summary{}, apperr.Invalidf("--visitors", fmt.Sprint(opt.Visitors), "must be from 1 to 10000000")
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	loc := acct.Location()
	end := opt.EndDate
	if end.IsZero() {
		end = time.Now().In(loc).AddDate(0, 0, -1)
	}
	endDay := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, loc)
	startDay := endDay.AddDate(0, 0, -(opt.Days - 1))
	d, release, err := deps.Tenants.Acquire(ctx, acct)
	if err != nil {
		return Summary{}, err
	}
	defer release()
	cat, err := setup(ctx, d)
	if err != nil {
		return Summary{}, fmt.Errorf("account %s: generator configuration: %w", acct.Token, err)
	}
	col := deps.Collector
	if col == nil {
		col, err = collect.New(collect.Options{Tenants: deps.Tenants, Log: opt.Log, HitsPerSecond: -1,
			MaxQueuedHits: 4 * inFlight * batchHits, MaxBatchHits: 2 * batchHits})
		if err != nil {
			return Summary{}, err
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			_ = col.Close(cctx)
		}()
	} else {
		col.ForgetEvents(acct.Token)
	}

	g := newSim(acct, opt.Seed, startDay, endDay.AddDate(0, 0, 1), cat)
	sum := Summary{Account: acct.Token, From: startDay.Format("2006-01-02"), To: endDay.Format("2006-01-02")}
	sub := &submitter{ctx: ctx, col: col, acct: acct, progress: opt.Progress}
	sub.total = opt.Visitors + g.edgeCount()
	for i := 0; i < sub.total; i++ {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if i < opt.Visitors {
			g.visitor(i)
		} else {
			g.edge(i, i-opt.Visitors)
		}
		if len(g.hits) >= batchHits {
			if err := sub.hits(g.take(), i+1); err != nil {
				return sum, err
			}
		}
		if len(g.imps) >= batchHits {
			if err := sub.impressions(g.takeImps(), i+1); err != nil {
				return sum, err
			}
		}
	}
	if err := sub.hits(g.take(), sub.total); err != nil {
		return sum, err
	}
	if err := sub.impressions(g.takeImps(), sub.total); err != nil {
		return sum, err
	}
	if err := sub.drain(); err != nil {
		return sum, err
	}
	if sub.rejected > 0 {
		return sum, fmt.Errorf("generator bug: %d hits rejected by the collector (first: %s)", sub.rejected, sub.firstReject)
	}
	sum.Visitors, sum.Visits, sum.PageViews, sum.Events = sub.total, g.visits, g.pageViews, g.events
	sum.Sales, sum.Impressions, sum.RepeatedHits = g.sales, g.impressions, g.repeated

	csv, name, nrows := g.offlineCSV()
	sum.OfflineRows = nrows
	if nrows > 0 {
		// uploaded_at is derived from the end date, so the data stay reproducible.
		stamp := endDay.AddDate(0, 0, 1).Add(6 * time.Hour)
		res, err := attrib.ImportOfflineSalesWith(ctx, d, acct, name, bytes.NewReader(csv), 0, attrib.ImportOptions{Now: stamp})
		switch {
		case errors.Is(err, apperr.ErrConflict) && res.Duplicate:
			sum.OfflineUpload, sum.OfflineWasDone = res.ID, true
		case err != nil:
			return sum, fmt.Errorf("offline sales: %w", err)
		case res.RowsFailed > 0:
			return sum, fmt.Errorf("generator bug: %d offline rows rejected (first: %+v)", res.RowsFailed, res.Errors[0])
		default:
			sum.OfflineUpload = res.ID
		}
	}
	sum.Elapsed = time.Since(start)
	opt.Log.Info("generated", "account", acct.Token, "visitors", sum.Visitors, "hits", sum.Hits(), "elapsed", sum.Elapsed)
	return sum, nil
}

// submitter keeps up to inFlight batches queued in the collector, in
// order, and reports progress as they commit.
type submitter struct {
	ctx         context.Context
	col         *collect.Collector
	acct        tenant.Account
	progress    func(done, total int)
	total       int
	pending     []pendingBatch
	rejected    int
	firstReject string
}

type pendingBatch struct {
	p       *collect.Pending
	through int // visitors complete once this batch is committed
}

var genOpts = collect.SubmitOptions{AnyTimestamp: true, NoRateLimit: true}

func (s *submitter) hits(hits []collect.Hit, through int) error {
	if len(hits) == 0 {
		return nil
	}
	p, err := s.col.SubmitAsync(s.ctx, hits, genOpts)
	if err != nil {
		return err
	}
	return s.push(p, through)
}

func (s *submitter) impressions(imps []collect.Impression, through int) error {
	if len(imps) == 0 {
		return nil
	}
	p, err := s.col.SubmitImpressionsAsync(s.ctx, s.acct.Token, imps, genOpts)
	if err != nil {
		return err
	}
	return s.push(p, through)
}

func (s *submitter) push(p *collect.Pending, through int) error {
	s.pending = append(s.pending, pendingBatch{p: p, through: through})
	for len(s.pending) >= inFlight {
		if err := s.waitOne(); err != nil {
			return err
		}
	}
	return nil
}

func (s *submitter) waitOne() error {
	b := s.pending[0]
	s.pending = s.pending[1:]
	res, err := b.p.Wait(s.ctx)
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		if s.rejected == 0 {
			r := res.Rejected[0]
			s.firstReject = fmt.Sprintf("hit %d, %s: %s", r.Index, r.Field, r.Reason)
		}
		s.rejected += len(res.Rejected)
	}
	if s.progress != nil {
		s.progress(b.through, s.total)
	}
	return nil
}

func (s *submitter) drain() error {
	for len(s.pending) > 0 {
		if err := s.waitOne(); err != nil {
			return err
		}
	}
	return nil
}
