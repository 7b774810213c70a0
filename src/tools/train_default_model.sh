#!/usr/bin/env bash
# Trains and evaluates the shipped model, with the same C code users run in
# SQL: loads RAVDESS speech (actors 01-20) into a throwaway cluster, runs
# the speaker-independent cross-validation of the model card (5 folds of 4
# actors: 1-4, 5-8, ..., 17-20) on the 16 kHz corpus and, when the folder of
# the original 48 kHz recordings is beside it, on those too; optionally the
# speaker-dependent protocol for comparison; and trains the final model on
# all 20 actors (the cross-validations and the training run side by side,
# one backend each).  Writes
#   model/ser_default.sermodel     the weights (installed by make install)
#   model/evaluation.txt           every figure of the cross-validations
#
# Usage: bash src/tools/train_default_model.sh [RAVDESS_DIR [RAVDESS48_DIR]] [--speaker-dependent]
#        (defaults: ../shared/data/ravdess16k and ../shared/data/ravdess48k beside the repository)
# Reproducible: the same seed on the same machine gives the same weights.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"

DATA="$ROOT/../shared/data/ravdess16k"
DATA48="$ROOT/../shared/data/ravdess48k"
SPEAKER_DEPENDENT=no
n_dirs=0
for a in "$@"; do
	case "$a" in
		--speaker-dependent) SPEAKER_DEPENDENT=yes ;;
		*) if [ $n_dirs = 0 ]; then DATA=$a; DATA48=; else DATA48=$a; fi; n_dirs=$((n_dirs + 1)) ;;
	esac
done
[ -d "$DATA" ] || die "no RAVDESS folder at $DATA"
DATA=$(cd "$DATA" && pwd)
if [ -n "$DATA48" ] && [ -d "$DATA48" ]; then DATA48=$(cd "$DATA48" && pwd); else DATA48=; fi

QUERY="SELECT audio, emotion_name, actor::text FROM ravdess_metadata
       WHERE actor BETWEEN 1 AND 20 AND (NOT identical_content OR repetition = 1)"

install_dependencies
build_and_install
WORK=$(mktemp -d /tmp/ser-train.XXXXXX)
chmod 755 "$WORK"
trap 'rc=$?; [ $rc = 0 ] || tail -n 30 "$WORK/cluster/server.log"; stop_cluster; rm -rf "$WORK"' EXIT
start_cluster "$WORK/cluster"
export PGDATABASE=postgres
chmod -R a+rX "$DATA" 2>/dev/null || true

load_corpus() {	# database, folder
	psql -X -q -d "$1" -v ON_ERROR_STOP=1 -c "CREATE EXTENSION ser" \
		-c "SET client_min_messages = warning" -c "SELECT * FROM ser_load_ravdess('$2', true)" >/dev/null
	psql -X -q -At -d "$1" -c "SELECT count(*) || ' recordings, ' || count(DISTINCT actor) || ' actors from $2' FROM ravdess_metadata"
}
load_corpus postgres "$DATA"
if [ -n "$DATA48" ]; then
	chmod -R a+rX "$DATA48" 2>/dev/null || true
	psql -X -q -c "CREATE DATABASE ravdess48k"
	load_corpus ravdess48k "$DATA48"
fi

# The training arguments of the shipped model: the recipe's defaults as the
# extension defines them (ser_training_defaults()), with EPOCHS, SEED and
# ENSEMBLE from the environment taking precedence; recorded in
# evaluation.txt and, by ser_train, in the model.
ARGS=$(psql -X -At -v ON_ERROR_STOP=1 -v epochs="${EPOCHS:-}" -v seed="${SEED:-}" -v ensemble="${ENSEMBLE:-}" <<'SQL'
SELECT string_agg(format('%s => %s', d.argument, coalesce(nullif(o.value, ''), d.default_value)), ', '
                  ORDER BY d.n)
FROM ser_training_defaults() WITH ORDINALITY AS d(argument, type, default_value, minimum, maximum, description, n)
LEFT JOIN (VALUES ('epochs', :'epochs'), ('seed', :'seed'), ('ensemble', :'ensemble')) AS o(argument, value)
  USING (argument);
SQL
)
[ -n "$ARGS" ] || die "could not read the training defaults"

OUT="$ROOT/model/evaluation.txt"
{
	echo "# ser default model: evaluation"
	echo "# data: RAVDESS speech, actors 01-20, $(psql -X -At -c "SELECT count(*) FROM ($QUERY) q") recordings (one of the byte-identical pair excluded)"
	echo "# features: $(psql -X -At -c "SELECT ser_feature_params()")"
	echo "# training arguments: $ARGS"
	echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%d)"
} > "$OUT"

evaluate() {	# database, title, extra ser_evaluate arguments; prints the figures
	local t0=$SECONDS
	psql -X -d "$1" -v ON_ERROR_STOP=1 -P footer=off <<SQL
\\echo
\\echo == $2
CREATE TEMP TABLE ev AS
SELECT CASE WHEN protocol LIKE '%without speaker profiles%' THEN 'alone' ELSE 'profiles' END AS mode, *
FROM ser_evaluate(\$q\$$QUERY\$q\$, $3, $ARGS);
\\echo mode profiles: every test speaker normalised by the profile of its own recordings, labels unused
\\echo mode alone: the same fold models, every test recording classified alone, without a profile
SELECT DISTINCT mode, protocol FROM ev ORDER BY mode DESC;
SELECT mode, fold, metric, round(value::numeric, 4) AS value FROM ev
WHERE metric IN ('accuracy', 'uar', 'macro_f1', 'recordings', 'temperature') AND fold IS NOT NULL
ORDER BY mode DESC, fold, metric;
SELECT mode, metric, round(value::numeric, 4) AS value FROM ev
WHERE fold IS NULL AND (metric LIKE '%_mean' OR metric LIKE '%_std'
                        OR metric IN ('accuracy', 'uar', 'macro_f1', 'ece', 'ece_uncalibrated', 'mean_confidence'))
ORDER BY mode DESC, metric;
SELECT mode, label AS class, round(value::numeric, 4) AS recall FROM ev WHERE fold IS NULL AND metric = 'recall'
ORDER BY mode DESC, array_position(ser_emotions(), label);
\\echo confusion matrices (rows: true class, columns: predicted), pooled over folds
SELECT mode, label AS "true",
       $(for e in neutral calm happy sad angry fearful disgust surprised; do printf "sum(value) FILTER (WHERE predicted = '%s')::int AS %s," $e $e; done | sed 's/,$//')
FROM ev WHERE fold IS NULL AND metric = 'confusion'
GROUP BY mode, label ORDER BY mode DESC, array_position(ser_emotions(), label);
SQL
	echo "elapsed: $((SECONDS - t0)) s"
}

# The cross-validations in the background, each in its own backend and
# file, while the final model trains.
FOLDS="fold_groups => '1-4;5-8;9-12;13-16;17-20'"
say "cross-validating (16 kHz${DATA48:+ and 48 kHz}) and training the final model on actors 01-20, side by side"
evaluate postgres "speaker-independent: 5 folds of 4 actors (1-4, 5-8, 9-12, 13-16, 17-20), 16 kHz FLAC ($(basename "$DATA"))" \
	"$FOLDS" > "$WORK/eval16.txt" 2>"$WORK/eval16.log" &
pids=($!)
if [ -n "$DATA48" ]; then
	evaluate ravdess48k "speaker-independent: 5 folds of 4 actors, the original 48 kHz recordings ($(basename "$DATA48")), decoded and resampled by ser" \
		"$FOLDS" > "$WORK/eval48.txt" 2>"$WORK/eval48.log" &
	pids+=($!)
fi
if [ "$SPEAKER_DEPENDENT" = yes ]; then
	evaluate postgres "SPEAKER-DEPENDENT (the protocol of the original notebook, for comparison): 5 folds stratified over recordings" \
		"folds => 5, speaker_dependent => true" > "$WORK/evalsd.txt" 2>"$WORK/evalsd.log" &
	pids+=($!)
fi

t0=$SECONDS
psql -X -v ON_ERROR_STOP=1 -c "SELECT * FROM ser_train('shipped', \$q\$$QUERY\$q\$, $ARGS)" > "$WORK/train.txt" 2>"$WORK/train.log" \
	|| { tail -n 20 "$WORK/train.log"; die "training failed"; }
echo "training time: $((SECONDS - t0)) s" >> "$WORK/train.txt"
for pid in "${pids[@]}"; do
	wait "$pid" || { tail -n 20 "$WORK"/eval*.log; die "a cross-validation failed"; }
done
cat "$WORK/eval16.txt" ${DATA48:+"$WORK/eval48.txt"} $([ "$SPEAKER_DEPENDENT" = yes ] && echo "$WORK/evalsd.txt") \
	"$WORK/train.txt" | tee -a "$OUT"
psql -X -At -c "SELECT training->>'temperature', training->>'temperature_alone' FROM ser_models WHERE name = 'shipped'" \
	| sed 's/^/temperatures (with profiles|alone): /' | tee -a "$OUT"
psql -X -At -c "SELECT encode(weights, 'hex') FROM ser_models WHERE name = 'shipped'" \
	| perl -ne 'chomp; print pack("H*", $_)' > "$ROOT/model/ser_default.sermodel"
ls -l "$ROOT/model/ser_default.sermodel"
say "done: model/ser_default.sermodel and model/evaluation.txt; run make install to install the model"
