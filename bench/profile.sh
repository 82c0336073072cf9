#!/usr/bin/env bash
# Profiles one Release front under load, as docs/performance.md describes: starts the fake upstream and a front
# (embedded silo, a virtual key, leases, a routing rule, cache injection; no Postgres), then for each request
# shape holds load with the bench's `load` subcommand while
#   - the load reports CPU per request (/proc) and bytes allocated and thread-pool work items per request
#     (exact totals from the front's /metrics), and dotnet-counters records the runtime's counters beside it,
#   - dotnet-trace samples thread stacks (CPU) and allocation ticks (gc-verbose),
# and turns each trace into markdown tables with the bench's `trace-report` subcommand.
# Usage: bash bench/profile.sh [output dir, default /tmp/gateway-profile] [front dir, default this worktree's Release build]
# Env: FRONT_ENV="NAME=value ..." (extra environment for the front), SHAPES="small large small-stream large-stream", CONCURRENCY=8, SECONDS_PER=15, TRACE=1 (0: counters only).
# The tools install as local .NET tools from NuGet (.config/dotnet-tools.json): `dotnet tool restore`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/gateway-profile}
front_dir=${2:-Gateway.Front/bin/Release/net10.0}
shapes=${SHAPES:-small large small-stream large-stream}
concurrency=${CONCURRENCY:-8}
seconds=${SECONDS_PER:-15}
mkdir -p "$out"
dotnet tool restore >/dev/null
[ -f bench/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll ] || dotnet build -c Release bench/Gateway.Bench -nologo -v quiet
bench="dotnet bench/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll"
secret=sk-local-profiling-key-0123456789
fake_port=${FAKE_PORT:-9190}
front_port=${FRONT_PORT:-8190}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
dotnet Gateway.FakeUpstream/bin/Release/net10.0/Gateway.FakeUpstream.dll --urls "http://127.0.0.1:$fake_port" --MaxRecordedRequests 0 >"$out/fake.log" 2>&1 &
pids+=($!)
(cd "$front_dir" && exec env Logging__LogLevel__Default=Warning Urls="http://127.0.0.1:$front_port" \
  Upstream__BaseUrl="http://127.0.0.1:$fake_port/" Upstream__ApiKeys__0=sk-up Auth__LocalDevSecret=$secret \
  CacheInjection__Enabled=true Routing__Rules__0__Match='claude-*' Routing__Rules__0__Provider=anthropic \
  ${FRONT_ENV:-} dotnet Gateway.Front.dll) >"$out/front.log" 2>&1 &
front=$!
pids+=($front)
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$front_port/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
load() { $bench load --url "http://127.0.0.1:$front_port/" --key $secret --pid "$front" --concurrency "$concurrency" "$@"; }
for shape in $shapes; do load --body "$shape" --seconds 3 >/dev/null; done # warm-up: JIT, pools, leases

for shape in $shapes; do
  # The runtime's System.Runtime meter each second (allocation rate, thread-pool items, GC, lock contention), kept as CSV.
  # --duration, not a signal: a background job of a script ignores SIGINT.
  dotnet dotnet-counters collect -p "$front" --counters System.Runtime --refresh-interval 1 --format csv \
    --duration 00:00:00:$(printf %02d $((seconds + 4))) -o "$out/counters-$shape.csv" >/dev/null 2>&1 &
  counters=$!
  sleep 2
  load --body "$shape" --seconds "$seconds" | tee "$out/load-$shape.txt"
  wait $counters || true
  if [ "${TRACE:-1}" = 1 ]; then
    for profile in dotnet-sampled-thread-time gc-verbose; do
      load --body "$shape" --seconds $((seconds + 4)) >/dev/null &
      l=$!
      sleep 2
      dotnet dotnet-trace collect -p "$front" --profile $profile --duration 00:00:00:$(printf %02d "$seconds") -o "$out/$profile-$shape.nettrace" >/dev/null
      wait $l
      $bench trace-report "$out/$profile-$shape.nettrace" --top 30 >"$out/$profile-$shape.md"
    done
  fi
done
echo "profile: results in $out"
