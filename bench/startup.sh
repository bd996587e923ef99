#!/usr/bin/env bash
# bench/run startup: start-to-exit of short Ferry runs with and without the class-data archive (bin/ferry
# --create-cds-archive, lib/ferry.jsa), the packaged layout at -Xmx256m, whole process under /usr/bin/time -v:
#   report-to-sql  a 50,000-row report (embedded report server, NTLM) into a fresh H2 file database; Ferry is sent
#                  SIGTERM once it logs the run's summary, so the time runs from start to exit
#   opensearch-to-s3  a one-shot dump of 50,000 documents from the embedded OpenSearch to S3Proxy (exits by itself)
# tool "ferry" runs with FERRY_CDS=off, "ferry-cds" with the archive, from one copy of target/ferry (so target/ferry
# itself stays without an archive). STARTUP_BENCH_ROUNDS rounds (default 3), the order alternating each round; each
# case keeps its fastest time. Environment: STARTUP_BENCH_ROWS (default 50000, both cases).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

P=startup
N=${STARTUP_BENCH_ROWS:-50000}
PLANTS=A,B,C,D
ROWS_PER_HOUR=1250
HOURS=$(( N / (4 * ROWS_PER_HOUR) ))
START=2026-01-01T00:00
UNTIL=$(python3 -c "import datetime as d; print((d.datetime.fromisoformat('$START') + d.timedelta(hours=$HOURS)).strftime('%Y-%m-%dT%H:%M'))")
REPORT_USER=svc_ferry
REPORT_PASSWORD="bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
WORK="$BENCH_WORK/startup"
FERRY="$WORK/ferry"

bench_build
rm -rf "$WORK" "$BENCH_WORK/$P-runs.jsonl"
mkdir -p "$WORK"
cp -a target/ferry "$FERRY"
"$FERRY/bin/ferry" --create-cds-archive

bench_start_services s3 opensearch
FERRY_REPORT_PASSWORD="$REPORT_PASSWORD" java -Xmx256m -cp "$BENCH_CP" dev.ferry.embedded.report.ReportServer \
  --rows-per-hour "$ROWS_PER_HOUR" --plants "$PLANTS" --auth ntlm --domain CORP --user "$REPORT_USER" \
  > "$WORK/report-server.out" 2>&1 &
REPORT_SERVER_PID=$!
trap 'kill "$REPORT_SERVER_PID" 2>/dev/null || true; bench_stop_services' EXIT
until grep -qs '^REPORT_SERVER_URL=' "$WORK/report-server.out"; do
  kill -0 "$REPORT_SERVER_PID" 2>/dev/null || { cat "$WORK/report-server.out" >&2; exit 1; }
  sleep 0.2
done
REPORT_URL=$(sed -n 's/^REPORT_SERVER_URL=//p' "$WORK/report-server.out")

INDEX=bench-startup
data="$BENCH_WORK/os3-data-$N"
[[ -d "$data/bulk" ]] || java -cp "$BENCH_CP" dev.ferry.bench.BenchData gen-docs "$N" 1 "$data" >/dev/null
java -cp "$BENCH_CP" dev.ferry.bench.BenchData os-reset "$OPENSEARCH_URL" "$INDEX"
for chunk in "$data"/bulk/chunk-*.ndjson; do
  curl -fs -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary "@$chunk" "$OPENSEARCH_URL/$INDEX/_bulk"
done
count=$(java -cp "$BENCH_CP" dev.ferry.bench.BenchData os-count "$OPENSEARCH_URL" "$INDEX")
[[ "$count" == "$N" ]] || { bench_log "$INDEX holds $count documents, expected $N"; exit 1; }
bench_os_settle "$INDEX" # merging the fresh index would slow round 1's runs, the report-to-sql ones too
bench_log "report server $REPORT_URL ($N rows), $INDEX: $count documents"

cds_setting() { [[ "$1" == ferry-cds ]] && echo auto || echo off; }

# The log must show whether the archive was used as asked: a silently ignored archive would make the case a lie.
check_archive_use() { # <tool> <log>
  if [[ "$1" == ferry-cds ]]; then
    grep -q '^ferry: using the class-data archive' "$2" || { head -5 "$2" >&2; bench_log "archive not used"; exit 1; }
  elif grep -q 'class-data archive' "$2"; then
    head -5 "$2" >&2; bench_log "FERRY_CDS=off, yet bin/ferry spoke of the archive"; exit 1
  fi
}

report_to_sql() { # <tool> <round>
  local tool=$1 case=report-to-sql-${N}-rows log="$WORK/$1-rts-$2.log" report="$WORK/time-$1-rts-$2.txt" port pid
  rm -rf "$WORK/h2" "$WORK/spool"; mkdir -p "$WORK/spool"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env FERRY_CDS="$(cds_setting "$tool")" FERRY_REPORT_TO_SQL_ENABLED=true \
    FERRY_DB_URL="jdbc:h2:file:$PWD/$WORK/h2/db;MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE" FERRY_DB_USER=sa FERRY_DB_PASSWORD= \
    FERRY_REPORT_TO_SQL_BASE_URL="$REPORT_URL" FERRY_REPORT_TO_SQL_AUTH_METHOD=ntlm FERRY_REPORT_TO_SQL_DOMAIN=CORP \
    FERRY_REPORT_TO_SQL_USER="$REPORT_USER" FERRY_REPORT_TO_SQL_PASSWORD="$REPORT_PASSWORD" \
    FERRY_REPORT_TO_SQL_PARAMETERS="Plant=${PLANTS//,/|}" FERRY_REPORT_TO_SQL_START="$START" \
    FERRY_REPORT_TO_SQL_UNTIL="$UNTIL" FERRY_REPORT_TO_SQL_WINDOW_HOURS="$HOURS" \
    FERRY_REPORT_TO_SQL_INITIAL_DELAY_MS=100 FERRY_REPORT_TO_SQL_MIN_REQUEST_INTERVAL_MS=0 \
    FERRY_REPORT_TO_SQL_SPOOL_DIR="$PWD/$WORK/spool" FERRY_MANAGEMENT_PORT="$port" CAMEL_MANAGEMENT_HOST=127.0.0.1 \
    JAVA_OPTS="-Xmx256m" /usr/bin/time -v -o "$report" "$FERRY/bin/ferry" > "$log" 2>&1 &
  pid=$!
  BENCH_FERRY_PID=$pid
  # Done when the run's summary is logged (every row accounted for). Read from the log, not the metrics endpoint:
  # scraping it every 50 ms (curl, awk, and Prometheus text rendered by a JVM still cold) took CPU from the start-up
  # being measured, on two cores, and the same amount from both tools, which hid part of the archive's gain.
  local deadline=$((SECONDS + ${BENCH_FERRY_DEADLINE_S:-600}))
  until grep -q "run summary pipeline=report-to-sql" "$log"; do
    kill -0 "$pid" 2>/dev/null || { tail -40 "$log" >&2; bench_log "Ferry exited before accounting for $N rows"; exit 1; }
    (( SECONDS < deadline )) || { tail -40 "$log" >&2; kill -TERM "$(pgrep -P "$pid")"; bench_log "deadline"; exit 1; }
    sleep 0.05
  done
  kill -TERM "$(pgrep -P "$pid")" # Ferry, the child of /usr/bin/time (which writes its report when Ferry exits)
  wait "$pid" || true
  check_archive_use "$tool" "$log"
  grep -q "status=SUCCEEDED read=$N written=$N" "$log" || { tail -40 "$log" >&2; bench_log "no complete run"; exit 1; }
  bench_record "$P" "$tool" h2 "$case" "$N" "$(bench_wall_s "$report")" "$(bench_rss_mb "$report")"
}

dump() { # <tool> <round>
  local tool=$1 case=opensearch-to-s3-one-shot-${N}-docs log="$WORK/$1-dump-$2.log" bucket="bench-startup-$1-$2"
  java -cp "$BENCH_CP" dev.ferry.bench.BenchData s3-put "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" "$bucket" x
  rm -rf "$WORK/os3-spool" "$WORK/os3-requests"
  bench_measure "$P" "$tool" s3 "$case" "$N" -- env FERRY_CDS="$(cds_setting "$tool")" \
    FERRY_OPENSEARCH_TO_S3_ENABLED=true FERRY_OPENSEARCH_TO_S3_ONE_SHOT=true \
    FERRY_OPENSEARCH_TO_S3_INDEX="$INDEX" FERRY_OPENSEARCH_TO_S3_DESTINATION="s3://$bucket/dumps" \
    FERRY_OPENSEARCH_TO_S3_SPOOL_DIR="$WORK/os3-spool" FERRY_OPENSEARCH_TO_S3_REQUEST_DIR="$WORK/os3-requests" \
    FERRY_OPENSEARCH_HOSTS="$OPENSEARCH_HOST" FERRY_S3_ENDPOINT="$S3_ENDPOINT" FERRY_S3_PATH_STYLE=true \
    FERRY_S3_ACCESS_KEY="$S3_ACCESS_KEY" FERRY_S3_SECRET_KEY="$S3_SECRET_KEY" FERRY_MANAGEMENT_PORT=0 \
    CAMEL_MANAGEMENT_HOST=127.0.0.1 JAVA_OPTS="-Xmx256m" bash -c "'$FERRY/bin/ferry' > '$log' 2>&1"
  check_archive_use "$tool" "$log"
  grep -q "status=SUCCEEDED read=$N written=$N" "$log" || { tail -40 "$log" >&2; bench_log "no complete dump"; exit 1; }
}

for round in $(seq "${STARTUP_BENCH_ROUNDS:-3}"); do
  if (( round % 2 )); then order="ferry ferry-cds"; else order="ferry-cds ferry"; fi
  bench_log "round $round: $order"
  for tool in $order; do report_to_sql "$tool" "$round"; done
  for tool in $order; do dump "$tool" "$round"; done
done

bench_finish "$P" "$(python3 - "$P" <<'PY'
import json, sys, datetime
best = {}
for r in (json.loads(l) for l in open(f"target/bench/{sys.argv[1]}-runs.jsonl")):
    k = (r["tool"], r["case"])
    best[k] = min(best.get(k, r["seconds"]), r["seconds"])
cases = sorted({c for _, c in best})
print(f'| {datetime.date.today()} | startup | class-data archive, whole process start to exit | '
      + "; ".join(f'{c}: {best[("ferry", c)]} s, with the archive {best[("ferry-cds", c)]} s '
                  f'({100 * (1 - best[("ferry-cds", c)] / best[("ferry", c)]):.0f} % shorter)' for c in cases) + ' | |')
PY
)"
