#!/usr/bin/env bash
# The Debian package check: builds postgresql-15-ser from a clean copy of
# the tracked files with dpkg-buildpackage (debian/, pg_buildext), checks
# what the package holds, installs it system-wide with dpkg, and uses it on
# a throwaway cluster of the system's PostgreSQL 15 (CREATE EXTENSION,
# ser_version(), ser-import, a prediction); then removes the package again
# (SER_KEEP_PACKAGE=1 keeps it and the .deb, whose path it prints).
# Slow (a full -O3 build, about two minutes on 2 cores): test/run_all.sh
# runs it in CI (CI=true) or with SER_TEST_PACKAGE=1.
# Usage: bash test/package/check_deb.sh   (as root or with sudo)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"
# The package is built for and checked against the system's PostgreSQL.
PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin
SER_PACKAGES="$SER_PACKAGES debhelper postgresql-server-dev-all dpkg-dev fakeroot libpq-dev libssl-dev git"
install_dependencies

started=$(date +%s)
WORK=$(mktemp -d /tmp/ser-deb.XXXXXX)
chmod 755 "$WORK"
installed=0
cleanup() {
	stop_cluster
	if [ "$installed" = 1 ] && [ "${SER_KEEP_PACKAGE:-0}" != 1 ]; then
		as_root dpkg -r "postgresql-$PG_MAJOR-ser" >/dev/null || true
	fi
	[ "${SER_KEEP_PACKAGE:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

say "building the Debian package from the tracked files"
mkdir "$WORK/src"
git -C "$ROOT" ls-files -z | (cd "$ROOT" && tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
( cd "$WORK/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -b -us -uc >"$WORK/build.log" 2>&1 ) \
	|| { tail -40 "$WORK/build.log"; die "dpkg-buildpackage failed"; }
version=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
deb="$WORK/postgresql-${PG_MAJOR}-ser_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || die "no package $deb"

say "checking what $(basename "$deb") holds"
contents=$(dpkg-deb -c "$deb")
for f in "usr/lib/postgresql/$PG_MAJOR/lib/ser.so" "usr/lib/postgresql/$PG_MAJOR/lib/plugins/ser.so -> ../ser.so" \
	"usr/lib/postgresql/$PG_MAJOR/bin/ser-import" "usr/lib/postgresql/$PG_MAJOR/bin/ser-web" \
	"usr/share/postgresql/$PG_MAJOR/extension/ser.control" \
	"usr/share/postgresql/$PG_MAJOR/extension/ser--$version.sql" \
	"usr/share/postgresql/$PG_MAJOR/extension/ser--0.1.0--$version.sql" \
	"usr/share/postgresql/$PG_MAJOR/extension/ser_default.sermodel"; do
	grep -qF -- "./$f" <<<"$contents" || die "the package lacks $f"
done
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsndfile1 libfftw3-single3 libsoxr0 libpq5 "postgresql-$PG_MAJOR"; do
	grep -q "$lib" <<<"$depends" || die "the package does not depend on $lib (Depends: $depends)"
done

say "installing it (system-wide, with dpkg)"
as_root dpkg -i "$deb" >/dev/null
installed=1

say "using it on a throwaway cluster of $PGBIN"
start_cluster "$WORK/cluster"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE ROLE owner LOGIN" -c "CREATE DATABASE owned OWNER owner"
[ "$(psql -X -qAt -U owner -d owned -c 'CREATE EXTENSION ser' -c 'SELECT ser_version()')" = "$version" ] \
	|| die "ser_version() is not $version"
cp -r "$ROOT/test/fixtures/examples" "$WORK/audio"
"$PGBIN/ser-import" -q -U owner -d owned --table rec "$WORK/audio" >/dev/null || die "ser-import failed"
predicted=$(psql -X -qAt -U owner -d owned -c "SELECT count(ser_predict(audio)) FROM rec WHERE path LIKE '03-01-%'")
[ "$predicted" -gt 0 ] || die "no prediction from the installed package"

echo "package check passed: $(basename "$deb") built, installed and used in $(( $(date +%s) - started )) s"
[ "${SER_KEEP_PACKAGE:-0}" != 1 ] || echo "kept: $deb (installed)"
