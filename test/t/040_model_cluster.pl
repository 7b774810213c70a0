# Cluster-level behaviour of the model functions: parallel workers give the
# leader's answers bit for bit, one model load serves a whole statement,
# training honours statement_timeout and cancel, concurrent sessions
# predict while another replaces the model.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use SerTest;

my $node = PostgreSQL::Test::Cluster->new('model');
$node->init;
$node->append_conf('postgresql.conf', "max_worker_processes = 8\nmax_parallel_workers = 4\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ser');

my $fixtures = fixture_path('audio');
opendir(my $dh, $fixtures) or die "no fixtures: $!";
my @files = sort grep { /\.(wav|flac|ogg|opus|mp3|aiff|au)$/ && !/^empty/ } readdir($dh);
closedir $dh;
load_fixtures($node, 'postgres', 'rec', $fixtures, @files);
# And speech (the RAVDESS fixtures): what is not speech gets no emotion.
load_fixtures($node, 'postgres', 'speech_rec', fixture_path('ravdess'), '03-01-05-02-01-01-01.wav');
$node->safe_psql('postgres', 'INSERT INTO rec SELECT * FROM speech_rec; DROP TABLE speech_rec');
push @files, '03-01-05-02-01-01-01.wav';
# Enough rows for a parallel scan to be worth it: each recording 8 times.
$node->safe_psql('postgres', 'INSERT INTO rec SELECT name || g, audio FROM rec, generate_series(1, 7) g; ANALYZE rec');

$node->safe_psql('postgres', q{
SET client_min_messages = warning;
SELECT ser_train('tiny', $$SELECT audio, CASE WHEN name LIKE 'tone%' THEN 'tone' ELSE 'other' END,
                              (length(name) % 3)::text FROM rec$$,
                 epochs => 2, batch_size => 8, validation_fraction => 0);
});

# Parallel workers: the rows come from workers (EXPLAIN ANALYZE shows them
# launched, the leader taking no part) and equal the leader's bit for bit
# (array_send: the float4 bits, where = would take -0 for 0).
for my $case (['ser_predict_proba', "ser_predict_proba(audio, 'tiny')", 'probabilities'],
	['ser_features', 'ser_features(audio)', 'features'])
{
	my ($function, $call, $what) = @$case;
	my $launched = workers_launched($node, 'postgres',
		"CREATE TABLE from_workers AS SELECT name, array_send($call) AS bits FROM rec");
	cmp_ok($launched, '>', 0, "$function runs in parallel workers ($launched launched)");
	is($node->safe_psql('postgres', qq{SET max_parallel_workers_per_gather = 0;
SELECT count(*), count(*) FILTER (WHERE w.bits IS NOT DISTINCT FROM array_send($call)) FROM from_workers w JOIN rec USING (name);
DROP TABLE from_workers}),
		scalar(@files) * 8 . '|' . scalar(@files) * 8, "parallel workers give the leader's $what bit for bit");
}

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

# Sessions keep predicting while another replaces the model they use (an
# emotion for every recording that is speech, the 8 copies of the RAVDESS one).
my $speech_rows = $node->safe_psql('postgres', 'SELECT count(*) FROM rec WHERE (ser_speech(audio)).speech');
is($speech_rows, 8, 'the speech recordings are the RAVDESS copies');
my @readers = map { $node->background_psql('postgres', on_error_stop => 0) } (1 .. 2);
for my $round (1 .. 3)
{
	$node->safe_psql('postgres', qq{SET client_min_messages = warning;
SELECT ser_train('tiny', 'SELECT audio, CASE WHEN name LIKE ''tone%'' THEN ''tone'' ELSE ''other'' END, (length(name) % 3)::text FROM rec',
                 epochs => 1, batch_size => 8, validation_fraction => 0, seed => $round, replace => true)});
	# What a fresh backend gets from the new model, for one recording; the
	# readers have the previous one loaded and must not keep using it.
	my $probe = q{SELECT ser_predict_proba(audio, 'tiny') FROM rec WHERE (ser_speech(audio)).speech ORDER BY name LIMIT 1};
	my $fresh = $node->safe_psql('postgres', $probe);
	for my $r (@readers)
	{
		my $n = $r->query("SELECT count(ser_predict(audio, 'tiny')) FROM rec");
		is($n, $speech_rows, "round $round: a concurrent session predicts every row that is speech");
		is($r->query($probe), $fresh, "round $round: with the replaced model, not the one it had loaded");
	}
}
$_->quit for @readers;

# No per-call growth: one backend runs features and predictions on every
# row many times; its resident memory after a warm-up stays flat.
my $worker = $node->background_psql('postgres');
my $wpid = $worker->query_safe('SELECT pg_backend_pid()');
chomp $wpid;
my $loop = q{SELECT count(ser_features(audio)) + count(ser_predict(audio, 'tiny')) + count(ser_pitch(audio)) FROM rec, generate_series(1, 3)};
$worker->query_safe($loop);
my $rss_before = backend_rss_kb($wpid);
$worker->query_safe($loop) for (1 .. 3);
my $rss_after = backend_rss_kb($wpid);
rss_flat_ok($rss_before, $rss_after, 2048,
	sprintf('backend memory flat over %d feature, pitch and prediction calls', 3 * 3 * 3 * scalar(@files) * 8));
$worker->quit;

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still up');
ok(slurp_file($node->logfile) !~ /terminated by signal/, 'no backend crashed');
$node->stop;
done_testing();
