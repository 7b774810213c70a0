#!/usr/bin/env bash
# The speech gate's report (features/speech.h): how many corpus recordings
# it rejects (false rejects) and how many synthetic non-speech signals it
# accepts, for sets A and B (thresholds chosen looking at them) and set C
# (generated after, measured only).  Uses ../shared/data when present (the
# RAVDESS corpus as 16 kHz FLAC and as the 48 kHz originals, and transcodes
# of actors 01-04: MP3 at 128 kbit/s, and a -80 dBFS white-noise floor);
# says so and measures only the synthetic sets when it is absent.
# Usage: bash test/speech/gate_report.sh   (from the repository root, after make)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
make -s test/eval/speech_gate
WORK=$(mktemp -d /tmp/ser-gate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
gate=test/eval/speech_gate

for set in A B C; do
	bash test/speech/make_nonspeech.sh "$WORK/nonspeech-$set" $set 2>/dev/null >/dev/null
	echo "== synthetic non-speech, set $set"
	$gate "$WORK/nonspeech-$set"
done

SHARED=$ROOT/../shared/data
if [ ! -d "$SHARED/ravdess16k" ]; then
	echo "== ../shared/data is absent: corpus false rejects not measured"
	exit 0
fi
for v in ravdess16k ravdess48k; do
	echo "== RAVDESS speech, actors 01-20, $v"
	$gate "$SHARED/$v"
done
mkdir -p "$WORK/mp3" "$WORK/floor"
for f in "$SHARED"/ravdess48k/Actor_0[1-4]/*.flac; do
	b=$(basename "$f" .flac)
	sox "$f" -C 128 "$WORK/mp3/$b.mp3" 2>/dev/null
	d=$(soxi -D "$f")
	sox -R -m -v 1 "$f" -v 1 <(sox -R -n -r 48000 -c "$(soxi -c "$f")" -b 16 -t wav - synth "$d" whitenoise vol -80dB 2>/dev/null) \
		-b 16 "$WORK/floor/$b.wav" 2>/dev/null
done
echo "== RAVDESS actors 01-04 as MP3, 128 kbit/s"
$gate "$WORK/mp3"
echo "== RAVDESS actors 01-04 (48 kHz) with a -80 dBFS white-noise floor"
$gate "$WORK/floor"
