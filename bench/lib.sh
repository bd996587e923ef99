# shellcheck shell=bash
# Shared plumbing for bench/<pipeline>.sh: build, embedded services, whole-process measurement, results.
# Every measured command runs under /usr/bin/time -v, so peak RSS covers the whole process (JVM included).

BENCH_WORK="target/bench"
mkdir -p "$BENCH_WORK"

bench_log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Builds Ferry's packaged layout (target/ferry), the test classes and the embedded-service artifacts.
bench_build() {
  bench_log "building Ferry (package, tests compiled, not run)"
  ./mvnw -B -q package -DskipTests
  ./mvnw -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$BENCH_WORK/test-classpath.txt" >/dev/null
  BENCH_CP="target/test-classes:target/classes:$(cat "$BENCH_WORK/test-classpath.txt")"
  export BENCH_CP
  # BENCH_CDS=1: Ferry as the image runs it, with the class-data archive its build makes (bin/ferry uses it)
  if [[ "${BENCH_CDS:-0}" == 1 ]]; then
    bench_log "making the class-data archive (bin/ferry --create-cds-archive), as the image's build does"
    target/ferry/bin/ferry --create-cds-archive > "$BENCH_WORK/cds-archive.log" 2>&1
  fi
}

# Starts embedded services (s3, opensearch, opensearch3, postgres) in one background JVM and exports
# S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY OPENSEARCH_URL OPENSEARCH_HOST PG_URL PG_USER PG_PASSWORD.
bench_start_services() {
  local out="$BENCH_WORK/services.out"
  : > "$out"
  java -cp "$BENCH_CP" dev.ferry.embedded.EmbeddedServicesMain "$@" > "$out" 2>&1 &
  BENCH_SERVICES_PID=$!
  trap 'bench_stop_services' EXIT
  local deadline=$((SECONDS + 180))
  until grep -q '^ready' "$out"; do
    if (( SECONDS > deadline )) || ! kill -0 "$BENCH_SERVICES_PID" 2>/dev/null; then
      cat "$out" >&2; bench_log "embedded services did not start"; return 1
    fi
    sleep 0.5
  done
  local line
  line=$(grep '^service s3 ' "$out" || true)
  if [[ -n "$line" ]]; then
    S3_ENDPOINT=$(awk '{print $3}' <<<"$line")
    S3_ACCESS_KEY=$(sed -E 's/.*accessKey=([^ ]+).*/\1/' <<<"$line")
    S3_SECRET_KEY=$(sed -E 's/.*secretKey=([^ ]+).*/\1/' <<<"$line")
    export S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY
  fi
  line=$(grep '^service opensearch ' "$out" || true)
  if [[ -n "$line" ]]; then
    OPENSEARCH_URL=$(awk '{print $3}' <<<"$line")
    OPENSEARCH_HOST=${OPENSEARCH_URL#http://}
    export OPENSEARCH_URL OPENSEARCH_HOST
  fi
  line=$(grep '^service postgres ' "$out" || true)
  if [[ -n "$line" ]]; then
    PG_URL=$(awk '{print $3}' <<<"$line")
    PG_USER=$(sed -E 's/.*user=([^ ]+).*/\1/' <<<"$line")
    PG_PASSWORD=$(sed -E 's/.*password=([^ ]+).*/\1/' <<<"$line")
    export PG_URL PG_USER PG_PASSWORD
  fi
  line=$(grep '^service sqs ' "$out" || true)
  if [[ -n "$line" ]]; then
    SQS_ENDPOINT=$(awk '{print $3}' <<<"$line")
    SQS_ACCESS_KEY=$(sed -E 's/.*accessKey=([^ ]+).*/\1/' <<<"$line")
    SQS_SECRET_KEY=$(sed -E 's/.*secretKey=([^ ]+).*/\1/' <<<"$line")
    export SQS_ENDPOINT SQS_ACCESS_KEY SQS_SECRET_KEY
  fi
  bench_log "services: $(grep '^service' "$out" | awk '{print $2"="$3}' | tr '\n' ' ')"
}

bench_stop_services() {
  if [[ -n "${BENCH_FERRY_PID:-}" ]] && kill -0 "$BENCH_FERRY_PID" 2>/dev/null; then
    pkill -TERM -P "$BENCH_FERRY_PID" 2>/dev/null || true
    wait "$BENCH_FERRY_PID" 2>/dev/null || true
  fi
  if [[ -n "${BENCH_SERVICES_PID:-}" ]] && kill -0 "$BENCH_SERVICES_PID" 2>/dev/null; then
    kill "$BENCH_SERVICES_PID" 2>/dev/null || true
    wait "$BENCH_SERVICES_PID" 2>/dev/null || true
  fi
}

# bench_record <pipeline> <tool> <target> <case> <records> <seconds> <peak_rss_mb>
bench_record() {
  python3 - "$@" <<'PY'
import json, sys
pipeline, tool, target, case, records, seconds, rss = sys.argv[1:8]
with open(f"target/bench/{pipeline}-runs.jsonl", "a") as f:
    f.write(json.dumps({"tool": tool, "target": target, "case": case, "records": int(records),
                        "seconds": round(float(seconds), 2), "peak_rss_mb": round(float(rss), 1)}) + "\n")
PY
  bench_log "$2 -> $3 ($4): $5 records in $6 s, peak RSS $7 MB"
}

# Peak RSS in MB from a /usr/bin/time -v report.
bench_rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$1"; }
# Wall seconds from a /usr/bin/time -v report.
bench_wall_s() {
  awk -F': ' '/Elapsed \(wall clock\)/ { n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; printf "%.2f", s }' "$1"
}

# bench_measure <pipeline> <tool> <target> <case> <records> -- command...: runs a command to completion.
bench_measure() {
  local pipeline=$1 tool=$2 target=$3 case=$4 records=$5; shift 6
  local report="$BENCH_WORK/time-$tool-$case.txt"
  /usr/bin/time -v -o "$report" "$@"
  bench_record "$pipeline" "$tool" "$target" "$case" "$records" "$(bench_wall_s "$report")" "$(bench_rss_mb "$report")"
}

# --- OpenSearch and S3 helpers shared by the s3-to-opensearch benchmarks

# bench_os_count <index>: exact document count after a refresh.
bench_os_count() {
  curl -fs -XPOST "$OPENSEARCH_URL/$1/_refresh" >/dev/null
  curl -fs "$OPENSEARCH_URL/$1/_count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'
}

# bench_os_check <index> <expected>: exits unless the index holds exactly that many documents; then the index goes
# (its merges must not run under the next tool measured).
bench_os_check() {
  local got; got=$(bench_os_count "$1")
  if [[ "$got" != "$2" ]]; then bench_log "FAIL: $1 has $got documents, expected $2"; exit 1; fi
  bench_log "$1: $got documents"
  curl -fs -XDELETE "$OPENSEARCH_URL/$1" >/dev/null
}

# bench_os_settle <index>: refresh, force-merge to one segment and wait until the node is idle: a node still merging a freshly loaded index
# slows whichever tool runs first (issue #14: Ferry measured at 36.9 s mid-merge against 17.1 s).
bench_os_settle() {
  curl -fs -o /dev/null -XPOST "$OPENSEARCH_URL/$1/_refresh"
  curl -fs -o /dev/null -XPOST "$OPENSEARCH_URL/$1/_forcemerge?max_num_segments=1"
  local quiet=0
  for _ in $(seq 1 120); do
    local cpu; cpu=$(curl -fs "$OPENSEARCH_URL/_nodes/stats/process" | python3 -c \
      'import json,sys; print(max(n["process"]["cpu"]["percent"] for n in json.load(sys.stdin)["nodes"].values()))')
    if (( cpu < 5 )); then quiet=$((quiet + 1)); else quiet=0; fi
    (( quiet >= 3 )) && { bench_log "$1: merged, node idle"; return; }
    sleep 1
  done
  bench_log "$1: node still busy after 2 minutes; measuring anyway"
}

# bench_os_warm_up <chunks dir>: the pre-chunked _bulk bodies (written for index bench-curl) into a scratch index,
# then deleted, so the first tool measured does not pay for the node's warm-up.
bench_os_warm_up() {
  bench_log "warming OpenSearch up: $1/*.ndjson into a scratch index, then deleted"
  ls "$1"/*.ndjson | xargs -P2 -I{} sh -c \
    "sed 's/\"_index\":\"bench-curl\"/\"_index\":\"bench-warmup\"/' {} | curl -sf -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary @- '$OPENSEARCH_URL/_bulk'"
  curl -fs -XDELETE "$OPENSEARCH_URL/bench-warmup" >/dev/null
}

# bench_s3_put <local file> <bucket>/<key>: one upload to the embedded S3 (curl's SigV4).
bench_s3_put() {
  curl -sf -XPUT --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" --aws-sigv4 "aws:amz:us-east-1:s3" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$1" "$S3_ENDPOINT/$2" >/dev/null
}

# bench_ferry_s3_to_opensearch_env <bucket> <prefix> <index>: the KEY=VALUE settings of an s3-to-opensearch run
# against the embedded services (one index, processed objects moved under processed/).
bench_ferry_s3_to_opensearch_env() {
  echo FERRY_S3_TO_OPENSEARCH_ENABLED=true \
    FERRY_S3_ENDPOINT="$S3_ENDPOINT" FERRY_S3_PATH_STYLE=true FERRY_S3_ACCESS_KEY="$S3_ACCESS_KEY" FERRY_S3_SECRET_KEY="$S3_SECRET_KEY" \
    FERRY_OPENSEARCH_HOSTS="$OPENSEARCH_HOST" \
    FERRY_S3_TO_OPENSEARCH_BUCKET="$1" FERRY_S3_TO_OPENSEARCH_PREFIX="$2" FERRY_S3_TO_OPENSEARCH_PROCESSED_PREFIX=processed/ \
    FERRY_S3_TO_OPENSEARCH_DEAD_LETTER_BUCKET="$1-dead-letters" \
    FERRY_S3_TO_OPENSEARCH_INDEX="$3" FERRY_S3_TO_OPENSEARCH_INDEX_FROM_LINE=false \
    FERRY_S3_TO_OPENSEARCH_POLL_DELAY_MS=200
}

# Sum of Ferry's record counters for a pipeline, from /observe/metrics on a port.
bench_ferry_accounted() {
  local port=$1 pipeline=$2
  curl -fs "http://127.0.0.1:$port/observe/metrics" 2>/dev/null | awk -v p="pipeline=\"$pipeline\"" '
    ($1 ~ /^ferry_records_(written|duplicate|filtered|dead_lettered)_total/ && index($1, p)) { s += $2 } END { printf "%d", s }'
}

# bench_ferry_until <pipeline> <case> <target> <records> <expected-accounted> [KEY=VALUE ...]
# Starts the packaged Ferry (target/ferry/bin/ferry, -Xmx256m) with the given environment, waits until its
# metrics account for the expected number of records, then stops it with SIGTERM. Seconds run from process start
# to the moment every record was accounted for (JVM start-up included); peak RSS covers the whole process.
# Gives up after BENCH_FERRY_DEADLINE_S seconds (default 1800): log tail, Ferry stopped, return 1.
# BENCH_FERRY_BIN runs another build's launcher instead (an A/B against an older commit: bench/ab-s3-to-opensearch.sh).
bench_ferry_until() {
  local pipeline=$1 case=$2 target=$3 records=$4 expected=$5; shift 5
  local port report log start done_at="" accounted=0 timed_out=""
  local deadline_s=${BENCH_FERRY_DEADLINE_S:-1800}
  local deadline=$((SECONDS + deadline_s))
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  report="$BENCH_WORK/time-ferry-$case.txt"; log="$BENCH_WORK/ferry-$case.log"
  start=$(date +%s.%N)
  env "$@" FERRY_MANAGEMENT_PORT="$port" CAMEL_MANAGEMENT_HOST=127.0.0.1 JAVA_OPTS="${FERRY_BENCH_JAVA_OPTS:--Xmx256m}" \
    /usr/bin/time -v -o "$report" "${BENCH_FERRY_BIN:-target/ferry/bin/ferry}" > "$log" 2>&1 &
  local pid=$!
  BENCH_FERRY_PID=$pid # stopped by bench_stop_services if this script dies meanwhile
  while kill -0 "$pid" 2>/dev/null; do
    accounted=$(bench_ferry_accounted "$port" "$pipeline" || true) # not listening yet: 0, not an exit (set -e)
    accounted=${accounted:-0}
    if (( accounted >= expected )); then done_at=$(date +%s.%N); break; fi
    if (( SECONDS >= deadline )); then timed_out=1; break; fi
    sleep 0.2
  done
  # SIGTERM goes to Ferry, the child of /usr/bin/time: time itself would die on it without writing its report
  # (and leave Ferry running).
  local ferry_pid
  ferry_pid=$(pgrep -P "$pid" || true)
  kill -TERM ${ferry_pid:-$pid} 2>/dev/null || true
  wait "$pid" || true
  if [[ -n "$timed_out" ]]; then
    tail -50 "$log" >&2
    bench_log "Ferry accounted for $accounted of $expected records within BENCH_FERRY_DEADLINE_S=$deadline_s s; stopped"
    return 1
  fi
  if [[ -z "$done_at" ]]; then
    tail -50 "$log" >&2; bench_log "Ferry stopped before accounting for $expected records"; return 1
  fi
  bench_record "$pipeline" ferry "$target" "$case" "$records" \
    "$(python3 -c "print($done_at - $start)")" "$(bench_rss_mb "$report")"
}

# bench_write_results <pipeline>: bench/results/<pipeline>.json from this run's measurements, one entry per tool,
# target and case; a case measured more than once keeps its fastest time and its largest peak RSS ("repeats": n).
bench_write_results() {
  mkdir -p bench/results
  python3 - "$1" <<'PY'
import json, sys
p = sys.argv[1]
best = {}
for r in (json.loads(l) for l in open(f"target/bench/{p}-runs.jsonl") if l.strip()):
    k = (r["tool"], r["target"], r["case"])
    if k in best:
        b = best[k]
        b["repeats"] = b.get("repeats", 1) + 1
        b["seconds"] = min(b["seconds"], r["seconds"])
        b["peak_rss_mb"] = max(b["peak_rss_mb"], r["peak_rss_mb"])
    else:
        best[k] = dict(r)
with open(f"bench/results/{p}.json", "w") as f:
    json.dump({"runs": list(best.values())}, f, indent=2)
    f.write("\n")
PY
}

# bench_finish <pipeline> <summary line for RESULTS.md>: writes bench/results/<pipeline>.json, appends the line.
bench_finish() {
  local pipeline=$1 summary=$2
  bench_write_results "$pipeline"
  echo "$summary" >> bench/RESULTS.md
  bench_log "wrote bench/results/$pipeline.json and a line in bench/RESULTS.md"
}

# elasticdump from npm, installed once under target/bench/node.
bench_elasticdump() {
  if [[ ! -x "$BENCH_WORK/node/node_modules/.bin/elasticdump" ]]; then
    bench_log "installing elasticdump 6.125.1 (npm)"
    npm install --silent --no-audit --no-fund --prefix "$BENCH_WORK/node" elasticdump@6.125.1 >/dev/null
  fi
  echo "$BENCH_WORK/node/node_modules/.bin/elasticdump"
}
