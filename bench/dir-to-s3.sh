#!/usr/bin/env bash
# bench/run dir-to-s3: mirror a directory of BENCH_FILES files (default 10,000, ~100 KB each, ~1 GB) to S3Proxy.
#   Tools: Ferry one-shot (packaged, -Xmx128m: the heap dir-to-s3 is sized for, README "dir-to-s3") | aws s3 sync | rclone sync | rclone sync --checksum, each into its own
#   bucket. Cases, one after another for every tool:
#     first-upload         an empty bucket: every file goes up
#     no-change            the same tree again: nothing should go up
#     one-percent-changed  1% of the files edited in place, same size, their old mtime put back (what cp -p, rsync -t
#                          or a build that keeps timestamps produce): exactly those should go up
#   Each run records "uploaded" (objects the tool put, from its own log) and "exact" (uploaded == the files changed);
#   Ferry's no-change run also "scheduled_sync_seconds": the same sync, BENCH_SCHEDULED_SYNCS times (default 4), in a
#   Ferry that keeps running on its schedule (the one-shot's sync is a cold JVM's first);
#   after each case every tool's bucket is compared with the directory by content (keys and SHA-256) in "equal".
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
P=dir-to-s3
FILES=${BENCH_FILES:-10000}
SRC="$BENCH_WORK/d2s-src"
rm -f "$BENCH_WORK/$P-runs.jsonl"
for tool in aws rclone; do
  command -v "$tool" >/dev/null || { bench_log "$tool is needed (apt-get install awscli rclone)"; exit 2; }
done

bench_build
bench_start_services s3

bench_log "generating $FILES files under $SRC"
rm -rf "$SRC" "$BENCH_WORK/d2s-state"
python3 - "$SRC" "$FILES" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(13)
for i in range(n):
    d = os.path.join(root, f"d{i % 50:02d}", f"e{(i // 50) % 20:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file-{i:06d}.bin"), "wb") as f:
        f.write(os.urandom(rnd.randint(1024, 200 * 1024)))
PY
BYTES=$(du -sb "$SRC" | awk '{print $1}')
bench_log "$FILES files, $BYTES bytes"

export AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_DEFAULT_REGION=us-east-1
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT="$S3_ENDPOINT" \
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$S3_ACCESS_KEY" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
  RCLONE_CONFIG_BENCH_REGION=us-east-1 RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true

TOOLS=(ferry aws rclone rclone-checksum)
for tool in "${TOOLS[@]}"; do
  java -cp "$BENCH_CP" dev.ferry.bench.BenchData s3-put "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" "bench-d2s-$tool" x
done

# run_tool TOOL CASE EXPECTED: one sync, measured; "uploaded" counted from the tool's own log
run_tool() {
  local tool=$1 case=$2 expected=$3 bucket="bench-d2s-$1" log="$BENCH_WORK/d2s-$1-$2.log" uploaded sync_seconds=""
  case "$tool" in
    ferry)
      bench_measure "$P" ferry s3 "$case" "$FILES" -- env FERRY_DIR_TO_S3_ENABLED=true FERRY_DIR_TO_S3_ONE_SHOT=true \
        FERRY_DIR_TO_S3_SOURCE_DIR="$SRC" FERRY_DIR_TO_S3_BUCKET="$bucket" FERRY_DIR_TO_S3_PREFIX=site/ \
        FERRY_DIR_TO_S3_DELETE=true FERRY_DIR_TO_S3_STATE_DIR="$BENCH_WORK/d2s-state" \
        FERRY_DIR_TO_S3_PARALLEL_UPLOADS="${BENCH_PARALLEL:-8}" \
        FERRY_S3_ENDPOINT="$S3_ENDPOINT" FERRY_S3_PATH_STYLE=true FERRY_S3_ACCESS_KEY="$S3_ACCESS_KEY" \
        FERRY_S3_SECRET_KEY="$S3_SECRET_KEY" FERRY_MANAGEMENT_PORT=0 CAMEL_MANAGEMENT_HOST=127.0.0.1 \
        JAVA_OPTS="${FERRY_BENCH_JAVA_OPTS:--Xmx128m}" bash -c "target/ferry/bin/ferry > $log 2>&1"
      grep -q "pipeline=dir-to-s3 .*status=SUCCEEDED" "$log" || { tail -40 "$log" >&2; bench_log "Ferry's sync failed"; exit 1; }
      uploaded=$(grep -o "pipeline=dir-to-s3 .*status=SUCCEEDED read=[0-9]* written=[0-9]*" "$log" | tail -1 | sed -E 's/.*written=//')
      # the sync's own time (its run summary's seconds=): what one sync costs a Ferry that runs on a schedule or watch
      sync_seconds=$(grep -o "run summary pipeline=dir-to-s3 .*status=SUCCEEDED.* seconds=[0-9.]*" "$log" | tail -1 | sed -E 's/.*seconds=//')
      ;;
    aws)
      bench_measure "$P" aws s3 "$case" "$FILES" -- bash -c "aws --endpoint-url '$S3_ENDPOINT' s3 sync --delete \
        --no-progress '$SRC' 's3://$bucket/site' > $log 2>&1"
      uploaded=$(grep -c '^upload:' "$log" || true)
      ;;
    rclone|rclone-checksum)
      local flags=(--transfers "${BENCH_PARALLEL:-8}" -v)
      [[ "$tool" == rclone-checksum ]] && flags+=(--checksum)
      # without AWS_CA_BUNDLE: rclone 1.60's SDK refuses any custom CA bundle on its own transport (and S3Proxy is http)
      bench_measure "$P" "$tool" s3 "$case" "$FILES" -- env -u AWS_CA_BUNDLE bash -c \
        "rclone sync ${flags[*]} '$SRC' 'bench:$bucket/site' > $log 2>&1"
      uploaded=$(grep -cE ': Copied \((new|replaced existing)\)' "$log" || true)
      ;;
  esac
  python3 - "$BENCH_WORK/$P-runs.jsonl" "$uploaded" "$expected" "${sync_seconds:-}" <<'PY'
import json, sys
path, uploaded, expected, sync_seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lines = open(path).read().splitlines()
last = json.loads(lines[-1])
last.update({"uploaded": uploaded, "expected": expected, "exact": uploaded == expected})
if sync_seconds:
    last["sync_seconds"] = float(sync_seconds)
lines[-1] = json.dumps(last)
open(path, "w").write("\n".join(lines) + "\n")
PY
  bench_log "$tool $case: uploaded $uploaded, expected $expected"
}

# equal_all CASE: every tool's bucket against the directory, by content; recorded on that case's runs
equal_all() {
  local case=$1
  java -cp "$BENCH_CP" dev.ferry.bench.DirToS3BenchCheck "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" "$SRC" site/ \
    "${TOOLS[@]/#/bench-d2s-}" > "$BENCH_WORK/d2s-equal-$case.txt"
  python3 - "$BENCH_WORK/$P-runs.jsonl" "$case" "$BENCH_WORK/d2s-equal-$case.txt" <<'PY'
import json, sys
path, case, eq = sys.argv[1], sys.argv[2], sys.argv[3]
equal = dict(l.split()[:2] for l in open(eq) if l.strip())
runs = [json.loads(l) for l in open(path) if l.strip()]
for r in runs:
    if r["case"] == case:
        r["equal"] = equal.get("bench-d2s-" + r["tool"]) == "equal"
open(path, "w").write("".join(json.dumps(r) + "\n" for r in runs))
PY
  bench_log "$case: $(tr '\n' ' ' < "$BENCH_WORK/d2s-equal-$case.txt")"
}

for tool in "${TOOLS[@]}"; do run_tool "$tool" first-upload "$FILES"; done
equal_all first-upload
for tool in "${TOOLS[@]}"; do run_tool "$tool" no-change 0; done
equal_all no-change

# The same no-change sync in a Ferry that keeps running (the schedule, every 10 s): the one-shot's sync is the first
# of a cold JVM; these are what each later sync costs. Recorded on Ferry's no-change run as scheduled_sync_seconds.
ferry_scheduled_syncs() {
  local n=${BENCH_SCHEDULED_SYNCS:-4} log="$BENCH_WORK/d2s-ferry-scheduled.log" pid deadline=$((SECONDS + 180))
  env FERRY_DIR_TO_S3_ENABLED=true FERRY_DIR_TO_S3_SCHEDULE="*/10 * * * * ?" \
    FERRY_DIR_TO_S3_SOURCE_DIR="$SRC" FERRY_DIR_TO_S3_BUCKET=bench-d2s-ferry FERRY_DIR_TO_S3_PREFIX=site/ \
    FERRY_DIR_TO_S3_DELETE=true FERRY_DIR_TO_S3_STATE_DIR="$BENCH_WORK/d2s-state" \
    FERRY_DIR_TO_S3_PARALLEL_UPLOADS="${BENCH_PARALLEL:-8}" \
    FERRY_S3_ENDPOINT="$S3_ENDPOINT" FERRY_S3_PATH_STYLE=true FERRY_S3_ACCESS_KEY="$S3_ACCESS_KEY" \
    FERRY_S3_SECRET_KEY="$S3_SECRET_KEY" FERRY_MANAGEMENT_PORT=0 CAMEL_MANAGEMENT_HOST=127.0.0.1 \
    JAVA_OPTS="${FERRY_BENCH_JAVA_OPTS:--Xmx128m}" target/ferry/bin/ferry > "$log" 2>&1 &
  pid=$!
  BENCH_FERRY_PID=$pid
  until (( $(grep -c "run summary pipeline=dir-to-s3" "$log") >= n )); do
    kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )) || { tail -40 "$log" >&2; bench_log "scheduled syncs"; exit 1; }
    sleep 0.5
  done
  kill -TERM "$pid"; wait "$pid" || true
  if grep "run summary pipeline=dir-to-s3" "$log" | grep -qv "status=SUCCEEDED read=$FILES written=0 "; then
    grep "run summary" "$log" >&2; bench_log "a scheduled no-change sync did not succeed with nothing uploaded"; exit 1
  fi
  python3 - "$BENCH_WORK/$P-runs.jsonl" "$log" <<'PY'
import json, re, sys
path, log = sys.argv[1], sys.argv[2]
secs = [float(m) for m in re.findall(r"run summary pipeline=dir-to-s3 .*? seconds=([0-9.]+)", open(log).read())]
runs = [json.loads(l) for l in open(path) if l.strip()]
for r in runs:
    if r["tool"] == "ferry" and r["case"] == "no-change":
        r["scheduled_sync_seconds"] = secs
open(path, "w").write("".join(json.dumps(r) + "\n" for r in runs))
print(" ".join(map(str, secs)))
PY
}
bench_log "ferry's no-change syncs on its schedule: $(ferry_scheduled_syncs) s"

CHANGED=$(( FILES / 100 > 0 ? FILES / 100 : 1 ))
bench_log "editing $CHANGED files in place (same size, old mtime put back)"
python3 - "$SRC" "$CHANGED" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
for p in files[:: max(1, len(files) // n)][:n]:
    st = os.stat(p)
    with open(p, "r+b") as f:
        f.write(os.urandom(min(64, st.st_size)))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PY
for tool in "${TOOLS[@]}"; do run_tool "$tool" one-percent-changed "$CHANGED"; done
equal_all one-percent-changed

bench_finish "$P" "- $(date -u +%Y-%m-%d) dir-to-s3 $FILES files ($BYTES bytes): $(python3 - "$BENCH_WORK/$P-runs.jsonl" "${BENCH_CDS:-0}" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("; ".join(f"{r['tool']} {r['case']} {r['seconds']} s" + (f" (the sync itself {r['sync_seconds']} s)" if 'sync_seconds' in r else "")
                + (f" (on its schedule, one sync after another: {' / '.join(map(str, r['scheduled_sync_seconds']))} s)" if 'scheduled_sync_seconds' in r else "")
                + f" up={r['uploaded']} exact={r['exact']} equal={r.get('equal')} rss={r['peak_rss_mb']} MB" for r in runs)
      + ("; with the class-data archive" if sys.argv[2] == "1" else ""))
PY
)"
