# Helpers shared by ser's TAP tests (test/t/*.pl): fixture recordings into a
# table, a backend's resident memory, and parallel query that proves its
# workers ran.  `make prove_installcheck` puts test/perl on @INC.
package SerTest;

use strict;
use File::Copy ();
use PostgreSQL::Test::Utils ();
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use Test::More;
use Exporter 'import';

our @EXPORT = qw(fixture_path fixture_copy_without slurp_hex load_fixtures backend_rss_kb rss_flat_ok
  $PARALLEL_SETTINGS workers_launched);

# A folder or file under test/fixtures, as an absolute path.
# A copy of the fixture folder test/fixtures/$relative in a temporary
# folder, without the files named (e.g. the empty WAV, which every audio
# function refuses), for a tool that loads a whole folder.
sub fixture_copy_without
{
	my ($relative, @excluded) = @_;
	my $from = fixture_path($relative);
	my $to = PostgreSQL::Test::Utils::tempdir();
	my %skip = map { $_ => 1 } @excluded;
	opendir(my $dh, $from) or die "cannot read $from: $!";
	for my $name (grep { -f "$from/$_" && !$skip{$_} } readdir($dh))
	{
		File::Copy::copy("$from/$name", "$to/$name") or die "cannot copy $name: $!";
	}
	closedir $dh;
	chmod 0755, $to;
	return $to;
}

sub fixture_path
{
	my ($relative) = @_;
	my $path = abs_path(dirname(__FILE__) . "/../fixtures/$relative");
	die "no fixture test/fixtures/$relative" unless defined $path && -e $path;
	return $path;
}

# A file's bytes as hex digits, for a '\x...'::bytea literal: the script
# reads the fixtures, so the server needs no access to the source tree.
sub slurp_hex
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "cannot read $path: $!";
	local $/;
	my $bytes = <$fh>;
	close $fh;
	return unpack('H*', $bytes);
}

# Creates TABLE $table (name text, audio bytea) holding the named files of
# folder $dir, each under its file name.
sub load_fixtures
{
	my ($node, $dbname, $table, $dir, @names) = @_;
	my $values = join(",\n", map { "('$_', '\\x" . slurp_hex("$dir/$_") . "'::bytea)" } @names);
	$node->safe_psql($dbname, "CREATE TABLE $table (name text, audio bytea); INSERT INTO $table VALUES $values");
	return;
}

# A process's resident memory in kB, from /proc/PID/status; undef when it
# cannot be read (no /proc, another user's process, the process gone).
sub backend_rss_kb
{
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/status") or return undef;
	while (<$fh>)
	{
		return $1 if /^VmRSS:\s+(\d+)/;
	}
	return undef;
}

# Passes when resident memory grew by less than $limit_kb from $before to
# $after; fails, rather than passes, when either could not be measured.
sub rss_flat_ok
{
	my ($before, $after, $limit_kb, $name) = @_;
	if (!defined $before || !defined $after)
	{
		fail("$name: resident memory could not be measured (/proc/PID/status unreadable)");
		return 0;
	}
	return cmp_ok($after - $before, '<', $limit_kb, "$name: $before kB -> $after kB");
}

# Settings that make the planner use parallel workers on small tables; with
# the leader not participating, a statement whose Gather launched workers
# got every row from them.
our $PARALLEL_SETTINGS = q{SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET parallel_leader_participation = off;};

# Runs $statement under EXPLAIN ANALYZE with $PARALLEL_SETTINGS (so a
# CREATE TABLE ... AS keeps the rows the workers produced) and returns the
# number of workers its Gather nodes launched.
sub workers_launched
{
	my ($node, $dbname, $statement) = @_;
	my $plan = $node->safe_psql($dbname,
		"$PARALLEL_SETTINGS EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $statement");
	my $launched = 0;
	$launched += $1 while $plan =~ /Workers Launched: (\d+)/g;
	return $launched;
}

1;
