package api

import (
	"math"
	"sync"
	"time"
)

// bucketLimiter is a token bucket per key: rate tokens per period, burst
// equal to rate. Idle keys are dropped.
type bucketLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[string]*bucket
	now     func() time.Time
	lastGC  time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newBucketLimiter(perMinute int, now func() time.Time) *bucketLimiter {
	return &bucketLimiter{rate: float64(perMinute) / 60, burst: float64(perMinute), buckets: map[string]*bucket{}, now: now}
}

// allow takes a token for key, or says how long until one is available.
func (l *bucketLimiter) allow(key string) (bool, time.Duration) {
	if l.rate <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastGC) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.at) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.lastGC = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// failureWindow counts failures per key within a sliding window.
type failureWindow struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string][]time.Time
	now    func() time.Time
}

func newFailureWindow(max int, window time.Duration, now func() time.Time) *failureWindow {
	return &failureWindow{max: max, window: window, hits: map[string][]time.Time{}, now: now}
}

func (f *failureWindow) prune(key string, now time.Time) []time.Time {
	list := f.hits[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= f.window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(f.hits, key)
	} else {
		f.hits[key] = list
	}
	return list
}

// blocked says whether key reached the maximum, and until when.
func (f *failureWindow) blocked(key string) (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	list := f.prune(key, now)
	if len(list) < f.max {
		return false, 0
	}
	return true, f.window - now.Sub(list[len(list)-f.max])
}

func (f *failureWindow) fail(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.hits[key] = append(f.prune(key, now), now)
}
