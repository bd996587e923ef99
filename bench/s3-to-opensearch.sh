#!/usr/bin/env bash
# bench/run s3-to-opensearch: 1,000,000 documents of ~500 bytes into OpenSearch, three ways, same ids:
#   ferry        one gzipped NDJSON object in S3Proxy -> Ferry (packaged, -Xmx256m) -> index bench-ferry
#   ferry        the same documents as 20 smaller gzipped objects                     -> index bench-ferry-20
#   ferry        the one object through a three-step transform (bench/s3-to-opensearch-transform.camel.yaml: drop
#                ~10 % by a condition, add a field, index by the month of a date field) -> bench-ferry-transform-*
#   curl         pre-chunked 5 MB _bulk bodies, two streams in parallel              -> index bench-curl
#   elasticdump  npm elasticdump from the NDJSON file (--limit=5000)                   -> index bench-elasticdump
# BENCH_RECORDS overrides the count. Every index must end with exactly that many documents.
# Fairness: OpenSearch is warmed up first (the whole data set through _bulk into a scratch index, then deleted), so
# the first tool measured does not pay for the node's warm-up: on a fresh node the same Ferry load took 36 s on its
# first run and 26 s on its third (a 200,000-document warm-up was not enough). Each index is deleted once counted,
# so no tool shares the node with the background merges of the one before.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
PIPELINE=s3-to-opensearch
RECORDS=${BENCH_RECORDS:-1000000}
DATA="$BENCH_WORK/s3os"
mkdir -p "$DATA"
rm -f "$BENCH_WORK/$PIPELINE-runs.jsonl"

bench_build
bench_start_services s3 opensearch

bench_log "generating $RECORDS documents and uploading the gzipped object"
S3_ENDPOINT=$S3_ENDPOINT S3_ACCESS_KEY=$S3_ACCESS_KEY S3_SECRET_KEY=$S3_SECRET_KEY \
  java -cp "$BENCH_CP" dev.ferry.bench.S3ToOpenSearchBenchData "$DATA" "$RECORDS" bench-curl bench-in incoming/docs.ndjson.gz \
  incoming-20/ 20

bench_os_warm_up "$DATA/chunks"

# The transform case's routes: routes/ with the stock transform route replaced by the benchmark's.
TRANSFORM_ROUTES="$PWD/$BENCH_WORK/transform-routes"
rm -rf "$TRANSFORM_ROUTES"; mkdir -p "$TRANSFORM_ROUTES"
python3 - routes "$TRANSFORM_ROUTES" bench/s3-to-opensearch-transform.camel.yaml <<'PY'
import pathlib, shutil, sys, yaml
src, dst, edit = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
ids = {e["route"]["id"] for e in yaml.safe_load(edit.read_text()) if "route" in e}
for f in src.glob("*.camel.yaml"):
    kept = [e for e in (yaml.safe_load(f.read_text()) or []) if not ("route" in e and e["route"]["id"] in ids)]
    (dst / f.name).write_text(yaml.safe_dump(kept, sort_keys=False))
shutil.copy(edit, dst / edit.name)
PY
# documents the transform keeps: all but quantity > 18
TRANSFORM_KEPT=$(python3 -c '
import json, sys
print(sum(1 for line in open(sys.argv[1]) if json.loads(line)["_source"]["quantity"] <= 18))' "$DATA/docs.ndjson")
bench_log "transform case: $TRANSFORM_KEPT of $RECORDS documents kept"
check_transform() { # the kept documents, spread over the monthly indices; then they go
  curl -fs -XPOST "$OPENSEARCH_URL/bench-ferry-transform-*/_refresh" >/dev/null
  local got; got=$(curl -fs "$OPENSEARCH_URL/bench-ferry-transform-*/_count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  if [[ "$got" != "$TRANSFORM_KEPT" ]]; then bench_log "FAIL: bench-ferry-transform-* has $got documents, expected $TRANSFORM_KEPT"; exit 1; fi
  bench_log "bench-ferry-transform-*: $got documents"
  curl -fs -XDELETE "$OPENSEARCH_URL/bench-ferry-transform-*" >/dev/null
}

ferry_s3_env() { # <prefix> <index>
  echo $(bench_ferry_s3_to_opensearch_env bench-in "$1" "$2") ${FERRY_BENCH_ENV:-}
}
s3_put() { bench_s3_put "$1" "bench-in/$2"; } # <local file> <key in bench-in>
check() { bench_os_check "$1" "$RECORDS"; }

s3_put "$DATA/docs.ndjson.gz" incoming-transform/docs.ndjson.gz
settle() { sync; sleep 2; } # the previous tool's writes flushed, so no tool pays for another's disk writeback

# Two rounds, tools alternating; each case keeps its faster round (and its larger peak RSS): single runs on this
# machine vary by up to 30 %, from OpenSearch's side as much as from the tool's.
for round in 1 2; do
  if (( round > 1 )); then # Ferry moved the objects under processed/: put them back
    s3_put "$DATA/docs.ndjson.gz" incoming/docs.ndjson.gz
    s3_put "$DATA/docs.ndjson.gz" incoming-transform/docs.ndjson.gz
    for part in "$DATA"/parts/*.ndjson.gz; do s3_put "$part" "incoming-20/$(basename "$part")"; done
  fi
  bench_log "round $round"
  # --- Ferry: the packaged launcher, -Xmx256m, until its metrics account for every document
  settle
  # shellcheck disable=SC2046
  bench_ferry_until "$PIPELINE" gzipped-ndjson-object opensearch "$RECORDS" "$RECORDS" $(ferry_s3_env incoming/ bench-ferry)
  check bench-ferry
  settle
  # shellcheck disable=SC2046
  bench_ferry_until "$PIPELINE" 20-gzipped-ndjson-objects opensearch "$RECORDS" "$RECORDS" $(ferry_s3_env incoming-20/ bench-ferry-20)
  check bench-ferry-20
  settle
  # shellcheck disable=SC2046
  bench_ferry_until "$PIPELINE" gzipped-ndjson-object-transform opensearch "$RECORDS" "$RECORDS" \
    $(ferry_s3_env incoming-transform/ bench-ferry-transform) FERRY_ROUTES_DIR="$TRANSFORM_ROUTES"
  check_transform

  # --- curl: 5 MB _bulk bodies, two in parallel (errors inside a 200 response would show in the count check)
  settle
  bench_measure "$PIPELINE" curl opensearch bulk-5mb-x2 "$RECORDS" -- bash -c \
    "ls '$DATA'/chunks/*.ndjson | xargs -P2 -I{} curl -sf -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary @{} '$OPENSEARCH_URL/_bulk'"
  check bench-curl

  # --- elasticdump from the file
  ELASTICDUMP=$(bench_elasticdump)
  settle
  bench_measure "$PIPELINE" elasticdump opensearch file-limit-5000 "$RECORDS" -- \
    "$ELASTICDUMP" --quiet --input="$DATA/docs.ndjson" \
    --output="$OPENSEARCH_URL/bench-elasticdump" --limit=5000
  check bench-elasticdump
done

bench_write_results "$PIPELINE"
bench_finish "$PIPELINE" "$(python3 - "bench/results/$PIPELINE.json" "$RECORDS" <<'PY'
import datetime, json, sys
runs = {(r["tool"], r["case"]): r for r in json.load(open(sys.argv[1]))["runs"]}
n = int(sys.argv[2])
rate = lambda r: f"{r['seconds']} s ({n / r['seconds']:,.0f} docs/s)"
f, f20 = runs[("ferry", "gzipped-ndjson-object")], runs[("ferry", "20-gzipped-ndjson-objects")]
ft = runs[("ferry", "gzipped-ndjson-object-transform")]
c, e = runs[("curl", "bulk-5mb-x2")], runs[("elasticdump", "file-limit-5000")]
print(f"| {datetime.date.today()} | s3-to-opensearch | {n:,} docs of ~500 B in S3 -> OpenSearch 2.19 (node warmed up; best of 2 alternating rounds)"
      f" | one object {rate(f)}, 20 objects {rate(f20)}, JVM start included;"
      f" one object with a 3-step transform {rate(ft)}, {f['seconds'] / ft['seconds']:.2f}x the plain case's docs/s;"
      f" (docs/s: {c['seconds'] / f['seconds']:.2f}x curl's, {e['seconds'] / f['seconds']:.2f}x elasticdump's)"
      f" | curl 5 MB _bulk x2: {rate(c)}; elasticdump --limit=5000 from file: {rate(e)}"
      f" | Ferry {max(f['peak_rss_mb'], f20['peak_rss_mb'])} MB (-Xmx256m); curl {c['peak_rss_mb']} MB;"
      f" elasticdump {e['peak_rss_mb']} MB |")
PY
)"
