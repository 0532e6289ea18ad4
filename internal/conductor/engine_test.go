package conductor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/command"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// workedExampleCommands is the daily DAG of spec/conductor.md §13, derived
// from reads and writes.
func workedExampleCommands() *command.Registry {
	r := command.NewRegistry()
	r.Add(
		command.Command{Name: "import_ad_costs", App: "t", ReadsFrom: []string{"control.integration_connection"}, WritesTo: []string{"ad_cost_daily"}, Run: noop},
		chainCmd("sessionize", "page_view", "visit", nil),
		chainCmd("classify_channels", "visit", "visit_channel", nil),
		chainCmd("build_sales", "visit_channel", "sale", nil),
		chainCmd("build_touchpoints", "sale", "touchpoint", nil),
		chainCmd("attribute_sales", "touchpoint", "sale_attribution", nil),
		command.Command{Name: "update_agg_channel_daily", App: "t", ReadsFrom: []string{"sale_attribution", "ad_cost_daily"}, WritesTo: []string{"agg_channel_daily"}, Run: noop},
	)
	return r
}

// The worked example of spec/conductor.md §13: three accounts in three
// zones at 2026-03-10 06:00 UTC.
func TestWorkedExample(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-10T06:00:00Z")
		for _, a := range []struct{ name, tz string }{{"l", "Europe/London"}, {"n", "America/New_York"}, {"t", "Asia/Tokyo"}} {
			id := e.account(a.name, a.tz)
			// "added 2026-03-01": an instant on 1 March in all three zones.
			e.manage(id, "2026-03-01T12:00:00Z", 2)
		}
		c := e.conductor(workedExampleCommands(), func(o *Options) { o.SlotsAheadDays = DefaultSlotsAheadDays })
		// First pass: every slot from 1 March to now + 10 days; the first
		// day of each account is due with nothing before it.
		st := e.tick(c)
		if want := 3 * 7 * 20; st.NewSlots != want {
			t.Fatalf("new slots %d, want %d (3 accounts × 7 commands × 1..20 March)", st.NewSlots, want)
		}
		// Let 1..8 March succeed, as the example assumes; reopen the 9th.
		e.exec(`UPDATE "command_slot" SET "status" = 'success' WHERE "local_date" <= ?`, "2026-03-08")
		e.exec(`DELETE FROM "command_run"`)
		e.exec(`UPDATE "command_slot" SET "status" = 'pending' WHERE "local_date" > ?`, "2026-03-08")
		st = e.tick(c)
		if st.NewSlots != 0 || st.NewRuns != 6 {
			t.Fatalf("second pass: %+v, want no new slot and 6 runs", st)
		}
		for _, acct := range []string{"l", "n", "t"} {
			for _, cmd := range []string{"import_ad_costs", "sessionize"} {
				s := e.slot(cmd, acct, "2026-03-09")
				rs := e.runs(s.id)
				if s.status != SlotWaiting || len(rs) != 1 || rs[0].status != Waiting || rs[0].attempt != 1 {
					t.Errorf("%s %s 2026-03-09: slot %s, runs %+v; want waiting with one Waiting run", acct, cmd, s.status, rs)
				}
			}
			for _, cmd := range []string{"classify_channels", "build_sales", "build_touchpoints", "attribute_sales", "update_agg_channel_daily"} {
				if s := e.slot(cmd, acct, "2026-03-09"); s.status != SlotPending {
					t.Errorf("%s %s 2026-03-09: %s, want pending", acct, cmd, s.status)
				}
			}
			if n := e.count(`SELECT count(*) FROM "command_slot" s JOIN "account" a ON a."id" = s."account_id"
				WHERE a."name" = ? AND s."local_date" >= ? AND s."status" = 'pending'`, acct, "2026-03-10"); n != 7*11 {
				t.Errorf("%s: %d pending slots for 10..20 March, want 77", acct, n)
			}
			if n := e.count(`SELECT count(*) FROM "command_slot" s JOIN "account" a ON a."id" = s."account_id" WHERE a."name" = ? AND s."local_date" > ?`, acct, "2026-03-20"); n != 0 {
				t.Errorf("%s: %d slots after 20 March", acct, n)
			}
		}
		// The zones: T's 10 March started 9 March 15:00 UTC and is not over;
		// N's 9 March ended at 04:00 UTC (EDT since 8 March).
		day := func(acct, date string) slotRow { return e.slot("sessionize", acct, date) }
		for _, c := range []struct{ acct, date, start, end string }{
			{"t", "2026-03-10", "2026-03-09T15:00:00Z", "2026-03-10T15:00:00Z"},
			{"l", "2026-03-09", "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z"},
			{"n", "2026-03-09", "2026-03-09T04:00:00Z", "2026-03-10T04:00:00Z"},
			{"n", "2026-03-08", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"},
		} {
			s := day(c.acct, c.date)
			if got := s.start.UTC().Format(time.RFC3339) + " " + s.end.UTC().Format(time.RFC3339); got != c.start+" "+c.end {
				t.Errorf("%s %s: %s, want %s %s", c.acct, c.date, got, c.start, c.end)
			}
		}
		// Slot dependencies: classify waits for that day's sessionize (and
		// its own previous day); the aggregate waits for attribute_sales and
		// import_ad_costs of the day.
		deps := func(cmd, acct string) string {
			s := e.slot(cmd, acct, "2026-03-09")
			rows := e.slots(`s."id" IN (SELECT "depends_on_slot_id" FROM "command_slot_dependency" WHERE "slot_id" = ?)`, s.id)
			var out []string
			for _, r := range rows {
				out = append(out, r.command+"@"+r.date)
			}
			return strings.Join(out, " ")
		}
		if got := deps("classify_channels", "n"); got != "classify_channels@2026-03-08 sessionize@2026-03-09" {
			t.Errorf("classify deps: %s", got)
		}
		if got := deps("update_agg_channel_daily", "t"); got != "update_agg_channel_daily@2026-03-08 attribute_sales@2026-03-09 import_ad_costs@2026-03-09" {
			t.Errorf("aggregate deps: %s", got)
		}
		// Idempotent: another pass changes nothing.
		if st := e.tick(c); st.Busy() {
			t.Fatalf("third pass did something: %+v", st)
		}
	})
}

func TestSlotsOnDSTDaysInLondon(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-30T12:00:00Z")
		id := e.account("l", "Europe/London")
		e.manage(id, "2026-03-28T12:00:00Z", 2)
		r := command.NewRegistry()
		r.Add(
			command.Command{Name: "hourly_import", App: "t", Frequency: command.Hourly, WritesTo: []string{"hits"}, Run: noop},
			command.Command{Name: "daily_rollup", App: "t", ReadsFrom: []string{"hits"}, WritesTo: []string{"agg"}, Run: noop},
		)
		c := e.conductor(r, nil)
		e.tick(c)
		hours := func(date string) []slotRow {
			return e.slots(`d."name" = 'hourly_import' AND s."local_date" = ?`, date)
		}
		if n := len(hours("2026-03-29")); n != 23 {
			t.Fatalf("spring forward: %d hourly slots, want 23", n)
		}
		d := e.slot("daily_rollup", "l", "2026-03-29")
		if d.end.Sub(d.start) != 23*time.Hour {
			t.Fatalf("spring-forward day lasts %v", d.end.Sub(d.start))
		}
		// The daily child waits for all 23 hourly slots of the day (and the day before).
		if n := e.count(`SELECT count(*) FROM "command_slot_dependency" WHERE "slot_id" = ?`, d.id); n != 24 {
			t.Fatalf("daily slot depends on %d slots, want 23 hours + previous day", n)
		}
		// Fall back.
		e.clock.Set(time.Date(2026, 10, 26, 12, 0, 0, 0, time.UTC))
		e.tick(c)
		hs := hours("2026-10-25")
		if len(hs) != 25 {
			t.Fatalf("fall back: %d hourly slots, want 25", len(hs))
		}
		london, _ := time.LoadLocation("Europe/London")
		ones := 0
		for _, h := range hs {
			if h.start.In(london).Hour() == 1 {
				ones++
			}
		}
		if ones != 2 {
			t.Fatalf("repeated 01:00: %d slots, want 2 with distinct UTC starts", ones)
		}
		d = e.slot("daily_rollup", "l", "2026-10-25")
		if d.end.Sub(d.start) != 25*time.Hour {
			t.Fatalf("fall-back day lasts %v", d.end.Sub(d.start))
		}
		// Slots are contiguous through both changes: no gap, no overlap.
		all := e.slots(`d."name" = 'hourly_import'`)
		for i := 1; i < len(all); i++ {
			if !all[i].start.Equal(all[i-1].end) {
				t.Fatalf("hourly slots not contiguous at %v", all[i].start)
			}
		}
	})
}

func TestAfterSuccessAndPreviousDayRule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-04T12:00:00Z")
		id := e.account("a", "UTC")
		e.manage(id, "2026-03-01T12:00:00Z", 2)
		r := command.NewRegistry()
		r.Add(chainCmd("parent", "", "t1", nil), chainCmd("child", "t1", "t2", nil))
		c := e.conductor(r, nil)
		e.tick(c)
		state := func() string {
			var out []string
			for _, s := range e.slots(`1 = 1`) {
				out = append(out, fmt.Sprintf("%s@%s=%s", s.command, s.date[8:], s.status))
			}
			return strings.Join(out, " ")
		}
		// Day 1 of the parent is due; the child waits for it; day 2 of the
		// parent waits for day 1 (previous-day rule); day 4 is not over.
		if got, want := state(), "child@01=pending parent@01=waiting child@02=pending parent@02=pending child@03=pending parent@03=pending child@04=pending parent@04=pending"; got != want {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
		succeed := func(cmd, date string) {
			e.exec(`UPDATE "command_run" SET "status" = 4 WHERE "slot_id" = ?`, e.slot(cmd, "a", date).id)
			e.exec(`UPDATE "command_slot" SET "status" = 'success' WHERE "id" = ?`, e.slot(cmd, "a", date).id)
		}
		succeed("parent", "2026-03-01")
		e.tick(c)
		if got, want := state(), "child@01=waiting parent@01=success child@02=pending parent@02=waiting child@03=pending parent@03=pending child@04=pending parent@04=pending"; got != want {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
		// Parent day 2 succeeds before child day 1: child day 2 still waits
		// for child day 1.
		succeed("parent", "2026-03-02")
		e.tick(c)
		if s := e.slot("child", "a", "2026-03-02"); s.status != SlotPending {
			t.Fatalf("child day 2 is %s before child day 1 succeeded", s.status)
		}
		succeed("child", "2026-03-01")
		e.tick(c)
		if s := e.slot("child", "a", "2026-03-02"); s.status != SlotWaiting {
			t.Fatalf("child day 2 is %s after its parent and previous day succeeded", s.status)
		}
	})
}

func TestTriggerWithDownstreamReopensExactlyThoseSlots(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-04T12:00:00Z")
		a := e.account("a", "Europe/London")
		b := e.account("b", "Asia/Tokyo")
		e.manage(a, "2026-03-01T12:00:00Z", 2)
		e.manage(b, "2026-03-01T12:00:00Z", 2)
		r := command.NewRegistry()
		r.Add(chainCmd("x", "", "t1", nil), chainCmd("y", "t1", "t2", nil), chainCmd("z", "t2", "t3", nil), chainCmd("other", "", "t9", nil),
			command.Command{Name: "monthly", App: "t", Frequency: command.Monthly, ReadsFrom: []string{"t3"}, Run: noop})
		c := e.conductor(r, nil)
		e.tick(c)
		e.exec(`UPDATE "command_slot" SET "status" = 'success'`)
		before := e.slots(`1 = 1`)
		from, _ := command.ParseDate("2026-03-02")
		res, err := c.Trigger(context.Background(), TriggerParams{Command: "y", Accounts: []string{"c-a-a-gb"}, From: from, To: from, WithDownstream: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Slots != 3 || res.Busy != 0 {
			t.Fatalf("trigger: %+v, want 3 slots (y, z, monthly of a)", res)
		}
		var reopened []string
		for _, s := range e.slots(`s."status" = 'pending'`) {
			reopened = append(reopened, s.command+"/"+s.account+"/"+s.date)
		}
		if got := strings.Join(reopened, " "); got != "monthly/a/2026-03-01 y/a/2026-03-02 z/a/2026-03-02" {
			t.Fatalf("reopened: %s", got)
		}
		if n := e.count(`SELECT count(*) FROM "command_slot" WHERE "source" = 'manual' AND "priority" = 1`); n != 3 {
			t.Fatalf("manual slots: %d", n)
		}
		if len(e.slots(`1 = 1`)) != len(before) {
			t.Fatal("a trigger inside existing slots created slots")
		}
		// Without downstream, over a range, in every account: backfill.
		to, _ := command.ParseDate("2026-03-03")
		res, err = c.Trigger(context.Background(), TriggerParams{Command: "x", All: true, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		if res.Slots != 4 {
			t.Fatalf("x over two days, two accounts: %+v", res)
		}
		if n := e.count(`SELECT count(*) FROM "command_slot" s JOIN "command_definition" d ON d."id" = s."definition_id" WHERE d."name" = 'x' AND s."source" = 'backfill' AND s."status" = 'pending'`); n != 4 {
			t.Fatalf("backfill slots: %d", n)
		}
		// Bad input names the field.
		if _, err := c.Trigger(context.Background(), TriggerParams{Command: "nope", All: true, From: from, To: to}); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("unknown command: %v", err)
		}
	})
}

func TestCycleRefusedAtStartupNamingIt(t *testing.T) {
	r := command.NewRegistry()
	r.Add(chainCmd("sessionize", "visit_channel", "visit", nil), chainCmd("classify_channels", "visit", "visit_channel", nil))
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-04T12:00:00Z")
		_, err := New(Options{Control: e.control, Tenants: e.tenants, Commands: r})
		if err == nil || err.Error() != "command dependency cycle: classify_channels -> sessionize -> classify_channels" {
			t.Fatalf("error: %v", err)
		}
	})
}

func TestRemovedAccountsWaitingSlotsAreCancelled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		a := e.account("a", "UTC")
		e.manage(a, "2026-03-01T12:00:00Z", 2)
		e.manage(e.account("b", "UTC"), "2026-03-01T12:00:00Z", 2)
		r := command.NewRegistry()
		r.Add(chainCmd("x", "", "t1", nil))
		c := e.conductor(r, nil)
		if st := e.tick(c); st.NewRuns != 2 {
			t.Fatalf("%+v", st)
		}
		e.exec(`UPDATE "account" SET "active" = FALSE WHERE "id" = ?`, a)
		if st := e.tick(c); st.Accounts != 1 {
			t.Fatalf("%+v", st)
		}
		if s := e.slot("x", "a", "2026-03-01"); s.status != SlotCancelled || statuses(e.runs(s.id)) != "5" {
			t.Fatalf("a: %s %+v", s.status, e.runs(s.id))
		}
		if s := e.slot("x", "b", "2026-03-01"); s.status != SlotWaiting {
			t.Fatalf("b: %s", s.status)
		}
		if n := e.count(`SELECT count(*) FROM "command_account"`); n != 1 {
			t.Fatalf("command_account rows: %d", n)
		}
	})
}

// Start runs the engine loop on River's leader: due slots run by
// themselves (the real clock, the way `cubed serve` runs Conductor).
func TestStartRunsTheEngineAsLeader(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg, "2026-03-02T12:00:00Z")
		for _, n := range []string{"a", "b"} {
			id := e.account(n, "Asia/Tokyo")
			e.exec(`INSERT INTO "command_account" ("account_id", "enabled", "max_parallel", "added") VALUES (?, TRUE, 2, ?)`, id, time.Now().UTC().AddDate(0, 0, -3))
		}
		r := command.NewRegistry()
		r.Add(chainCmd("x", "", "t1", nil), chainCmd("y", "t1", "t2", nil))
		stop, err := Start(context.Background(), Options{Control: e.control, Tenants: e.tenants, Commands: r,
			EngineInterval: 100 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		eventually(t, 15*time.Second, "the due slots to succeed", func() bool {
			due := e.count(`SELECT count(*) FROM "command_slot" WHERE "period_end" <= ?`, time.Now().UTC())
			return due >= 2*2*3 && e.count(`SELECT count(*) FROM "command_slot" WHERE "status" = 'success'`) == due
		})
		if n := e.count(`SELECT count(*) FROM "command_slot" WHERE "period_end" > ? AND "status" <> 'pending'`, time.Now().UTC()); n != 0 {
			t.Fatalf("%d slots of periods not over left pending", n)
		}
	})
}
