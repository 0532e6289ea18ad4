#!/usr/bin/env bash
# API throughput: GET of a 20-object list with one filter and ordering,
# API-key auth, 32 connections for 20 s on loopback (wrk). Usage:
#   scripts/bench/api.sh [sqlite|postgres] [duration]
# postgres needs CUBED_TEST_POSTGRES_URL (an admin URL; a fresh database is
# created). Prints wrk's report; record the numbers in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The Go toolchain of go.mod; the go command fetches it from the module proxy
# when this machine's Go is older (docs/decisions.md, "Go toolchain").
export GOTOOLCHAIN=go1.27.3
dialect=${1:-sqlite}
duration=${2:-20s}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/cubed" ./cmd/cubed
args=(--data "$work/data" --log-level error)
if [ "$dialect" = postgres ]; then
  : "${CUBED_TEST_POSTGRES_URL:?set CUBED_TEST_POSTGRES_URL to a PostgreSQL admin URL}"
  name="cubed_bench_$$"
  psql "$CUBED_TEST_POSTGRES_URL" -qc "CREATE DATABASE $name" >/dev/null
  dsn="${CUBED_TEST_POSTGRES_URL/\/postgres\?/\/$name?}"
  args+=(--control-dsn "$dsn")
  export CUBED_PG_DATABASE_PREFIX="bench$$_"
fi
"$work/cubed" "${args[@]}" migrate >/dev/null
"$work/cubed" "${args[@]}" account create --name bench --country gb >/dev/null
"$work/cubed" "${args[@]}" user create --email bench@example.com --account c-a-bench-gb --role editor >/dev/null
key=$("$work/cubed" "${args[@]}" apikey create --email bench@example.com | tail -1)
port=$(( 20000 + RANDOM % 20000 ))
CUBED_API_RATE_PER_MINUTE=0 "$work/cubed" "${args[@]}" serve --addr "127.0.0.1:$port" &
pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/api/v1/pattern/?account=c-a-bench-gb&match_on=referrer&order_by=priority&limit=20"
curl -sf -H "Authorization: ApiKey bench@example.com:$key" "$url" | head -c 300; echo
echo "== $dialect: wrk -t2 -c32 -d$duration --latency"
wrk -t2 -c32 -d"$duration" --latency -H "Authorization: ApiKey bench@example.com:$key" "$url"
if [ "$dialect" = postgres ]; then
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  for db in $(psql "$CUBED_TEST_POSTGRES_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'bench$$\_%' OR datname = '$name'"); do
    psql "$CUBED_TEST_POSTGRES_URL" -qc "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
  done
fi
