#!/usr/bin/env bash
# The peer bench from a fresh machine: installs what it needs (nginx from apt, Portkey's gateway from npm
# into bench/peers, Postgres through .ci/services.sh), builds in Release, then runs one command that
# measures every system side by side and writes bench/results/latest.md and bench/results/latency.png.
# Usage: bash bench/run.sh [bench options, e.g. --quick for a smoke run, --seconds 15]
# A full run takes about 9-10 minutes on 2 cores (2 of them holding 10,000 open streams); run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  # policy-rc.d: Debian's nginx package would start a system-wide nginx on port 80; the bench runs its own.
  local guard=/usr/sbin/policy-rc.d made=
  if [ ! -e "$guard" ]; then printf '#!/bin/sh\nexit 101\n' | as_root tee "$guard" >/dev/null; as_root chmod +x "$guard"; made=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  if [ -n "$made" ]; then as_root rm -f "$guard"; fi
}

command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || apt_install nginx
command -v node >/dev/null 2>&1 || apt_install nodejs npm
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then apt_install postgresql; fi
if ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server; fi
export PATH="$PATH:/usr/sbin"

# Exact versions from bench/peers/package-lock.json. --ignore-scripts: Portkey's only install script is
# patch-package for its own repository's patches, which are not in the published package.
[ -f bench/peers/node_modules/@portkey-ai/gateway/package.json ] || npm ci --prefix bench/peers --ignore-scripts --no-audit --no-fund

# A smoke run (--quick) writes to a temp directory, so it never replaces the committed results.
output=bench/results/latest.md
case " $* " in *" --quick "*) output="${TMPDIR:-/tmp}/gateway-bench-quick/latest.md" ;; esac

eval "$(bash .ci/services.sh start)"
dotnet build -c Release bench/Gateway.Bench -nologo -v quiet
GATEWAY_BENCH_COMMAND="bash bench/run.sh${*:+ $*}" \
  dotnet bench/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll \
  --postgres "$GATEWAY_TEST_POSTGRES" --output "$output" "$@"
