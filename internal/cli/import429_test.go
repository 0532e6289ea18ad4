package cli

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cubedhq/cubed/internal/apps/integrations"
	"github.com/cubedhq/cubed/internal/apps/integrations/fake"
	"github.com/cubedhq/cubed/internal/conductor"
	"github.com/cubedhq/cubed/internal/db/dbtest"
)

// A provider answering 429 with Retry-After makes the Conductor run of
// its import wait (River snooze) and then succeed, in one run at its
// first attempt: a rate limit never uses up retries.
func TestImport429WaitsWithoutUsingAttempts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		fp, c, a, demo, user, svc := fakeIntegrations(t, tg)
		if _, err := fake.Connect(ctx, svc, integrations.Google, demo.ID, user); err != nil {
			t.Fatal(err)
		}
		cd, err := conductor.New(c.conductorOptions(a, conductorFlags{concurrency: 2, poll: 20 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC)
		if _, err := cd.Trigger(ctx, conductor.TriggerParams{Command: "import_ad_costs_google", Accounts: []string{demo.Token}, From: day, To: day}); err != nil {
			t.Fatal(err)
		}
		// The next two calls to Google answer 429, Retry-After 1 s.
		fp.Fail(integrations.Google, http.StatusTooManyRequests, 2, time.Second)
		start := time.Now()
		res, err := cd.RunOnce(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed != 0 || res.Succeeded == 0 {
			t.Fatalf("once: %+v", res)
		}
		if took := time.Since(start); took < time.Second {
			t.Errorf("the run finished in %v: it did not wait for Retry-After", took)
		}
		var runs, maxAttempt, status int
		if err := a.Control.QueryRow(ctx, `SELECT COUNT(*), MAX(r."attempt"), MAX(r."status") FROM "command_run" r
			JOIN "command_slot" s ON s."id" = r."slot_id" JOIN "command_definition" d ON d."id" = s."definition_id"
			WHERE d."name" = 'import_ad_costs_google'`).Scan(&runs, &maxAttempt, &status); err != nil {
			t.Fatal(err)
		}
		if runs != 1 || maxAttempt != 1 || status != conductor.Success {
			t.Fatalf("import runs: %d, highest attempt %d, status %s; want one run, attempt 1, success", runs, maxAttempt, conductor.StatusName(status))
		}
		d, release, err := a.Tenants.Acquire(ctx, demo)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		var n int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM "ad_cost_daily"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("no costs imported after the rate limit passed")
		}
	})
}
