#!/usr/bin/env bash
# The processing pipeline (every attrib and agg command, day by day) for one
# SQLite account holding generated data. Builds cubed and the agg test
# binary, generates VISITORS visitors over DAYS days ending 2025-03-31 once
# (untimed; about 5.75 hits per visitor: 175000 visitors give about
# 1,000,000 hits), then RUNS times copies that data directory to a fresh
# temporary one and times agg.RunPipeline over every day
# (BenchmarkPipeline), printing the total, the process CPU time and the
# time per command. Usage:
#   scripts/bench/pipeline.sh [VISITORS] [DAYS] [RUNS]
# With CUBED_BENCH_INLINE=1 it also times `cubed run pipeline` (Conductor's
# inline runner: the same commands, plus a manual slot and run recorded in
# the control database for each command and day).
set -euo pipefail
cd "$(dirname "$0")/../.."
# The Go toolchain of go.mod; the go command fetches it from the module proxy
# when this machine's Go is older (docs/decisions.md, "Go toolchain").
export GOTOOLCHAIN=go1.27.3
visitors=${1:-175000}
days=${2:-90}
runs=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/cubed" ./cmd/cubed
go test -c -o "$work/agg.test" ./internal/apps/agg/
c() { "$work/cubed" --data "$work/data" --log-level error "$@"; }
c migrate >/dev/null
c account create --name bench --country gb --domain shop.example.com >/dev/null
c generate --account c-a-bench-gb --days "$days" --visitors "$visitors" --seed 1 --end-date 2025-03-31
for r in $(seq 1 "$runs"); do
  echo "run $r:"
  CUBED_BENCH_DATA="$work/data" CUBED_BENCH_DAYS="$days" "$work/agg.test" -test.run '^$' -test.bench BenchmarkPipeline \
    -test.benchtime 1x -test.v 2>&1 | sed -n 's/^ *commands_bench_test.go:[0-9]*: /  /p'
done
if [ "${CUBED_BENCH_INLINE:-}" = 1 ]; then
  from=$(date -d "2025-03-31 -$((days - 1)) days" +%F)
  start=$(date +%s.%N)
  c run pipeline --account c-a-bench-gb --from "$from" --to 2025-03-31 >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "cubed run pipeline (Conductor inline): %.1fs\n", b-a}'
fi
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3)"
