#!/usr/bin/env bash
# The SQL half of the benchmark: the same work as the core benchmarks, timed
# inside the server (per-call medians, measured with clock_timestamp() around
# each call in PL/pgSQL, so the PostgreSQL layer's cost — detoasting, array
# building — is included), plus whole-table scans when ../shared is present.
# The 3.5 s clip comes as a 48 kHz WAV, a 16 kHz WAV and a 48 kHz FLAC;
# ser_predict is timed on each, steady (median of REPEATS calls in one
# backend) and first (the first call of a fresh backend that has loaded the
# model, median and worst of FIRST_BACKENDS backends).
# Uses the server in PGHOST/PGPORT if set, else a throwaway cluster.
# Usage: bash test/bench/bench_sql.sh   (after make install; make bench runs it)
#        BENCH_TABLES=0 skips the whole-table scans; REPEATS, FIRST_BACKENDS set the counts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"
export PATH="$PGBIN:$PATH"
REPEATS=${REPEATS:-300}
FIRST_BACKENDS=${FIRST_BACKENDS:-9}

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
# as a 48 kHz WAV (the clip most benchmarks use), a 16 kHz WAV and a 48 kHz
# FLAC (flac's default compression), each a file image in table clips.
CLIPDIR=$(mktemp -d /tmp/ser-clip.XXXXXX)
chmod 755 "$CLIPDIR"
sox "$ROOT/test/fixtures/ravdess/03-01-05-02-01-01-01.wav" -b 16 "$CLIPDIR/wav48.wav" trim 0 168000s
sox "$CLIPDIR/wav48.wav" -r 16000 -b 16 "$CLIPDIR/wav16.wav"
sox "$CLIPDIR/wav48.wav" "$CLIPDIR/flac48.flac"
chmod 644 "$CLIPDIR"/*
psql -X -q -c "CREATE TABLE clips (name text PRIMARY KEY, audio bytea)" -c "ALTER TABLE clips ALTER audio SET STORAGE EXTERNAL"
for f in wav48.wav wav16.wav flac48.flac; do
	psql -X -q -v f="$CLIPDIR/$f" -v n="${f%.*}" <<'SQL'
\lo_import :f
\set oid :LASTOID
INSERT INTO clips VALUES (:'n', lo_get(:oid));
SELECT lo_unlink(:oid) \gset
SQL
done
rm -rf "$CLIPDIR"
psql -X -q <<'SQL'
CREATE VIEW clip AS SELECT audio FROM clips WHERE name = 'wav48';
CREATE TABLE timings (label text, ms float8);
-- Expressions over a clip's bytes ($1), repeats calls each after 10
-- unmeasured ones; several in alternation, call after call, so that a change
-- in the machine's speed during the run falls on all of them alike.
CREATE FUNCTION bench_alternating(labels text[], exprs text[], repeats int, clip text DEFAULT 'wav48')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE a bytea; t0 timestamptz;
BEGIN
  SELECT audio INTO a FROM clips WHERE name = clip;
  FOR i IN 1..repeats + 10 LOOP
    FOR j IN 1..cardinality(exprs) LOOP
      t0 := clock_timestamp();
      EXECUTE 'SELECT ' || exprs[j] USING a;
      IF i > 10 THEN
        INSERT INTO timings VALUES (labels[j], extract(epoch FROM clock_timestamp() - t0) * 1000);
      END IF;
    END LOOP;
  END LOOP;
END $$;
-- The first call of this backend, in ms.
CREATE FUNCTION first_call(expr text, clip text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE a bytea; t0 timestamptz;
BEGIN
  SELECT audio INTO a FROM clips WHERE name = clip;
  t0 := clock_timestamp();
  EXECUTE 'SELECT ' || expr USING a;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SQL

bench() {	# label, SQL expression over $1 (the clip's bytes)[, clip: wav48, wav16 or flac48]
	psql -X -q -c "SELECT bench_alternating(ARRAY['$1'], ARRAY[\$q\$$2\$q\$], $REPEATS, '${3:-wav48}')"
}

# The first ser_predict of FIRST_BACKENDS fresh backends each, the model
# loaded first (ser_model_info), the plpgsql function compiled on another clip.
first_calls() {	# label, clip
	local times=()
	for i in $(seq 1 "$FIRST_BACKENDS"); do
		times+=("$(psql -X -q -At -c "SELECT ser_model_info('default') IS NOT NULL" \
			-c "SELECT first_call('length(\$1)', '$2')" \
			-c "SELECT first_call('ser_predict(\$1)', '$2')" | tail -1)")
	done
	printf '%s\n' "${times[@]}" | sort -g | awk -v l="$1" '{ t[NR] = $1 }
		END { printf "  %-44s first call: median %7.3f ms, worst %7.3f ms (%d backends)\n", l, t[int((NR + 1) / 2)], t[NR], NR }'
}

bench "harness overhead: length(audio)" 'length($1)'
bench "ser_decode (48 kHz WAV -> 16 kHz)" 'cardinality(ser_decode($1))'
bench "ser_audio_info" '(ser_audio_info($1)).frames'
bench "ser_decode (48 kHz WAV, no resampling)" 'cardinality(ser_decode($1, 48000))'
bench "ser_features" 'cardinality(ser_features($1))'
bench "ser_features (16 kHz WAV)" 'cardinality(ser_features($1))' wav16
bench "ser_pitch" 'cardinality(ser_pitch($1))'
if psql -X -q -At -c "SELECT ser_model_info('default')" >/dev/null 2>&1; then
	bench "ser_predict (decode, features, network)" 'ser_predict($1)'
	bench "ser_predict (16 kHz WAV)" 'ser_predict($1)' wav16
	bench "ser_predict (48 kHz FLAC)" 'ser_predict($1)' flac48
	# What the number of networks costs, from the 48 kHz WAV, the four calls in
	# alternation: the shipped model alone (six networks) and with a speaker
	# profile (three), and a model of one network per path (ser_train's
	# ensemble => 1, alone_ensemble => 1) alone (two) and with a profile (one).
	# That model is trained here for one epoch on the clip: a prediction's
	# cost depends on the architecture and the number of networks, not on the
	# weights.
	psql -X -q -c "SELECT ser_train('bench_1x1', \$q\$SELECT audio, label, speaker FROM clips,
		        (VALUES ('angry', '1'), ('happy', '2'), ('angry', '3'), ('happy', '4')) v (label, speaker)
		        WHERE name = 'wav48'\$q\$, ensemble => 1, alone_ensemble => 1, epochs => 1, calibrate => false,
		        validation_fraction => 0)" \
		-c "CREATE TABLE bench_profile AS SELECT ser_speaker_profile(audio) AS shipped,
		        ser_speaker_profile(audio, 'bench_1x1') AS small FROM clips WHERE name = 'wav48'" >/dev/null
	psql -X -q -c "SELECT bench_alternating(
		ARRAY['networks: shipped model alone (6)', 'networks: shipped model with a profile (3)',
		      'networks: 1 + 1 model alone (2)', 'networks: 1 + 1 model with a profile (1)'],
		ARRAY['ser_predict(\$1)', 'ser_predict(\$1, speaker_profile => (SELECT shipped FROM bench_profile))',
		      'ser_predict(\$1, ''bench_1x1'')', 'ser_predict(\$1, ''bench_1x1'', (SELECT small FROM bench_profile))'],
		$REPEATS)"
	HAVE_MODEL=1
else
	echo "ser_predict skipped: the default model is not installed"
fi
for extra in "$ROOT"/test/bench/bench_sql_*.inc; do
	[ -f "$extra" ] && . "$extra"
done

echo "SQL benchmark: 3.5 s of RAVDESS speech, 16-bit mono (48 kHz WAV unless the label says), median of $REPEATS calls in one backend"
psql -X -q -P footer=off -c "
SELECT label AS \"function\",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3) AS median_ms,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY ms)::numeric, 3) AS p90_ms
FROM timings GROUP BY label ORDER BY min(ctid)"
if [ -n "${HAVE_MODEL:-}" ]; then
	echo "ser_predict in fresh backends (the model loaded, then the first prediction):"
	first_calls "ser_predict (48 kHz WAV)" wav48
	first_calls "ser_predict (16 kHz WAV)" wav16
	first_calls "ser_predict (48 kHz FLAC)" flac48
fi

if [ "${BENCH_TABLES:-1}" = 1 ]; then
	for extra in "$ROOT"/test/bench/bench_table_*.inc; do
		[ -f "$extra" ] && . "$extra"
	done
else
	echo "table benchmarks skipped (BENCH_TABLES=0)"
fi
psql -X -q -d postgres -c "DROP DATABASE $DB"
