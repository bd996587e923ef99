#!/usr/bin/env bash
# bench/run opensearch-to-s3: dump 1M documents of ~500 bytes from the embedded OpenSearch to S3Proxy.
#   Ferry one-shot (packaged, -Xmx256m) | elasticdump --output=s3://... --s3Compress at --limit 5000 and 10000 |
#   a minimal scroll loop that only reads and discards (the floor) | Ferry with compression=zstd (tool ferry-zstd) |
#   Ferry again on 3M documents (flat memory?).
# Each index is force-merged and the node idle before anything is measured; the 1M tools run in two rounds in
# opposite orders, best of two kept.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
P=opensearch-to-s3
DOCS=${BENCH_DOCS:-1000000}
BIG=${BENCH_BIG_DOCS:-3000000}
rm -f "$BENCH_WORK/$P-runs.jsonl"

bench_build
bench_start_services s3 opensearch

load_index() { # load_index INDEX N
  local index=$1 n=$2 dir="$BENCH_WORK/os3-data-$2"
  [[ -d "$dir/bulk" ]] || java -cp "$BENCH_CP" dev.ferry.bench.BenchData gen-docs "$n" 1 "$dir" >/dev/null
  java -cp "$BENCH_CP" dev.ferry.bench.BenchData os-reset "$OPENSEARCH_URL" "$index"
  ls "$dir"/bulk/chunk-*.ndjson | xargs -P 2 -I{} curl -fs -o /dev/null -H 'Content-Type: application/x-ndjson' \
    --data-binary @{} "$OPENSEARCH_URL/$index/_bulk"
  local count; count=$(java -cp "$BENCH_CP" dev.ferry.bench.BenchData os-count "$OPENSEARCH_URL" "$index")
  [[ "$count" == "$n" ]] || { bench_log "$index holds $count documents, expected $n"; exit 1; }
  bench_log "$index: $count documents"
  bench_os_settle "$index"
}

ferry_dump() { # ferry_dump INDEX N CASE [COMPRESSION]
  local index=$1 n=$2 case=$3 compression=${4:-gzip}
  local tool=ferry bucket="bench-ferry-$3"
  [[ $compression == gzip ]] || { tool="ferry-$compression"; bucket="$bucket-$compression"; }
  java -cp "$BENCH_CP" dev.ferry.bench.BenchData s3-put "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" "$bucket" x
  bench_measure "$P" "$tool" s3 "$case" "$n" -- env FERRY_OPENSEARCH_TO_S3_ENABLED=true FERRY_OPENSEARCH_TO_S3_ONE_SHOT=true \
    FERRY_OPENSEARCH_TO_S3_COMPRESSION="$compression" \
    FERRY_OPENSEARCH_TO_S3_INDEX="$index" FERRY_OPENSEARCH_TO_S3_DESTINATION="s3://$bucket/dumps" \
    FERRY_OPENSEARCH_TO_S3_SPOOL_DIR="$BENCH_WORK/os3-spool" FERRY_OPENSEARCH_TO_S3_REQUEST_DIR="$BENCH_WORK/os3-requests" \
    FERRY_OPENSEARCH_HOSTS="$OPENSEARCH_HOST" FERRY_S3_ENDPOINT="$S3_ENDPOINT" FERRY_S3_PATH_STYLE=true \
    FERRY_S3_ACCESS_KEY="$S3_ACCESS_KEY" FERRY_S3_SECRET_KEY="$S3_SECRET_KEY" FERRY_MANAGEMENT_PORT=0 \
    CAMEL_MANAGEMENT_HOST=127.0.0.1 JAVA_OPTS="${FERRY_BENCH_JAVA_OPTS:--Xmx256m}" \
    bash -c "target/ferry/bin/ferry > $BENCH_WORK/$tool-$case.log 2>&1"
  grep -q "status=SUCCEEDED read=$n written=$n" "$BENCH_WORK/$tool-$case.log" \
    || { tail -40 "$BENCH_WORK/$tool-$case.log" >&2; bench_log "Ferry did not dump $n documents"; exit 1; }
}

elasticdump_dumps() {
  for limit in 5000 10000; do
    java -cp "$BENCH_CP" dev.ferry.bench.BenchData s3-put "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" bench-elasticdump x
    bench_measure "$P" elasticdump s3 "${DOCS}-docs-limit-$limit" "$DOCS" -- "$ED" --quiet \
      --input="$OPENSEARCH_URL/bench-os3-1m" --output="s3://bench-elasticdump/dump-$limit.ndjson.gz" --s3Compress \
      --limit="$limit" --s3AccessKeyId="$S3_ACCESS_KEY" --s3SecretAccessKey="$S3_SECRET_KEY" \
      --s3Endpoint="$S3_ENDPOINT" --s3ForcePathStyle=true --s3Region=us-east-1
  done
}

scroll_floor() {
bench_measure "$P" scroll-read-discard none "${DOCS}-docs" "$DOCS" -- python3 - "$OPENSEARCH_URL" bench-os3-1m "$DOCS" <<'PY'
import json, sys, urllib.request
url, index, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
r = post(f"/{index}/_search?scroll=5m", {"size": 5000, "sort": ["_doc"]})
seen = 0
while r["hits"]["hits"]:
    seen += len(r["hits"]["hits"])
    r = post("/_search/scroll", {"scroll": "5m", "scroll_id": r["_scroll_id"]})
assert seen == want, (seen, want)
PY
}

load_index bench-os3-1m "$DOCS"
ED=$(bench_elasticdump)
# two rounds in opposite orders, the faster of each tool's two runs kept (bench_finish keeps the best per case)
bench_log "round 1"
ferry_dump bench-os3-1m "$DOCS" "${DOCS}-docs"; ferry_dump bench-os3-1m "$DOCS" "${DOCS}-docs" zstd; elasticdump_dumps
scroll_floor
bench_log "round 2"
scroll_floor; elasticdump_dumps; ferry_dump bench-os3-1m "$DOCS" "${DOCS}-docs" zstd; ferry_dump bench-os3-1m "$DOCS" "${DOCS}-docs"

load_index bench-os3-3m "$BIG"
ferry_dump bench-os3-3m "$BIG" "${BIG}-docs"

bench_finish "$P" "$(python3 - "$P" <<'PY'
import json, sys, datetime
best = {}
for r in (json.loads(l) for l in open(f"target/bench/{sys.argv[1]}-runs.jsonl") if l.strip()):
    k = (r["tool"], r["case"])
    b = best.setdefault(k, dict(r, runs=0))
    b["runs"] += 1
    b["seconds"] = min(b["seconds"], r["seconds"])
    b["peak_rss_mb"] = max(b["peak_rss_mb"], r["peak_rss_mb"])
f = [r for r in best.values() if r["tool"].startswith("ferry")]
peers = [r for r in best.values() if not r["tool"].startswith("ferry")]
floor = next((r for r in peers if r["tool"] == "scroll-read-discard"), None)
ones = [r for r in f if floor and r["records"] == floor["records"]]
ratio = (" (1M: " + ", ".join(f'{r["tool"]} {floor["seconds"] / r["seconds"]:.2f}x' for r in ones)
         + " the floor's docs/s)") if ones else ""
fmt = lambda r: f'{r["tool"]} {r["case"]} {r["seconds"]} s'
print(f'| {datetime.date.today()} | opensearch-to-s3 | 1M/3M docs ~500 B to S3, 1-shard indices force-merged, node idle;'
      f' 1M: best of 2 rounds in opposite orders | '
      + ", ".join(f'{r["tool"]} {r["case"]} {r["seconds"]} s' for r in f) + ratio + ' | ' + ", ".join(map(fmt, peers)) + ' | '
      + ", ".join(f'{r["tool"]} {r["case"]} {r["peak_rss_mb"]} MB' for r in best.values()) + ' |')
PY
)"
