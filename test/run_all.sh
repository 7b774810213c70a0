#!/usr/bin/env bash
# Runs every test of ser on a fresh Debian 12 machine: installs what is
# needed, builds (warnings as errors, PostgreSQL's assertions on), then C
# unit tests of the core (plain, and under ASan/UBSan), pg_regress tests of
# the SQL surface and TAP tests of cluster-level behaviour, each against
# throwaway clusters, and a short libFuzzer run of each fuzz harness
# (FUZZ_SECONDS, default 30).  Usage: bash test/run_all.sh
# In CI (CI=true), or with SER_TEST_PACKAGE=1, it also builds, installs and
# tries the Debian package.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/src/tools/common.sh"

# The CI build: every make below gets the same options, so none rebuilds
# what another built.
MAKE_OPTS=(WERROR=1 ASSERTS=1 PG_CONFIG="$PGBIN/pg_config")

install_dependencies
build_and_install "${MAKE_OPTS[@]}"

passed=0; failed=0
record() { if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }

WORK=$(mktemp -d /tmp/ser-test.XXXXXX)
chmod 755 "$WORK"
trap 'stop_cluster; rm -rf "$WORK"' EXIT

say "C unit tests of the core"
set +e
( cd "$ROOT" && make -s unittest "${MAKE_OPTS[@]}" && make -s -j2 eval-programs "${MAKE_OPTS[@]}" ); record $?
set -e

say "C unit tests of the core under AddressSanitizer and UndefinedBehaviorSanitizer"
set +e
( cd "$ROOT" && make -s -j2 SANITIZE=1 unittest "${MAKE_OPTS[@]}" ); record $?
set -e

# The SQL tests run from a copy of the tree that the postgres user can
# read (the server reads fixture files) and, for TAP, own (initdb refuses
# root, and the TAP tests write beside themselves).
mkdir -p "$WORK/src"
( cd "$ROOT" && tar cf - --exclude='*.o' --exclude='*.d' --exclude='*.so' --exclude='*.bc' \
	--exclude=test/results --exclude=test/tmp_check --exclude=tmp_check \
	--exclude=test/fuzz/build --exclude=test/fuzz/work --exclude=test/web/output \
	Makefile ser.control sql test src ) | tar xf - -C "$WORK/src"
chmod -R a+rX "$WORK/src"
run=(); [ "$(id -u)" = 0 ] && { chown -R postgres:postgres "$WORK/src"; run=(runuser -u postgres --); }

say "pg_regress tests of the SQL surface"
start_cluster "$WORK/regress"
set +e
( cd "$WORK/src" && make -s installcheck "${MAKE_OPTS[@]}" ); rc=$?
if [ $rc != 0 ] && [ -f "$WORK/src/test/regression.diffs" ]; then cat "$WORK/src/test/regression.diffs"; fi
record $rc
set -e
stop_cluster

say "Citus for the Citus TAP test (built from ../shared/citus when present, once)"
set +e
bash "$ROOT/src/tools/build_citus.sh"; record $?
set -e

say "TAP tests (PostgreSQL::Test::Cluster)"
# Tests that use the RAVDESS corpus find it through SER_SHARED_DIR (and skip without it).
SHARED_DIR=""
[ -d "$ROOT/../shared/data" ] && SHARED_DIR=$(cd "$ROOT/../shared" && pwd)
set +e
( cd "$WORK/src" && "${run[@]}" env PATH="$PGBIN:$PATH" SER_SHARED_DIR="$SHARED_DIR" \
	make -s prove_installcheck "${MAKE_OPTS[@]}" ); rc=$?
set -e
if [ $rc != 0 ]; then cat "$WORK"/src/tmp_check/log/regress_log_* 2>/dev/null | tail -50; fi
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

say "web pages: ser-web over HTTP and in headless Chromium (screenshots in test/web/output)"
set +e
bash "$ROOT/test/web/web_test.sh"; record $?
set -e

# The Debian package: a full rebuild, and it installs the package system-wide for a moment, so it
# runs in CI (CI=true) and when asked (SER_TEST_PACKAGE=1); SER_TEST_PACKAGE=0 skips it.
if [ "${SER_TEST_PACKAGE:-}" = 1 ] || { [ "${CI:-}" = true ] && [ "${SER_TEST_PACKAGE:-}" != 0 ]; }; then
	say "Debian package"
	set +e
	bash "$ROOT/test/package/check_deb.sh"; record $?
	set -e
fi

echo
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
