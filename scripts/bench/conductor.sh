#!/usr/bin/env bash
# Conductor against spec/conductor.md §14 (see BENCHMARKS.md "Conductor"):
#   1. 1,000 accounts × a 12-command no-op DAG, one day, SQLite, one
#      process with 4 workers (BenchmarkDayOfThousandAccounts);
#   2. the same on PostgreSQL with two Conductors of 4 workers each
#      (BenchmarkDayOfThousandAccountsPostgresTwoNodes; needs
#      CUBED_TEST_POSTGRES_URL, skipped otherwise);
#   3. dispatch overhead, Waiting → Running p50/p90 (BenchmarkDispatchOverhead);
#   4. the real pipeline over 20 generated accounts by `cubed conductor
#      --once --concurrency 4` against the §14 lower bound
#      (BenchmarkPipelineMakespan).
# Usage: scripts/bench/conductor.sh [day|pg|dispatch|makespan ...] (default all)
# Tunables: CUBED_BENCH_ACCOUNTS (1,000 for 1-2; 20 for 4), CUBED_BENCH_VISITORS
# (4: visitors per account over its 14 days; default 27,222, as many a day as
# the pipeline benchmark's 175,000 over 90), CUBED_BENCH_WORKERS (4),
# CUBED_BENCH_POLL_MS, CUBED_BENCH_MAXQUEUED, CUBED_BENCH_KEEP (makespan: an
# empty directory that keeps the data).
set -euo pipefail
cd "$(dirname "$0")/../.."
# The Go toolchain of go.mod; the go command fetches it from the module proxy
# when this machine's Go is older (docs/decisions.md, "Go toolchain").
export GOTOOLCHAIN=go1.27.3
which=("$@")
[ ${#which[@]} -eq 0 ] && which=(day pg dispatch makespan)
for w in "${which[@]}"; do
  case "$w" in
  day) go test -run '^$' -bench '^BenchmarkDayOfThousandAccounts$' -benchtime 1x ./internal/conductor/ ;;
  pg) go test -run '^$' -bench '^BenchmarkDayOfThousandAccountsPostgresTwoNodes$' -benchtime 1x ./internal/conductor/ ;;
  dispatch) go test -run '^$' -bench '^BenchmarkDispatchOverhead$' -benchtime 3x ./internal/conductor/ ;;
  makespan) CUBED_BENCH_ACCOUNTS=${CUBED_BENCH_MAKESPAN_ACCOUNTS:-20} go test -run '^$' -bench '^BenchmarkPipelineMakespan$' -benchtime 1x -timeout 30m ./internal/cli/ ;;
  *) echo "unknown benchmark $w (day, pg, dispatch, makespan)" >&2; exit 2 ;;
  esac
done
