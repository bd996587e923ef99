#!/usr/bin/env bash
# bench/run s3-to-opensearch-replicas: 1,000,000 documents of ~500 bytes as 20 gzipped NDJSON objects into OpenSearch,
# through today's listing mode on 1 replica and through an SQS queue (ElasticMQ) of S3 event notifications on 1, 2
# and 3 replicas (each the packaged Ferry, -Xmx256m, queue-consumers 1, bulk-in-flight 2). Every replica is started
# and ready first; the clock runs from the first upload to the moment the replicas' metrics account for every
# document. Objects are uploaded one after another, and in the queue cases each upload is followed by its S3 event
# message, as S3 would send it. Peak RSS: the largest replica's. Every index must end with exactly RECORDS documents.
# The CPU the replicas and the OpenSearch node used while measured is logged and written in the RESULTS.md line, to
# show where the 2 cores went.
# BENCH_RECORDS overrides the count; FERRY_BENCH_ENV adds settings (KEY=VALUE ...) to every replica;
# FERRY_BENCH_JAVA_OPTS replaces their JAVA_OPTS (-Xmx256m).
# The issue's target is overhead, not speed-up, on this 2-core machine where OpenSearch is the ceiling: 1 replica
# through the queue at least 0.9x the docs/s of listing mode, 3 replicas no slower than 1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
PIPELINE=s3-to-opensearch-replicas
RECORDS=${BENCH_RECORDS:-1000000}
DATA="$BENCH_WORK/s3os-replicas"
mkdir -p "$DATA"
rm -f "$BENCH_WORK/$PIPELINE-runs.jsonl" "$BENCH_WORK/$PIPELINE-cpu.jsonl"

bench_build
bench_start_services s3 opensearch sqs

check() { bench_os_check "$1" "$RECORDS"; }

# CPU seconds (user + system, all threads) a process has used so far; where the 2 cores went in each case
cpu_s() { # <pid>...: their sum
  local hz pid
  hz=$(getconf CLK_TCK)
  for pid in "$@"; do cat "/proc/$pid/stat" 2>/dev/null || true; done |
    awk -v hz="$hz" '{ t += $14 + $15 } END { printf "%.2f", t / hz }'
}
OPENSEARCH_PID=$(ss -ltnpH "sport = :${OPENSEARCH_HOST##*:}" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)

bench_log "generating $RECORDS documents as 20 gzipped objects"
S3_ENDPOINT=$S3_ENDPOINT S3_ACCESS_KEY=$S3_ACCESS_KEY S3_SECRET_KEY=$S3_SECRET_KEY \
  java -cp "$BENCH_CP" dev.ferry.bench.S3ToOpenSearchBenchData "$DATA" "$RECORDS" bench-curl bench-replicas \
  staging/docs.ndjson.gz staging-20/ 20

bench_os_warm_up "$DATA/chunks"

# ElasticMQ answers the SQS query protocol without checking signatures
QUEUE_URL=$(curl -fs "$SQS_ENDPOINT/?Action=CreateQueue&QueueName=bench-events&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=120" \
  | grep -o '<QueueUrl>[^<]*' | sed 's/<QueueUrl>//')
bench_log "queue $QUEUE_URL"

s3_put() { bench_s3_put "$1" "bench-replicas/$2"; } # <local file> <key in bench-replicas>
send_event() { # <key>: the ObjectCreated:Put notification S3 sends
  local body
  body="{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"s3SchemaVersion\":\"1.0\",\"bucket\":{\"name\":\"bench-replicas\",\"arn\":\"arn:aws:s3:::bench-replicas\"},\"object\":{\"key\":\"$1\"}}}]}"
  curl -fs -o /dev/null "$QUEUE_URL" --data-urlencode "Action=SendMessage" --data-urlencode "MessageBody=$body"
}

# replicas <case> <n> <listing|queue> <index>: n replicas started and ready, then the 20 objects uploaded (with their
# messages in queue mode); measured until the replicas account for every document; all stopped with SIGTERM.
replicas() {
  local case=$1 n=$2 mode=$3 index=$4 prefix="in-$1-$RANDOM/"
  local ports=() pids=() i start done_at="" accounted port rss=0 r
  local -a env_common
  read -ra env_common <<< "$(bench_ferry_s3_to_opensearch_env bench-replicas "$prefix" "$index")"
  if [[ $mode == queue ]]; then
    env_common+=(FERRY_S3_TO_OPENSEARCH_LISTING=false FERRY_S3_TO_OPENSEARCH_QUEUE_ENABLED=true
      FERRY_S3_TO_OPENSEARCH_QUEUE_URL="$QUEUE_URL" FERRY_SQS_ENDPOINT="$SQS_ENDPOINT"
      FERRY_SQS_ACCESS_KEY="$SQS_ACCESS_KEY" FERRY_SQS_SECRET_KEY="$SQS_SECRET_KEY")
  fi
  local -a extra=()
  read -ra extra <<< "${FERRY_BENCH_ENV:-}" # more settings for every replica, e.g. FERRY_S3_TO_OPENSEARCH_QUEUE_CONSUMERS=1
  env_common+=("${extra[@]}")
  for ((i = 0; i < n; i++)); do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    env "${env_common[@]}" FERRY_MANAGEMENT_PORT="$port" CAMEL_MANAGEMENT_HOST=127.0.0.1 JAVA_OPTS="${FERRY_BENCH_JAVA_OPTS:--Xmx256m}" \
      /usr/bin/time -v -o "$BENCH_WORK/time-$case-$i.txt" target/ferry/bin/ferry > "$BENCH_WORK/ferry-$case-$i.log" 2>&1 &
    pids+=($!); ports+=("$port")
  done
  BENCH_FERRY_PID=${pids[0]}
  local deadline=$((SECONDS + 120))
  for port in "${ports[@]}"; do
    until curl -fs -o /dev/null "http://127.0.0.1:$port/observe/health/ready"; do
      if (( SECONDS > deadline )); then tail -30 "$BENCH_WORK/ferry-$case-0.log" >&2; bench_log "replicas not ready"; exit 1; fi
      sleep 0.2
    done
  done
  local ferry_pids=() cpu_before cpu_after os_before os_after
  for pid in "${pids[@]}"; do ferry_pids+=("$(pgrep -P "$pid" || echo "$pid")"); done
  cpu_before=$(cpu_s "${ferry_pids[@]}")
  os_before=$(cpu_s "$OPENSEARCH_PID")
  start=$(date +%s.%N)
  for part in "$DATA"/parts/*.ndjson.gz; do
    s3_put "$part" "$prefix$(basename "$part")"
    if [[ $mode == queue ]]; then send_event "$prefix$(basename "$part")"; fi
  done
  deadline=$((SECONDS + ${BENCH_FERRY_DEADLINE_S:-1800}))
  while true; do
    accounted=0
    for port in "${ports[@]}"; do
      r=$(bench_ferry_accounted "$port" s3-to-opensearch || true)
      accounted=$((accounted + ${r:-0}))
    done
    if (( accounted >= RECORDS )); then
      done_at=$(date +%s.%N)
      cpu_after=$(cpu_s "${ferry_pids[@]}")
      os_after=$(cpu_s "$OPENSEARCH_PID")
      break
    fi
    if (( SECONDS > deadline )); then bench_log "FAIL: $case accounted for $accounted of $RECORDS"; exit 1; fi
    sleep 0.2
  done
  for pid in "${pids[@]}"; do
    kill -TERM "$(pgrep -P "$pid" || echo "$pid")" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  for ((i = 0; i < n; i++)); do
    r=$(bench_rss_mb "$BENCH_WORK/time-$case-$i.txt")
    rss=$(python3 -c "print(max($rss, $r))")
  done
  bench_record "$PIPELINE" ferry opensearch "$case" "$RECORDS" "$(python3 -c "print($done_at - $start)")" "$rss"
  local used
  used=$(python3 -c "import json; print(json.dumps({'case': '$case', 'seconds': round($done_at - $start, 2),
    'ferry_cpu_s': round($cpu_after - $cpu_before, 1), 'opensearch_cpu_s': round($os_after - $os_before, 1)}))")
  echo "$used" >> "$BENCH_WORK/$PIPELINE-cpu.jsonl"
  bench_log "$case: CPU while measured: $used"
  check "$index"
}

settle() { sync; sleep 2; }
for round in 1 2; do
  bench_log "round $round"
  cases=(listing-1-replica queue-1-replica queue-2-replicas queue-3-replicas)
  if (( round == 2 )); then cases=(queue-3-replicas queue-2-replicas queue-1-replica listing-1-replica); fi
  for c in "${cases[@]}"; do
    settle
    case $c in
      listing-1-replica) replicas "$c" 1 listing bench-listing-1 ;;
      queue-1-replica) replicas "$c" 1 queue bench-queue-1 ;;
      queue-2-replicas) replicas "$c" 2 queue bench-queue-2 ;;
      queue-3-replicas) replicas "$c" 3 queue bench-queue-3 ;;
    esac
  done
done

bench_write_results "$PIPELINE"
bench_finish "$PIPELINE" "$(python3 - "bench/results/$PIPELINE.json" "$RECORDS" "$BENCH_WORK/$PIPELINE-cpu.jsonl" "${FERRY_BENCH_JAVA_OPTS:--Xmx256m}" <<'PY'
import datetime, json, sys
runs = {r["case"]: r for r in json.load(open(sys.argv[1]))["runs"]}
n = int(sys.argv[2])
cpu = {}  # the CPU of each case's fastest round
for c in (json.loads(l) for l in open(sys.argv[3]) if l.strip()):
    if c["case"] not in cpu or c["seconds"] < cpu[c["case"]]["seconds"]:
        cpu[c["case"]] = c
used = "; ".join(f"{k} replicas {v['ferry_cpu_s']} s + OpenSearch {v['opensearch_cpu_s']} s" for k, v in cpu.items())
rate = lambda r: f"{r['seconds']} s ({n / r['seconds']:,.0f} docs/s)"
l, q1, q2, q3 = (runs[c] for c in ("listing-1-replica", "queue-1-replica", "queue-2-replicas", "queue-3-replicas"))
print(f"| {datetime.date.today()} | s3-to-opensearch-replicas | {n:,} docs of ~500 B as 20 objects in S3 -> OpenSearch 2.19,"
      f" replicas ready before the first upload; best of 2 rounds in opposite orders"
      f" | listing, 1 replica {rate(l)}; queue: 1 replica {rate(q1)} ({l['seconds'] / q1['seconds']:.2f}x listing's docs/s,"
      f" target >= 0.9), 2 replicas {rate(q2)}, 3 replicas {rate(q3)} ({q1['seconds'] / q3['seconds']:.2f}x 1 replica's,"
      f" target >= 1.0); CPU while measured (fastest round): {used} | - |"
      f" largest replica {max(r['peak_rss_mb'] for r in (l, q1, q2, q3))} MB ({sys.argv[4]}) |")
PY
)"
