#!/usr/bin/env bash
# Runs the HTTP/policy benchmark (bench/Bench) on SQLite and on PostgreSQL, each with audit to a file and with audit
# off, and names the micro benchmarks (bench/Micro).
# PostgreSQL: SECRETS_BENCH_POSTGRES if set, else a throwaway local cluster from the distribution's binaries.
# Usage: bench/run.sh [duration-seconds]     Output: bench/results-<date>.md
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
out=bench/results-$(date +%Y%m%d-%H%M).md

dotnet build bench/Bench -c Release >/dev/null

cleanup() { :; }
if [[ -z "${SECRETS_BENCH_POSTGRES:-}" ]]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort | tail -1)
  dir=$(mktemp -d /tmp/secrets-bench-pg-XXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  run=()
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; run=(runuser -u postgres --); fi
  "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" >/dev/null
  cleanup() { "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true; rm -rf "$dir"; }
  export SECRETS_BENCH_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
fi
trap cleanup EXIT

{
  for store in sqlite postgres; do
    for audit in file none; do
      dotnet bench/Bench/bin/Release/net10.0/Secrets.Bench.dll --store "$store" --audit "$audit" --duration "$duration"
      echo
    done
  done
} | tee "$out"
echo "micro benchmarks: dotnet run -c Release --project bench/Micro -- --filter '*' --inProcess"
echo "results in $out"
