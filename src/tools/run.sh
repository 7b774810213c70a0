#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: install what is needed, build
# and install ser, load every recording of a folder into a table and describe
# each one in SQL.  The server is the one PGHOST/PGPORT name, or else a
# throwaway cluster in a local folder, removed at the end.
#
# Usage: bash src/tools/run.sh [FOLDER]      (default: the repository's fixtures)
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
LIST=$(mktemp)
find "$FOLDER" -type f \( -iname '*.wav' -o -iname '*.flac' -o -iname '*.ogg' -o -iname '*.opus' \
	-o -iname '*.mp3' -o -iname '*.aif' -o -iname '*.aiff' -o -iname '*.au' \) | sort > "$LIST"
{
	echo "SET client_min_messages = warning;"
	echo "DROP TABLE IF EXISTS ser_run_recordings;"
	echo "CREATE TABLE ser_run_recordings (file text PRIMARY KEY, audio bytea NOT NULL);"
	echo "ALTER TABLE ser_run_recordings ALTER audio SET STORAGE EXTERNAL;"
	while IFS= read -r f; do
		rel=${f#"$FOLDER"/}
		printf '\\set f %s\n\\lo_import :f\n\\set oid :LASTOID\n' "'${f//\'/\'\'}'"
		printf "INSERT INTO ser_run_recordings VALUES ('%s', lo_get(:oid));\n" "${rel//\'/\'\'}"
		printf 'SELECT lo_unlink(:oid) \\gset\n'
	done < "$LIST"
} > "$LIST.sql"
psql -X -q -v ON_ERROR_STOP=1 -f "$LIST.sql" >/dev/null
rm -f "$LIST.sql"
rm -f "$LIST"

say "ser_audio_info for each recording"
# One damaged file must not hide the others: each row's error is shown in place.
psql -X -q -P footer=off <<'SQL'
CREATE FUNCTION pg_temp.describe(audio bytea, OUT format text, OUT sample_rate int, OUT channels int,
                                 OUT frames bigint, OUT seconds numeric, OUT error text)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT i.format, i.sample_rate, i.channels, i.frames, round(i.duration_s::numeric, 2)
    INTO format, sample_rate, channels, frames, seconds
    FROM ser_audio_info(audio) i;
EXCEPTION WHEN others THEN
  error := SQLERRM;
END $$;
SELECT r.file, d.*
FROM ser_run_recordings r, pg_temp.describe(r.audio) d
ORDER BY r.file;
SQL
