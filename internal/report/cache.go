package report

import (
	"container/list"
	"sync"
)

// resultCache keeps computed results per (report, account, normalised
// query, data version), least recently used first out, bounded by entries
// and by rows in all. A new data version makes new keys; old entries age
// out.
type resultCache struct {
	mu         sync.Mutex
	maxEntries int
	maxRows    int
	rows       int
	ll         *list.List
	m          map[string]*list.Element
}

type cacheEntry struct {
	key  string
	comp *computed
	size int
}

func newResultCache(entries, rows int) *resultCache {
	return &resultCache{maxEntries: entries, maxRows: rows, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *resultCache) get(key string) (*computed, bool) {
	if c.maxEntries < 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*cacheEntry).comp, true
}

func (c *resultCache) put(key string, comp *computed, size int) {
	if c.maxEntries < 0 || size > c.maxRows/10 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		c.rows -= el.Value.(*cacheEntry).size
		c.ll.Remove(el)
	}
	c.m[key] = c.ll.PushFront(&cacheEntry{key: key, comp: comp, size: size})
	c.rows += size
	for c.ll.Len() > c.maxEntries || c.rows > c.maxRows {
		el := c.ll.Back()
		e := el.Value.(*cacheEntry)
		c.ll.Remove(el)
		delete(c.m, e.key)
		c.rows -= e.size
	}
}

// len reports the cached results (tests).
func (c *resultCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
