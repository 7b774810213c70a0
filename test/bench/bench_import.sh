#!/usr/bin/env bash
# ser-import on the RAVDESS corpus of ../shared: the 1,200 files of
# data/ravdess16k (FLAC, 16 kHz, 42 MB) and of data/ravdess48k (FLAC,
# 48 kHz, 114 MB) into a fresh table, RUNS times each, as an ordinary role
# that owns its database; reports the median and range of the wall time
# (ser-import's whole run: walk, read, SHA-256, decode check, COPY, commits),
# the median of ser-import's own CPU time (the server's is not in it), and
# the wall time of a second run over the loaded table (everything present).
# Target: ravdess16k in at most 2 s with 2 jobs.
# Uses the server in PGHOST/PGPORT if set, else a throwaway cluster.
# Usage: bash test/bench/bench_import.sh   (after make; JOBS=2 RUNS=5 by default)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"
export PATH="$PGBIN:$PATH"
RUNS=${RUNS:-5}
JOBS=${JOBS:-2}
SHARED=${SER_SHARED_DIR:-$ROOT/../shared}
IMPORT="$ROOT/src/client/import/ser-import"

if [ ! -d "$SHARED/data/ravdess16k" ]; then
	echo "skipped: no RAVDESS corpus at $SHARED/data (set SER_SHARED_DIR)"
	exit 0
fi
[ -x "$IMPORT" ] || make -C "$ROOT" -s src/client/import/ser-import PG_CONFIG="$PGBIN/pg_config"

if [ -z "${PGHOST:-}${PGPORT:-}" ]; then
	WORK=$(mktemp -d /tmp/ser-bench.XXXXXX)
	trap 'stop_cluster; rm -rf "$WORK"' EXIT
	start_cluster "$WORK"
fi
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS ser_bench_import" -c "DROP ROLE IF EXISTS ser_bench_importer" \
	-c "CREATE ROLE ser_bench_importer LOGIN" -c "CREATE DATABASE ser_bench_import OWNER ser_bench_importer"

# "wall cpu": seconds of wall time of one command and of its own CPU time
# (user + system; the server's work is not in it).
seconds() {
	local TIMEFORMAT='%R %U %S' t
	t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
	awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$t"
}

median_range() { sort -n | awk '{ v[NR] = $1 } END { printf "median %.2f s (min %.2f, max %.2f, %d runs)", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR], NR }'; }

# Other work on the machine shows in the figures: say how busy it was.
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for corpus in ravdess16k ravdess48k; do
	dir="$SHARED/data/$corpus"
	[ -d "$dir" ] || continue
	mb=$(du -sm --apparent-size "$dir" | cut -f1)
	first=(); again=(); cpu=()
	for _ in $(seq "$RUNS"); do
		psql -X -q -U ser_bench_importer -d ser_bench_import -c "SET client_min_messages = warning" \
			-c "DROP TABLE IF EXISTS bench_rec"
		sync
		read -r wall client_cpu < <(seconds "$IMPORT" -q -U ser_bench_importer -d ser_bench_import -t bench_rec -j "$JOBS" "$dir")
		first+=("$wall"); cpu+=("$client_cpu")
		read -r wall client_cpu < <(seconds "$IMPORT" -q -U ser_bench_importer -d ser_bench_import -t bench_rec -j "$JOBS" "$dir")
		again+=("$wall")
	done
	rows=$(psql -X -qAt -U ser_bench_importer -d ser_bench_import -c "SELECT count(*) FROM bench_rec")
	echo "ser-import $corpus ($mb MB, $rows rows), $JOBS jobs: $(printf '%s\n' "${first[@]}" | median_range);" \
		"ser-import's own CPU $(printf '%s\n' "${cpu[@]}" | median_range | cut -d' ' -f2-3);" \
		"second run (all present): $(printf '%s\n' "${again[@]}" | median_range)"
done
