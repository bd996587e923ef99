#!/usr/bin/env bash
# bench/ab-s3-to-opensearch.sh <other checkout>: a regression check, not a bench/run line. The plain one-object case
# of bench/run s3-to-opensearch (1,000,000 documents of ~500 B, one gzipped object, packaged Ferry, -Xmx256m), this
# checkout's build (A) against another checkout's (B: <other>/target/ferry, built there with ./mvnw package
# -DskipTests), alternating for BENCH_ROUNDS rounds (default 3), A first in odd rounds and B first in even ones, on
# the same embedded servers. Prints every run's wall seconds (start to the last document accounted for), CPU seconds
# (user + system, the whole process) and peak RSS, then each side's best and median. Nothing goes to bench/results:
# copy the verdict into bench/RESULTS.md by hand. BENCH_RECORDS overrides the count.
set -euo pipefail
OTHER=$(cd "${1:?usage: bench/ab-s3-to-opensearch.sh <other checkout with target/ferry>}" && pwd)
[[ -x "$OTHER/target/ferry/bin/ferry" ]] || { echo "no $OTHER/target/ferry/bin/ferry: build it there first" >&2; exit 2; }
cd "$(dirname "$0")/.."
source bench/lib.sh
PIPELINE=s3-to-opensearch # whose metrics count the documents
RECORDS=${BENCH_RECORDS:-1000000}
ROUNDS=${BENCH_ROUNDS:-3}
DATA="$BENCH_WORK/s3os-ab"
mkdir -p "$DATA"
rm -f "$BENCH_WORK/$PIPELINE-runs.jsonl"

bench_build
bench_start_services s3 opensearch
S3_ENDPOINT=$S3_ENDPOINT S3_ACCESS_KEY=$S3_ACCESS_KEY S3_SECRET_KEY=$S3_SECRET_KEY \
  java -cp "$BENCH_CP" dev.ferry.bench.S3ToOpenSearchBenchData "$DATA" "$RECORDS" bench-curl bench-ab staging/docs.ndjson.gz
bench_os_warm_up "$DATA/chunks"

cpu_s() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$1"; }
run() { # <A|B>
  local side=$1 bin=target/ferry/bin/ferry prefix="in-$1-$RANDOM/" index="bench-ab-${1,,}"
  [[ $side == B ]] && bin="$OTHER/target/ferry/bin/ferry"
  bench_s3_put "$DATA/docs.ndjson.gz" "bench-ab/${prefix}docs.ndjson.gz"
  sync; sleep 2
  # shellcheck disable=SC2046
  BENCH_FERRY_BIN="$bin" bench_ferry_until "$PIPELINE" "$side" opensearch "$RECORDS" "$RECORDS" \
    $(bench_ferry_s3_to_opensearch_env bench-ab "$prefix" "$index") ${FERRY_BENCH_ENV:-}
  bench_os_check "$index" "$RECORDS"
  echo "$side $(tail -1 "$BENCH_WORK/$PIPELINE-runs.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])') \
$(cpu_s "$BENCH_WORK/time-ferry-$side.txt") $(bench_rss_mb "$BENCH_WORK/time-ferry-$side.txt")" >> "$BENCH_WORK/ab-$PIPELINE.txt"
}

: > "$BENCH_WORK/ab-$PIPELINE.txt"
for ((round = 1; round <= ROUNDS; round++)); do
  bench_log "round $round"
  if (( round % 2 )); then run A; run B; else run B; run A; fi
done
python3 - "$BENCH_WORK/ab-$PIPELINE.txt" "$OTHER" <<'PY'
import statistics, subprocess, sys
runs = [l.split() for l in open(sys.argv[1]) if l.strip()]
rev = lambda d: subprocess.run(["git", "-C", d, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
names = {"A": f"A {rev('.')} (this checkout)", "B": f"B {rev(sys.argv[2])} ({sys.argv[2]})"}
for side in "AB":
    mine = [(float(w), float(c), float(r)) for s, w, c, r in runs if s == side]
    print(f"{names[side]}: wall {' / '.join(f'{w:.2f}' for w, _, _ in mine)} s (best {min(w for w, _, _ in mine):.2f}, "
          f"median {statistics.median(w for w, _, _ in mine):.2f}); CPU {' / '.join(f'{c:.1f}' for _, c, _ in mine)} s "
          f"(median {statistics.median(c for _, c, _ in mine):.1f}); peak RSS max {max(r for _, _, r in mine):.1f} MB")
PY
