# ser on a Citus cluster: a coordinator and two workers on local ports,
# CREATE EXTENSION ser on the coordinator only, ser_citus_prepare(), and a
# table of recordings distributed by speaker.  SELECT, the batch UPDATE,
# speaker profiles grouped by speaker and by another column, prediction with
# profiles joined back and a named model trained on the coordinator all run
# on the workers (asserted from EXPLAIN VERBOSE) and give the results of the
# same rows on one node (the coordinator's local table).  Skips when Citus is
# not installed in this PostgreSQL tree (src/tools/build_citus.sh builds it
# from ../shared/citus).  Recordings: actors 01..SER_SCALE_ACTORS (default 4)
# of ../shared/data/ravdess16k when present, else the fixture tree's few.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Time::HiRes qw(time);

my $pkglibdir = `pg_config --pkglibdir`;
chomp $pkglibdir;
plan skip_all => "Citus is not installed in $pkglibdir (src/tools/build_citus.sh builds it when ../shared/citus is present)"
  unless -f "$pkglibdir/citus.so";

my $shared = $ENV{SER_SHARED_DIR} || abs_path(dirname(__FILE__) . '/../../../shared');
my $corpus = defined $shared ? "$shared/data/ravdess16k" : undef;
my $actors = $ENV{SER_SCALE_ACTORS} || 4;
my @dirs;
if (defined $corpus && -d $corpus)
{
	@dirs = map { sprintf('%s/Actor_%02d', $corpus, $_) } 1 .. $actors;
}
else
{
	note('../shared/data/ravdess16k is not present: using the fixture tree\'s recordings');
	@dirs = (abs_path(dirname(__FILE__) . '/../fixtures/ravdess_tree'));
}

my $coord = PostgreSQL::Test::Cluster->new('citus_coordinator');
my @workers = map { PostgreSQL::Test::Cluster->new("citus_worker$_") } 1 .. 2;
for my $node ($coord, @workers)
{
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'citus'
citus.local_hostname = '127.0.0.1'
listen_addresses = '127.0.0.1'
max_worker_processes = 16
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
}
$coord->safe_psql('postgres', sprintf("SELECT citus_set_coordinator_host('127.0.0.1', %d)", $coord->port));
$coord->safe_psql('postgres', sprintf("SELECT citus_add_node('127.0.0.1', %d)", $_->port)) for @workers;

# ---- ser on the coordinator only; Citus propagates it ----
$coord->safe_psql('postgres', 'CREATE EXTENSION ser');
my $version = $coord->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'ser'");
is($_->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'ser'"), $version,
	'CREATE EXTENSION ser on the coordinator installs it on worker ' . $_->name) for @workers;

my ($out, $err);
$workers[0]->psql('postgres', 'SELECT ser_citus_prepare()', stdout => \$out, stderr => \$err);
like($err, qr/ser_citus_prepare\(\) must run on the coordinator/, 'ser_citus_prepare refuses to run on a worker');
my $prepared = $coord->safe_psql('postgres', 'SELECT node, action FROM ser_citus_prepare() ORDER BY 1, 2');
like($prepared, qr/^coordinator\|ser_models is a reference table$/m, 'ser_citus_prepare makes ser_models a reference table');
my @allowed = $prepared =~ /named-model prediction allowed inside shard queries/g;
is(scalar @allowed, 3, 'ser_citus_prepare prepares the coordinator and both workers') or diag($prepared);
unlike($coord->safe_psql('postgres', 'SELECT action FROM ser_citus_prepare()'), qr/reference table/,
	'ser_citus_prepare can run again (after adding a node)');
for my $w (@workers)
{
	like($w->safe_psql('postgres', q{SELECT array_to_string(proconfig, ',') FROM pg_proc
WHERE oid = 'ser_predict(bytea, text, real[])'::regprocedure}),
		qr/citus\.allow_nested_distributed_execution=on/, 'named-model functions prepared on worker ' . $w->name);
}

# ---- The rows: one node (the coordinator's local table), then distributed by speaker ----
$coord->safe_psql('postgres', "SET client_min_messages = error;\n"
	  . join('', map { "SELECT ser_load_ravdess('$_');\n" } @dirs));
$coord->safe_psql('postgres', q{
CREATE TABLE one_node AS
  SELECT row_number() OVER (ORDER BY file_name)::bigint AS id, actor::int AS speaker,
         statement::int AS statement, emotion_name AS truth, audio
  FROM ravdess_metadata WHERE audio IS NOT NULL;
CREATE TABLE recordings (id bigint NOT NULL, speaker int NOT NULL, statement int, truth text,
                         audio bytea, emotion text, PRIMARY KEY (speaker, id));
INSERT INTO recordings (id, speaker, statement, truth, audio) SELECT * FROM one_node;
SELECT create_distributed_table('recordings', 'speaker', shard_count => 4);
});
my $rows = $coord->safe_psql('postgres', 'SELECT count(*) FROM one_node');
my $speakers = $coord->safe_psql('postgres', 'SELECT count(DISTINCT speaker) FROM one_node');
note("$rows recordings of $speakers speakers");
for my $w (@workers)
{
	cmp_ok($coord->safe_psql('postgres', sprintf(q{SELECT count(*) FROM citus_shards
WHERE table_name = 'recordings'::regclass AND nodeport = %d}, $w->port)),
		'>', 0, 'worker ' . $w->name . ' holds shards of recordings');
}

sub plan_of
{
	return $coord->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $_[0]");
}

sub timed
{
	my ($sql) = @_;
	my $t0 = time();
	my $out = $coord->safe_psql('postgres', $sql);
	return ($out, time() - $t0);
}

# Labels of a query as one string, ordered by id.
sub labels
{
	my ($from, $expr) = @_;
	return timed("SELECT string_agg(id || ':' || coalesce($expr, '-'), ',' ORDER BY id) FROM $from");
}

# Profiles of two tables equal up to the last bits (sums in another order).
sub profiles_equal
{
	my ($a, $b, $key) = @_;
	return $coord->safe_psql('postgres', qq{
SELECT count(*) FILTER (WHERE cardinality(a.profile) = cardinality(b.profile)
                          AND (SELECT max(abs(x - y) / greatest(abs(y), 1e-3))
                               FROM unnest(a.profile, b.profile) AS u(x, y)) < 1e-5)
       || '/' || count(*)
FROM $a a FULL JOIN $b b USING ($key)});
}

# ---- SELECT: prediction on the workers ----
my $plan = plan_of('SELECT id, ser_predict(audio) FROM recordings');
like($plan, qr/Task Count: 4/, 'SELECT runs as one task per shard');
like($plan, qr/Query: SELECT id, public\.ser_predict\(audio/, 'the workers compute ser_predict') or diag($plan);
my ($dist, $t_dist) = labels('recordings', 'ser_predict(audio)');
my ($one, $t_one) = labels('one_node', 'ser_predict(audio)');
is($dist, $one, 'SELECT ser_predict on the workers equals one node');
note(sprintf('SELECT ser_predict: %.2f s on the cluster, %.2f s on one node', $t_dist, $t_one));

# ---- Batch UPDATE: the IMMUTABLE form runs on every shard at once ----
$coord->psql('postgres', 'UPDATE recordings SET emotion = ser_predict(audio)', stdout => \$out, stderr => \$err);
like($err, qr/STABLE functions used in UPDATE queries cannot be called with column references/,
	'Citus refuses the STABLE ser_predict in an UPDATE');
$plan = plan_of('UPDATE recordings SET emotion = ser_predict_shipped(audio)');
like($plan, qr/Query: UPDATE public\.recordings_\d+ recordings SET emotion = public\.ser_predict_shipped\(audio\)/,
	'the UPDATE with ser_predict_shipped runs on the shards') or diag($plan);
my (undef, $t_update) = timed('UPDATE recordings SET emotion = ser_predict_shipped(audio)');
($dist) = labels('recordings', 'emotion');
is($dist, $one, 'labels set on the workers equal one node');
note(sprintf('UPDATE ... SET emotion = ser_predict_shipped(audio): %.2f s', $t_update));

# ---- Profiles grouped by speaker (on the workers) and by statement (partial aggregates) ----
$plan = plan_of('SELECT speaker, ser_speaker_profile(audio) FROM recordings GROUP BY speaker');
like($plan, qr/\ACustom Scan \(Citus Adaptive\)/, 'profiles by speaker: nothing left to aggregate on the coordinator');
like($plan, qr/Query: SELECT speaker, public\.ser_speaker_profile\(audio\)[^\n]*GROUP BY speaker/,
	'profiles by speaker aggregate on the workers') or diag($plan);
$plan = plan_of('SELECT statement, ser_speaker_profile(audio) FROM recordings GROUP BY statement');
like($plan, qr/worker_partial_agg\('public\.ser_speaker_profile\(bytea\)'::regprocedure, audio\)/,
	'profiles by statement: partial aggregates on the workers') or diag($plan);
like($plan, qr/coord_combine_agg/, 'profiles by statement: combined on the coordinator');
my (undef, $t_prof) = timed(q{
CREATE TABLE dist_speaker AS SELECT speaker, ser_speaker_profile(audio) AS profile FROM recordings GROUP BY speaker;
CREATE TABLE dist_statement AS SELECT statement, ser_speaker_profile(audio) AS profile FROM recordings GROUP BY statement;
CREATE TABLE one_speaker AS SELECT speaker, ser_speaker_profile(audio) AS profile FROM one_node GROUP BY speaker;
CREATE TABLE one_statement AS SELECT statement, ser_speaker_profile(audio) AS profile FROM one_node GROUP BY statement;});
is(profiles_equal('dist_speaker', 'one_speaker', 'speaker'), "$speakers/$speakers", 'profiles by speaker equal one node');
my $statements = $coord->safe_psql('postgres', 'SELECT count(DISTINCT statement) FROM one_node');
is(profiles_equal('dist_statement', 'one_statement', 'statement'), "$statements/$statements",
	'profiles by statement equal one node');

# ---- Prediction with the speakers' profiles joined back, in one pushed-down query ----
my $with_profiles = q{recordings r JOIN (SELECT speaker, ser_speaker_profile(audio) AS profile
                                         FROM recordings GROUP BY speaker) p USING (speaker)};
$plan = plan_of("SELECT r.id, ser_predict_shipped(r.audio, p.profile) FROM $with_profiles");
like($plan, qr/\ACustom Scan \(Citus Adaptive\)/, 'prediction with profiles: no join on the coordinator');
like($plan, qr/Query: SELECT [^\n]*public\.ser_predict_shipped\([^\n]*public\.ser_speaker_profile\(/,
	'prediction with profiles: profiles and labels computed on the workers') or diag($plan);
my $one_with = q{(SELECT o.id, o.audio, p.profile FROM one_node o JOIN one_speaker p USING (speaker)) o};
($one) = labels($one_with, 'ser_predict(audio, speaker_profile => profile)');
($dist) = labels("(SELECT r.id, ser_predict_shipped(r.audio, p.profile) AS label FROM $with_profiles) d", 'label');
is($dist, $one, 'prediction with profiles on the workers equals one node');
$plan = plan_of(q{UPDATE recordings r SET emotion = ser_predict_shipped(r.audio, p.profile)
FROM (SELECT speaker, ser_speaker_profile(audio) AS profile FROM recordings GROUP BY speaker) p WHERE p.speaker = r.speaker});
like($plan, qr/Query: UPDATE public\.recordings_\d+ r SET emotion = public\.ser_predict_shipped\(r\.audio, p\.profile\)/,
	'the UPDATE with profiles joined back runs on the shards') or diag($plan);
my (undef, $t_upd_prof) = timed(q{UPDATE recordings r SET emotion = ser_predict_shipped(r.audio, p.profile)
FROM (SELECT speaker, ser_speaker_profile(audio) AS profile FROM recordings GROUP BY speaker) p WHERE p.speaker = r.speaker});
($dist) = labels('recordings', 'emotion');
is($dist, $one, 'labels with profiles set on the workers equal one node');
note(sprintf('profiles (speaker and statement, cluster and one node): %.2f s; UPDATE with profiles: %.2f s', $t_prof, $t_upd_prof));

# ---- A named model trained on the coordinator, used on the workers ----
my (undef, $t_train) = timed(q{SET client_min_messages = warning;
SELECT ser_train('cluster_model', 'SELECT audio, truth, speaker::text FROM recordings',
                 epochs => 2, batch_size => 16, ensemble => 1, alone_ensemble => 0, calibrate => false)});
note(sprintf('ser_train on the coordinator over the distributed table: %.2f s', $t_train));
for my $w (@workers)
{
	is($w->safe_psql('postgres', "SELECT count(*) FROM ser_models WHERE name = 'cluster_model'"), '1',
		'the model is on worker ' . $w->name);
}
$plan = plan_of(q{SELECT id, ser_predict(audio, 'cluster_model') FROM recordings});
like($plan, qr/Query: SELECT id, public\.ser_predict\(audio, 'cluster_model'::text/,
	'the named model predicts on the workers') or diag($plan);
($dist) = labels('recordings', q{ser_predict(audio, 'cluster_model')});
($one) = labels('one_node', q{ser_predict(audio, 'cluster_model')});
is($dist, $one, 'the named model on the workers equals one node');
# Batch labelling with a named (STABLE) model: into a co-located table, then a join back.
$coord->safe_psql('postgres', q{
CREATE TABLE labels (speaker int NOT NULL, id bigint NOT NULL, label text);
SELECT create_distributed_table('labels', 'speaker', colocate_with => 'recordings');});
$plan = plan_of(q{INSERT INTO labels SELECT speaker, id, ser_predict(audio, 'cluster_model') FROM recordings});
like($plan, qr/Insert on public\.labels_\d+/, 'INSERT ... SELECT with the named model runs on the shards') or diag($plan);
$coord->safe_psql('postgres', q{INSERT INTO labels SELECT speaker, id, ser_predict(audio, 'cluster_model') FROM recordings});
$plan = plan_of('UPDATE recordings r SET emotion = l.label FROM labels l WHERE l.speaker = r.speaker AND l.id = r.id');
like($plan, qr/Query: UPDATE public\.recordings_\d+ r SET emotion = l\.label FROM public\.labels_\d+ l/,
	'the join back runs on the shards') or diag($plan);
$coord->safe_psql('postgres', 'UPDATE recordings r SET emotion = l.label FROM labels l WHERE l.speaker = r.speaker AND l.id = r.id');
($dist) = labels('recordings', 'emotion');
is($dist, $one, 'labels of the named model set on the workers equal one node');

done_testing();
