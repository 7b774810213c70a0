#!/usr/bin/env bash
# Builds Citus from ../shared/citus (the release source and the patch that
# lets it compile against Debian's PostgreSQL 15.20 headers) and installs it
# into the PostgreSQL tree of $SER_PGBIN (default /usr/lib/postgresql/15/bin),
# for the Citus test (test/t/092_citus.pl).  Not part of ser: a user's machine
# installs Citus from Citus' own packages.
#
# Does nothing when that tree already has Citus.  The compiled tree is kept
# in $SER_CITUS_CACHE (default ~/.cache/ser/citus-VERSION-<PostgreSQL tree>),
# so installing into a fresh copy of the same tree does not compile again.
# Exits 0 saying why when ../shared/citus (or SER_SHARED_DIR/citus) is absent.
# Usage: bash src/tools/build_citus.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"

CITUS_VERSION=13.2.2
SHARED=${SER_SHARED_DIR:-$ROOT/../shared}
SRC="$SHARED/citus/citus-$CITUS_VERSION.tar.gz"
PATCH="$SHARED/citus/citus-$CITUS_VERSION-pg15.20.patch"
PG_CONFIG="$PGBIN/pg_config"

pkglibdir=$("$PG_CONFIG" --pkglibdir)
if [ -f "$pkglibdir/citus.so" ]; then
	echo "Citus is already installed in $pkglibdir"
	exit 0
fi
if [ ! -f "$SRC" ] || [ ! -f "$PATCH" ]; then
	echo "Citus not built: $SRC is not present (install Citus from its own packages to run the Citus test)"
	exit 0
fi

# Citus' build dependencies (Debian names).
missing=""
for p in libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing Citus' build dependencies:$missing"
	as_root apt-get update -o DPkg::Lock::Timeout=600 -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
		--no-install-recommends $missing >/dev/null
fi

# One compiled tree per Citus version and PostgreSQL tree (its pg_config path and version).
key=$( { echo "$PG_CONFIG"; "$PG_CONFIG" --version; } | sha1sum | cut -c1-12)
CACHE=${SER_CITUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ser/citus-$CITUS_VERSION-$key}
if [ ! -f "$CACHE/.built" ]; then
	say "building Citus $CITUS_VERSION for $("$PG_CONFIG" --version) in $CACHE (about 2 minutes on 2 cores)"
	rm -rf "$CACHE"
	mkdir -p "$CACHE"
	tar xzf "$SRC" -C "$CACHE" --strip-components=1
	( cd "$CACHE" && patch -s -p1 < "$PATCH" \
		&& ./configure -q PG_CONFIG="$PG_CONFIG" >/dev/null \
		&& make -s -j2 with_llvm=no >/dev/null ) || die "the Citus build failed (in $CACHE)"
	touch "$CACHE/.built"
fi
say "installing Citus $CITUS_VERSION into $pkglibdir"
as_root make -C "$CACHE" -s install with_llvm=no >/dev/null
