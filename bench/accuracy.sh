#!/usr/bin/env bash
# The limit-accuracy bench (AccuracyBench): starts Postgres (.ci/services.sh; bench/run.sh installs it on a fresh
# machine), builds in Release, and measures 1, 2 and 4 fronts × request, input-token, output-token and session limits
# × demand just above the limit and 50× above it, 10 runs of 45 s per cell, 5 runs side by side on their own keys.
# The full table takes about 40 minutes on 2 cores. Usage: bash bench/accuracy.sh [options, see Program.cs],
# e.g. --fronts 2 --limits requests --runs 2 --seconds 20 for a smoke run; --append bench/results/latest.md to keep it.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash .ci/services.sh start)"
dotnet build -c Release bench/Gateway.Bench -nologo -v quiet
dotnet bench/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll accuracy --postgres "$GATEWAY_TEST_POSTGRES" "$@"
