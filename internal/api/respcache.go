package api

import (
	"bytes"
	"container/list"
	"net/http"
	"sync"
)

// respCache keeps encoded GET responses of client model resources (list,
// detail, set/), each with the change stamp its database reported before
// the response was computed (db.ChangeStamp). A cached response is served
// only while the database still reports that stamp: any commit, by this
// process or another, makes every response of that database stale. Only
// SQLite databases give stamps; PostgreSQL responses are not cached.
// Bounded by entries and by the size of one response; least recently used
// entries go first.
type respCache struct {
	mu       sync.Mutex
	maxItems int
	maxBody  int
	ll       *list.List // front: most recently used
	m        map[string]*list.Element
}

type respEntry struct {
	key   string
	stamp int64
	body  []byte
}

func newRespCache(maxItems, maxBody int) *respCache {
	return &respCache{maxItems: maxItems, maxBody: maxBody, ll: list.New(), m: map[string]*list.Element{}}
}

// get returns the body cached for key if it was computed at stamp.
func (c *respCache) get(key string, stamp int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*respEntry)
	if e.stamp != stamp {
		c.ll.Remove(el)
		delete(c.m, key)
		return nil, false
	}
	c.ll.MoveToFront(el)
	return e.body, true
}

// put stores body for key at stamp.
func (c *respCache) put(key string, stamp int64, body []byte) {
	if len(body) > c.maxBody {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		el.Value = &respEntry{key: key, stamp: stamp, body: body}
		c.ll.MoveToFront(el)
		return
	}
	c.m[key] = c.ll.PushFront(&respEntry{key: key, stamp: stamp, body: body})
	for c.ll.Len() > c.maxItems {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*respEntry).key)
	}
}

// captureWriter passes a response through and keeps a copy of its status
// and body for the cache.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}
