#!/usr/bin/env bash
# cubed generate end to end into a fresh SQLite account: build, migrate,
# create the account, then time the generator. Usage:
#   scripts/bench/generate.sh [VISITORS] [DAYS] [RUNS]
# About 5.75 hits per visitor: 175000 visitors give about 1,000,000 hits.
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
for r in $(seq 1 "$runs"); do
  rm -rf "$work/data"
  c() { "$work/cubed" --data "$work/data" --log-level error "$@"; }
  c migrate >/dev/null
  c account create --name bench --country gb >/dev/null
  start=$(date +%s.%N)
  c generate --account c-a-bench-gb --days "$days" --visitors "$visitors" --seed 1 --end-date 2025-03-31 > "$work/out.txt"
  end=$(date +%s.%N)
  hits=$(awk '/page views:/ {pv=$3} /events:/ {ev=$2} END {print pv+ev}' "$work/out.txt")
  awk -v a="$start" -v b="$end" -v h="$hits" -v r="$r" 'BEGIN {printf "run %d: %.1fs for %d hits (%.0f hits/s)\n", r, b-a, h, h/(b-a)}'
done
cat "$work/out.txt"
