package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/apps/attrib"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

var _ api.Uploads = attrib.Uploads{}

const offlineHeader = "account_token,event_date_time,transaction_id,revenue,currency,customer_id,event_item_sku,page_url,referrer,sync_id_1,sync_id_2,sync_id_3\n"

type uploadObj struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	Filename    string `json:"filename"`
	Status      string `json:"status"`
	RowsTotal   int    `json:"rows_total"`
	RowsOK      int    `json:"rows_ok"`
	RowsFailed  int    `json:"rows_failed"`
	ResourceURI string `json:"resource_uri"`
	Errors      []struct {
		Row    int    `json:"row"`
		Column string `json:"column"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

// POST /api/v1/file-upload/: good rows kept, bad rows reported with row,
// column and reason and stored on the upload; the same file again is a
// 409; roles, tenancy and bad requests name what is wrong.
func TestFileUpload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		f := apitest.New(t, tg, api.Limits{})
		csv := offlineHeader +
			"c-a-demo-gb,2026-03-01 10:00:00,T1,59.99,GBP,C1,SKU-1,https://shop.example/store,,abc,,\n" + // row 2 ok
			"c-a-demo-gb,yesterday,T2,5,GBP,,,,,,,\n" + // row 3: date
			"c-a-demo-gb,2026-03-02 11:00:00,T3,12.50,GBP,,,,,,,\n" + // row 4 ok
			"c-a-other-gb,2026-03-02 11:00:00,T4,12.50,GBP,,,,,,,\n" // row 5: another account
		body := mustBody(t, [][2]string{{"kind", "offline_sales"}, {"file", csv}})
		ctype := contentTypeOf(body)
		post := func(auth, account, body, ctype string) *httpResult {
			rec := f.Do(apitest.Request{Method: "POST", URL: "/api/v1/file-upload/?account=" + account, Body: body, Auth: auth,
				Headers: map[string]string{"Content-Type": ctype}})
			return &httpResult{code: rec.Code, body: rec.Body.Bytes(), header: rec.Header()}
		}
		r := post("alice", "c-a-demo-gb", body, ctype)
		if r.code != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.code, r.body)
		}
		var up uploadObj
		if err := json.Unmarshal(r.body, &up); err != nil {
			t.Fatal(err)
		}
		if up.Status != "received" || up.RowsTotal != 4 || up.RowsOK != 2 || up.RowsFailed != 2 || up.Filename != "sales.csv" || up.Kind != "offline_sales" {
			t.Fatalf("upload object: %+v", up)
		}
		if len(up.Errors) != 2 || up.Errors[0].Row != 3 || up.Errors[0].Column != "event_date_time" || up.Errors[1].Row != 5 || up.Errors[1].Column != "account_token" {
			t.Fatalf("row errors: %+v", up.Errors)
		}
		if loc := r.header.Get("Location"); loc != up.ResourceURI || up.ResourceURI == "" {
			t.Fatalf("Location %q, resource_uri %q", loc, up.ResourceURI)
		}
		// The good rows are stored; the errors are on the upload for later reads.
		d, release, err := f.App.Tenants.Acquire(context.Background(), f.Demo)
		if err != nil {
			t.Fatal(err)
		}
		var rows int
		err = d.QueryRow(context.Background(), `SELECT COUNT(*) FROM "offline_sale_row" WHERE "upload_id" = ?`, up.ID).Scan(&rows)
		release()
		if err != nil || rows != 2 {
			t.Fatalf("stored rows %d, %v; want 2", rows, err)
		}
		rec := f.Do(apitest.Request{URL: up.ResourceURI + "?account=c-a-demo-gb"})
		var again uploadObj
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &again) != nil || len(again.Errors) != 2 || again.RowsOK != 2 {
			t.Fatalf("GET %s: %d %s", up.ResourceURI, rec.Code, rec.Body)
		}
		rec = f.Do(apitest.Request{URL: "/api/v1/file-upload/?account=c-a-demo-gb&status=received"})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"total_count":1`) {
			t.Fatalf("list uploads: %d %s", rec.Code, rec.Body)
		}
		// The same file again: 409 naming the earlier upload; nothing new stored.
		r = post("alice", "c-a-demo-gb", body, ctype)
		if r.code != http.StatusConflict || !strings.Contains(string(r.body), "already uploaded") || !strings.Contains(string(r.body), `"file"`) {
			t.Fatalf("re-upload: %d %s", r.code, r.body)
		}

		other := mustBody(t, [][2]string{{"file", offlineHeader + "c-a-demo-gb,2026-03-05 09:00:00,T9,1,GBP,,,,,,,\n"}})
		cases := []struct {
			name, auth, account, body, ctype string
			code                             int
			want                             string
		}{
			{"viewer", "victor", "c-a-demo-gb", other, "", 403, "cannot upload"},
			{"other account's admin", "olga", "c-a-demo-gb", other, "", 403, "no access"},
			{"no credentials", "none", "c-a-demo-gb", other, "", 401, ""},
			{"no account", "alice", "", other, "", 400, "account parameter"},
			{"json body", "alice", "c-a-demo-gb", `{"file": "x"}`, "application/json", 415, "multipart"},
			{"no file part", "alice", "c-a-demo-gb", mustBody(t, [][2]string{{"kind", "offline_sales"}}), "", 400, `"file"`},
			{"unknown kind", "alice", "c-a-demo-gb", mustBody(t, [][2]string{{"kind", "photos"}, {"file", "x"}}), "", 400, `"kind"`},
			{"not a csv", "alice", "c-a-demo-gb", mustBody(t, [][2]string{{"file", "col_a,col_b\n1,2\n"}}), "", 400, "unknown column"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctype := c.ctype
				if ctype == "" {
					ctype = contentTypeOf(c.body)
				}
				r := post(c.auth, c.account, c.body, ctype)
				if r.code != c.code || !strings.Contains(string(r.body), c.want) {
					t.Fatalf("%d %s; want %d containing %q", r.code, r.body, c.code, c.want)
				}
			})
		}
	})
}

type httpResult struct {
	code   int
	body   []byte
	header http.Header
}

// mustBody builds a multipart/form-data body with the given parts (a part
// named "file" is sent as the file sales.csv) and a fixed boundary, so
// the content type can be derived from the body (contentTypeOf).
func mustBody(t *testing.T, parts [][2]string) string {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary("cubedtestboundary"); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		var err error
		if p[0] == "file" {
			var fw interface{ Write([]byte) (int, error) }
			fw, err = mw.CreateFormFile("file", "sales.csv")
			if err == nil {
				_, err = fw.Write([]byte(p[1]))
			}
		} else {
			err = mw.WriteField(p[0], p[1])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func contentTypeOf(body string) string {
	if strings.Contains(body, "cubedtestboundary") {
		return "multipart/form-data; boundary=cubedtestboundary"
	}
	return "application/octet-stream"
}
