# Cluster-level behaviour of the model functions: parallel workers give the
# leader's answers bit for bit, one model load serves a whole statement,
# training honours statement_timeout and cancel, concurrent sessions
# predict while another replaces the model.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use Time::HiRes qw(time);

my $fixtures = Cwd::abs_path(dirname(__FILE__) . '/../fixtures/audio');

my $node = PostgreSQL::Test::Cluster->new('model');
$node->init;
$node->append_conf('postgresql.conf', "max_worker_processes = 8\nmax_parallel_workers = 4\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ser');

sub slurp_hex
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "cannot read $path: $!";
	local $/;
	my $bytes = <$fh>;
	close $fh;
	return unpack('H*', $bytes);
}

opendir(my $dh, $fixtures) or die "no fixtures: $!";
my @files = sort grep { /\.(wav|flac|ogg|opus|mp3|aiff|au)$/ && !/^empty/ } readdir($dh);
closedir $dh;
my $values = join(",\n",
	map { "('$_', '\\x" . slurp_hex("$fixtures/$_") . "'::bytea)" } @files);
$node->safe_psql('postgres', "CREATE TABLE rec(name text, audio bytea); INSERT INTO rec VALUES $values");
# Enough rows for a parallel scan to be worth it: each recording 8 times.
$node->safe_psql('postgres', 'INSERT INTO rec SELECT name || g, audio FROM rec, generate_series(1, 7) g; ANALYZE rec');

$node->safe_psql('postgres', q{
SET client_min_messages = warning;
SELECT ser_train('tiny', $$SELECT audio, CASE WHEN name LIKE 'tone%' THEN 'tone' ELSE 'other' END,
                              (length(name) % 3)::text FROM rec$$,
                 epochs => 2, batch_size => 8, validation_fraction => 0);
});

# Parallel workers: the plan has a Gather and the answers equal the leader's.
my $parallel = q{SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET parallel_leader_participation = off;};
my $plan = $node->safe_psql('postgres', "$parallel EXPLAIN (COSTS OFF) SELECT ser_predict_proba(audio, 'tiny') FROM rec");
like($plan, qr/Gather/, 'ser_predict_proba runs in parallel workers');
my $in_workers = $node->safe_psql('postgres',
	"$parallel SELECT string_agg(name || ':' || ser_predict_proba(audio, 'tiny')::text, ',' ORDER BY name) FROM rec");
my $in_leader = $node->safe_psql('postgres',
	"SET max_parallel_workers_per_gather = 0; SELECT string_agg(name || ':' || ser_predict_proba(audio, 'tiny')::text, ',' ORDER BY name) FROM rec");
is($in_workers, $in_leader, 'parallel workers give bit-identical probabilities');
my $features_workers = $node->safe_psql('postgres',
	"$parallel SELECT md5(string_agg(ser_features(audio)::text, ',' ORDER BY name)) FROM rec");
my $features_leader = $node->safe_psql('postgres',
	"SET max_parallel_workers_per_gather = 0; SELECT md5(string_agg(ser_features(audio)::text, ',' ORDER BY name)) FROM rec");
is($features_workers, $features_leader, 'parallel workers give bit-identical features');

# Training honours statement_timeout: many epochs, stopped after 0.5 s.
my ($stdout, $stderr);
my $t0 = time();
$node->psql('postgres', q{SET statement_timeout = '500ms'; SET client_min_messages = warning;
SELECT ser_train('slow', 'SELECT audio, CASE WHEN name LIKE ''tone%'' THEN ''tone'' ELSE ''other'' END, (length(name) % 3)::text FROM rec',
                 epochs => 10000, batch_size => 4, validation_fraction => 0)},
	stdout => \$stdout, stderr => \$stderr);
my $took = time() - $t0;
like($stderr, qr/canceling statement due to statement timeout/, 'ser_train is stopped by statement_timeout');
cmp_ok($took, '<', 3, sprintf('promptly (%.2f s for a 0.5 s timeout)', $took));
is($node->safe_psql('postgres', "SELECT count(*) FROM ser_models WHERE name = 'slow'"), '0', 'a canceled training stores nothing');

# pg_cancel_backend on a running ser_evaluate.
my $session = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $session->query_safe('SELECT pg_backend_pid()');
chomp $pid;
$session->query_until(qr/start/, q{\echo start
SELECT count(*) FROM ser_evaluate('SELECT audio, CASE WHEN name LIKE ''tone%'' THEN ''tone'' ELSE ''other'' END, (length(name) % 3)::text FROM rec', folds => 3, epochs => 10000, batch_size => 4, validation_fraction => 0);
});
sleep(1);
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
my $result = $session->query('SELECT 1');
like($session->{stderr}, qr/canceling statement due to user request/, 'ser_evaluate is stopped by pg_cancel_backend');
$session->quit;

# Sessions keep predicting while another replaces the model they use.
my @readers = map { $node->background_psql('postgres', on_error_stop => 0) } (1 .. 2);
for my $round (1 .. 3)
{
	$node->safe_psql('postgres', qq{SET client_min_messages = warning;
SELECT ser_train('tiny', 'SELECT audio, CASE WHEN name LIKE ''tone%'' THEN ''tone'' ELSE ''other'' END, (length(name) % 3)::text FROM rec',
                 epochs => 1, batch_size => 8, validation_fraction => 0, seed => $round, replace => true)});
	for my $r (@readers)
	{
		my $n = $r->query("SELECT count(ser_predict(audio, 'tiny')) FROM rec");
		is($n, scalar(@files) * 8, "round $round: a concurrent session predicts every row");
	}
}
$_->quit for @readers;

# No per-call growth: one backend runs features and predictions on every
# row many times; its resident memory after a warm-up stays flat.
my $worker = $node->background_psql('postgres');
my $wpid = $worker->query_safe('SELECT pg_backend_pid()');
chomp $wpid;
sub backend_rss
{
	open(my $fh, '<', "/proc/$wpid/status") or return -1;
	while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/; }
	return -1;
}
my $loop = q{SELECT count(ser_features(audio)) + count(ser_predict(audio, 'tiny')) + count(ser_pitch(audio)) FROM rec, generate_series(1, 3)};
$worker->query_safe($loop);
my $rss_before = backend_rss();
$worker->query_safe($loop) for (1 .. 3);
my $rss_after = backend_rss();
cmp_ok($rss_after - $rss_before, '<', 2048,
	sprintf('backend memory flat over %d feature, pitch and prediction calls: %d kB -> %d kB',
		3 * 3 * 3 * scalar(@files) * 8, $rss_before, $rss_after));
$worker->quit;

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still up');
ok(slurp_file($node->logfile) !~ /terminated by signal/, 'no backend crashed');
$node->stop;
done_testing();
