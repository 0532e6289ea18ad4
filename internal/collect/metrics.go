package collect

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the collector's Prometheus series. Labels are bounded: no
// account label (thousands of accounts would make thousands of series);
// per-account detail is in the logs.
type metrics struct {
	hits      *prometheus.CounterVec // result: accepted, rejected
	batches   *prometheus.CounterVec // result: committed, failed
	commit    prometheus.Histogram   // seconds per write transaction
	batchHits prometheus.Histogram   // hits per write transaction
	refused   *prometheus.CounterVec // reason: rate_limited, queue_full, ...
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cubed_collect_hits_total", Help: "Hits received by /collect: accepted (committed) or rejected (invalid).",
		}, []string{"result"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cubed_collect_batches_total", Help: "Write transactions of the collector's batch writers by outcome.",
		}, []string{"result"}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cubed_collect_commit_seconds", Help: "Duration of one batch write transaction.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		batchHits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cubed_collect_batch_hits", Help: "Hits written by one batch write transaction.",
			Buckets: []float64{1, 10, 50, 100, 250, 500, 1000, 2000, 5000},
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cubed_collect_refused_total", Help: "/collect requests refused whole: rate_limited (429), unavailable (503), unknown_account (404).",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.hits, m.batches, m.commit, m.batchHits, m.refused)
	}
	return m
}
