#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: install what is needed, build
# and install ser, load every recording of a folder into a table and predict
# the emotion of each in SQL, with its confidence and, where the file name
# follows the RAVDESS scheme, whether the prediction was right; then a
# summary per emotion and a confusion matrix.  Recordings that are not
# speech get no emotion, and say why.  The server is the one PGHOST/PGPORT
# name, or else a throwaway cluster in a local folder, removed at the end.
# In a server of yours it works in a schema of its own (ser_run_PID), which
# it drops at the end: it never touches your tables.
#
# Usage: bash src/tools/run.sh [FOLDER]      (default: test/fixtures/examples,
#        nine RAVDESS recordings and three non-speech signals)
#        SER_MODEL=name to use a model of ser_models instead of the shipped one.
#        SER_REPORT=OUT.html to also write an HTML report (ser-web --report).
#        SER_RUN_SCHEMA=name to keep the recordings and results in that schema
#        (created; it must not exist) instead of a schema dropped at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"

FOLDER=${1:-$ROOT/test/fixtures/examples}
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
	start_cluster "$dir"
	export PGDATABASE=postgres
fi

psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS ser"

# A schema of this run's own, dropped at the end (and the throwaway cluster
# with it): nothing of the user's is created, replaced or dropped.
RUN_SCHEMA=${SER_RUN_SCHEMA:-ser_run_$$}
cleanup() {
	[ -n "${SER_RUN_SCHEMA:-}" ] ||
		psql -X -q -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS $RUN_SCHEMA CASCADE" >/dev/null 2>&1 || true
	if [ -n "${dir:-}" ]; then stop_cluster; rm -rf "$dir"; fi
}
trap cleanup EXIT
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $RUN_SCHEMA"
export PGOPTIONS="-c search_path=$RUN_SCHEMA,public"

say "loading the recordings of $FOLDER"
# ser-import (installed beside psql) loads every audio file once (files with
# the same bytes are one recording); files it cannot decode are reported
# with the reason (exit status 1) and left out, the others still run.
rc=0
"$PGBIN/ser-import" --table "$RUN_SCHEMA.recordings" "$FOLDER" || rc=$?
[ "$rc" -le 1 ] || die "ser-import failed (exit status $rc)"
psql -X -q -c "ALTER TABLE $RUN_SCHEMA.recordings RENAME COLUMN path TO file"

say "emotion of each recording (model: ${SER_MODEL:-default})"
# One damaged file must not hide the others: each row's error is shown in place.
psql -X -q -P footer=off -v model="${SER_MODEL:-default}" <<'SQL'
CREATE FUNCTION pg_temp.describe(audio bytea, model text, profile real[],
                                 OUT format text, OUT seconds numeric, OUT emotion text,
                                 OUT confidence numeric, OUT probabilities jsonb, OUT speech text,
                                 OUT error text)
LANGUAGE plpgsql AS $$
DECLARE c record;
BEGIN
  SELECT i.format, round(i.duration_s::numeric, 2) INTO format, seconds FROM ser_audio_info(audio) i;
  c := ser_classify(audio, model, profile);
  emotion := c.label;
  speech := CASE WHEN c.speech THEN 'yes' ELSE c.reason END;
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
SELECT file, pg_temp.ravdess_actor(file) AS actor, pg_temp.features_ok(audio) AS readable FROM recordings;
CREATE TEMP TABLE profiles AS
SELECT s.actor, ser_speaker_profile(r.audio) AS profile
FROM recordings r JOIN speakers s USING (file)
WHERE s.actor IS NOT NULL AND s.readable
  AND pg_temp.takes_profiles(:'model')
GROUP BY s.actor HAVING count(*) >= 10;
CREATE TEMP TABLE results AS
SELECT r.file, d.format, d.seconds, d.emotion AS predicted, d.confidence,
       pg_temp.ravdess_emotion(r.file) AS actual, d.error,
       CASE WHEN p.profile IS NOT NULL THEN 'actor ' || s.actor END AS profile, d.probabilities, d.speech,
       s.actor
FROM recordings r JOIN speakers s USING (file) LEFT JOIN profiles p USING (actor),
     pg_temp.describe(r.audio, :'model', p.profile) d;
-- Kept, in this run's schema, for the HTML report (ser-web --report reads it).
CREATE TABLE run_results AS SELECT * FROM results;
SELECT file, format, seconds, speech, predicted, confidence, profile, actual,
       CASE WHEN actual IS NULL OR predicted IS NULL THEN NULL WHEN actual = predicted THEN 'yes' ELSE 'no' END AS correct,
       error
FROM results ORDER BY file;
SELECT count(*) AS recordings, count(*) FILTER (WHERE speech = 'yes') AS speech,
       count(*) FILTER (WHERE speech <> 'yes') AS not_speech, count(error) AS unreadable,
       count(predicted) AS classified, count(actual) FILTER (WHERE predicted IS NOT NULL) AS labelled,
       count(*) FILTER (WHERE predicted = actual) AS correct,
       round(avg((predicted = actual)::int) FILTER (WHERE actual IS NOT NULL AND predicted IS NOT NULL), 3) AS accuracy
FROM results;
\pset footer on
-- Per emotion and the confusion matrix, over the recordings whose file names say their emotion.
\echo
\echo per emotion (recordings with a RAVDESS name that were classified):
SELECT s.emotion, s.recordings, s.predicted_as, s.correct, round(s.recall::numeric, 3) AS recall,
       round(s.precision::numeric, 3) AS precision, round(s.f1::numeric, 3) AS f1
FROM (SELECT array_agg(actual) AS a, array_agg(predicted) AS p FROM results
      WHERE actual IS NOT NULL AND predicted IS NOT NULL) l,
     ser_class_summary(l.a, l.p, (ser_model_info(:'model')).classes) s
WHERE l.a IS NOT NULL;
\echo confusion matrix (rows: true emotion, columns: predicted):
SELECT c.actual, c.predicted, c.recordings
FROM (SELECT array_agg(actual) AS a, array_agg(predicted) AS p FROM results
      WHERE actual IS NOT NULL AND predicted IS NOT NULL) l,
     ser_confusion_matrix(l.a, l.p, (ser_model_info(:'model')).classes) c
WHERE l.a IS NOT NULL \crosstabview actual predicted recordings
-- The shipped model was trained on RAVDESS actors 01-20: say so when they are here.
SELECT CASE WHEN count(*) > 0 THEN format(
  'note: %s recording(s) here are of RAVDESS actors %s, on whom the shipped model was trained: its accuracy on them '
  'says nothing about new speakers (model/README.md has the speaker-independent figures).',
  count(*), string_agg(DISTINCT lpad(actor::text, 2, '0'), ', ')) END AS training_speakers
FROM results WHERE :'model' = 'default' AND actor BETWEEN 1 AND 20 \gset
\if :{?training_speakers}
\echo
\echo :training_speakers
\endif
SQL

if [ -n "${SER_REPORT:-}" ]; then
	say "HTML report"
	ser-web --report "$SER_REPORT" --results-table run_results
fi
