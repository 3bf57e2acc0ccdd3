#!/usr/bin/env bash
# Runs every test of OrleansWeCom on a fresh Debian machine.
# Installs and starts what the tests need (a private PostgreSQL on loopback, the mosquitto clients, Chromium), then
# runs the whole solution and ends with a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "Installing PostgreSQL from Debian's packages..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# The MQTT tests drive the broker with the stock command-line clients.
if ! command -v mosquitto_pub >/dev/null 2>&1 || ! command -v mosquitto_sub >/dev/null 2>&1; then
  echo "Installing mosquitto-clients from Debian's packages..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq mosquitto-clients >/dev/null
fi

# The console test drives Debian's Chromium through Playwright (never a browser Playwright downloads itself).
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium from Debian's packages..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

# A throw-away cluster owned by the postgres user, on its own port, started for this run only.
# Below the kernel's ephemeral range (32768 and up), so no client socket of an earlier run can be holding the port.
pg_port=${WECOM_TEST_PG_PORT:-25432}
pg_dir=$(mktemp -d /tmp/wecom-pg.XXXXXX)
pg_user=postgres
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown "$pg_user" "$pg_dir"
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
# If the port is taken all the same, the next few are tried; what PostgreSQL said is shown when none will do.
pg_started=""
for port in "$pg_port" $((pg_port + 1)) $((pg_port + 2)); do
  if run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pg_dir -c max_connections=300 -c fsync=off" start >/dev/null; then
    pg_port=$port; pg_started=1; break
  fi
  tail -n 5 "$pg_dir/log" >&2
done
stop_pg() { run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pg_dir"; }
trap stop_pg EXIT
[ -n "$pg_started" ] || { echo "PostgreSQL did not start"; echo "0 passed, 1 failed"; exit 1; }
export WECOM_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50"

dotnet build OrleansWeCom.sln -c Release -nologo -v q || { echo "0 passed, 1 failed"; exit 1; }

# WECOM_TEST_RESULTS keeps the trx files (each test with its duration) in that folder instead of a temporary one.
results=${WECOM_TEST_RESULTS:-$(mktemp -d /tmp/wecom-results.XXXXXX)}
mkdir -p "$results"
dotnet test OrleansWeCom.sln -c Release --no-build -nologo \
  --logger "trx" --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
[ -n "${WECOM_TEST_RESULTS:-}" ] || rm -rf "$results"
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi

# The Helm chart and the plain manifests: lint, render, and check k8s/ matches the chart.
helm_log=$(mktemp /tmp/wecom-helm.XXXXXX)
./scripts/helm-lint.sh > "$helm_log" 2>&1
cat "$helm_log"
helm_summary=$(grep -E '^helm: [0-9]+ passed, [0-9]+ failed' "$helm_log" | tail -n 1)
rm -f "$helm_log"
if [ -n "$helm_summary" ]; then
  hp=$(echo "$helm_summary" | sed -E 's/^helm: ([0-9]+) passed.*/\1/')
  hf=$(echo "$helm_summary" | sed -E 's/.* ([0-9]+) failed$/\1/')
  passed=$((passed + hp)); failed=$((failed + hf))
  [ "$hf" -eq 0 ] || status=1
else
  echo "helm-lint did not run to the end"; failed=$((failed + 1)); status=1
fi
echo "$passed passed, $failed failed"
exit $status
