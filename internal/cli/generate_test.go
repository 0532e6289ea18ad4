package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/db/dbtest"
)

func TestGenerateCommand(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		h := newHarness(t, tg)
		h.must("migrate")
		h.must("account", "create", "--name", "shop", "--country", "gb", "--domain", "shop.example.com")
		h.must("account", "create", "--name", "off", "--country", "gb")
		h.must("account", "disable", "c-a-off-gb")
		bad := []struct {
			args []string
			name string
		}{
			{[]string{"generate"}, "--account"},
			{[]string{"generate", "--account", "c-a-nope-gb"}, "c-a-nope-gb"},
			{[]string{"generate", "--account", "c-a-off-gb"}, "c-a-off-gb"},
			{[]string{"generate", "--account", "c-a-shop-gb", "--days", "0"}, "--days"},
			{[]string{"generate", "--account", "c-a-shop-gb", "--visitors", "-5"}, "--visitors"},
			{[]string{"generate", "--account", "c-a-shop-gb", "--end-date", "31/03/2025"}, "31/03/2025"},
			{[]string{"generate", "--account", "c-a-shop-gb", "--seed", "minus-one"}, "--seed"},
		}
		for _, c := range bad {
			r := h.run(c.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, c.name) {
				t.Errorf("cubed %s: exit %d, stderr %q; want 2 naming %s", strings.Join(c.args, " "), r.code, r.stderr, c.name)
			}
		}
		args := []string{"generate", "--account", "c-a-shop-gb", "--days", "20", "--visitors", "150", "--seed", "3", "--end-date", "2025-03-31"}
		r := h.must(args...)
		for _, s := range []string{"generated c-a-shop-gb, 2025-03-12 to 2025-03-31, seed 3", "visitors:", "page views:", "offline rows:"} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("output lacks %q:\n%s", s, r.stdout)
			}
		}
		counts := regexp.MustCompile(`(?m)^  (visitors|visits|page views): +(\d+)`).FindAllString(r.stdout, -1)
		// Again: the same figures, and the offline file is recognised.
		r2 := h.must(args...)
		if again := regexp.MustCompile(`(?m)^  (visitors|visits|page views): +(\d+)`).FindAllString(r2.stdout, -1); strings.Join(again, ",") != strings.Join(counts, ",") {
			t.Errorf("second run: %v, first %v", again, counts)
		}
		if !strings.Contains(r2.stdout, "already imported") && !strings.Contains(r.stdout, "offline rows: 0") {
			t.Errorf("second run did not recognise the offline file:\n%s", r2.stdout)
		}
	})
}

// serve mounts the collector: a POST /collect is stored, /tag.js is served,
// and stopping the server leaves every acknowledged hit committed.
func TestServeMountsCollector(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		h := newHarness(t, tg)
		h.must("migrate")
		h.must("account", "create", "--name", "shop", "--country", "gb")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		addrc := make(chan string, 1)
		var out, errb strings.Builder
		full := []string{"--data", filepath.Join(tg.DataDir, "data"), "serve", "--addr", "127.0.0.1:0"}
		if tg.ControlDSN != "" {
			full = append([]string{"--control-dsn", tg.ControlDSN}, full...)
		}
		done := make(chan int, 1)
		go func() {
			done <- Run(ctx, Env{Stdout: &out, Stderr: &errb, Registry: h.registry, Terminal: func(io.Writer) bool { return false },
				Ready: func(addr string) { addrc <- addr }}, full)
		}()
		var addr string
		select {
		case addr = <-addrc:
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
		ts := time.Now().UTC().Format(time.RFC3339)
		var hits []string
		for i := 0; i < 50; i++ {
			hits = append(hits, fmt.Sprintf(`{"id":"srv%d","type":"pageview","account":"c-a-shop-gb","visitor":"%032d","session":"%032d","ts":%q,"url":"https://shop.example/%d"}`, i, i%5, i%5, ts, i))
		}
		resp, err := http.Post("http://"+addr+"/collect", "text/plain", strings.NewReader(`{"hits":[`+strings.Join(hits, ",")+`]}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"accepted":50`) {
			t.Fatalf("POST /collect: %d %s", resp.StatusCode, body)
		}
		resp, err = http.Get("http://" + addr + "/tag.js")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/javascript") {
			t.Errorf("GET /tag.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exit %d: %s", code, errb.String())
		}
		a := openApp(t, h)
		defer a.Close()
		acct, err := a.Tenants.Get(context.Background(), "c-a-shop-gb")
		if err != nil {
			t.Fatal(err)
		}
		d, release, err := a.Tenants.Acquire(context.Background(), acct)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		var n int
		if err := d.QueryRow(context.Background(), `SELECT count(*) FROM "page_view"`).Scan(&n); err != nil || n != 50 {
			t.Errorf("page views after shutdown: %d %v", n, err)
		}
	})
}
