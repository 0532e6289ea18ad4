package collect

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cubedhq/cubed/internal/api"
)

//go:embed tag.js
var tagJS []byte

// TagJS returns the browser tag served at /tag.js.
func TagJS() []byte { return bytes.Clone(tagJS) }

var tagETag = func() string {
	sum := sha256.Sum256(tagJS)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// pixelGIF is a transparent 1×1 GIF.
var pixelGIF = []byte{
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
}

// ServeHTTP serves POST and OPTIONS /collect, GET /collect/pixel.gif and
// GET /tag.js. Mount it on those paths (api.Deps.Collect).
func (c *Collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/collect", "/collect/":
		c.serveCollect(w, r)
	case "/collect/pixel.gif":
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			api.WriteError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("Method %s is not allowed here.", r.Method), nil)
			return
		}
		c.servePixel(w, r)
	case "/tag.js":
		if !onlyGet(w, r) {
			return
		}
		serveTag(w, r)
	default:
		api.WriteError(w, r, http.StatusNotFound, "not_found", "No such path.", nil)
	}
}

func onlyGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	api.WriteError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("Method %s is not allowed here.", r.Method), nil)
	return false
}

// cors allows any origin without credentials (spec/domain.md §7).
func cors(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Vary", "Origin")
}

func (c *Collector) serveCollect(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	cors(h)
	switch r.Method {
	case http.MethodOptions:
		h.Set("Access-Control-Allow-Methods", "POST")
		h.Set("Access-Control-Allow-Headers", "Content-Type")
		h.Set("Access-Control-Max-Age", "86400")
		h.Set("Allow", "POST, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		h.Set("Allow", "POST, OPTIONS")
		api.WriteError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("Method %s is not allowed here; send hits with POST.", r.Method), nil)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/plain") {
			api.WriteError(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type", "Send hits as application/json (or text/plain, as navigator.sendBeacon does).", nil)
			return
		}
	}
	tooLarge := func() {
		api.WriteError(w, r, http.StatusRequestEntityTooLarge, "payload_too_large",
			fmt.Sprintf("A batch is at most %d hits and %d bytes.", c.opt.MaxHits, c.opt.MaxBody), nil)
	}
	if r.ContentLength > c.opt.MaxBody {
		tooLarge()
		return
	}
	buf := bytes.NewBuffer(make([]byte, 0, max(512, min(r.ContentLength+1, c.opt.MaxBody+1))))
	_, err := buf.ReadFrom(io.LimitReader(r.Body, c.opt.MaxBody+1))
	body := buf.Bytes()
	if err != nil {
		api.WriteError(w, r, http.StatusBadRequest, "bad_request", "The request body could not be read.", nil)
		return
	}
	if int64(len(body)) > c.opt.MaxBody {
		tooLarge()
		return
	}
	hits, pre, status := c.decode(body)
	switch status {
	case http.StatusBadRequest:
		api.WriteError(w, r, status, "bad_request", `The body must be a JSON object {"hits": [...]}.`, nil)
		return
	case http.StatusRequestEntityTooLarge:
		tooLarge()
		return
	}
	// Hits that did not decode are rejected here; the rest are validated
	// with their original indexes.
	ua := clip(r.UserAgent(), 512)
	country := ""
	if c.opt.CountryHeader != "" {
		if v := r.Header.Get(c.opt.CountryHeader); validCountry(v) {
			country = strings.ToUpper(v)
		}
	}
	index := make([]int, 0, len(hits))
	batch := make([]Hit, 0, len(hits))
	for i := range hits {
		if _, bad := pre[i]; bad {
			continue
		}
		hits[i].UserAgent, hits[i].Country = ua, country
		index = append(index, i)
		batch = append(batch, hits[i])
	}
	res, err := c.Submit(r.Context(), batch, SubmitOptions{})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	rejected := make([]Rejection, 0, len(res.Rejected)+len(pre))
	for _, rj := range res.Rejected {
		rj.Index = index[rj.Index]
		rejected = append(rejected, rj)
	}
	for i := range hits {
		if rj, bad := pre[i]; bad {
			rejected = append(rejected, rj)
		}
	}
	sortRejections(rejected)
	res.Rejected = rejected
	c.metrics.hits.WithLabelValues("accepted").Add(float64(res.Accepted))
	c.metrics.hits.WithLabelValues("rejected").Add(float64(len(rejected)))
	out, _ := json.Marshal(res)
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(out, '\n'))
}

func sortRejections(rs []Rejection) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].Index < rs[j-1].Index; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// decode reads {"hits": [...]}. A hit whose fields have the wrong JSON
// types is rejected alone (pre), naming the field. status is 400 for a
// body that is not such an object, 413 for too many hits.
func (c *Collector) decode(body []byte) ([]Hit, map[int]Rejection, int) {
	var fast struct {
		Hits []Hit `json:"hits"`
	}
	// Room for the hits up front (a hit is rarely under 150 bytes), so
	// decoding does not grow the slice again and again.
	fast.Hits = make([]Hit, 0, min(c.opt.MaxHits+1, len(body)/150+1))
	if err := json.Unmarshal(body, &fast); err == nil {
		if len(fast.Hits) > c.opt.MaxHits {
			return nil, nil, http.StatusRequestEntityTooLarge
		}
		return fast.Hits, nil, 0
	}
	var raw struct {
		Hits []json.RawMessage `json:"hits"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, http.StatusBadRequest
	}
	if len(raw.Hits) > c.opt.MaxHits {
		return nil, nil, http.StatusRequestEntityTooLarge
	}
	hits := make([]Hit, len(raw.Hits))
	pre := map[int]Rejection{}
	for i, m := range raw.Hits {
		if err := json.Unmarshal(m, &hits[i]); err != nil {
			field, reason := "", "must be a JSON object"
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				field = te.Field
				reason = "must be a JSON " + jsonKind(te.Type.Kind().String())
			}
			pre[i] = Rejection{Index: i, Field: field, Reason: reason}
		}
	}
	return hits, pre, 0
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "array"
	case "bool":
		return "boolean"
	default:
		return "number"
	}
}

// fail maps Submit's errors to the API's envelope.
func (c *Collector) fail(w http.ResponseWriter, r *http.Request, err error) {
	var rl *RateLimitError
	switch {
	case errors.Is(err, ErrUnknownAccount):
		c.metrics.refused.WithLabelValues("unknown_account").Inc()
		api.WriteError(w, r, http.StatusNotFound, "not_found", "Unknown or inactive account.", nil)
	case errors.As(err, &rl):
		c.metrics.refused.WithLabelValues("rate_limited").Inc()
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, rl.RetryAfter.Seconds()+0.999))))
		api.WriteError(w, r, http.StatusTooManyRequests, "throttled", "Too many hits for this account; retry later.", nil)
	case errors.Is(err, ErrOverloaded), errors.Is(err, ErrClosed):
		c.metrics.refused.WithLabelValues("unavailable").Inc()
		w.Header().Set("Retry-After", "1")
		api.WriteError(w, r, http.StatusServiceUnavailable, "unavailable", "The collector is busy; retry later.", nil)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		api.WriteError(w, r, 499, "cancelled", "The request was cancelled.", nil)
	default:
		c.log.Error("collector: batch not stored", "request_id", api.RequestID(r.Context()), "err", err)
		api.WriteError(w, r, http.StatusInternalServerError, "internal", "The batch was not stored; retry it.", nil)
	}
}

func (c *Collector) servePixel(w http.ResponseWriter, r *http.Request) {
	cors(w.Header())
	q := r.URL.Query()
	token := q.Get("account")
	im := Impression{ID: q.Get("id"), Medium: q.Get("medium"), Source: q.Get("source"), Campaign: q.Get("campaign"),
		Content: q.Get("content"), SyncHash: q.Get("sync")}
	for _, p := range []struct {
		name, val string
		max       int
	}{{"medium", im.Medium, 255}, {"source", im.Source, 255}, {"campaign", im.Campaign, 255}, {"content", im.Content, 255}, {"sync", im.SyncHash, 128}} {
		if len(p.val) > p.max {
			api.WriteError(w, r, http.StatusBadRequest, "invalid", fmt.Sprintf("%s: longer than %d characters.", p.name, p.max), map[string][]string{p.name: {"too long"}})
			return
		}
	}
	if im.ID != "" && !validHitID(im.ID) {
		api.WriteError(w, r, http.StatusBadRequest, "invalid", "id: must be 1-64 letters, digits or . _ : -.", map[string][]string{"id": {"invalid"}})
		return
	}
	if token == "" {
		api.WriteError(w, r, http.StatusBadRequest, "invalid", "account: is required.", map[string][]string{"account": {"required"}})
		return
	}
	if err := c.SubmitImpressions(r.Context(), token, []Impression{im}, SubmitOptions{}); err != nil {
		c.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/gif")
	h.Set("Cache-Control", "no-store, max-age=0")
	h.Set("Content-Length", strconv.Itoa(len(pixelGIF)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(pixelGIF)
}

func serveTag(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	cors(h)
	h.Set("Content-Type", "application/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", tagETag)
	http.ServeContent(w, r, "tag.js", time.Time{}, bytes.NewReader(tagJS))
}
