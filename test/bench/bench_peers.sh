#!/usr/bin/env bash
# Side by side: ser against the Python tools it replaces, on the same clips
# in one run, one core (taskset, BENCH_CPU), medians over the clips of each
# clip's median of 3 runs.  ser (test/bench/peers_ser.c) decodes each clip
# to 16 kHz and computes all its features, 40 MFCC and the pitch track;
# the peers (test/bench/peers.py) get exactly those 16 kHz samples.  A peer
# that is not installed is skipped, saying so: torchaudio is Debian's
# python3-torchaudio (BENCH_PEERS_SETUP=1 installs it with apt); librosa is
# not packaged by Debian (pip install librosa, where PyPI is reachable).
# Clips: CLIPS (default 200) of ../shared/data/ravdess48k (48 kHz FLAC
# originals), else the repository's fixture alone, saying so.
# BENCH_CLOCK=cpu times the thread's CPU time (both halves), for a shared machine.
# Usage: bash test/bench/bench_peers.sh   (from anywhere; builds what it needs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"
CLIPS=${CLIPS:-200}
BENCH_CPU=${BENCH_CPU:-0}
PYTHON=${PYTHON:-/usr/bin/python3}	# Debian's, where python3-torchaudio lives

if [ "${BENCH_PEERS_SETUP:-0}" = 1 ]; then
	dpkg-query -W -f='${Status}' python3-torchaudio 2>/dev/null | grep -q "install ok installed" ||
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torchaudio >/dev/null
fi

make -C "$ROOT" -s test/bench/peers_ser PG_CONFIG="$PGBIN/pg_config"
WORK=$(mktemp -d /tmp/ser-peers.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

SHARED48="$ROOT/../shared/data/ravdess48k"
if [ -d "$SHARED48" ]; then
	find "$SHARED48" -name '*.flac' | sort > "$WORK/all"
	head -n "$CLIPS" "$WORK/all" > "$WORK/list"
	what="$(wc -l < "$WORK/list") RAVDESS clips, 48 kHz 16-bit FLAC ($SHARED48)"
else
	echo "../shared/data/ravdess48k is not present: one clip, the repository's fixture (48 kHz WAV)"
	echo "$ROOT/test/fixtures/ravdess/03-01-05-02-01-01-01.wav" > "$WORK/list"
	what="1 clip, 48 kHz 16-bit WAV (test/fixtures/ravdess)"
fi
n=$(wc -l < "$WORK/list")

clock="wall-clock"; [ "${BENCH_CLOCK:-}" = cpu ] && clock="CPU"
echo "Side by side: $what; one core (CPU $BENCH_CPU), $clock time, median over the clips of each clip's median of 3 runs, ms"
echo "(load while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs)"
{
	(cd "$ROOT" && OUTDIR="$WORK" OPENBLAS_NUM_THREADS=1 taskset -c "$BENCH_CPU" test/bench/peers_ser $(cat "$WORK/list"))
	if command -v "$PYTHON" >/dev/null; then
		OMP_NUM_THREADS=1 taskset -c "$BENCH_CPU" "$PYTHON" "$ROOT/test/bench/peers.py" "$WORK" "$n"
	else
		echo "python	skipped: $PYTHON not found"
	fi
} | awk -F'\t' 'NF == 3 { printf "  %-20s %-26s %9.3f\n", $1, $2, $3; next } { printf "  %-20s %s\n", $1, $2 }'
