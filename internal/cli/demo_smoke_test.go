package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
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
	if code := stop(); code != 0 {
		t.Fatalf("demo exit code %d after Ctrl-C", code)
	}
	// A second start reuses the data: same password, still one account.
	_, out2, stop2 := runDemo(t, data)
	if !strings.Contains(out2.String(), m[2]) {
		t.Fatalf("second start printed another password:\n%s", out2.String())
	}
	if code := stop2(); code != 0 {
		t.Fatalf("second demo exit code %d", code)
	}
	h := newHarness(t, dbtestTarget(t, filepath.Dir(data)))
	r := h.must("account", "list")
	if strings.Count(r.stdout, "c-a-demo-gb") != 1 {
		t.Fatalf("accounts after two starts:\n%s", r.stdout)
	}
}
