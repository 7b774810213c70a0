#!/usr/bin/env bash
# The SQL half of the benchmark: the same work as the core benchmarks, timed
# inside the server (per-call medians, measured with clock_timestamp() around
# each call in PL/pgSQL, so the PostgreSQL layer's cost — detoasting, array
# building — is included), plus whole-table scans when ../shared is present.
# Uses the server in PGHOST/PGPORT if set, else a throwaway cluster.
# Usage: bash test/bench/bench_sql.sh   (after make install; make bench runs it)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"
export PATH="$PGBIN:$PATH"
REPEATS=${REPEATS:-300}

if [ -z "${PGHOST:-}${PGPORT:-}" ]; then
	WORK=$(mktemp -d /tmp/ser-bench.XXXXXX)
	trap 'stop_cluster; rm -rf "$WORK"' EXIT
	start_cluster "$WORK"
fi
DB=ser_bench
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export PGDATABASE=$DB
psql -X -q -c "CREATE EXTENSION ser"

# The 3.5 s clip: the RAVDESS fixture (48 kHz 16-bit) cut to 168,000 frames,
# as a WAV file image.
CLIP=$(mktemp /tmp/ser-clip.XXXXXX.wav)
sox "$ROOT/test/fixtures/ravdess/03-01-05-02-01-01-01.wav" -b 16 "$CLIP" trim 0 168000s
psql -X -q -v f="$CLIP" <<'SQL'
\lo_import :f
\set oid :LASTOID
CREATE TABLE clip AS SELECT lo_get(:oid) AS audio;
SELECT lo_unlink(:oid) \gset
ALTER TABLE clip ALTER audio SET STORAGE EXTERNAL;
CREATE TABLE timings (label text, ms float8);
CREATE FUNCTION bench(label text, expr text, repeats int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE a bytea; t0 timestamptz;
BEGIN
  SELECT audio INTO a FROM clip;
  FOR i IN 1..repeats + 10 LOOP
    t0 := clock_timestamp();
    EXECUTE 'SELECT ' || expr USING a;
    IF i > 10 THEN
      INSERT INTO timings VALUES (label, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END IF;
  END LOOP;
END $$;
SQL
rm -f "$CLIP"

bench() {	# label, SQL expression over $1 (the clip's bytes)
	psql -X -q -c "SELECT bench('$1', \$q\$$2\$q\$, $REPEATS)"
}

bench "harness overhead: length(audio)" 'length($1)'
bench "ser_decode (48 kHz WAV -> 16 kHz)" 'cardinality(ser_decode($1))'
bench "ser_audio_info" '(ser_audio_info($1)).frames'
bench "ser_decode (48 kHz WAV, no resampling)" 'cardinality(ser_decode($1, 48000))'
bench "ser_features" 'cardinality(ser_features($1))'
bench "ser_pitch" 'cardinality(ser_pitch($1))'
if psql -X -q -At -c "SELECT ser_model_info('default')" >/dev/null 2>&1; then
	bench "ser_predict (decode, features, network)" 'ser_predict($1)'
else
	echo "ser_predict skipped: the default model is not installed"
fi
for extra in "$ROOT"/test/bench/bench_sql_*.inc; do
	[ -f "$extra" ] && . "$extra"
done

echo "SQL benchmark: 3.5 s 48 kHz 16-bit mono WAV (RAVDESS speech), median of $REPEATS calls in one backend"
psql -X -q -P footer=off -c "
SELECT label AS \"function\",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3) AS median_ms,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY ms)::numeric, 3) AS p90_ms
FROM timings GROUP BY label ORDER BY min(ctid)"

for extra in "$ROOT"/test/bench/bench_table_*.inc; do
	[ -f "$extra" ] && . "$extra"
done
psql -X -q -d postgres -c "DROP DATABASE $DB"
