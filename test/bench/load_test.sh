#!/usr/bin/env bash
# Load test: CLIENTS pgbench clients call ser_predict on random clips of a
# loaded table for SECONDS seconds.  Reports transactions per second, failed
# transactions, latency p50/p99 (from pgbench's per-transaction log) and the
# private memory of the pgbench backends a few seconds into the run and at
# its end (flat is the bar: no growth under sustained load).
# Clips: the RAVDESS corpus (../shared/data/ravdess16k, or SER_RAVDESS_DIR)
# when present, else 1,200 segments of 1.5-4 s cut from the repository's
# RAVDESS fixture.  Uses the server in PGHOST/PGPORT if set (it must run on
# this machine: backend memory is read from /proc), else a throwaway cluster.
# Usage: bash test/bench/load_test.sh [CLIENTS] [SECONDS]   (default 16 60)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"
export PATH="$PGBIN:$PATH"
CLIENTS=${1:-16}
DURATION=${2:-60}
RAVDESS_DIR=${SER_RAVDESS_DIR:-$ROOT/../shared/data/ravdess16k}
THREADS=$(( CLIENTS < 2 ? 1 : 2 ))

WORK=$(mktemp -d /tmp/ser-load.XXXXXX)
chmod 755 "$WORK"
if [ -z "${PGHOST:-}${PGPORT:-}" ]; then
	trap 'stop_cluster; rm -rf "$WORK"' EXIT
	start_cluster "$WORK/cluster"
	psql -X -q -d postgres -c "ALTER SYSTEM SET max_connections = $((CLIENTS + 10))" >/dev/null
	stop_cluster
	start_cluster "$WORK/cluster"
else
	trap 'rm -rf "$WORK"' EXIT
fi
DB=ser_load
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
export PGDATABASE=$DB
psql -X -q -c "CREATE EXTENSION ser"

if [ -d "$RAVDESS_DIR" ]; then
	say "loading the RAVDESS corpus from $RAVDESS_DIR"
	psql -X -q -c "SELECT loaded FROM ser_load_ravdess('$(cd "$RAVDESS_DIR" && pwd)')" \
		-c "CREATE TABLE clips AS SELECT row_number() OVER (ORDER BY file_name)::int AS id, audio FROM ravdess_metadata"
else
	say "no RAVDESS corpus: 120 segments of 2-4 s of the repository's fixture"
	script=$WORK/load_clips.sql
	: > "$script"
	for i in $(seq 1 120); do
		seg=$WORK/seg_$i.wav
		# the fixture lasts 4.1 s: segments start within its first 2 s and last 2-4 s
		start=$(awk -v i="$i" 'BEGIN { printf "%.2f", (i * 37 % 200) / 100 }')
		len=$(awk -v i="$i" -v s="$start" 'BEGIN { l = 2 + (i * 53 % 200) / 100; if (s + l > 4.1) l = 4.1 - s; printf "%.2f", l }')
		sox "$ROOT/test/fixtures/ravdess/03-01-05-02-01-01-01.wav" -r 16000 -b 16 "$seg" trim "$start" "$len"
		chmod 644 "$seg"
		printf '\\lo_import %s\n\\set oid :LASTOID\nINSERT INTO clips SELECT %d, lo_get(:oid);\nSELECT lo_unlink(:oid) \\gset\n' \
			"$seg" "$i" >> "$script"
	done
	psql -X -q -c "CREATE TABLE clips (id int PRIMARY KEY, audio bytea)"
	psql -X -q -f "$script"
fi
psql -X -q -c "ALTER TABLE clips ADD PRIMARY KEY (id)" 2>/dev/null || true
psql -X -q -c "VACUUM ANALYZE clips"
N=$(psql -X -At -c "SELECT count(*) FROM clips")
say "$N clips, $CLIENTS clients, $DURATION s"

cat > "$WORK/predict.sql" <<'SQL'
\set id random(1, :nclips)
SELECT ser_predict(audio) FROM clips WHERE id = :id;
SQL

# Backend memory of the pgbench sessions: "mean max" RssAnon in MB over the pids in $WORK/pids.
# RssAnon is the backend's private memory; VmRSS would also count the pages
# of shared buffers it has touched, which grow as it reads more of the table.
backend_rss() {
	local pid total=0 max=0 n=0 kb
	for pid in $(cat "$WORK/pids"); do
		kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$kb" ] || continue
		total=$((total + kb)); n=$((n + 1)); [ "$kb" -gt "$max" ] && max=$kb
	done
	[ "$n" -gt 0 ] || { echo "n/a n/a"; return; }
	awk -v t="$total" -v n="$n" -v m="$max" 'BEGIN { printf "%.1f %.1f\n", t / n / 1024, m / 1024 }'
}

( cd "$WORK" && pgbench -n -f predict.sql -D nclips="$N" -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -l \
	--log-prefix=txn > pgbench.out 2>&1 ) &
bench=$!
early=$(( DURATION < 10 ? DURATION / 3 : 5 ))
sleep "$early"
psql -X -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench' AND datname = current_database()" \
	> "$WORK/pids"
read -r rss_mean_before rss_max_before < <(backend_rss)
sleep $(( DURATION - early - 2 > 0 ? DURATION - early - 2 : 0 ))
read -r rss_mean_after rss_max_after < <(backend_rss)
wait "$bench" || { cat "$WORK/pgbench.out"; die "pgbench failed"; }

tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$WORK/pgbench.out" | tail -1)
done_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
# per-transaction log: client, transaction, latency in microseconds, ...
cat "$WORK"/txn.* | awk '{ print $3 }' | sort -n > "$WORK/latencies"
count=$(wc -l < "$WORK/latencies")
pct() { awk -v p="$1" -v n="$count" 'NR == int((n - 1) * p) + 1 { printf "%.1f", $1 / 1000; exit }' "$WORK/latencies"; }

echo
echo "clients:               $CLIENTS (pgbench threads: $THREADS)"
echo "duration:              $DURATION s"
echo "transactions:          $done_tx (failed: ${failed:-0})"
echo "transactions/s:        $tps"
echo "latency p50 / p99:     $(pct 0.50) ms / $(pct 0.99) ms"
echo "backend private memory (RssAnon, mean/max) after ${early} s: ${rss_mean_before} / ${rss_max_before} MB;" \
	"at the end: ${rss_mean_after} / ${rss_max_after} MB"
