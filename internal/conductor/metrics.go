package conductor

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cubedhq/cubed/internal/db"
)

// metrics are Conductor's Prometheus series (spec/conductor.md §11). Runs
// and durations are counted by the process that ran them; waiting runs and
// slots by status are read from the control database at scrape time, so
// every process reports the same cluster-wide numbers.
type metrics struct {
	runs    *prometheus.CounterVec
	seconds *prometheus.HistogramVec
	leader  prometheus.Gauge
}

// register adds Conductor's series to reg. A second Conductor on the same
// registry (RunOnce after Start in one process, tests) shares the series.
func newMetrics(reg prometheus.Registerer, control *db.DB) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cubed_conductor_runs_total",
			Help: "Runs finished by this process, by command and final status (success, failed, timeout, cancelled)."}, []string{"command", "status"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cubed_conductor_run_seconds",
			Help:    "Duration of runs executed by this process, by command.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600}}, []string{"command"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cubed_conductor_leader", Help: "1 when this process runs the engine (River leader), else 0."}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.runs, err = registerOrReuse(reg, m.runs); err != nil {
		return nil, err
	}
	if m.seconds, err = registerOrReuse(reg, m.seconds); err != nil {
		return nil, err
	}
	if m.leader, err = registerOrReuse(reg, m.leader); err != nil {
		return nil, err
	}
	if _, err := registerOrReuse[prometheus.Collector](reg, &stateCollector{control: control}); err != nil {
		return nil, err
	}
	return m, nil
}

func registerOrReuse[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(T); ok {
			return existing, nil
		}
	}
	return c, err
}

func (m *metrics) runDone(command string, status int, took time.Duration) {
	if m == nil || status < Timeout {
		return
	}
	m.runs.WithLabelValues(command, StatusName(status)).Inc()
	if took > 0 {
		m.seconds.WithLabelValues(command).Observe(took.Seconds())
	}
}

func (m *metrics) setLeader(leader bool) {
	if m == nil {
		return
	}
	v := 0.0
	if leader {
		v = 1
	}
	m.leader.Set(v)
}

var (
	waitingDesc = prometheus.NewDesc("cubed_conductor_waiting", "Waiting runs by reason (queued: handed to River, not started yet).", []string{"reason"}, nil)
	slotsDesc   = prometheus.NewDesc("cubed_conductor_slots", "Slots by status.", []string{"status"}, nil)
)

// stateCollector reads waiting runs and slots from the control database.
type stateCollector struct{ control *db.DB }

func (s *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- waitingDesc
	ch <- slotsDesc
}

func (s *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	waiting := map[string]float64{ReasonDependencies: 0, ReasonAccountLimit: 0, "group_limit": 0, ReasonCapacity: 0, "retry_after": 0, "handed_back": 0, "queued": 0}
	if rows, err := s.control.Query(ctx, `SELECT "waiting_reason", count(*) FROM "command_run" WHERE "status" = ? GROUP BY "waiting_reason"`, Waiting); err == nil {
		for rows.Next() {
			var reason string
			var n float64
			if rows.Scan(&reason, &n) == nil {
				waiting[reasonLabel(reason)] += n
			}
		}
		rows.Close()
	}
	for r, n := range waiting {
		ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, n, r)
	}
	slots := map[string]float64{}
	for _, st := range []string{SlotPending, SlotWaiting, SlotRunning, SlotSuccess, SlotFailed, SlotCancelled} {
		slots[st] = 0
	}
	if rows, err := s.control.Query(ctx, `SELECT "status", count(*) FROM "command_slot" GROUP BY "status"`); err == nil {
		for rows.Next() {
			var st string
			var n float64
			if rows.Scan(&st, &n) == nil {
				slots[st] += n
			}
		}
		rows.Close()
	}
	for st, n := range slots {
		ch <- prometheus.MustNewConstMetric(slotsDesc, prometheus.GaugeValue, n, st)
	}
}

// reasonLabel keeps a reason's kind: "group_limit:dbhost:x" → group_limit,
// "retry_after:…" → retry_after, "" (dispatched) → queued.
func reasonLabel(reason string) string {
	if reason == "" {
		return "queued"
	}
	kind, _, _ := strings.Cut(reason, ":")
	return kind
}
