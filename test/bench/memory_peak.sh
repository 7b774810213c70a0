#!/usr/bin/env bash
# Peak memory of each audio function by recording length: for every function
# and length, a fresh backend is warmed up on a 1 s clip (libraries, FFT
# plans, the default model), its peak-RSS counter is reset (clear_refs), the
# function runs once on the long recording, and the backend's peak RSS
# (VmHWM) above its resident size before the call is reported, in MB.  The
# recording is the RAVDESS fixture (speech, 4.1 s) repeated, as a 16 kHz
# 16-bit mono WAV; its bytes are part of what a call holds (detoasted).
# Uses the server in PGHOST/PGPORT if set, else a throwaway cluster; must
# run as a superuser on the server's machine (reads /proc of the backend).
# Usage: bash test/bench/memory_peak.sh [MINUTES...]   (default: 1 5 10)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"
export PATH="$PGBIN:$PATH"
MINUTES=("${@:-1 5 10}")
read -r -a MINUTES <<< "${MINUTES[*]}"

WORK=$(mktemp -d /tmp/ser-memory.XXXXXX)
chmod 755 "$WORK"
if [ -z "${PGHOST:-}${PGPORT:-}" ]; then
	trap 'stop_cluster; rm -rf "$WORK"' EXIT
	start_cluster "$WORK/cluster"
else
	trap 'rm -rf "$WORK"' EXIT
fi
DB=ser_memory
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export PGDATABASE=$DB
psql -X -q -c "CREATE EXTENSION ser" -c "CREATE TABLE rec (minutes int PRIMARY KEY, audio bytea)"

for m in 0 "${MINUTES[@]}"; do
	f=$WORK/rec_$m.wav
	if [ "$m" = 0 ]; then
		sox "$ROOT/test/fixtures/ravdess/03-01-05-02-01-01-01.wav" -r 16000 -b 16 -c 1 "$f" trim 0 1
	else
		# repeat the 4.1 s clip, then cut to the exact length
		sox "$ROOT/test/fixtures/ravdess/03-01-05-02-01-01-01.wav" -r 16000 -b 16 -c 1 "$f" \
			repeat $((m * 60 / 4 + 1)) trim 0 $((m * 60))
	fi
	chmod 644 "$f"
	psql -X -q -v f="$f" -v m="$m" <<'SQL'
\lo_import :f
\set oid :LASTOID
INSERT INTO rec SELECT :m, lo_get(:oid);
SELECT lo_unlink(:oid) \gset
SQL
done
psql -X -q -c "ALTER TABLE rec ALTER audio SET STORAGE EXTERNAL"

# One measurement: function call $1 on recording $2 minutes long; prints MB.
measure() {
	local call=$1 m=$2
	psql -X -q -At <<SQL
SET ser.max_duration = '1h';
SELECT ($call) IS NOT NULL FROM rec WHERE minutes = 0 \\g /dev/null
SELECT pg_backend_pid() AS pid \gset
COPY (SELECT 5) TO '/proc/self/clear_refs';
CREATE TEMP TABLE before AS
  SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1]::bigint AS rss_kb;
SELECT ($call) IS NOT NULL FROM rec WHERE minutes = $m \\g /dev/null
SELECT round(((regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+)'))[1]::bigint - rss_kb) / 1024.0, 1)
FROM before;
SQL
}

printf '%-28s' "function \\ minutes"
for m in "${MINUTES[@]}"; do printf '%10s' "$m min"; done
printf '%14s\n' "MB per min"
for call in "ser_audio_info(audio)" "ser_decode(audio)" "ser_features(audio)" "ser_frames(audio)" \
	"ser_melspectrogram(audio)" "ser_mfcc(audio)" "ser_pitch(audio)" "ser_predict(audio)" \
	"ser_speaker_profile(audio)"; do
	printf '%-28s' "$call"
	first=""; last=""
	for m in "${MINUTES[@]}"; do
		mb=$(measure "$call" "$m" | tail -1)
		printf '%10s' "$mb"
		[ -n "$first" ] || first=$mb
		last=$mb
	done
	# slope between the shortest and the longest recording
	if [ "${#MINUTES[@]}" -gt 1 ]; then
		awk -v a="$first" -v b="$last" -v ma="${MINUTES[0]}" -v mb="${MINUTES[-1]}" \
			'BEGIN { printf "%14.1f\n", (b - a) / (mb - ma) }'
	else
		echo
	fi
done
