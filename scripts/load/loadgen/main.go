// Command loadgen drives Cubed over loopback for the load and fault tests
// (scripts/load/*). It stops by itself after -d.
//
//	loadgen api -c 200 -d 60s -H 'Authorization: ApiKey ...' URL...
//	    GETs the URLs round-robin on -c connections; prints counts by status
//	    and latency percentiles; exits 1 on any 5xx or transport error.
//	loadgen collect -c 16 -d 60s -account TOKEN -acked FILE URL...
//	    POSTs /collect batches of page views with unique hit ids to the URLs
//	    round-robin; a batch answered 200 with every hit accepted is
//	    acknowledged and its ids are appended to FILE. Refused connections
//	    (a web process restarting) are counted and retried on the next URL.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "api" && os.Args[1] != "collect") {
		fmt.Fprintln(os.Stderr, "usage: loadgen api|collect [flags] URL...")
		os.Exit(2)
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	conns := fs.Int("c", 200, "concurrent connections")
	dur := fs.Duration("d", 60*time.Second, "duration")
	var hdrs headers
	fs.Var(&hdrs, "H", "request header 'Name: value' (repeatable)")
	account := fs.String("account", "", "collect: account token")
	acked := fs.String("acked", "", "collect: file to append acknowledged hit ids to")
	batch := fs.Int("batch", 50, "collect: hits per batch")
	prefix := fs.String("prefix", "L", "collect: hit id prefix")
	_ = fs.Parse(os.Args[2:])
	urls := fs.Args()
	if len(urls) == 0 {
		fmt.Fprintln(os.Stderr, "loadgen: no URL")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var err error
	if mode == "api" {
		err = runAPI(ctx, client, *conns, urls, hdrs)
	} else {
		err = runCollect(ctx, client, *conns, urls, *account, *acked, *batch, *prefix)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type stats struct {
	mu        sync.Mutex
	byStatus  map[int]int
	errs      map[string]int
	latencies []time.Duration
}

func (s *stats) add(status int, err error, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		s.errs[msg]++
		return
	}
	s.byStatus[status]++
	s.latencies = append(s.latencies, d)
}

func (s *stats) print(elapsed time.Duration) (n5xx, nerr int) {
	total := 0
	codes := make([]int, 0, len(s.byStatus))
	for c, n := range s.byStatus {
		codes = append(codes, c)
		total += n
		if c >= 500 {
			n5xx += n
		}
	}
	slices.Sort(codes)
	fmt.Printf("requests: %d in %.1fs (%.0f/s)\n", total, elapsed.Seconds(), float64(total)/elapsed.Seconds())
	for _, c := range codes {
		fmt.Printf("  status %d: %d\n", c, s.byStatus[c])
	}
	for e, n := range s.errs {
		fmt.Printf("  transport error %q: %d\n", e, n)
		nerr += n
	}
	if len(s.latencies) > 0 {
		slices.Sort(s.latencies)
		p := func(q float64) time.Duration { return s.latencies[int(q*float64(len(s.latencies)-1))] }
		fmt.Printf("latency: p50 %v  p90 %v  p99 %v  max %v\n", p(.5).Round(time.Microsecond), p(.9).Round(time.Microsecond),
			p(.99).Round(time.Microsecond), s.latencies[len(s.latencies)-1].Round(time.Microsecond))
	}
	return n5xx, nerr
}

func runAPI(ctx context.Context, client *http.Client, conns int, urls []string, hdrs headers) error {
	st := &stats{byStatus: map[int]int{}, errs: map[string]int{}}
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				u := urls[int(next.Add(1))%len(urls)]
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				for _, h := range hdrs {
					k, v, _ := strings.Cut(h, ":")
					req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return // the run ended mid-request
					}
					st.add(0, err, 0)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				st.add(resp.StatusCode, nil, time.Since(t0))
			}
		})
	}
	wg.Wait()
	n5xx, nerr := st.print(time.Since(start))
	if n5xx > 0 || nerr > 0 {
		return fmt.Errorf("%d 5xx answers and %d transport errors", n5xx, nerr)
	}
	return nil
}

func token(seed string) string {
	h := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(h[:16])
}

func runCollect(ctx context.Context, client *http.Client, conns int, urls []string, account, ackedPath string, batch int, prefix string) error {
	if account == "" || ackedPath == "" {
		return fmt.Errorf("collect needs -account and -acked")
	}
	out, err := os.OpenFile(ackedPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	var outMu sync.Mutex
	st := &stats{byStatus: map[int]int{}, errs: map[string]int{}}
	var seq, next, ackedHits, refused atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				n := seq.Add(1)
				type hit struct {
					ID      string `json:"id"`
					Type    string `json:"type"`
					Account string `json:"account"`
					Visitor string `json:"visitor"`
					Session string `json:"session"`
					TS      string `json:"ts"`
					URL     string `json:"url"`
				}
				hits := make([]hit, batch)
				ids := make([]string, batch)
				now := time.Now().UTC().Format(time.RFC3339Nano)
				for i := range hits {
					id := fmt.Sprintf("%s%d-%d", prefix, n, i)
					v := fmt.Sprintf("v%d", (n*int64(batch)+int64(i))%5000)
					hits[i] = hit{ID: id, Type: "pageview", Account: account, Visitor: token(v), Session: token(v + now[:13]), TS: now,
						URL: fmt.Sprintf("https://load.example/p/%d?utm_source=load", i)}
					ids[i] = id
				}
				body, _ := json.Marshal(map[string]any{"hits": hits})
				// The same batch is retried (on the next URL) until acknowledged
				// or the run ends, as tag.js retries.
				for ctx.Err() == nil {
					u := urls[int(next.Add(1))%len(urls)]
					req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, u, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						refused.Add(1)
						st.add(0, err, 0)
						time.Sleep(50 * time.Millisecond)
						continue
					}
					var res struct {
						Accepted int   `json:"accepted"`
						Rejected []any `json:"rejected"`
					}
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					st.add(resp.StatusCode, nil, time.Since(t0))
					if resp.StatusCode == http.StatusOK && json.Unmarshal(raw, &res) == nil && res.Accepted == batch && len(res.Rejected) == 0 {
						outMu.Lock()
						_, _ = out.WriteString(strings.Join(ids, "\n") + "\n")
						outMu.Unlock()
						ackedHits.Add(int64(batch))
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	st.print(time.Since(start))
	fmt.Printf("acknowledged hits: %d; failed attempts (connection refused/reset while restarting): %d\n", ackedHits.Load(), refused.Load())
	return nil
}
