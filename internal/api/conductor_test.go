package api_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cubedhq/cubed/internal/api"
	"github.com/cubedhq/cubed/internal/api/apitest"
	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/conductor"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// conductorFixture is the §11 world with Conductor's test commands run
// once: test_noop succeeded for demo (2026-03-09) and other (2026-03-09),
// test_fail failed three times for demo (2026-03-10), and the matrix-none
// test_global succeeded once.
type conductorFixture struct {
	*apitest.Fixture
	c *conductor.Conductor
	// run ids by label
	runs map[string]int64
	// slot ids by label
	slots map[string]int64
	oa    *openAPI
}

func newConductorFixture(t *testing.T, tg dbtest.Target) *conductorFixture {
	t.Helper()
	ctx := context.Background()
	f := apitest.New(t, tg, api.Limits{UserPerMinute: 1 << 30})
	reg := command.NewRegistry()
	reg.Add(conductor.TestCommandSet()...)
	fast := command.RetryPolicy{MaxAttempts: 3, Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond}
	reg.Add(command.Command{Name: "test_global", App: "conductortest", Frequency: command.Manual, Matrix: command.None, Sequential: new(false), Retry: fast,
		Run: func(context.Context, *command.Env) error { return nil }})
	c, err := conductor.New(conductor.Options{Control: f.App.Control, Tenants: f.App.Tenants, Commands: reg, Logger: slog.New(slog.DiscardHandler),
		Concurrency: 2, FetchPollInterval: 10 * time.Millisecond, SlotsAheadDays: -1})
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tr := range []conductor.TriggerParams{
		{Command: "test_noop", Accounts: []string{f.Demo.Token, f.Other.Token}, From: day("2026-03-09"), To: day("2026-03-09")},
		{Command: "test_fail", Accounts: []string{f.Demo.Token}, From: day("2026-03-10"), To: day("2026-03-10")},
		{Command: "test_global", From: day("2026-03-09"), To: day("2026-03-09")},
	} {
		if _, err := c.Trigger(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.RunOnce(ctx, nil); err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Deps{Log: slog.New(slog.DiscardHandler), Control: f.App.Control, Tenants: f.App.Tenants, Auth: f.App.Auth,
		Resources: f.App.Resources, Reports: f.App.Reports, Limits: api.Limits{UserPerMinute: 1 << 30}, Conductor: c})
	if err != nil {
		t.Fatal(err)
	}
	f.Handler = h
	cf := &conductorFixture{Fixture: f, c: c, runs: map[string]int64{}, slots: map[string]int64{}}
	// The served document (with Conductor's paths) validates every answer.
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(f.Do(apitest.Request{URL: "/api/v1/openapi.json", Auth: "none"}).Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	if err := comp.AddResource(docURL, raw); err != nil {
		t.Fatal(err)
	}
	cf.oa = &openAPI{doc: raw.(map[string]any), compiler: comp, cache: map[string]*jsonschema.Schema{}}
	for _, name := range []string{"CommandRun", "CommandSlot", "CommandDefinition", "CommandRunLog", "TriggerRequest", "TriggerResult"} {
		if _, err := comp.Compile(docURL + "#/components/schemas/" + name); err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
	}
	rows, err := f.App.Control.Query(ctx, `SELECT r."id", r."slot_id", d."name", COALESCE(sl."account_id", 0), r."attempt" FROM "command_run" r
		JOIN "command_slot" sl ON sl."id" = r."slot_id" JOIN "command_definition" d ON d."id" = sl."definition_id" ORDER BY r."id"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, slot, acct, attempt int64
		var name string
		if err := rows.Scan(&id, &slot, &name, &acct, &attempt); err != nil {
			t.Fatal(err)
		}
		who := map[int64]string{f.Demo.ID: "demo", f.Other.ID: "other", 0: "none"}[acct]
		cf.runs[fmt.Sprintf("%s/%s/%d", name, who, attempt)] = id
		cf.slots[name+"/"+who] = slot
	}
	if len(cf.runs) != 6 {
		t.Fatalf("runs after RunOnce: %v, want 6 (2 noop, 3 fail, 1 global)", cf.runs)
	}
	return cf
}

type cdCase struct {
	name   string
	req    apitest.Request
	status int
	code   string
	names  string   // error message or fields must name this
	ids    []string // run or slot labels, in order
	total  int      // meta.total_count when ids is set
	check  func(t *testing.T, body map[string]any)
}

func (cf *conductorFixture) run(t *testing.T, cases []cdCase) {
	t.Helper()
	for _, c := range cases {
		rec := cf.Do(c.req)
		if rec.Header().Get("Content-Type") == "application/json" {
			method := c.req.Method
			if method == "" {
				method = "GET"
			}
			if err := cf.oa.validate(method, c.req.URL, rec.Code, rec.Body.Bytes()); err != nil {
				t.Errorf("%s: does not match openapi.json: %v", c.name, err)
			}
		}
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d\n%s", c.name, rec.Code, c.status, rec.Body.String())
			continue
		}
		body := decode(t, rec)
		if c.code != "" {
			e, _ := body["error"].(map[string]any)
			if e == nil || e["code"] != c.code {
				t.Errorf("%s: %v, want error code %s", c.name, body, c.code)
			} else if c.names != "" && !strings.Contains(fmt.Sprint(e["message"], e["fields"]), c.names) {
				t.Errorf("%s: error %v does not name %q", c.name, e, c.names)
			}
		}
		if c.ids != nil {
			want := []int64{}
			for _, l := range c.ids {
				id, ok := cf.runs[l]
				if !ok {
					id = cf.slots[l]
				}
				want = append(want, id)
			}
			if got := ids(body); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: ids %v, want %v (%v)", c.name, got, want, c.ids)
			}
			if meta, _ := body["meta"].(map[string]any); meta == nil || int(meta["total_count"].(float64)) != c.total {
				t.Errorf("%s: meta %v, want total_count %d", c.name, body["meta"], c.total)
			}
		}
		if c.check != nil {
			c.check(t, body)
		}
	}
}

func TestConductorResources(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		cf := newConductorFixture(t, tg)
		runURI := func(label, suffix string) string {
			return fmt.Sprintf("/api/v1/command-run/%d/%s", cf.runs[label], suffix)
		}
		slotURI := func(label string) string { return fmt.Sprintf("/api/v1/command-slot/%d/", cf.slots[label]) }
		as := func(user, url string) apitest.Request { return apitest.Request{URL: url, Auth: user} }
		failDemo := []string{"test_fail/demo/3", "test_fail/demo/2", "test_fail/demo/1"}
		cf.run(t, []cdCase{
			// Reads: a user sees only runs and slots of their accounts.
			{name: "alice lists demo runs, newest first", req: as("alice", "/api/v1/command-run/"), status: 200,
				ids: append(append([]string{}, failDemo...), "test_noop/demo/1"), total: 4},
			{name: "olga lists other's runs only", req: as("olga", "/api/v1/command-run/"), status: 200, ids: []string{"test_noop/other/1"}, total: 1},
			{name: "staff see every run", req: as("stan", "/api/v1/command-run/?order_by=id"), status: 200, check: func(t *testing.T, body map[string]any) {
				var want []int64
				for _, id := range cf.runs {
					want = append(want, id)
				}
				slices.Sort(want)
				if got := ids(body); !reflect.DeepEqual(got, want) {
					t.Errorf("staff run ids %v, want %v", got, want)
				}
			}},
			{name: "account filter on a foreign account matches nothing", req: as("alice", "/api/v1/command-run/?account="+cf.Other.Token), status: 200, ids: []string{}, total: 0},
			{name: "account filter on an unknown account matches nothing", req: as("alice", "/api/v1/command-run/?account=nope"), status: 200, ids: []string{}, total: 0},
			{name: "filter by status name", req: as("alice", "/api/v1/command-run/?status=failed&order_by=attempt"), status: 200,
				ids: []string{"test_fail/demo/1", "test_fail/demo/2", "test_fail/demo/3"}, total: 3},
			{name: "filter by status number and command", req: as("stan", "/api/v1/command-run/?status=4&command=test_noop&order_by=id"), status: 200,
				ids: []string{"test_noop/demo/1", "test_noop/other/1"}, total: 2},
			{name: "local_date range", req: as("alice", "/api/v1/command-run/?local_date__gte=2026-03-10&local_date__lte=2026-03-10&limit=2"), status: 200,
				ids: failDemo[:2], total: 3, check: func(t *testing.T, body map[string]any) {
					meta := body["meta"].(map[string]any)
					if want := "/api/v1/command-run/?local_date__gte=2026-03-10&local_date__lte=2026-03-10&limit=2&offset=2"; meta["next"] != want {
						t.Errorf("next %v, want %s", meta["next"], want)
					}
				}},
			{name: "local_date__range", req: as("alice", "/api/v1/command-slot/?local_date__range=2026-03-01,2026-03-09"), status: 200, ids: []string{"test_noop/demo"}, total: 1},
			{name: "slots of demo by account and status", req: as("alice", "/api/v1/command-slot/?account="+cf.Demo.Token+"&status=failed"), status: 200, ids: []string{"test_fail/demo"}, total: 1},
			{name: "bad status", req: as("alice", "/api/v1/command-run/?status=done"), status: 400, code: "invalid_filter", names: "status"},
			{name: "bad slot status", req: as("alice", "/api/v1/command-slot/?status=4"), status: 400, code: "invalid_filter", names: "status"},
			{name: "bad date", req: as("alice", "/api/v1/command-run/?local_date__gte=yesterday"), status: 400, code: "invalid_filter", names: "local_date__gte"},
			{name: "unknown filter", req: as("alice", "/api/v1/command-run/?worker=x"), status: 400, code: "invalid_filter", names: "worker"},
			{name: "bad ordering", req: as("alice", "/api/v1/command-run/?order_by=error"), status: 400, code: "invalid_ordering", names: "error"},
			{name: "bad limit", req: as("alice", "/api/v1/command-run/?limit=x"), status: 400, code: "invalid_pagination"},
			{name: "detail with progress and logs link", req: as("alice", runURI("test_fail/demo/1", "")), status: 200, check: func(t *testing.T, body map[string]any) {
				if body["status"] != float64(conductor.Failed) || body["status_name"] != "failed" || body["command"] != "test_fail" || body["local_date"] != "2026-03-10" ||
					!strings.Contains(fmt.Sprint(body["error"]), "always fails") || body["account"] != fmt.Sprintf("/api/v1/account/%d/", cf.Demo.ID) {
					t.Errorf("run detail %v", body)
				}
				if _, ok := body["progress"].(map[string]any)["done"]; !ok {
					t.Errorf("no progress in %v", body)
				}
			}},
			{name: "logs of a run", req: as("alice", runURI("test_fail/demo/1", "logs/")), status: 200, check: func(t *testing.T, body map[string]any) {
				if _, ok := body["meta"].(map[string]any)["total_count"]; !ok {
					t.Errorf("logs %v", body)
				}
			}},
			// Tenancy: another account's records are not found, never forbidden.
			{name: "olga: demo run detail", req: as("olga", runURI("test_noop/demo/1", "")), status: 404, code: "not_found"},
			{name: "olga: demo run logs", req: as("olga", runURI("test_noop/demo/1", "logs/")), status: 404, code: "not_found"},
			{name: "olga: demo slot", req: as("olga", slotURI("test_noop/demo")), status: 404, code: "not_found"},
			{name: "alice: accountless slot", req: as("alice", slotURI("test_global/none")), status: 404, code: "not_found"},
			{name: "alice: accountless run", req: as("alice", runURI("test_global/none/1", "")), status: 404, code: "not_found"},
			{name: "staff: accountless slot", req: as("stan", slotURI("test_global/none")), status: 200},
			{name: "missing run", req: as("alice", "/api/v1/command-run/999999/"), status: 404, code: "not_found"},
			{name: "definitions readable by members", req: as("victor", "/api/v1/command-definition/?name=test_fail"), status: 200, check: func(t *testing.T, body map[string]any) {
				objs := body["objects"].([]any)
				if len(objs) != 1 || objs[0].(map[string]any)["retry_max"] != float64(3) {
					t.Errorf("definitions %v", body)
				}
			}},
			{name: "no credentials", req: as("none", "/api/v1/command-run/"), status: 401, code: "unauthenticated"},
			{name: "method not allowed", req: apitest.Request{Method: "DELETE", URL: runURI("test_noop/demo/1", "")}, status: 405, code: "method_not_allowed"},
			{name: "GET on an action", req: as("alice", runURI("test_fail/demo/3", "retry/")), status: 405, code: "method_not_allowed"},
		})
	})
}

func TestConductorActions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		cf := newConductorFixture(t, tg)
		post := func(user, url, body string) apitest.Request {
			return apitest.Request{Method: "POST", URL: url, Body: body, Auth: user}
		}
		act := func(label, action string) string {
			return fmt.Sprintf("/api/v1/command-run/%d/%s/", cf.runs[label], action)
		}
		var retried float64
		cf.run(t, []cdCase{
			// Roles and tenancy on actions.
			{name: "viewer cannot retry", req: post("victor", act("test_fail/demo/3", "retry"), ""), status: 403, code: "forbidden"},
			{name: "other account's run: not found", req: post("olga", act("test_fail/demo/3", "retry"), ""), status: 404, code: "not_found"},
			{name: "other account's run cancel: not found", req: post("olga", act("test_fail/demo/3", "cancel"), ""), status: 404, code: "not_found"},
			{name: "editor cannot retry an accountless run", req: post("alice", act("test_global/none/1", "retry"), ""), status: 404, code: "not_found"},
			{name: "cancel a finished run", req: post("alice", act("test_fail/demo/3", "cancel"), ""), status: 409, code: "conflict", names: "failed"},
			{name: "editor retries", req: post("alice", act("test_fail/demo/3", "retry"), ""), status: 201, check: func(t *testing.T, body map[string]any) {
				if body["status"] != float64(conductor.Waiting) || body["attempt"] != float64(1) || body["command"] != "test_fail" {
					t.Errorf("retried run %v", body)
				}
				retried, _ = body["id"].(float64)
			}},
			{name: "retry again while one waits", req: post("alice", act("test_fail/demo/3", "retry"), ""), status: 409, code: "conflict", names: "waiting"},
			{name: "slot is waiting again", req: apitest.Request{URL: fmt.Sprintf("/api/v1/command-slot/%d/", cf.slots["test_fail/demo"])}, status: 200,
				check: func(t *testing.T, body map[string]any) {
					if body["status"] != "waiting" || body["latest_run"] != fmt.Sprintf("/api/v1/command-run/%d/", int64(retried)) {
						t.Errorf("slot %v", body)
					}
				}},
		})
		cf.run(t, []cdCase{
			{name: "viewer cannot cancel", req: post("victor", fmt.Sprintf("/api/v1/command-run/%d/cancel/", int64(retried)), ""), status: 403, code: "forbidden"},
			{name: "editor cancels the waiting run", req: post("alice", fmt.Sprintf("/api/v1/command-run/%d/cancel/", int64(retried)), ""), status: 200, check: func(t *testing.T, body map[string]any) {
				if body["status"] != float64(conductor.Cancelled) {
					t.Errorf("cancelled run %v", body)
				}
			}},
			{name: "staff retries an accountless run", req: post("stan", act("test_global/none/1", "retry"), ""), status: 201},
			// Trigger.
			{name: "trigger: unknown command", req: post("alice", "/api/v1/command-slot/trigger/", `{"command":"nope","account":"`+cf.Demo.Token+`","from":"2026-03-01","to":"2026-03-02"}`),
				status: 400, code: "validation_failed", names: "command"},
			{name: "trigger: from after to", req: post("alice", "/api/v1/command-slot/trigger/", `{"command":"test_noop","account":"`+cf.Demo.Token+`","from":"2026-03-05","to":"2026-03-02"}`),
				status: 400, code: "validation_failed", names: "to"},
			{name: "trigger: bad date", req: post("alice", "/api/v1/command-slot/trigger/", `{"command":"test_noop","account":"`+cf.Demo.Token+`","from":"March","to":"2026-03-02"}`),
				status: 400, code: "validation_failed", names: "from"},
			{name: "trigger: account missing", req: post("alice", "/api/v1/command-slot/trigger/", `{"command":"test_noop","from":"2026-03-01","to":"2026-03-02"}`),
				status: 400, code: "validation_failed", names: "account"},
			{name: "trigger: unknown key", req: post("alice", "/api/v1/command-slot/trigger/", `{"command":"test_noop","acount":"x","from":"2026-03-01","to":"2026-03-02"}`),
				status: 400, code: "bad_request", names: "acount"},
			{name: "trigger: foreign account", req: post("alice", "/api/v1/command-slot/trigger/", `{"command":"test_noop","account":"`+cf.Other.Token+`","from":"2026-03-01","to":"2026-03-02"}`),
				status: 403, code: "forbidden"},
			{name: "trigger: unknown account answers as a foreign one", req: post("alice", "/api/v1/command-slot/trigger/", `{"command":"test_noop","account":"c-a-nope-gb","from":"2026-03-01","to":"2026-03-02"}`),
				status: 403, code: "forbidden"},
			{name: "trigger: viewer", req: post("victor", "/api/v1/command-slot/trigger/", `{"command":"test_noop","account":"`+cf.Demo.Token+`","from":"2026-03-01","to":"2026-03-02"}`),
				status: 403, code: "forbidden", names: "viewer"},
			{name: "trigger: accountless command needs staff", req: post("alice", "/api/v1/command-slot/trigger/", `{"command":"test_global","from":"2026-03-01","to":"2026-03-02"}`),
				status: 403, code: "forbidden", names: "staff"},
			{name: "trigger: editor backfills three days", req: post("alice", "/api/v1/command-slot/trigger/", `{"command":"test_noop","account":"`+cf.Demo.Token+`","from":"2026-03-01","to":"2026-03-03"}`),
				status: 200, check: func(t *testing.T, body map[string]any) {
					if body["slots"] != float64(3) || body["busy"] != float64(0) {
						t.Errorf("trigger %v", body)
					}
				}},
			{name: "the backfilled slots are listed", req: apitest.Request{URL: "/api/v1/command-slot/?command=test_noop&status=pending&local_date__lte=2026-03-03"}, status: 200,
				check: func(t *testing.T, body map[string]any) {
					if n := body["meta"].(map[string]any)["total_count"]; n != float64(3) {
						t.Errorf("pending slots %v", body)
					}
					for _, o := range body["objects"].([]any) {
						if src := o.(map[string]any)["source"]; src != "backfill" {
							t.Errorf("source %v", src)
						}
					}
				}},
			{name: "trigger: editor runs the pipeline of an account, without account-less commands", req: post("alice", "/api/v1/command-slot/trigger/",
				`{"command":"pipeline","account":"`+cf.Demo.Token+`","from":"2026-04-01","to":"2026-04-01"}`), status: 200,
				check: func(t *testing.T, body map[string]any) {
					if body["slots"] != float64(3) || fmt.Sprint(body["commands"]) != "[test_noop test_sleep test_fail]" {
						t.Errorf("pipeline trigger %v", body)
					}
				}},
			{name: "no account-less slot was opened", req: apitest.Request{URL: "/api/v1/command-slot/?command=test_global&local_date=2026-04-01", Auth: "stan"}, status: 200,
				ids: []string{}, total: 0},
			{name: "trigger: staff, accountless", req: post("stan", "/api/v1/command-slot/trigger/", `{"command":"test_global","from":"2026-03-01","to":"2026-03-01"}`), status: 200},
		})
		// The root and the OpenAPI document list the resources and actions.
		rec := cf.Do(apitest.Request{URL: "/api/v1/"})
		root := decode(t, rec)
		for _, name := range []string{"command-definition", "command-slot", "command-run"} {
			if _, ok := root[name]; !ok {
				t.Errorf("API root lacks %s", name)
			}
		}
		doc := decode(t, cf.Do(apitest.Request{URL: "/api/v1/openapi.json", Auth: "none"}))
		paths := doc["paths"].(map[string]any)
		for _, p := range []string{"/api/v1/command-run/", "/api/v1/command-run/{pk}/", "/api/v1/command-run/{pk}/logs/", "/api/v1/command-run/{pk}/retry/",
			"/api/v1/command-run/{pk}/cancel/", "/api/v1/command-slot/", "/api/v1/command-slot/trigger/", "/api/v1/command-definition/{pk}/"} {
			if _, ok := paths[p]; !ok {
				t.Errorf("openapi lacks %s", p)
			}
		}
		if rec := cf.Do(apitest.Request{URL: "/api/v1/command-run"}); rec.Code != http.StatusMovedPermanently {
			t.Errorf("no slash: %d", rec.Code)
		}
	})
}

// River's UI is mounted for staff only, and works on both dialects: its
// job list shows the jobs Conductor ran.
func TestRiverUIStaffOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		cf := newConductorFixture(t, tg)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ui, err := conductor.RiverUI(ctx, cf.App.Control, slog.New(slog.DiscardHandler), conductor.RiverUIPrefix)
		if err != nil {
			t.Fatal(err)
		}
		h, err := api.New(api.Deps{Log: slog.New(slog.DiscardHandler), Control: cf.App.Control, Tenants: cf.App.Tenants, Auth: cf.App.Auth,
			Resources: cf.App.Resources, Reports: cf.App.Reports, Limits: api.Limits{UserPerMinute: 1 << 30}, Conductor: cf.c, RiverUI: ui})
		if err != nil {
			t.Fatal(err)
		}
		cf.Handler = h
		for _, c := range []struct {
			user, url string
			status    int
			contains  string
		}{
			{"none", "/admin/river/", 401, "unauthenticated"},
			{"alice", "/admin/river/", 403, "staff"},
			{"olga", "/admin/river/api/jobs?state=completed", 403, "staff"},
			{"stan", "/admin/river", 301, ""},
			{"stan", "/admin/river/", 200, "<html"},
			{"stan", "/admin/river/api/jobs?state=completed&limit=100", 200, `"kind":"conductor_run"`},
			{"stan", "/admin/river/api/queues", 200, `"name":"commands"`},
		} {
			rec := cf.Do(apitest.Request{URL: c.url, Auth: c.user})
			if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.contains) {
				t.Errorf("%s %s: %d, want %d containing %q\n%.500s", c.user, c.url, rec.Code, c.status, c.contains, rec.Body.String())
			}
		}
	})
}
