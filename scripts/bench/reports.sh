#!/usr/bin/env bash
# Report engine benchmarks (BenchmarkReports in internal/apps/agg): one
# client whose agg_channel_daily and agg_landing_page_daily are
# synthesised (INSERT … SELECT, not timed) with DAYS days × CHANNELS
# channels × 3 devices × 7 models and DAYS × PATHS paths × 11 channels
# rows — the defaults give about 10,000,000 rows in each — then, per query,
# the engine's time (parse, plan, SQL, formulas, totals, JSON body; results
# cache off) and the time of the same SQL run directly, as p50-ms over
# RUNS iterations. PostgreSQL runs too when CUBED_TEST_POSTGRES_URL is set,
# with PG_DAYS days (a smaller history loads faster). Usage:
#   scripts/bench/reports.sh [DAYS] [CHANNELS] [PATHS] [RUNS] [PG_DAYS]
set -euo pipefail
cd "$(dirname "$0")/../.."
# The Go toolchain of go.mod; the go command fetches it from the module proxy
# when this machine's Go is older (docs/decisions.md, "Go toolchain").
export GOTOOLCHAIN=go1.27.3
days=${1:-1826}
channels=${2:-261}
paths=${3:-500}
runs=${4:-15}
pg_days=${5:-365}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/agg.test" ./internal/apps/agg/
CUBED_BENCH_REPORT_DAYS="$days" CUBED_BENCH_REPORT_CHANNELS="$channels" CUBED_BENCH_REPORT_PATHS="$paths" \
  CUBED_BENCH_REPORT_PG_DAYS="$pg_days" TMPDIR="${TMPDIR:-/tmp}" \
  "$work/agg.test" -test.run '^$' -test.bench BenchmarkReports -test.benchtime "${runs}x" -test.timeout 2h -test.v 2>&1 |
  grep -E 'p50-ms|synthesised|served from|^(ok|FAIL|PASS)'
