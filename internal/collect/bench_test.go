package collect_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/collect"
	"github.com/cubedhq/cubed/internal/db"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// BenchmarkCollectHTTP is the collector benchmark of the Data collection
// issue: 8 concurrent senders POST batches of 100 page views (30
// sessions each) over loopback HTTP into one SQLite client
// database; one op is one batch. Ids and tokens are made as tag.js makes
// them (milliseconds, then 80 random bits), and, for comparison, wholly
// random. Run:
//
//	go test -run '^$' -bench CollectHTTP -benchtime 2000x ./internal/collect/
func BenchmarkCollectHTTP(b *testing.B) {
	b.Run("tag-ids", func(b *testing.B) { benchCollect(b, false) })
	b.Run("random-ids", func(b *testing.B) { benchCollect(b, true) })
}

func benchCollect(b *testing.B, random bool) {
	tg := dbtest.Target{Dialect: db.SQLite, DataDir: b.TempDir()}
	f := newFixture(b, tg, collect.Options{HitsPerSecond: -1})
	f.now = time.Now().UTC()
	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	const senders, size = 8, 100
	ts := f.now.Add(-time.Minute).Format(time.RFC3339Nano)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
			// rid makes ids and tokens as tag.js does: milliseconds, then random.
			rid := func() string {
				if random {
					return fmt.Sprintf("%016x%016x", rnd.Uint64(), rnd.Uint64())
				}
				return fmt.Sprintf("%012x%04x%016x", time.Now().UnixMilli(), rnd.Uint32()&0xffff, rnd.Uint64())
			}
			var sessions [30]string
			for {
				n := next.Add(1) - 1
				if n >= int64(b.N) {
					return
				}
				buf.Reset()
				buf.WriteString(`{"hits":[`)
				for i := 0; i < size; i++ {
					if i > 0 {
						buf.WriteByte(',')
					}
					// Random ids and tokens, as browsers make them.
					if i < 30 {
						sessions[i] = rid()
					}
					session := sessions[i%30]
					fmt.Fprintf(&buf, `{"id":"%s","type":"pageview","account":"c-a-shop-gb","visitor":"%s","session":"%s","ts":%q,"url":"https://shop.example/p/%d?utm_source=google&utm_medium=cpc&gclid=x%s","referrer":"https://www.google.com/","title":"Product %d"}`,
						rid(), session, session, ts, i, session[20:], i)
				}
				buf.WriteString(`]}`)
				resp, err := client.Post(srv.URL+"/collect", "application/json", bytes.NewReader(buf.Bytes()))
				if err != nil {
					b.Error(err)
					return
				}
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*size)/elapsed.Seconds(), "hits/s")
	if got, want := f.count("page_view"), b.N*size; got != want {
		b.Fatalf("stored %d page views, want %d", got, want)
	}
}
