# ser_load_ravdess() at cluster level: what git cannot store in the fixture
# tree (a mode-000 file and directory, symbolic-link loops, a FIFO), pg_dump
# keeping the loaded rows, and, when ../shared/data/ravdess16k is present,
# the whole corpus: 1,200 recordings, the byte-identical pair flagged, the
# load time against its target, cancellation mid-load with no descriptor
# left open.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Time::HiRes qw(time);
use SerTest;

my $fixtures = fixture_path('ravdess_tree');

# ../shared beside the repository root (SER_SHARED_DIR when the tests run from a copy).
my $shared = $ENV{SER_SHARED_DIR} || abs_path(dirname(__FILE__) . '/../../../shared');
my $corpus = defined $shared ? "$shared/data/ravdess16k" : undef;
# The load-time target for the whole corpus, hashing included.
my $target_s = $ENV{SER_LOAD_TARGET_S} || 10;

my $node = PostgreSQL::Test::Cluster->new('dataset');
$node->init;
$node->append_conf('postgresql.conf', "max_files_per_process = 64\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ser');

sub load
{
	my ($dir, $extra) = @_;
	$extra //= '';
	my ($stdout, $stderr);
	my $rc = $node->psql('postgres', "SELECT loaded, skipped, duplicates FROM ser_load_ravdess('$dir'$extra)",
		stdout => \$stdout, stderr => \$stderr);
	return ($rc, $stdout, $stderr);
}

# ---- The fixture tree plus what git cannot store ----
my $tree = PostgreSQL::Test::Utils::tempdir() . '/ravdess';
system('cp', '-a', $fixtures, $tree) == 0 or die "cannot copy $fixtures";
my $outside = PostgreSQL::Test::Utils::tempdir();

mkdir "$tree/Actor_03" or die;
system('cp', "$tree/Actor_01/03-01-01-01-01-01-01.wav", "$tree/Actor_03/03-01-02-01-01-01-03.wav") == 0 or die;
chmod 0000, "$tree/Actor_03/03-01-02-01-01-01-03.wav" or die;     # unreadable file
mkdir "$tree/Actor_04" or die;
system('cp', "$tree/Actor_01/03-01-01-01-01-01-01.wav", "$tree/Actor_04/03-01-01-01-01-01-04.wav") == 0 or die;
chmod 0000, "$tree/Actor_04" or die;                              # unreadable directory
symlink('..', "$tree/Actor_01/loop") or die;                      # loop back to the root
symlink('self', "$tree/Actor_01/self") or die;                    # a link to itself
symlink('Actor_02', "$tree/linked_actor") or die;                 # a second way into Actor_02
system('cp', "$tree/Actor_02/03-01-09-01-01-01-02.wav", "$outside/tone.wav") == 0 or die;
mkdir "$tree/Actor_05" or die;
symlink("$outside/tone.wav", "$tree/Actor_05/03-01-04-01-01-01-05.wav") or die;    # link to a file elsewhere
mkdir "$tree/Actor_06" or die;
mkdir "$tree/Actor_06/03-01-05-01-01-01-06.wav" or die;           # a directory named like a recording
system('mkfifo', "$tree/Actor_06/03-01-06-01-01-01-06.wav") == 0 or die;    # opening it would block

my ($rc, $out, $err) = load($tree);
is($rc, 0, 'fixture tree with unreadable entries loads to the end');
# 6 + the linked file; skipped: 7 of the fixture tree + file, directory, self-loop, FIFO.
is($out, '7|11|5', 'counts: 7 loaded, 11 skipped, 5 duplicates');
like($err, qr/WARNING:  skipping "Actor_03\/03-01-02-01-01-01-03.wav": could not open file: Permission denied/,
	'a mode-000 file is named with the reason');
like($err, qr/WARNING:  skipping directory "Actor_04": could not open it: Permission denied/,
	'a mode-000 directory is named with the reason');
like($err, qr/WARNING:  skipping "Actor_01\/self": could not stat file: Too many levels of symbolic links/,
	'a link to itself is reported');
like($err, qr/NOTICE:  skipping directory "Actor_01\/loop": already visited/, 'a loop back to the root is walked once');
like($err, qr/NOTICE:  skipping directory "linked_actor": already visited/, 'a second link to a directory is walked once');
like($err, qr/NOTICE:  skipping "Actor_06\/03-01-06-01-01-01-06.wav": not a regular file/, 'a FIFO is not opened');
like($err, qr/WARNING:  skipping "Actor_07\/03-01-08-02-01-01-07.wav": symbolic link to a missing file/,
	'a dangling link is reported');
like($err, qr/WARNING:  skipping "Actor_02\/03-01-06-01-01-02-02.flac": audio data is malformed/,
	'an undecodable file is reported');
is($node->safe_psql('postgres', "SELECT path = '$tree/Actor_05/03-01-04-01-01-01-05.wav' FROM ravdess_metadata WHERE actor = 5"),
	't', 'a linked file is loaded under the path it was found at');

($rc, $out, $err) = load($tree);
# Restore the modes so that the temporary tree can be removed.
chmod 0755, "$tree/Actor_04";
chmod 0644, "$tree/Actor_03/03-01-02-01-01-01-03.wav";
is($out, '0|11|12', 'second load adds nothing: 12 duplicates, the same 11 skipped');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ravdess_metadata'), '7', 'still 7 rows');

# ---- pg_dump keeps the rows and their storage ----
my $dump = PostgreSQL::Test::Utils::tempdir() . '/ser.sql';
$node->command_ok([ 'pg_dump', '-d', $node->connstr('postgres'), '-f', $dump ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('restored'), '-f', $dump ],
	'restore into a new database');
my $fingerprint = q{SELECT count(*), string_agg(file_name || ':' || encode(content_sha256, 'hex') || ':'
                       || identical_content || ':' || (sha256(audio) = content_sha256), ',' ORDER BY file_name)
                    FROM ravdess_metadata};
is($node->safe_psql('restored', $fingerprint), $node->safe_psql('postgres', $fingerprint),
	'restored rows equal the loaded ones, audio included');
is($node->safe_psql('restored', "SELECT attstorage FROM pg_attribute WHERE attrelid = 'ravdess_metadata'::regclass AND attname = 'audio'"),
	'e', 'restored audio column keeps STORAGE EXTERNAL');

# ---- The whole corpus ----
SKIP:
{
	skip "../shared/data/ravdess16k not present (set SER_SHARED_DIR)", 9
	  unless defined $corpus && -d $corpus;

	$node->safe_psql('postgres', 'TRUNCATE ravdess_metadata');

	# Cancel mid-load: nothing is kept, the error names the file, no descriptor stays open.
	my $session = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $session->query_safe('SELECT pg_backend_pid()');
	chomp $pid;
	# Descriptors of the backend open on the corpus (files or directories);
	# undef, failing the check, when the backend's descriptors cannot be
	# listed (a backend always has some open).
	my $corpus_fds = sub {
		my @fds = glob("/proc/$pid/fd/*");
		return undef unless @fds;
		return scalar grep { (readlink($_) // '') =~ /^\Q$corpus\E/ } @fds;
	};
	$session->query("SET statement_timeout = '300ms'");
	$session->query("SELECT * FROM ser_load_ravdess('$corpus')");
	like($session->{stderr}, qr/canceling statement due to statement timeout/, 'a load is canceled by statement_timeout');
	like($session->{stderr}, qr/CONTEXT:  .*while loading "Actor_\d\d\/03-01-[-\d]+\.flac" from RAVDESS directory/s,
		'the cancel names the file being loaded');
	is($corpus_fds->(), 0, 'the canceled load left no descriptor open on the corpus');
	$session->quit;
	is($node->safe_psql('postgres', 'SELECT count(*) FROM ravdess_metadata'), '0', 'a canceled load keeps nothing');

	my $t0 = time();
	($rc, $out, $err) = load($corpus);
	my $elapsed = time() - $t0;
	is($out, '1200|0|0', 'the corpus: 1,200 recordings loaded, nothing skipped, no duplicates');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM ravdess_metadata'), '1200', '1,200 rows');
	is($node->safe_psql('postgres', 'SELECT file_names FROM ravdess_identical_content'),
		'{03-01-03-01-02-01-07.flac,03-01-03-01-02-02-07.flac}', 'the one byte-identical pair of the release is flagged');
	cmp_ok($elapsed, '<=', $target_s, sprintf('the corpus loads in %.2f s, hashing included (target %s s)', $elapsed, $target_s));
	my $progress = () = $err =~ /NOTICE:  \d+ files examined:/g;
	is($progress, 12, 'progress is reported every 100 files');
	diag(sprintf('full corpus: 1,200 files (%s) loaded in %.2f s', $node->safe_psql('postgres',
		"SELECT pg_size_pretty(sum(file_size)) FROM ravdess_metadata"), $elapsed));

	$t0 = time();
	($rc, $out, $err) = load($corpus);
	diag(sprintf('second load of the corpus (all duplicates): %.2f s', time() - $t0));
}

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still accepts connections');
$node->stop;
done_testing();
