package collect_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cubedhq/cubed/internal/collect"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// The collector counts accepted and rejected hits, its write transactions
// and the requests it refuses whole.
func TestMetrics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		reg := prometheus.NewRegistry()
		f := newFixture(t, tg, collect.Options{Metrics: reg})
		bad := pv("m2", 1, 1, 0, "not a url")
		rec := f.post([]collect.Hit{pv("m1", 1, 1, 0, "https://shop.example/"), bad, pv("m3", 1, 1, 0, "https://shop.example/b")})
		if r := decodeResp(t, rec); r.Accepted != 2 || len(r.Rejected) != 1 {
			t.Fatalf("batch: %d %s", rec.Code, rec.Body.String())
		}
		unknown := pv("m4", 1, 1, 0, "https://shop.example/")
		unknown.Account = "c-a-nobody-gb"
		f.post([]collect.Hit{unknown})
		for _, c := range []struct {
			series string
			want   float64
			got    float64
		}{
			{`hits{result="accepted"}`, 2, counter(t, reg, "cubed_collect_hits_total", "result", "accepted")},
			{`hits{result="rejected"}`, 1, counter(t, reg, "cubed_collect_hits_total", "result", "rejected")},
			{`batches{result="committed"}`, 1, counter(t, reg, "cubed_collect_batches_total", "result", "committed")},
			{`refused{reason="unknown_account"}`, 1, counter(t, reg, "cubed_collect_refused_total", "reason", "unknown_account")},
		} {
			if c.got != c.want {
				t.Errorf("%s = %v, want %v", c.series, c.got, c.want)
			}
		}
		if n := histogramCount(t, reg, "cubed_collect_commit_seconds"); n != 1 {
			t.Errorf("commit histogram counted %d transactions, want 1", n)
		}
	})
}

// counter reads one labelled counter series (0 when absent).
func counter(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// histogramCount reads the sample count of an unlabelled histogram.
func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}
