#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: install what is needed, build
# and install ser, load every recording of a folder into a table and predict
# the emotion of each in SQL, with its confidence and, where the file name
# follows the RAVDESS scheme, whether the prediction was right.  The server is the one PGHOST/PGPORT name, or else a
# throwaway cluster in a local folder, removed at the end.
#
# Usage: bash src/tools/run.sh [FOLDER]      (default: the repository's fixtures)
#        SER_MODEL=name to use a model of ser_models instead of the shipped one.
#        SER_REPORT=OUT.html to also write an HTML report (ser-web --report).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"

FOLDER=${1:-$ROOT/test/fixtures}
[ -d "$FOLDER" ] || die "no such folder: $FOLDER"
FOLDER=$(cd "$FOLDER" && pwd)

install_dependencies
build_and_install

if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
	say "using the server at ${PGHOST:-localhost}:${PGPORT:-5432}"
	export PGDATABASE=${PGDATABASE:-postgres}
else
	dir=${SER_CLUSTER_DIR:-$ROOT/.ser-cluster}
	# The postgres user must be able to reach the folder; else use /tmp.
	if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
		dir=$(mktemp -d /tmp/ser-cluster.XXXXXX)
	fi
	say "starting a throwaway cluster in $dir"
	trap 'stop_cluster; rm -rf "$dir"' EXIT
	start_cluster "$dir"
	export PGDATABASE=postgres
fi

psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS ser"

say "loading the recordings of $FOLDER"
# ser-import (installed beside psql) loads every audio file once (files with
# the same bytes are one recording); files it cannot decode are reported
# with the reason (exit status 1) and left out, the others still run.
psql -X -q -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS ser_run_recordings"
rc=0
"$PGBIN/ser-import" --table ser_run_recordings "$FOLDER" || rc=$?
[ "$rc" -le 1 ] || die "ser-import failed (exit status $rc)"
psql -X -q -c "ALTER TABLE ser_run_recordings RENAME COLUMN path TO file"

say "emotion of each recording (model: ${SER_MODEL:-default})"
# One damaged file must not hide the others: each row's error is shown in place.
psql -X -q -P footer=off -v model="${SER_MODEL:-default}" <<'SQL'
CREATE FUNCTION pg_temp.describe(audio bytea, model text, profile real[],
                                 OUT format text, OUT seconds numeric, OUT emotion text,
                                 OUT confidence numeric, OUT probabilities jsonb, OUT error text)
LANGUAGE plpgsql AS $$
DECLARE c record;
BEGIN
  SELECT i.format, round(i.duration_s::numeric, 2) INTO format, seconds FROM ser_audio_info(audio) i;
  c := ser_classify(audio, model, profile);
  emotion := c.label;
  confidence := round(c.confidence::numeric, 3);
  SELECT jsonb_object_agg(u.emotion, u.probability) INTO probabilities
  FROM unnest((ser_model_info(model)).classes, c.probabilities) AS u(emotion, probability);
EXCEPTION WHEN others THEN
  error := SQLERRM;
END $$;
-- The true emotion where the file name follows the RAVDESS scheme.
CREATE FUNCTION pg_temp.ravdess_emotion(file text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  RETURN (ser_parse_ravdess_filename(file)).emotion_name;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
-- Speaker profiles (model/README.md): where the file names say the speaker
-- (the RAVDESS actor) and a speaker has at least 10 readable recordings
-- here, their profile normalises the speaker's voice away; otherwise each
-- recording is classified alone.
CREATE FUNCTION pg_temp.ravdess_actor(file text) RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
  RETURN (ser_parse_ravdess_filename(file)).actor;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
CREATE FUNCTION pg_temp.features_ok(audio bytea) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM ser_features(audio);
  RETURN true;
EXCEPTION WHEN others THEN
  RETURN false;
END $$;
CREATE FUNCTION pg_temp.takes_profiles(model text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT architecture LIKE '%speaker_norm=1%' FROM ser_model_info(model));
EXCEPTION WHEN others THEN
  RETURN false;
END $$;
CREATE TEMP TABLE speakers AS
SELECT file, pg_temp.ravdess_actor(file) AS actor, pg_temp.features_ok(audio) AS readable FROM ser_run_recordings;
CREATE TEMP TABLE profiles AS
SELECT s.actor, ser_speaker_profile(r.audio) AS profile
FROM ser_run_recordings r JOIN speakers s USING (file)
WHERE s.actor IS NOT NULL AND s.readable
  AND pg_temp.takes_profiles(:'model')
GROUP BY s.actor HAVING count(*) >= 10;
CREATE TEMP TABLE results AS
SELECT r.file, d.format, d.seconds, d.emotion AS predicted, d.confidence,
       pg_temp.ravdess_emotion(r.file) AS actual, d.error,
       CASE WHEN p.profile IS NOT NULL THEN 'actor ' || s.actor END AS profile, d.probabilities
FROM ser_run_recordings r JOIN speakers s USING (file) LEFT JOIN profiles p USING (actor),
     pg_temp.describe(r.audio, :'model', p.profile) d;
-- Kept for the HTML report (ser-web --report reads it).
DROP TABLE IF EXISTS ser_run_results;
CREATE TABLE ser_run_results AS SELECT * FROM results;
SELECT file, format, seconds, predicted, confidence, profile, actual,
       CASE WHEN actual IS NULL OR predicted IS NULL THEN NULL WHEN actual = predicted THEN 'yes' ELSE 'no' END AS correct,
       error
FROM results ORDER BY file;
SELECT count(*) AS recordings, count(predicted) AS classified, count(actual) AS labelled,
       count(*) FILTER (WHERE predicted = actual) AS correct,
       round(avg((predicted = actual)::int) FILTER (WHERE actual IS NOT NULL AND predicted IS NOT NULL), 3) AS accuracy
FROM results;
SQL

if [ -n "${SER_REPORT:-}" ]; then
	say "HTML report"
	ser-web --report "$SER_REPORT" --results-table ser_run_results
fi
