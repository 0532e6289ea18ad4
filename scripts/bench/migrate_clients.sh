#!/usr/bin/env bash
# migrate_client --all --parallel 4 over N SQLite client databases from
# empty to current. Usage: scripts/bench/migrate_clients.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
# The Go toolchain of go.mod; the go command fetches it from the module proxy
# when this machine's Go is older (docs/decisions.md, "Go toolchain").
export GOTOOLCHAIN=go1.27.3
n=${1:-200}
runs=${2:-5}
echo "machine: $(nproc) CPUs, $(free -h | awk '/^Mem:/ {print $2}') RAM, $(go version | cut -d' ' -f3-), $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/cubed" ./cmd/cubed
c() { "$work/cubed" --data "$work/data" --log-level error "$@"; }
c migrate >/dev/null
echo "creating $n accounts..." >&2
for i in $(seq 1 "$n"); do c account create --name "acct$i" --country gb >/dev/null; done
times=()
for r in $(seq 1 "$runs"); do
  # Empty every client database: a zero-byte file is an empty SQLite database.
  for f in "$work"/data/clients/*.db; do : > "$f"; rm -f "$f-wal" "$f-shm"; done
  start=$(date +%s.%N)
  c migrate_client --all --parallel 4 > "$work/out.txt"
  end=$(date +%s.%N)
  migrated=$(grep -c " migrated " "$work/out.txt" || true)
  [ "$migrated" -eq "$n" ] || { echo "run $r: only $migrated of $n migrated" >&2; cat "$work/out.txt" >&2; exit 1; }
  t=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')
  times+=("$t")
  echo "run $r: ${t}s ($migrated databases migrated)"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median of $runs runs: ${median}s for $n databases"
