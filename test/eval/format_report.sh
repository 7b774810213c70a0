#!/usr/bin/env bash
# Does the format decide the label?  The report of test/eval/format_agreement
# (a Markdown table on stdout; progress on stderr): every recording of
# ../shared/data/ravdess48k (the 48 kHz RAVDESS originals) and its format
# variants (test/eval/format_variants.h), plus the same recordings as 16 kHz
# FLAC from ../shared/data/ravdess16k, labelled by the shipped model.  When
# ../shared is absent it says so and runs on the fixtures
# (test/fixtures/examples) instead.  The corpus takes some minutes of one
# core.  SER_SHARED_DIR names another ../shared (as for the unit tests).
# Usage: bash test/eval/format_report.sh [--model FILE] > report.md
#        (from anywhere; PG_CONFIG=... if pg_config is not on the PATH)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
make -s ${PG_CONFIG:+PG_CONFIG="$PG_CONFIG"} test/eval/format_agreement >&2

SHARED=${SER_SHARED_DIR:-../shared}/data   # relative, so the table names it briefly
# One thread: the classifications are one after another, and the machine may be busy.
export OPENBLAS_NUM_THREADS=1
if [ -d "$SHARED/ravdess48k" ] && [ -d "$SHARED/ravdess16k" ]; then
	test/eval/format_agreement "$@" --also "$SHARED/ravdess16k" "$SHARED/ravdess48k"
else
	echo "$SHARED (ravdess48k, ravdess16k) is absent: the report covers the fixtures in test/fixtures/examples only" >&2
	echo "> $SHARED is absent: fixtures only (test/fixtures/examples), not the corpus."
	echo
	test/eval/format_agreement "$@" test/fixtures/examples
fi
