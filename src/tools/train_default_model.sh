#!/usr/bin/env bash
# Trains and evaluates the shipped model, with the same C code users run in
# SQL: loads RAVDESS speech (actors 01-20) into a throwaway cluster, runs
# the speaker-independent cross-validation of the model card (5 folds of 4
# actors: 1-4, 5-8, ..., 17-20), optionally the speaker-dependent protocol
# for comparison, then trains the final model on all 20 actors and writes
#   model/ser_default.sermodel     the weights (installed by make install)
#   model/evaluation.txt           every figure of the cross-validation
#
# Usage: bash src/tools/train_default_model.sh [RAVDESS_DIR] [--speaker-dependent]
#        (default RAVDESS_DIR: ../shared/data/ravdess16k beside the repository)
# Reproducible: the same seed on the same machine gives the same weights.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"

DATA="$ROOT/../shared/data/ravdess16k"
SPEAKER_DEPENDENT=no
for a in "$@"; do
	case "$a" in
		--speaker-dependent) SPEAKER_DEPENDENT=yes ;;
		*) DATA=$a ;;
	esac
done
[ -d "$DATA" ] || die "no RAVDESS folder at $DATA"
DATA=$(cd "$DATA" && pwd)

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

psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION ser" \
	-c "SET client_min_messages = warning" -c "SELECT * FROM ser_load_ravdess('$DATA', true)"
psql -X -q -At -c "SELECT count(*) || ' recordings, ' || count(DISTINCT actor) || ' actors' FROM ravdess_metadata"

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
	echo "# training arguments: $ARGS"
	echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%d)"
} > "$OUT"

evaluate() {	# title, extra ser_evaluate arguments
	say "$1"
	local t0=$SECONDS
	psql -X -v ON_ERROR_STOP=1 -P footer=off <<SQL | tee -a "$OUT"
\\echo
\\echo == $1
CREATE TEMP TABLE ev AS
SELECT CASE WHEN protocol LIKE '%without speaker profiles%' THEN 'alone' ELSE 'profiles' END AS mode, *
FROM ser_evaluate(\$q\$$QUERY\$q\$, $2, $ARGS);
\\echo mode profiles: every test speaker normalised by the profile of its own recordings, labels unused
\\echo mode alone: the same fold models, every test recording classified alone, without a profile
SELECT DISTINCT mode, protocol FROM ev ORDER BY mode DESC;
SELECT mode, fold, metric, round(value::numeric, 4) AS value FROM ev
WHERE metric IN ('accuracy', 'uar', 'macro_f1', 'recordings') AND fold IS NOT NULL ORDER BY mode DESC, fold, metric;
SELECT mode, metric, round(value::numeric, 4) AS value FROM ev
WHERE fold IS NULL AND (metric LIKE '%_mean' OR metric LIKE '%_std' OR metric IN ('accuracy', 'uar', 'macro_f1'))
ORDER BY mode DESC, metric;
SELECT mode, label AS class, round(value::numeric, 4) AS recall FROM ev WHERE fold IS NULL AND metric = 'recall'
ORDER BY mode DESC, array_position(ser_emotions(), label);
\\echo confusion matrices (rows: true class, columns: predicted), pooled over folds
SELECT mode, label AS "true",
       $(for e in neutral calm happy sad angry fearful disgust surprised; do printf "sum(value) FILTER (WHERE predicted = '%s')::int AS %s," $e $e; done | sed 's/,$//')
FROM ev WHERE fold IS NULL AND metric = 'confusion'
GROUP BY mode, label ORDER BY mode DESC, array_position(ser_emotions(), label);
SQL
	echo "elapsed: $((SECONDS - t0)) s" | tee -a "$OUT"
}

evaluate "speaker-independent: 5 folds of 4 actors (1-4, 5-8, 9-12, 13-16, 17-20)" \
	"fold_groups => '1-4;5-8;9-12;13-16;17-20'"
if [ "$SPEAKER_DEPENDENT" = yes ]; then
	evaluate "SPEAKER-DEPENDENT (the protocol of the original notebook, for comparison): 5 folds stratified over recordings" \
		"folds => 5, speaker_dependent => true"
fi

say "training the final model on actors 01-20"
t0=$SECONDS
psql -X -v ON_ERROR_STOP=1 -c "SELECT * FROM ser_train('shipped', \$q\$$QUERY\$q\$, $ARGS)" | tee -a "$OUT"
echo "training time: $((SECONDS - t0)) s" | tee -a "$OUT"
psql -X -At -c "SELECT encode(weights, 'hex') FROM ser_models WHERE name = 'shipped'" \
	| perl -ne 'chomp; print pack("H*", $_)' > "$ROOT/model/ser_default.sermodel"
ls -l "$ROOT/model/ser_default.sermodel"
say "done: model/ser_default.sermodel and model/evaluation.txt; run make install to install the model"
