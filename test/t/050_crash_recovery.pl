# A backend killed with SIGKILL in the middle of a batch UPDATE that
# classifies recordings: the server restarts and recovers on its own, and no
# row is half-written (the UPDATE's rows are all unchanged; after a rerun,
# all changed), with heap and index checks clean (amcheck).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use SerTest;
use File::Basename qw(dirname);
use Time::HiRes qw(time usleep);

my $fixtures = Cwd::abs_path(dirname(__FILE__) . '/../fixtures/audio');

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ser');
my $have_amcheck = $node->safe_psql('postgres',
	"SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'") eq '1';
$node->safe_psql('postgres', 'CREATE EXTENSION amcheck') if $have_amcheck;


# 500 copies of speech in four forms (only speech gets an emotion);
# classifying them all takes a few seconds, so the UPDATE is well under way
# when its backend dies.
my $rows = 500;
my @names = qw(../ravdess/03-01-05-02-01-01-01.wav ../librosa/03-01-01-01-01-01-01.flac
  ../librosa/03-01-04-02-02-02-02.flac ../librosa/03-01-02-01-01-02-01.flac);
my $values = join(",\n", map { "($_, '\\x" . slurp_hex("$fixtures/$names[$_]") . "'::bytea)" } 0 .. $#names);
$node->safe_psql('postgres', qq{
CREATE TABLE clips (id int PRIMARY KEY, audio bytea NOT NULL, emotion text, confidence real, batch int NOT NULL DEFAULT 0);
CREATE INDEX clips_emotion ON clips (emotion);
WITH f(k, audio) AS (VALUES $values)
INSERT INTO clips (id, audio) SELECT g, f.audio FROM generate_series(1, $rows) g JOIN f ON f.k = g % 4;
CHECKPOINT;
});

my $batch = q{UPDATE clips SET emotion = ser_predict(audio),
  confidence = (SELECT max(p) FROM unnest(ser_predict_proba(audio)) p), batch = batch + 1;};

my $session = $node->background_psql('postgres');
my $pid = $session->query_safe('SELECT pg_backend_pid()');
chomp $pid;
$session->query_until(qr/started/, "\\echo started\n$batch\n");

# Wait until the UPDATE has been running for half a second, then kill it.
my $running = $node->poll_query_until('postgres',
	"SELECT now() - query_start > interval '0.5 s' FROM pg_stat_activity WHERE pid = $pid AND state = 'active' AND query LIKE 'UPDATE clips%'");
ok($running, 'the batch UPDATE is running');
my $partial = $node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid AND state = 'active'");
is($partial, '1', 'and has not finished when its backend is killed');
kill 'KILL', $pid;
my $t0 = time();
eval { $session->quit; };

# The postmaster notices, resets shared memory, replays WAL and reopens.
my $up = 0;
for (1 .. 600)
{
	my ($ret, $out) = $node->psql('postgres', 'SELECT 1');
	if ($ret == 0 && $out eq '1') { $up = 1; last; }
	usleep(100_000);
}
my $recovery = time() - $t0;
ok($up, sprintf('the server accepts connections again %.1f s after the kill', $recovery));
like(slurp_file($node->logfile), qr/terminated by signal 9/, 'the log shows the killed backend');
like(slurp_file($node->logfile), qr/all server processes terminated; reinitializing/, 'and the restart of the server processes');

is($node->safe_psql('postgres',
	"SELECT count(*) FILTER (WHERE batch = 0 AND emotion IS NULL AND confidence IS NULL) || '/' || count(*) FROM clips"),
	"$rows/$rows", 'no row was changed by the killed UPDATE: none half-written');

SKIP:
{
	skip 'amcheck is not available', 2 unless $have_amcheck;
	is($node->safe_psql('postgres', "SELECT count(*) FROM verify_heapam('clips')"), '0', 'heap check clean');
	is($node->safe_psql('postgres',
		"SELECT count(*) FROM (SELECT bt_index_check(i, true) FROM unnest(ARRAY['clips_pkey', 'clips_emotion']::regclass[]) i) s"),
		'2', 'index checks clean (primary key and emotion index, heapallindexed)');
}

# The same UPDATE run to the end changes every row once.
$node->safe_psql('postgres', $batch);
is($node->safe_psql('postgres',
	"SELECT count(*) FILTER (WHERE batch = 1 AND emotion = ANY (ser_emotions()) AND confidence > 0) || '/' || count(*) FROM clips"),
	"$rows/$rows", 'rerun to completion, the UPDATE changes all rows');
note(sprintf('recovery after SIGKILL: %.1f s', $recovery));

$node->stop;
done_testing();
