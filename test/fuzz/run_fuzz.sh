#!/usr/bin/env bash
# Runs each named libFuzzer harness (test/fuzz/build/<name>) for FUZZ_SECONDS
# from its seed corpus and prints how many inputs it executed.  Any crash,
# sanitizer report, leak or harness assertion fails the run; the input that
# caused it is left in test/fuzz/work/<name>/ as crash-*/leak-*.  With
# FUZZ_KEEP=1 the corpus grown in test/fuzz/work/<name>/corpus is kept for
# the next run; otherwise every run starts from the seeds again.
# Usage: FUZZ_SECONDS=30 bash test/fuzz/run_fuzz.sh fuzz_decode fuzz_features fuzz_model
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ=$ROOT/test/fuzz
SECONDS_EACH=${FUZZ_SECONDS:-30}
SHARED_FINDINGS=${SER_SHARED_DIR:-$ROOT/../shared}/findings

# One BLAS thread, as in the server.
export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
for name in "$@"; do
	work=$FUZZ/work/$name
	[ "${FUZZ_KEEP:-0}" = 1 ] || rm -rf "$work"
	mkdir -p "$work/corpus" "$work/seeds"
	case $name in
		fuzz_decode)
			cp "$ROOT"/test/fixtures/audio/* "$ROOT"/test/fixtures/findings/*.{wav,ogg} "$work/seeds/" 2>/dev/null || true
			# FLAC beyond the 16-bit mono fixture, for the libFLAC fast path (src/audio/flac.c)
			if command -v sox >/dev/null; then
				sox "$ROOT"/test/fixtures/audio/tone440_44k_pcm24.wav -b 24 "$work/seeds/tone440_44k_24bit.flac" 2>/dev/null || true
				sox "$ROOT"/test/fixtures/audio/stereo_left440_48k.wav -b 16 "$work/seeds/stereo_48k.flac" 2>/dev/null || true
				sox "$ROOT"/test/fixtures/audio/tone440_8k_pcm8.wav -b 8 "$work/seeds/tone440_8k_8bit.flac" 2>/dev/null || true
			fi
			if [ -d "$SHARED_FINDINGS" ]; then
				find "$SHARED_FINDINGS" -name '*.wav' -o -name '*.ogg' | xargs -r cp -t "$work/seeds/"
			fi
			max_len=131072 ;;
		fuzz_features)
			python3 "$FUZZ/make_seeds.py" "$work/gen"
			cp "$work"/gen/features/* "$work/seeds/"
			max_len=131072 ;;
		fuzz_model)
			python3 "$FUZZ/make_seeds.py" "$work/gen"
			for f in "$work"/gen/model/* "$ROOT"/model/*.sermodel; do
				[ -f "$f" ] || continue
				cp "$f" "$work/seeds/$(basename "$f")"
				# the same with a leading 0x01: the harness recomputes the checksum
				{ printf '\001'; cat "$f"; } > "$work/seeds/fixcrc_$(basename "$f")"
			done
			max_len=1400000 ;;
		*) echo "unknown harness $name" >&2; exit 2 ;;
	esac
	echo "== $name: $SECONDS_EACH s from $(ls "$work/seeds" | wc -l) seeds"
	set +e
	( cd "$work" && "$FUZZ/build/$name" -max_total_time="$SECONDS_EACH" -max_len="$max_len" -timeout=20 \
		-rss_limit_mb=2048 -print_final_stats=1 corpus seeds ) > "$work/log" 2>&1
	rc=$?
	set -e
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
	if [ $rc != 0 ]; then
		tail -60 "$work/log"
		echo "$name: FAILED after ${runs:-?} runs (inputs kept in $work)"
		failed=1
	else
		echo "$name: ${runs:-?} runs, no crash, no sanitizer report, no leak"
	fi
done
exit $failed
