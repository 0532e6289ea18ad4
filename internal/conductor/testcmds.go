package conductor

import (
	"context"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/cubedhq/cubed/internal/command"
)

// TestCommandsEnv, set to 1, makes package app register TestCommandSet in
// the binary. TEST-ONLY: the process-level tests (SIGKILL of a worker on
// PostgreSQL) need commands inside a real `cubed conductor` process. Never
// set it in production.
const TestCommandsEnv = "CUBED_TEST_COMMANDS"

// TestSleepEnv sets test_sleep's duration in milliseconds (default 3000).
const TestSleepEnv = "CUBED_TEST_SLEEP_MS"

// TestCommandSet returns the test-only commands (app "conductortest"), all
// manual (never scheduled: only triggered or run by hand):
//   - test_noop does nothing;
//   - test_sleep sleeps CUBED_TEST_SLEEP_MS (honouring cancellation),
//     with fast retries (100 ms base) so a killed worker's run is retried
//     quickly;
//   - test_fail always fails.
func TestCommandSet() []command.Command {
	fast := command.RetryPolicy{MaxAttempts: 3, Base: 100 * time.Millisecond, Cap: time.Second, Jitter: 0.1}
	return []command.Command{
		{
			Name: "test_noop", App: "conductortest", Frequency: command.Manual, Sequential: new(false),
			Run: func(context.Context, *command.Env) error { return nil },
		},
		{
			Name: "test_sleep", App: "conductortest", Frequency: command.Manual, Sequential: new(false), Retry: fast, Timeout: time.Minute,
			Run: func(ctx context.Context, env *command.Env) error {
				ms, err := strconv.Atoi(os.Getenv(TestSleepEnv))
				if err != nil || ms <= 0 {
					ms = 3000
				}
				env.Log.Info("sleeping", "ms", ms)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Duration(ms) * time.Millisecond):
					return nil
				}
			},
		},
		{
			Name: "test_fail", App: "conductortest", Frequency: command.Manual, Sequential: new(false), Retry: fast,
			Run: func(context.Context, *command.Env) error { return errors.New("test_fail always fails") },
		},
	}
}
