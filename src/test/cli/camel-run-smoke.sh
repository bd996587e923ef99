#!/usr/bin/env bash
# Smoke test of the README's `camel run` quick try: runs the same command (./mvnw -q -Pcamel-cli, the Camel CLI from
# camel-jbang-core on Maven Central) on Ferry's routes/ and application.properties, plus the extra route
# src/test/cli/cli-smoke.camel.yaml, and fails unless, within the time limit:
#   - dev.ferry.FerryBeans (camel.main.configuration-classes) bound Ferry's beans,
#   - the smoke route started and ran, resolving a {{ferry.*}} placeholder from application.properties,
#   - it queried the database through Ferry's pool (ferryDataSource: its JDBC driver found; H2 in memory here),
#   - its planned failure was redelivered by the shared error handling of routes/error-handling.camel.yaml
#     (ferry.retry.* settings given as environment variables; Camel's default error handler would not redeliver),
#   - the CLI stopped by itself after --max-seconds with exit code 0.
# Usage (from anywhere): src/test/cli/camel-run-smoke.sh
# Environment: CLI_SMOKE_TIMEOUT (seconds for the whole run, default 300: the first run downloads camel-jbang-core),
#              CLI_SMOKE_LOG (log file, default target/camel-run-smoke.log).
set -euo pipefail

cd "$(dirname "$0")/../../.."
timeout_s="${CLI_SMOKE_TIMEOUT:-300}"
log="${CLI_SMOKE_LOG:-target/camel-run-smoke.log}"
mkdir -p "$(dirname "$log")"
: > "$log"

# The README command with options for the test: stop after 8 s, management on a free port, a throwaway database, and
# the extra route.
# Retry settings come as environment variables (FERRY_RETRY_MAX_ATTEMPTS is ferry.retry.max-attempts).
cmd=(./mvnw -q -Pcamel-cli
     "-Dcamel.options=--max-seconds=8 --property=ferry.management.port=0 --property=ferry.db.url=jdbc:h2:mem:cli-smoke --property=camel.main.routes-include-pattern=file:routes/*.camel.yaml,file:src/test/cli/*.camel.yaml")
echo "camel-run-smoke: FERRY_RETRY_MAX_ATTEMPTS=1 FERRY_RETRY_INITIAL_DELAY_MS=10 ${cmd[*]}"

start=$(date +%s)
# Own session (process group) so that a hung run can be stopped whole: Maven and the forked CLI JVM.
FERRY_RETRY_MAX_ATTEMPTS=1 FERRY_RETRY_INITIAL_DELAY_MS=10 setsid "${cmd[@]}" > "$log" 2>&1 &
pid=$!

expected=(
  'FerryBeans - Ferry beans ready'
  'Started ferry-cli-smoke (timer://ferry-cli-smoke)'
  'FERRY-CLI-SMOKE route running with ferry.routes-dir=routes'
  'FERRY-CLI-SMOKE database answered 42'
  'On delivery attempt: 1 caught: java.lang.IllegalStateException: FERRY-CLI-SMOKE planned failure'
  'Exhausted after delivery attempt: 2 caught: java.lang.IllegalStateException: FERRY-CLI-SMOKE planned failure'
)
# The CLI's own last line (any Camel version) after --max-seconds.
shutdown_line='Apache Camel \(JBang\) [0-9][^ ]* shutdown$'

missing() {
  local line
  for line in "${expected[@]}"; do
    grep -qF -- "$line" "$log" || { echo "$line"; return 0; }
  done
  grep -qE -- "$shutdown_line" "$log" || { echo "$shutdown_line"; return 0; }
  return 1
}

rc=
while true; do
  if ! kill -0 "$pid" 2>/dev/null; then
    set +e; wait "$pid"; rc=$?; set -e
    break
  fi
  if (( $(date +%s) - start >= timeout_s )); then
    echo "camel-run-smoke: FAILED: still running after ${timeout_s}s; stopping it" >&2
    kill -TERM -- "-$pid" 2>/dev/null || true
    sleep 5
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    tail -n 60 "$log" >&2
    exit 1
  fi
  sleep 1
done
elapsed=$(( $(date +%s) - start ))

grep -E 'Routes startup|    Started |Apache Camel 4.17.0 \(.*\) started' "$log" || true
if [[ "$rc" != 0 ]]; then
  echo "camel-run-smoke: FAILED: the command exited with $rc after ${elapsed}s (log: $log)" >&2
  tail -n 60 "$log" >&2
  exit 1
fi
if what=$(missing); then
  echo "camel-run-smoke: FAILED: no log line '$what' (log: $log)" >&2
  tail -n 60 "$log" >&2
  exit 1
fi
echo "camel-run-smoke: OK in ${elapsed}s (log: $log)"
