package collect

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/tenant"
)

// FuzzDecodeHits feeds arbitrary /collect bodies to the hit decoder and
// validates every decoded hit against one account. Properties:
//   - decode answers 0, 400 or 413, never panics, never more than MaxHits hits;
//   - a pre-rejection (wrong JSON type) names an index in range and a reason;
//   - check never panics; a rejection names a known field and a reason;
//   - an accepted hit keeps its id, has a kind, a timestamp in range and
//     respects every limit (URL, labels, items, money);
//   - a body made by re-encoding the decoded hits decodes to the same hits.
//
// Run longer with: go test -run XXX -fuzz FuzzDecodeHits -fuzztime 10m ./internal/collect/
func FuzzDecodeHits(f *testing.F) {
	vis := strings.Repeat("v", 32)
	ses := strings.Repeat("s", 32)
	for _, seed := range []string{
		`{"hits":[{"id":"h1","type":"pageview","account":"c-a-shop-gb","visitor":"` + vis + `","session":"` + ses + `","ts":"2025-03-01T12:00:00Z","url":"https://shop.example/p?utm_source=news&gclid=x","referrer":"https://www.google.com/","title":"Home"}]}`,
		`{"hits":[{"id":"h2","type":"event","account":"c-a-shop-gb","visitor":"` + vis + `","session":"` + ses + `","ts":"2025-03-01T12:00:01.123456789+02:00","event":{"name":"purchase","revenue":59.99,"currency":"GBP","transaction_id":"t1","items":[{"sku":"A","quantity":2,"unit_price":"29.995"}]},"labels":{"plan":"pro","n":3,"ok":true},"sync":{"email_hash":"abc","order_id":"o1"}}]}`,
		`{"hits":[{"id":1}]}`,
		`{"hits":[{"id":"x","labels":[1,2]},{"id":"y","event":"purchase"}]}`,
		`{"hits":{}}`,
		`[]`,
		`{"hits":[null,{},[]]}`,
		`{"hits":[{"id":"h3","type":"event","account":"c-a-shop-gb","visitor":"` + vis + `","session":"` + ses + `","ts":"2025-03-01T12:00:00Z","event":{"name":"x","revenue":-1e308,"currency":"JPY"}}]}`,
		`{"hits":[{"id":"h4","type":"pageview","account":"c-a-shop-gb","visitor":"` + vis + `","session":"` + ses + `","ts":"1999-12-31T23:59:59Z","url":"javascript:alert(1)"}]}`,
		`{"hits":[{"id":"h5","type":"pageview","account":"c-a-shop-gb","visitor":"` + vis + `","session":"` + ses + `","ts":"2025-03-01T12:00:00Z","url":"https://x/` + "\u0000" + `","sync":{"other":"1"}}]}`,
		``, `{`, `{"hits":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	c := &Collector{opt: Options{Tenants: nil}}
	c.opt.fill()
	c.opt.MaxHits = 50
	acct := tenant.Account{Token: "c-a-shop-gb", Currency: "GBP", TimeZone: "Europe/London"}
	known := map[string]bool{"id": true, "type": true, "account": true, "visitor": true, "session": true, "ts": true, "url": true,
		"referrer": true, "event": true, "labels": true, "sync": true}
	f.Fuzz(func(t *testing.T, body []byte) {
		hits, pre, status := c.decode(body)
		switch status {
		case 0:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if hits != nil || pre != nil {
				t.Fatalf("status %d with %d hits", status, len(hits))
			}
			return
		default:
			t.Fatalf("decode status %d", status)
		}
		if len(hits) > c.opt.MaxHits {
			t.Fatalf("%d hits over the limit %d", len(hits), c.opt.MaxHits)
		}
		for i, rj := range pre {
			if i != rj.Index || i < 0 || i >= len(hits) || rj.Reason == "" {
				t.Fatalf("pre-rejection %d: %+v of %d hits", i, rj, len(hits))
			}
		}
		v := &validator{account: acct, now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), anyTS: true,
			events: map[string]bool{"purchase": true}, agents: map[string]agent{}}
		for i := range hits {
			if _, bad := pre[i]; bad {
				continue
			}
			var out hit
			if r := v.check(&hits[i], &out); r != nil {
				top, _, _ := strings.Cut(r.field, ".")
				if !known[top] || r.reason == "" {
					t.Fatalf("hit %d: rejection %+v names no known field or no reason", i, *r)
				}
				continue
			}
			if out.id != hits[i].ID || (out.kind != kindPageView && out.kind != kindEvent) {
				t.Fatalf("hit %d: accepted as %+v", i, out)
			}
			if y := out.ts.Year(); y < 2000 || y > 9999 || out.ts.Location() != time.UTC {
				t.Fatalf("hit %d: ts %v", i, out.ts)
			}
			if len(out.url) > MaxURL || len(out.path) > MaxURL || len(out.labels) > MaxLabels || len(out.title) > maxTitle {
				t.Fatalf("hit %d: limits exceeded: %+v", i, out)
			}
			if out.kind == kindEvent {
				if out.event == nil || len(out.event.items) > MaxItems {
					t.Fatalf("hit %d: event %+v", i, out.event)
				}
				if m := out.event.revenueMinor; m < 0 || m >= maxMinor {
					t.Fatalf("hit %d: revenue %d minor units", i, m)
				}
			}
		}
		// Round trip: the decoded hits, encoded again, decode the same.
		again, err := json.Marshal(struct {
			Hits []Hit `json:"hits"`
		}{hits})
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if len(pre) > 0 {
			return // the fallback path zeroes hits it could not decode
		}
		back, pre2, st := c.decode(again)
		if st != 0 || len(pre2) != 0 || len(back) != len(hits) {
			t.Fatalf("round trip: status %d, %d pre, %d hits of %d", st, len(pre2), len(back), len(hits))
		}
		b1, _ := json.Marshal(back)
		b2, _ := json.Marshal(hits)
		if string(b1) != string(b2) {
			t.Fatalf("round trip differs:\n%s\n%s", b1, b2)
		}
	})
}
