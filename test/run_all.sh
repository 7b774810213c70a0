#!/usr/bin/env bash
# Runs every test of ser on a fresh Debian 12 machine: installs what is
# needed, builds, then C unit tests of the core, pg_regress tests of the SQL
# surface and TAP tests of cluster-level behaviour, each against throwaway
# clusters, and a short libFuzzer run of each fuzz harness (FUZZ_SECONDS,
# default 30).  Usage: bash test/run_all.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/src/tools/common.sh"

install_dependencies
build_and_install

passed=0; failed=0
record() { if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }

WORK=$(mktemp -d /tmp/ser-test.XXXXXX)
chmod 755 "$WORK"
trap 'stop_cluster; rm -rf "$WORK"' EXIT

say "C unit tests of the core"
set +e
( cd "$ROOT" && make -s unittest PG_CONFIG="$PGBIN/pg_config" ); record $?
set -e

say "pg_regress tests of the SQL surface"
# Some tests make the server read fixture files: run them from a copy the
# postgres user can read wherever the clone lives.
mkdir -p "$WORK/regress-src"
( cd "$ROOT" && tar cf - Makefile ser.control sql expected test/fixtures src ) | tar xf - -C "$WORK/regress-src"
chmod -R a+rX "$WORK/regress-src"
start_cluster "$WORK/regress"
set +e
( cd "$WORK/regress-src" && make -s installcheck PG_CONFIG="$PGBIN/pg_config" ); rc=$?
if [ $rc != 0 ] && [ -f "$WORK/regress-src/regression.diffs" ]; then cat "$WORK/regress-src/regression.diffs"; fi
record $rc
set -e
stop_cluster

say "TAP tests (PostgreSQL::Test::Cluster)"
# The TAP framework refuses to run as root: run it as postgres on a copy of test/.
PGXS_DIR=$(dirname "$("$PGBIN/pg_config" --pgxs)")/../..
mkdir -p "$WORK/tap"
# (not the fuzzers' builds and grown corpora)
( cd "$ROOT/test" && tar cf - --exclude=./fuzz/build --exclude=./fuzz/work . ) | tar xf - -C "$WORK/tap"
mkdir -p "$WORK/tap/tmp_check"
run=(); [ "$(id -u)" = 0 ] && { chown -R postgres:postgres "$WORK/tap"; run=(runuser -u postgres --); }
set +e
# Tests that use the RAVDESS corpus find it through SER_SHARED_DIR (and skip without it).
SHARED_DIR=""
[ -d "$ROOT/../shared/data" ] && SHARED_DIR=$(cd "$ROOT/../shared" && pwd)
( cd "$WORK/tap" && "${run[@]}" env PATH="$PGBIN:$PATH" TESTDIR="$WORK/tap" PG_REGRESS="$PGXS_DIR/src/test/regress/pg_regress" \
	SER_SHARED_DIR="$SHARED_DIR" \
	prove -I "$PGXS_DIR/src/test/perl" t/*.pl ); rc=$?
set -e
if [ $rc != 0 ]; then cat "$WORK"/tap/tmp_check/log/regress_log_* 2>/dev/null | tail -50; fi
record $rc

say "fuzz smoke runs (libFuzzer, ASan/UBSan): ${FUZZ_SECONDS:-30} s per harness"
# clang-14 and its runtime are needed only here; make fuzz runs longer.
fuzz_missing=""
for p in clang-14 libclang-rt-14-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || fuzz_missing="$fuzz_missing $p"
done
if [ -n "$fuzz_missing" ]; then
	as_root apt-get update -o DPkg::Lock::Timeout=600 -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
		--no-install-recommends $fuzz_missing >/dev/null
fi
set +e
( cd "$ROOT" && make -s -j2 fuzz-smoke PG_CONFIG="$PGBIN/pg_config" FUZZ_SECONDS="${FUZZ_SECONDS:-30}" \
	SER_SHARED_DIR="$SHARED_DIR" ); record $?
set -e

echo
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
