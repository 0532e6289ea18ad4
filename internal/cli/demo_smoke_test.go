package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/generate"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runDemo starts `cubed demo` in-process on a free port and returns its
// address, its stdout and a stop function that returns the exit code.
func runDemo(t *testing.T, data string) (string, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan int, 1)
	env := Env{Stdout: out, Stderr: io.Discard, Terminal: func(io.Writer) bool { return false }, Ready: func(addr string) { ready <- addr }}
	go func() {
		done <- Run(ctx, env, []string{"demo", "--data", data, "--addr", "127.0.0.1:0", "--log-level", "error"})
	}()
	select {
	case addr := <-ready:
		return addr, out, func() int { cancel(); return <-done }
	case code := <-done:
		cancel()
		t.Fatalf("demo exited with %d before listening: %s", code, out.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("demo did not start within 60 s")
	}
	return "", nil, nil
}

func TestDemoServesAndPrintsLogin(t *testing.T) {
	data := filepath.Join(t.TempDir(), "cubed-data")
	addr, out, stop := runDemo(t, data)
	for _, path := range []string{"/healthz", "/api/v1/"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
	}
	m := regexp.MustCompile(`log in:\s+(demo@example\.com) / (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no login printed:\n%s", out.String())
	}
	resp, err := http.Post("http://"+addr+"/api/v1/auth/login/", "application/json",
		strings.NewReader(`{"email": "`+m[1]+`", "password": "`+m[2]+`"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("printed login does not work: %v %v", err, resp)
	}
	resp.Body.Close()
	// The first start generated data, connected the fake provider and ran
	// the pipeline: the channel report has visits, sales and costs.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err = hc.Post("http://"+addr+"/api/v1/auth/login/", "application/json",
		strings.NewReader(`{"email": "`+m[1]+`", "password": "`+m[2]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var report struct {
		Meta struct {
			Totals map[string]any `json:"totals"`
		} `json:"meta"`
	}
	getJSON(t, hc, "http://"+addr+"/api/v1/report-channel-performance/?account=c-a-demo-gb&group_by=channel&totals=true", &report)
	for _, metric := range []string{"visits", "sales", "revenue", "cost"} {
		if v, _ := report.Meta.Totals[metric].(float64); v <= 0 {
			t.Errorf("channel performance total %s = %v after demo start, want > 0 (totals %v)", metric, report.Meta.Totals[metric], report.Meta.Totals)
		}
	}
	var conns struct {
		Objects []struct {
			Provider string `json:"provider"`
			Status   string `json:"status"`
		} `json:"objects"`
	}
	getJSON(t, hc, "http://"+addr+"/api/v1/connection/?account=c-a-demo-gb", &conns)
	if len(conns.Objects) != 3 {
		t.Errorf("demo connections = %+v, want google, microsoft and meta", conns.Objects)
	}
	for _, c := range conns.Objects {
		if c.Status != "active" {
			t.Errorf("demo connection %s status %q, want active", c.Provider, c.Status)
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("demo exit code %d after Ctrl-C", code)
	}
	before := demoChecksums(t, data)
	if before["visit"].Rows == 0 || before["agg_channel_daily"].Rows == 0 {
		t.Fatalf("demo tables after first start: %+v", before)
	}
	runs := demoRuns(t, data)
	if runs["success"] == 0 || runs["failed"]+runs["timeout"] != 0 {
		t.Fatalf("demo's recorded pipeline runs by status: %v, want only successes", runs)
	}
	// A second start reuses the data: same password, still one account.
	_, out2, stop2 := runDemo(t, data)
	if !strings.Contains(out2.String(), m[2]) {
		t.Fatalf("second start printed another password:\n%s", out2.String())
	}
	if code := stop2(); code != 0 {
		t.Fatalf("second demo exit code %d", code)
	}
	// ... and generates nothing again: raw and aggregate tables unchanged.
	if after := demoChecksums(t, data); !reflect.DeepEqual(before, after) {
		t.Fatalf("second start changed the data:\nbefore %+v\nafter  %+v", before, after)
	}
	if again := demoRuns(t, data); !reflect.DeepEqual(runs, again) {
		t.Fatalf("second start recorded runs: before %v, after %v", runs, again)
	}
	h := newHarness(t, dbtestTarget(t, filepath.Dir(data)))
	r := h.must("account", "list")
	if strings.Count(r.stdout, "c-a-demo-gb") != 1 {
		t.Fatalf("accounts after two starts:\n%s", r.stdout)
	}
}

func getJSON(t *testing.T, hc *http.Client, url string, into any) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// demoChecksums reads the demo account's raw tables and its channel
// aggregate straight from the SQLite file.
func demoChecksums(t *testing.T, data string) map[string]generate.TableSum {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "clients", "cubed_a_demo_gb.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sums, err := generate.TableChecksums(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	var visits, cost int64
	if err := d.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM("visits"), 0), COALESCE(SUM("cost_minor"), 0) FROM "agg_channel_daily"`).Scan(&rows, &visits, &cost); err != nil {
		t.Fatal(err)
	}
	sums["agg_channel_daily"] = generate.TableSum{Rows: rows, Sum: fmt.Sprintf("visits=%d cost=%d", visits, cost)}
	return sums
}

// demoRuns counts the control database's command runs by status.
func demoRuns(t *testing.T, data string) map[string]int {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "control.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return runCounts(t, d)
}
