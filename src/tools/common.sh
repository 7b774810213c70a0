# Shared by the two README commands (src/tools/run.sh and test/run_all.sh):
# install what ser needs on Debian 12, build and install the extension, and
# start a throwaway PostgreSQL cluster in a local folder.
# Sourced, not run.  Expects ROOT (the repository root).

PG_MAJOR=${PG_MAJOR:-15}
# SER_PGBIN: another (e.g. relocated) PostgreSQL tree to build against and test with.
PGBIN=${SER_PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}
SER_PACKAGES="build-essential pkg-config postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
  postgresql-client-$PG_MAJOR libsndfile1-dev libflac-dev libvorbis-dev libogg-dev libfftw3-dev libopenblas-dev libsoxr-dev
  libipc-run-perl sox libsox-fmt-all flac lame opus-tools vorbis-tools
  libmicrohttpd-dev curl"

say() { printf '\n== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_dependencies() {
	local missing=""
	for p in $SER_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		say "installing Debian packages:$missing"
		as_root apt-get update -o DPkg::Lock::Timeout=600 -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
			--no-install-recommends $missing >/dev/null
	fi
	export PATH="$PGBIN:$PATH"
}

# Arguments are make variables for both steps (e.g. WERROR=1 ASSERTS=1).
build_and_install() {
	say "building and installing ser"
	make -C "$ROOT" -s -j2 PG_CONFIG="$PGBIN/pg_config" "$@"
	as_root make -C "$ROOT" -s install PG_CONFIG="$PGBIN/pg_config" "$@" >/dev/null
}

# Start a throwaway cluster in $1 (created if needed) on a free port, owned
# by the postgres user when running as root (initdb refuses root).  Exports
# PGHOST, PGPORT, PGUSER and sets CLUSTER_DIR; stop_cluster stops it.
start_cluster() {
	local dir=$1 port=${2:-}
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	local run=()
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$dir"
		run=(runuser -u postgres --)
	fi
	if [ -z "$port" ]; then
		port=55432
		while "$PGBIN/pg_isready" -q -h /tmp -p "$port" 2>/dev/null || [ -e "$dir/.s.PGSQL.$port" ] \
			|| ss -ltn 2>/dev/null | grep -q ":$port "; do port=$((port + 1)); done
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		"${run[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null \
			|| die "initdb failed"
	fi
	# One BLAS thread per backend: PostgreSQL parallelism is per process.
	"${run[@]}" env OPENBLAS_NUM_THREADS=1 "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		-o "-p $port -k $dir -c listen_addresses=''" start >/dev/null || { cat "$dir/server.log"; die "could not start PostgreSQL"; }
	export PGHOST=$dir PGPORT=$port PGUSER=postgres
	CLUSTER_DIR=$dir
}

stop_cluster() {
	[ -n "${CLUSTER_DIR:-}" ] || return 0
	local run=()
	[ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
	"${run[@]}" "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}
