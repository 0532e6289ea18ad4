package conductor

import (
	"github.com/cubedhq/cubed/internal/registry"
	s "github.com/cubedhq/cubed/internal/schema"
)

// Run statuses (command_run.status), as the original Conductor's.
const (
	Waiting   = 0
	Running   = 1
	Timeout   = 2
	Failed    = 3
	Success   = 4
	Cancelled = 5
)

// StatusName names a run status.
func StatusName(st int) string {
	switch st {
	case Waiting:
		return "waiting"
	case Running:
		return "running"
	case Timeout:
		return "timeout"
	case Failed:
		return "failed"
	case Success:
		return "success"
	case Cancelled:
		return "cancelled"
	}
	return "unknown"
}

// Slot statuses (command_slot.status).
const (
	SlotPending   = "pending"
	SlotWaiting   = "waiting"
	SlotRunning   = "running"
	SlotSuccess   = "success"
	SlotFailed    = "failed"
	SlotCancelled = "cancelled"
)

// Slot sources and their dispatch priorities (lower first).
const (
	SourceManual   = "manual"
	SourceSchedule = "schedule"
	SourceBackfill = "backfill"
)

func priorityOf(source string) int {
	switch source {
	case SourceManual:
		return 1
	case SourceBackfill:
		return 3
	}
	return 2
}

// Models returns Conductor's control tables (spec/conductor.md §4).
func Models() []*s.Model {
	definition := &s.Model{
		Name: "command_definition", DB: s.Control, App: "conductor",
		Fields: []s.Field{
			s.TextF("name", 100).Uniq(),
			s.TextF("app", 64),
			s.TextF("frequency", 16).OneOf("hourly", "daily", "weekly", "monthly", "manual"),
			s.TextF("matrix", 16).OneOf("account", "none"),
			s.JSONF("reads_from"),
			s.JSONF("writes_to"),
			s.IntF("retry_max").DefInt(3),
			s.FloatF("retry_base_s").Def("30"),
			s.FloatF("retry_cap_s").Def("1800"),
			s.FloatF("timeout_s").Def("1800"),
			s.TextF("concurrency_group", 100).Def(""),
			s.DateF("starts_on").Nullable(),
			s.BoolF("sequential", true),
			s.TextF("source", 16).Def("cron").OneOf("cron", "manual"),
			s.BoolF("active", true),
			s.Created(), s.Updated(),
		},
	}
	dependency := &s.Model{
		Name: "command_definition_dependency", DB: s.Control, App: "conductor", NoID: true,
		Fields: []s.Field{
			s.FK("parent_id", "command_definition", "CASCADE"),
			s.FK("child_id", "command_definition", "CASCADE"),
		},
		UniqueTogether: [][]string{{"parent_id", "child_id"}},
	}
	account := &s.Model{
		Name: "command_account", DB: s.Control, App: "conductor", NoID: true,
		Fields: []s.Field{
			s.FK("account_id", "account", "CASCADE").Uniq(),
			s.BoolF("enabled", true),
			s.IntF("max_parallel").DefInt(2),
			s.DateTimeF("added"),
		},
	}
	slot := &s.Model{
		Name: "command_slot", DB: s.Control, App: "conductor",
		Fields: []s.Field{
			s.FK("definition_id", "command_definition", "CASCADE"),
			s.FK("account_id", "account", "CASCADE").Nullable(),
			s.DateTimeF("period_start"),
			s.DateTimeF("period_end"),
			s.DateF("local_date"),
			s.TextF("status", 16).Def(SlotPending).OneOf(SlotPending, SlotWaiting, SlotRunning, SlotSuccess, SlotFailed, SlotCancelled),
			s.TextF("source", 16).Def(SourceSchedule).OneOf(SourceSchedule, SourceBackfill, SourceManual),
			s.IntF("priority").DefInt(2),
			s.Updated(),
		},
		UniqueTogether: [][]string{{"definition_id", "account_id", "period_start"}},
		Indexes: []s.Index{
			{Columns: []string{"status", "account_id"}},
			{Columns: []string{"status", "period_end"}},
			{Columns: []string{"account_id", "local_date"}},
			{Columns: []string{"priority", "status"}},
		},
	}
	slotDep := &s.Model{
		Name: "command_slot_dependency", DB: s.Control, App: "conductor", NoID: true,
		Fields: []s.Field{
			s.FK("slot_id", "command_slot", "CASCADE"),
			s.FK("depends_on_slot_id", "command_slot", "CASCADE"),
		},
		UniqueTogether: [][]string{{"slot_id", "depends_on_slot_id"}},
	}
	run := &s.Model{
		Name: "command_run", DB: s.Control, App: "conductor",
		Fields: []s.Field{
			s.FK("slot_id", "command_slot", "CASCADE"),
			s.IntF("attempt").DefInt(1),
			s.IntF("status").DefInt(Waiting).Doc("status", "0 Waiting, 1 Running, 2 Timeout, 3 Failed, 4 Success, 5 Cancelled"),
			s.DateTimeF("waiting_at").Nullable(),
			s.DateTimeF("running_at").Nullable(),
			s.DateTimeF("timeout_at").Nullable(),
			s.DateTimeF("failed_at").Nullable(),
			s.DateTimeF("success_at").Nullable(),
			s.DateTimeF("cancelled_at").Nullable(),
			s.DateTimeF("heartbeat_at").Nullable(),
			s.TextF("worker", 200).Def(""),
			s.BigIntF("river_job_id").Nullable(),
			s.TextF("waiting_reason", 200).Def(""),
			s.BigIntF("progress_done").DefInt(0),
			s.BigIntF("progress_total").DefInt(0),
			s.TextF("error", 0).Def(""),
			s.TextF("exit_detail", 0).Def(""),
		},
		Indexes: []s.Index{
			{Columns: []string{"slot_id", "status"}},
			{Columns: []string{"status", "heartbeat_at"}},
			{Columns: []string{"status", "river_job_id", "waiting_at"}},
		},
	}
	runLog := &s.Model{
		Name: "command_run_log", DB: s.Control, App: "conductor", NoID: true,
		Fields: []s.Field{
			s.FK("run_id", "command_run", "CASCADE"),
			s.IntF("seq"),
			s.DateTimeF("at"),
			s.TextF("level", 8),
			s.TextF("message", 0),
		},
		UniqueTogether: [][]string{{"run_id", "seq"}},
	}
	limit := &s.Model{
		Name: "command_limit", DB: s.Control, App: "conductor", NoID: true,
		Fields: []s.Field{
			{Name: "group", Type: s.Text, MaxLength: 100, PrimaryKey: true},
			s.IntF("max_running").Nullable(),
			s.FloatF("rate_per_minute").Nullable(),
			s.FloatF("tokens").Def("0"),
			s.DateTimeF("refilled_at").Nullable(),
		},
	}
	return []*s.Model{definition, dependency, account, slot, slotDep, run, runLog, limit}
}

// Register declares Conductor's models and its housekeeping command.
func Register(r *registry.Registry) {
	r.Models.Add(Models()...)
	r.Commands.Add(CleanupCommand())
}
