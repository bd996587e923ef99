#!/usr/bin/env bash
# report-to-sql benchmark: a 1,000,000-row report (~120 MB CSV, served by the embedded report server behind NTLM,
# no artificial latency) loaded by the packaged Ferry at -Xmx256m into (a) an H2 file database (SQL Server mode) and
# (b) the embedded PostgreSQL, compared with each database's own bulk loader on the same CSV bytes:
#   H2          INSERT INTO t SELECT ... FROM CSVREAD(file)   (org.h2.tools.RunScript, its own JVM)
#   PostgreSQL  psql \copy t FROM file WITH (FORMAT csv, HEADER)
# and with the same loaders deduplicating as Ferry does (a 16-byte SHA-256 of each row under a unique index, rows
# whose hash is there skipped), then Ferry again over the same window (every row a duplicate), and then (PostgreSQL)
# one Ferry process on its schedule, as production runs it, loading the window again and again with a warm JVM. All in
# RTS_BENCH_ROUNDS rounds (default 2), each case keeping its fastest time. Run with: bench/run report-to-sql
# Environment: RTS_BENCH_ROWS (default 1000000), RTS_BENCH_FERRY_ENV (extra KEY=VALUE settings for Ferry, e.g.
# "FERRY_REPORT_TO_SQL_BATCH_SIZE=10000"; named in the RESULTS.md line), RTS_BENCH_AB=<other checkout> (a regression
# check: that checkout's build, target/ferry, also loads PostgreSQL in every round, in alternating order; its times
# are printed at the end, as cases first-load-b and rerun-all-duplicates-b in the results).
#
# Fairness: every tool reads the same bytes (BOM, CRLF, quoted fields with line breaks) into a table with the same
# ten typed columns as Ferry's target table and one unique index (Ferry: row_hash, its 16-byte content hash;
# the loaders: tracking_id, the natural key), and leaves the same values (empty text stays '', not NULL). Ferry also
# fetches the report over HTTP with NTLM, spools it, converts, hashes, skips duplicates and records its run; the
# loaders read a local file. Every time is a whole process, JVM start included; peak RSS is the whole process.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

P=report-to-sql
ROWS=${RTS_BENCH_ROWS:-1000000}
PLANTS=A,B,C,D
ROWS_PER_HOUR=1000
HOURS=$(( ROWS / (4 * ROWS_PER_HOUR) ))
START=2026-01-01T00:00
UNTIL=$(python3 -c "import datetime as d; print((d.datetime.fromisoformat('$START') + d.timedelta(hours=$HOURS)).strftime('%Y-%m-%dT%H:%M'))")
REPORT_USER=svc_ferry
REPORT_PASSWORD="bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
WORK="$BENCH_WORK/rts"

bench_build
rm -rf "$WORK" "$BENCH_WORK/$P-runs.jsonl"
mkdir -p "$WORK/spool"
H2_JAR=$(tr ':' '\n' < "$BENCH_WORK/test-classpath.txt" | grep '/h2-[0-9.]*\.jar$' | head -1)

bench_start_services postgres
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
bench_log "report server $REPORT_URL (NTLM, $ROWS rows: $HOURS h x 4 plants x $ROWS_PER_HOUR)"

CSV="$WORK/tracking.csv"
written=$(java -cp "$BENCH_CP" dev.ferry.bench.ReportCsvFile "$CSV" "$START" "$UNTIL" "$ROWS_PER_HOUR" "$PLANTS")
[[ "$written" == "$ROWS" ]] || { bench_log "CSV has $written rows, expected $ROWS"; exit 1; }
bench_log "CSV $CSV: $(du -m "$CSV" | cut -f1) MB, $ROWS rows"

# ---------------------------------------------------------------- databases
PG_BASE=${PG_URL#jdbc:}; PG_BASE=${PG_BASE%/*}
pg_url() { echo "postgresql://$PG_USER:$PG_PASSWORD@${PG_BASE#postgresql://}/$1"; }
psql_q() { psql -q -v ON_ERROR_STOP=1 "$(pg_url "$1")" -c "$2"; }
H2_FERRY="jdbc:h2:file:$PWD/$WORK/h2-ferry/db;MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE"
H2_LOADER="jdbc:h2:file:$PWD/$WORK/h2-loader/db;MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE"
h2_sql() { java -cp "$H2_JAR" org.h2.tools.Shell -url "$1" -user sa -password "" -sql "$2"; }

# The loaders' table: Ferry's ten typed columns (db/report-to-sql/*/V1__*.sql), unique on the natural key.
COLS="tracking_id, plant, line_no, part_number, quantity, unit_weight_kg, produced_at, operator_name, quality_passed, notes"
h2_table="CREATE TABLE tracking_bulk (tracking_id NVARCHAR(40) NOT NULL, plant NVARCHAR(10) NOT NULL, line_no INT NULL,
  part_number NVARCHAR(20) NOT NULL, quantity INT NOT NULL, unit_weight_kg DECIMAL(10, 3) NULL, produced_at DATETIME2(0) NOT NULL,
  operator_name NVARCHAR(100) NULL, quality_passed BIT NULL, notes NVARCHAR(2000) NULL,
  loaded_at DATETIME2(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
  CREATE UNIQUE INDEX ux_tracking_bulk ON tracking_bulk (tracking_id);"
pg_table="CREATE TABLE tracking_bulk (tracking_id VARCHAR(40) NOT NULL, plant VARCHAR(10) NOT NULL, line_no INT NULL,
  part_number VARCHAR(20) NOT NULL, quantity INT NOT NULL, unit_weight_kg DECIMAL(10, 3) NULL, produced_at TIMESTAMP(0) NOT NULL,
  operator_name VARCHAR(100) NULL, quality_passed BOOLEAN NULL, notes VARCHAR(2000) NULL,
  loaded_at TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'));
  CREATE UNIQUE INDEX ux_tracking_bulk ON tracking_bulk (tracking_id);"
# The same loaders doing what Ferry does about duplicates: a 16-byte SHA-256 of the row, under a unique index, and
# rows whose hash is there already skipped (NOT EXISTS). Ferry's target table has no natural-key index, only this one.
h2_dedupe_table="${h2_table//tracking_bulk/tracking_dedupe}"
h2_dedupe_table="${h2_dedupe_table/loaded_at DATETIME2(3)/row_hash BINARY(16) NOT NULL, loaded_at DATETIME2(3)}"
h2_dedupe_table="${h2_dedupe_table/(tracking_id);/(row_hash);}"
pg_dedupe_table="${pg_table//tracking_bulk/tracking_dedupe}"
pg_dedupe_table="${pg_dedupe_table/loaded_at TIMESTAMP(3)/row_hash BYTEA NOT NULL, loaded_at TIMESTAMP(3)}"
pg_dedupe_table="${pg_dedupe_table/(tracking_id);/(row_hash);}"

# One round: fresh databases, the loaders, then Ferry (first load, all-duplicates rerun), then the same rows everywhere.
# RTS_BENCH_ROUNDS rounds (default 2); each case keeps its fastest time and largest peak RSS (bench_write_results).
bench_round() {
rm -rf "$WORK/h2-ferry" "$WORK/h2-loader"
psql_q postgres "DROP DATABASE IF EXISTS rts_ferry" >/dev/null 2>&1
psql_q postgres "DROP DATABASE IF EXISTS rts_copy" >/dev/null 2>&1
psql_q postgres "CREATE DATABASE rts_ferry" >/dev/null
psql_q postgres "CREATE DATABASE rts_copy" >/dev/null
h2_sql "$H2_LOADER" "$h2_table" >/dev/null
h2_sql "$H2_LOADER" "$h2_dedupe_table" >/dev/null
psql_q rts_copy "$pg_table" >/dev/null
psql_q rts_copy "$pg_dedupe_table" >/dev/null

# ---------------------------------------------------------------- the databases' own loaders
# H2: CSVREAD takes the header line as column names (the BOM stays in the first one, so columns are renamed by
# position) and handles quoted line breaks; it reads an empty field as NULL, so Notes is COALESCEd back to '' as Ferry
# stores it. H2 casts the text to the table's types on insert ('True' -> TRUE, '2026-01-01 00:00:00' -> DATETIME2).
cat > "$WORK/h2-load.sql" <<SQL
INSERT INTO tracking_bulk ($COLS) SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, COALESCE(c10, '')
  FROM CSVREAD('$PWD/$CSV', NULL, 'charset=UTF-8') AS x(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10);
SQL
bench_measure "$P" h2-csvread h2 first-load "$ROWS" -- \
  java -cp "$H2_JAR" org.h2.tools.RunScript -url "$H2_LOADER" -user sa -password "" -script "$WORK/h2-load.sql"
# PostgreSQL: HEADER skips the first line (BOM included); FORCE_NOT_NULL keeps empty text '' like Ferry.
bench_measure "$P" pg-copy postgresql first-load "$ROWS" -- \
  psql -q -v ON_ERROR_STOP=1 "$(pg_url rts_copy)" \
  -c "\\copy tracking_bulk ($COLS) FROM '$PWD/$CSV' WITH (FORMAT csv, HEADER, FORCE_NOT_NULL (operator_name, notes))"
# The same, deduplicating: each row hashed by the database itself, then inserted unless its hash is there.
HASHED="c1, c2, c3, c4, c5, c6, c7, c8, c9, c10"
cat > "$WORK/h2-load-dedupe.sql" <<SQL
INSERT INTO tracking_dedupe ($COLS, row_hash) SELECT $HASHED, h FROM (
  SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, COALESCE(c10, '') c10, CAST(SUBSTRING(HASH('SHA-256', STRINGTOUTF8(
    CONCAT_WS(CHAR(31), c1, c2, c3, c4, c5, c6, c7, c8, c9, c10))) FROM 1 FOR 16) AS BINARY(16)) h
  FROM CSVREAD('$PWD/$CSV', NULL, 'charset=UTF-8') AS x(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10)) s
WHERE NOT EXISTS (SELECT 1 FROM tracking_dedupe d WHERE d.row_hash = s.h);
SQL
bench_measure "$P" h2-csvread-dedupe h2 first-load "$ROWS" -- \
  java -cp "$H2_JAR" org.h2.tools.RunScript -url "$H2_LOADER" -user sa -password "" -script "$WORK/h2-load-dedupe.sql"
cat > "$WORK/pg-load-dedupe.sql" <<SQL
CREATE TEMP TABLE stage (c1 text, c2 text, c3 int, c4 text, c5 int, c6 numeric(10,3), c7 timestamp(0), c8 text, c9 boolean, c10 text);
\\copy stage FROM '$PWD/$CSV' WITH (FORMAT csv, HEADER, FORCE_NOT_NULL (c8, c10))
INSERT INTO tracking_dedupe ($COLS, row_hash) SELECT $HASHED, h FROM (
  SELECT *, substring(sha256(convert_to(concat_ws(chr(31), $HASHED), 'UTF8')) FROM 1 FOR 16) h FROM stage) s
WHERE NOT EXISTS (SELECT 1 FROM tracking_dedupe d WHERE d.row_hash = s.h);
SQL
bench_measure "$P" pg-copy-dedupe postgresql first-load "$ROWS" -- \
  psql -q -v ON_ERROR_STOP=1 "$(pg_url rts_copy)" -f "$WORK/pg-load-dedupe.sql"

# ---------------------------------------------------------------- Ferry
ferry_env() { # <jdbc url> <user> <password>
  echo FERRY_REPORT_TO_SQL_ENABLED=true FERRY_DB_URL="$1" FERRY_DB_USER="$2" FERRY_DB_PASSWORD="$3" \
    FERRY_REPORT_TO_SQL_BASE_URL="$REPORT_URL" FERRY_REPORT_TO_SQL_AUTH_METHOD=ntlm FERRY_REPORT_TO_SQL_DOMAIN=CORP \
    FERRY_REPORT_TO_SQL_USER="$REPORT_USER" FERRY_REPORT_TO_SQL_PASSWORD="$REPORT_PASSWORD" \
    FERRY_REPORT_TO_SQL_PARAMETERS="Plant=${PLANTS//,/|}" FERRY_REPORT_TO_SQL_START="$START" \
    FERRY_REPORT_TO_SQL_UNTIL="$UNTIL" FERRY_REPORT_TO_SQL_WINDOW_HOURS="$HOURS" \
    FERRY_REPORT_TO_SQL_INITIAL_DELAY_MS=100 FERRY_REPORT_TO_SQL_MIN_REQUEST_INTERVAL_MS=0 \
    FERRY_REPORT_TO_SQL_SPOOL_DIR="$PWD/$WORK/spool" ${RTS_BENCH_FERRY_ENV:-}
}
# shellcheck disable=SC2046
bench_ferry_until "$P" first-load h2 "$ROWS" "$ROWS" $(ferry_env "$H2_FERRY" sa "")
h2_sql "$H2_FERRY" "DELETE FROM report_to_sql_runs" >/dev/null   # forget the run: the next load reads it all again
# shellcheck disable=SC2046
bench_ferry_until "$P" rerun-all-duplicates h2 "$ROWS" "$ROWS" $(ferry_env "$H2_FERRY" sa "")
pg_ferry() { # <database> <case suffix> [launcher]: first load, then the all-duplicates rerun, into PostgreSQL
  local url="jdbc:postgresql://${PG_BASE#postgresql://}/$1"
  # shellcheck disable=SC2046
  BENCH_FERRY_BIN="${3:-}" bench_ferry_until "$P" "first-load$2" postgresql "$ROWS" "$ROWS" $(ferry_env "$url" "$PG_USER" "$PG_PASSWORD")
  psql_q "$1" "DELETE FROM report_to_sql_runs" >/dev/null
  # shellcheck disable=SC2046
  BENCH_FERRY_BIN="${3:-}" bench_ferry_until "$P" "rerun-all-duplicates$2" postgresql "$ROWS" "$ROWS" $(ferry_env "$url" "$PG_USER" "$PG_PASSWORD")
}
# Ferry as production runs it: one process on its schedule, a run every few seconds, the JVM warm after its first
# run. Each run's own seconds come from its run summary. Before a run, the run table is emptied (the same window is
# due again: every row a duplicate), or the target table too (a first load). Runs: a rerun to warm up (not counted),
# two reruns, two first loads, a rerun. Recorded as the cases scheduled-first-load and scheduled-rerun-all-duplicates
# (fastest of each; peak RSS of the whole process).
pg_ferry_scheduled() { # <database>
  local url="jdbc:postgresql://${PG_BASE#postgresql://}/$1" log="$BENCH_WORK/ferry-scheduled.log"
  local report="$BENCH_WORK/time-ferry-scheduled.txt" plan=(rerun rerun first first rerun) n=1 pid ferry_pid
  psql_q "$1" "DELETE FROM report_to_sql_runs" >/dev/null # the window is due again
  # shellcheck disable=SC2046
  env $(ferry_env "$url" "$PG_USER" "$PG_PASSWORD") FERRY_REPORT_TO_SQL_PERIOD_MS=3000 \
    JAVA_OPTS="${FERRY_BENCH_JAVA_OPTS:--Xmx256m}" /usr/bin/time -v -o "$report" target/ferry/bin/ferry > "$log" 2>&1 &
  pid=$!
  BENCH_FERRY_PID=$pid
  for what in "${plan[@]}" done; do
    local deadline=$((SECONDS + 600))
    until (( $(grep -c 'run summary' "$log" || true) >= n )); do
      if (( SECONDS > deadline )) || ! kill -0 "$pid" 2>/dev/null; then tail -30 "$log" >&2; bench_log "scheduled Ferry stopped early"; return 1; fi
      sleep 0.2
    done
    [[ "$what" == done ]] && break
    if [[ "$what" == first ]]; then psql_q "$1" "TRUNCATE report_tracking" >/dev/null; fi
    psql_q "$1" "DELETE FROM report_to_sql_runs" >/dev/null
    n=$((n + 1))
  done
  ferry_pid=$(pgrep -P "$pid" || true)
  kill -TERM ${ferry_pid:-$pid} 2>/dev/null || true
  wait "$pid" || true
  local summaries; summaries=$(grep 'run summary' "$log")
  if [[ $(grep -c "status=SUCCEEDED read=$ROWS " <<<"$summaries" || true) != $((${#plan[@]} + 1)) ]]; then
    echo "$summaries" >&2; bench_log "scheduled Ferry: not every run SUCCEEDED with $ROWS rows read"; return 1
  fi
  local rss i=0 line seconds case
  rss=$(bench_rss_mb "$report")
  while IFS= read -r line; do
    i=$((i + 1)); (( i == 1 )) && continue # the cold JVM's run
    seconds=$(grep -oE ' seconds=[0-9.]+' <<<"$line" | cut -d= -f2)
    if grep -q " written=$ROWS duplicate=0 " <<<"$line"; then case=scheduled-first-load
    elif grep -q " written=0 duplicate=$ROWS " <<<"$line"; then case=scheduled-rerun-all-duplicates
    else echo "$line" >&2; bench_log "scheduled Ferry: a run neither all new nor all duplicates"; return 1; fi
    bench_record "$P" ferry postgresql "$case" "$ROWS" "$seconds" "$rss"
  done <<<"$summaries"
}
if [[ -z "${RTS_BENCH_AB:-}" ]]; then
  pg_ferry rts_ferry ""
  pg_ferry_scheduled rts_ferry
else # the A/B check: another checkout's build loads the same report into its own database, first in even rounds
  psql_q postgres "DROP DATABASE IF EXISTS rts_ferry_b" >/dev/null 2>&1
  psql_q postgres "CREATE DATABASE rts_ferry_b" >/dev/null
  if (( round % 2 )); then pg_ferry rts_ferry ""; pg_ferry rts_ferry_b -b "$RTS_BENCH_AB/target/ferry/bin/ferry"
  else pg_ferry rts_ferry_b -b "$RTS_BENCH_AB/target/ferry/bin/ferry"; pg_ferry rts_ferry ""; fi
fi

# ---------------------------------------------------------------- same rows everywhere?
check() { # <label> <count> <distinct ids> <sum quantity> <empty notes>
  bench_log "$1: rows=$2 distinct_ids=$3 sum_quantity=$4 empty_notes=$5"
  [[ "$2" == "$ROWS" && "$3" == "$ROWS" ]] || { bench_log "$1 does not hold exactly $ROWS rows"; exit 1; }
}
q="SELECT COUNT(*), COUNT(DISTINCT tracking_id), SUM(quantity), SUM(CASE WHEN notes = '' THEN 1 ELSE 0 END) FROM"
read_h2() { h2_sql "$1" "$q $2" | sed -n 2p | tr -d ' ' | tr '|' ' '; }
read_pg() { psql -At -F ' ' "$(pg_url "$1")" -c "$q $2"; }
# shellcheck disable=SC2046
{ check "h2 ferry" $(read_h2 "$H2_FERRY" report_tracking); check "h2 loader" $(read_h2 "$H2_LOADER" tracking_bulk)
  check "pg ferry" $(read_pg rts_ferry report_tracking); check "pg copy" $(read_pg rts_copy tracking_bulk)
  check "h2 loader, deduplicating" $(read_h2 "$H2_LOADER" tracking_dedupe)
  check "pg copy, deduplicating" $(read_pg rts_copy tracking_dedupe); }
bench_log "runs recorded by Ferry (H2): $(h2_sql "$H2_FERRY" "SELECT status, rows_read, rows_inserted, rows_duplicate, rows_rejected FROM report_to_sql_runs" | tail -n +2 | tr '\n' ';')"

}
for round in $(seq "${RTS_BENCH_ROUNDS:-2}"); do
  bench_log "round $round"
  bench_round
done

# ---------------------------------------------------------------- summary
python3 - "$BENCH_WORK/$P-runs.jsonl" > "$WORK/summary.txt" <<'PY'
import json, sys
runs = {}
for r in map(json.loads, open(sys.argv[1])):  # a case measured in several rounds: its fastest time, its largest RSS
    k = (r["tool"], r["target"], r["case"])
    b = runs.setdefault(k, dict(r))
    b["seconds"], b["peak_rss_mb"] = min(b["seconds"], r["seconds"]), max(b["peak_rss_mb"], r["peak_rss_mb"])
def s(t, g, c): return runs[(t, g, c)]["seconds"]
f_h2, f_pg = s("ferry", "h2", "first-load"), s("ferry", "postgresql", "first-load")
d_h2, d_pg = s("ferry", "h2", "rerun-all-duplicates"), s("ferry", "postgresql", "rerun-all-duplicates")
h2, pg = s("h2-csvread", "h2", "first-load"), s("pg-copy", "postgresql", "first-load")
h2d, pgd = s("h2-csvread-dedupe", "h2", "first-load"), s("pg-copy-dedupe", "postgresql", "first-load")
rss = max(r["peak_rss_mb"] for k, r in runs.items() if k[0] == "ferry")
scheduled = ""
if ("ferry", "postgresql", "scheduled-rerun-all-duplicates") in runs:
    sf, sr = s("ferry", "postgresql", "scheduled-first-load"), s("ferry", "postgresql", "scheduled-rerun-all-duplicates")
    scheduled = (f"; PostgreSQL on its schedule (warm JVM, each run's own seconds): first load {sf:.1f} s,"
                 f" rerun {sr:.1f} s ({sr / sf:.2f}x)")
import os
extra = os.environ.get("RTS_BENCH_FERRY_ENV", "").strip()
print(f"| 1M rows (114 MiB CSV, NTLM): first load, then all duplicates{'; Ferry with ' + extra if extra else ''}"
      f" | H2 {f_h2:.1f} s (rerun {d_h2:.1f} s), PostgreSQL {f_pg:.1f} s (rerun {d_pg:.1f} s)"
      f" | H2 CSVREAD {h2:.1f} s (Ferry {f_h2 / h2:.2f}x), deduplicating {h2d:.1f} s (Ferry {f_h2 / h2d:.2f}x);"
      f" PostgreSQL COPY {pg:.1f} s (Ferry {f_pg / pg:.2f}x), deduplicating {pgd:.1f} s (Ferry {f_pg / pgd:.2f}x)"
      f"{scheduled}"
      f" | Ferry {rss:.0f} MB |")
if ("ferry", "postgresql", "first-load-b") in runs:
    fb, db = s("ferry", "postgresql", "first-load-b"), s("ferry", "postgresql", "rerun-all-duplicates-b")
    print(f"A/B against {os.environ['RTS_BENCH_AB']}: PostgreSQL first load {f_pg:.1f} s (this build) vs {fb:.1f} s,"
          f" rerun {d_pg:.1f} s vs {db:.1f} s", file=sys.stderr)
PY
bench_finish "$P" "| $(date +%Y-%m-%d) | report-to-sql $(cat "$WORK/summary.txt")"
