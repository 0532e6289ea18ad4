package conductor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// gathered indexes a registry's samples by name and label values.
func gathered(t *testing.T, reg *prometheus.Registry) map[string]*dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.Metric{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "|" + l.GetName() + "=" + l.GetValue()
			}
			out[key] = m
		}
	}
	return out
}

func TestMetricsAfterASmallRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := oneDay(t, tg, "a", "b")
		r := command.NewRegistry()
		r.Add(chainCmd("load", "", "x", func(ctx context.Context, env *command.Env) error {
			time.Sleep(20 * time.Millisecond)
			return nil
		}))
		r.Add(chainCmd("build", "x", "y", nil))
		bad := command.Command{Name: "broken", App: "t", Retry: command.RetryPolicy{MaxAttempts: 1, Base: time.Second, Cap: time.Second},
			Run: func(context.Context, *command.Env) error { return errors.New("broken") }}
		r.Add(bad)
		reg := prometheus.NewRegistry()
		done := make(chan RunDone, 20)
		c := e.conductor(r, func(o *Options) { withDone(done)(o); o.Metrics = reg })
		// Before anything ran: the state series exist at zero.
		m := gathered(t, reg)
		if g := m["cubed_conductor_slots|status=success"]; g == nil || g.GetGauge().GetValue() != 0 {
			t.Fatalf("slots gauge before the run: %v", g)
		}
		e.tick(c)
		// Before workers start: a's and b's load and broken runs are
		// queued in River; build's slots stay pending behind their parent.
		m = gathered(t, reg)
		if v := m["cubed_conductor_slots|status=waiting"].GetGauge().GetValue(); v != 4 {
			t.Errorf("waiting slots = %v, want 4", v)
		}
		if v := m["cubed_conductor_waiting|reason=queued"].GetGauge().GetValue(); v != 4 {
			t.Errorf("waiting queued = %v, want 4", v)
		}
		e.startWorkers(c)
		settle(t, e, c, done)
		m = gathered(t, reg)
		for key, want := range map[string]float64{
			"cubed_conductor_runs_total|command=load|status=success":  2,
			"cubed_conductor_runs_total|command=build|status=success": 2,
			"cubed_conductor_runs_total|command=broken|status=failed": 2,
			"cubed_conductor_slots|status=success":                    4,
			"cubed_conductor_slots|status=failed":                     2,
			"cubed_conductor_waiting|reason=queued":                   0,
		} {
			mm := m[key]
			if mm == nil {
				t.Errorf("%s missing", key)
				continue
			}
			got := mm.GetCounter().GetValue() + mm.GetGauge().GetValue()
			if got != want {
				t.Errorf("%s = %v, want %v", key, got, want)
			}
		}
		h := m["cubed_conductor_run_seconds|command=load"].GetHistogram()
		if h.GetSampleCount() != 2 || h.GetSampleSum() < 0.04 || h.GetSampleSum() > 30 {
			t.Errorf("run_seconds{load}: count %d sum %v, want 2 runs of ≥ 20 ms", h.GetSampleCount(), h.GetSampleSum())
		}
		if _, ok := m["cubed_conductor_leader"]; !ok {
			t.Error("cubed_conductor_leader missing")
		}
		// A second Conductor on the same registry shares the series.
		if _, err := New(Options{Control: e.control, Tenants: e.tenants, Commands: r, Metrics: reg}); err != nil {
			t.Fatalf("second conductor on one registry: %v", err)
		}
	})
}
