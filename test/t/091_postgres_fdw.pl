# ser on shards through postgres_fdw: a coordinator whose table of recordings
# is partitioned by speaker into foreign partitions on two shard clusters
# (local sockets).  The batch UPDATE with the IMMUTABLE ser_predict_shipped
# runs on the shards as one remote UPDATE each (only the command travels),
# the STABLE ser_predict does not (the audio would travel), speaker profiles
# aggregate on the shards, labels are read through views on the shards, both
# at once, and labels and profiles equal those of the same rows on one node.
# Recordings: actors 01..SER_SCALE_ACTORS (default 4) of
# ../shared/data/ravdess16k when present, else the fixture tree's few.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Time::HiRes qw(time);

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

my $coord = PostgreSQL::Test::Cluster->new('fdw_coordinator');
my @shards = map { PostgreSQL::Test::Cluster->new("fdw_shard$_") } 1 .. 2;
for my $node ($coord, @shards)
{
	$node->init;
	$node->append_conf('postgresql.conf', "max_worker_processes = 8\n");
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION ser');
}

# The rows, loaded once on the coordinator: the one-node reference.
$coord->safe_psql('postgres', "SET client_min_messages = error;\n"
	  . join('', map { "SELECT ser_load_ravdess('$_');\n" } @dirs));
$coord->safe_psql('postgres', q{
CREATE TABLE one_node AS
  SELECT row_number() OVER (ORDER BY file_name)::bigint AS id, actor::int AS speaker,
         statement::int AS statement, emotion_name AS truth, audio
  FROM ravdess_metadata WHERE audio IS NOT NULL;
ANALYZE one_node;
});
my $rows = $coord->safe_psql('postgres', 'SELECT count(*) FROM one_node');
my $speakers = $coord->safe_psql('postgres', 'SELECT count(DISTINCT speaker) FROM one_node');
note("$rows recordings of $speakers speakers");

# fdw_tuple_cost: a row of audio is tens of kilobytes, not the default's
# few bytes; at 0.01 the planner sees no gain in aggregating profiles on the
# shards (their ser_speaker_profile costs the same there) and keeps the
# cheaper-to-start local aggregation over all the audio.
# Each shard holds a table of recordings; the coordinator partitions by
# speaker.
for my $shard (@shards)
{
	$shard->safe_psql('postgres', q{
CREATE TABLE recordings_part (id bigint PRIMARY KEY, speaker int NOT NULL, statement int,
                              truth text, audio bytea, emotion text);
});
}
$coord->safe_psql('postgres', 'CREATE EXTENSION postgres_fdw');
# Half the speakers on each shard (1-2 | 3-4 of actors 1-4; 1-10 | 11-20 of all).
my $split = $coord->safe_psql('postgres', 'SELECT (min(speaker) + max(speaker)) / 2 + 1 FROM one_node');
my @ranges = ("FROM (MINVALUE) TO ($split)", "FROM ($split) TO (MAXVALUE)");
$coord->safe_psql('postgres', q{
CREATE TABLE recordings (id bigint NOT NULL, speaker int NOT NULL, statement int,
                         truth text, audio bytea, emotion text) PARTITION BY RANGE (speaker);
});
for my $i (0, 1)
{
	my $shard = $shards[$i];
	my $n = $i + 1;
	$coord->safe_psql('postgres', sprintf(q{
CREATE SERVER shard%d FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '%s', port '%d', dbname 'postgres', extensions 'ser', async_capable 'true',
           fdw_tuple_cost '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard%d;
CREATE FOREIGN TABLE recordings_%d PARTITION OF recordings FOR VALUES %s
  SERVER shard%d OPTIONS (table_name 'recordings_part');
}, $n, $shard->host, $shard->port, $n, $n, $ranges[$i], $n));
}
$coord->safe_psql('postgres', 'INSERT INTO recordings (id, speaker, statement, truth, audio) SELECT * FROM one_node');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM recordings'), $rows, 'every recording is on a shard');
cmp_ok($shards[0]->safe_psql('postgres', 'SELECT count(*) FROM recordings_part'), '>', 0, 'shard 1 holds recordings');
cmp_ok($shards[1]->safe_psql('postgres', 'SELECT count(*) FROM recordings_part'), '>', 0, 'shard 2 holds recordings');

# ---- Batch labelling: one remote UPDATE per shard ----
my $plan = $coord->safe_psql('postgres',
	'EXPLAIN (VERBOSE, COSTS OFF) UPDATE recordings SET emotion = ser_predict_shipped(audio)');
my @remote = $plan =~ /Remote SQL: (UPDATE public\.recordings_part SET emotion = public\.ser_predict_shipped\(audio[,)])/g;
is(scalar @remote, 2, 'the UPDATE with ser_predict_shipped runs on both shards as remote UPDATEs')
  or diag($plan);
$plan = $coord->safe_psql('postgres',
	'EXPLAIN (VERBOSE, COSTS OFF) UPDATE recordings SET emotion = ser_predict(audio)');
unlike($plan, qr/Remote SQL: UPDATE [^\n]*ser_predict/,
	'the STABLE ser_predict is not shipped (the audio would travel to the coordinator)');

my $t0 = time();
$coord->safe_psql('postgres', 'UPDATE recordings SET emotion = ser_predict_shipped(audio)');
my $t_update = time() - $t0;
$t0 = time();
$coord->safe_psql('postgres', 'CREATE TABLE one_node_labels AS SELECT id, ser_predict(audio) AS emotion FROM one_node');
my $t_local = time() - $t0;
note(sprintf('%d recordings: UPDATE on the shards %.2f s; the same labels on one node %.2f s', $rows, $t_update, $t_local));
# NULL is the label of what is not speech (the fixture tree has such
# recordings): it must be NULL on both.
is($coord->safe_psql('postgres', q{
SELECT count(*) FROM recordings r JOIN one_node_labels l USING (id)
WHERE r.emotion IS NOT DISTINCT FROM l.emotion}), $rows,
	'labels set on the shards equal those of one node')
  or diag($coord->safe_psql('postgres', q{
SELECT r.id, r.speaker, r.emotion AS on_shards, l.emotion AS one_node
FROM recordings r JOIN one_node_labels l USING (id) ORDER BY id}));
cmp_ok($coord->safe_psql('postgres', 'SELECT count(emotion) FROM recordings'), '>', 0,
	'the shards labelled recordings');

# ---- Speaker profiles aggregate on the shards ----
my $profiles = 'SELECT speaker, ser_speaker_profile(audio) AS profile FROM recordings GROUP BY speaker';
$plan = $coord->safe_psql('postgres', "SET enable_partitionwise_aggregate = on; EXPLAIN (VERBOSE, COSTS OFF) $profiles");
my @aggregates = $plan =~ /(Relations: Aggregate on)/g;
is(scalar @aggregates, 2, 'profiles aggregate on both shards') or diag($plan);
like($plan, qr/Remote SQL: SELECT speaker, public\.ser_speaker_profile\(audio\)/, 'the shards compute ser_speaker_profile');
$t0 = time();
$coord->safe_psql('postgres', "SET enable_partitionwise_aggregate = on; CREATE TABLE shard_profiles AS $profiles");
my $t_profiles = time() - $t0;
$coord->safe_psql('postgres',
	'CREATE TABLE one_node_profiles AS SELECT speaker, ser_speaker_profile(audio) AS profile FROM one_node GROUP BY speaker');
note(sprintf('%d profiles on the shards: %.2f s', $speakers, $t_profiles));
# Sums over the same rows in another order may differ in the last bits.
is($coord->safe_psql('postgres', q{
SELECT count(*) FILTER (WHERE cardinality(s.profile) = cardinality(o.profile)
                          AND (SELECT max(abs(a - b) / greatest(abs(b), 1e-3))
                               FROM unnest(s.profile, o.profile) AS u(a, b)) < 1e-5)
FROM shard_profiles s JOIN one_node_profiles o USING (speaker)}), $speakers,
	'profiles aggregated on the shards equal those of one node');

# ---- Prediction with a speaker's profile: a remote UPDATE per speaker ----
# The profile is a value sent with the remote UPDATE: the audio stays on the shard.
my $speaker = $coord->safe_psql('postgres', 'SELECT min(speaker) FROM one_node');
$plan = $coord->safe_psql('postgres', qq{
PREPARE label_speaker(int, real[]) AS
  UPDATE recordings SET emotion = ser_predict_shipped(audio, \$2) WHERE speaker = \$1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE label_speaker($speaker, NULL)});
like($plan, qr/Remote SQL: UPDATE public\.recordings_part SET emotion = public\.ser_predict_shipped\(audio, \$\d+::real\[\]\) WHERE \(\(speaker = \$\d+::integer\)\)/,
	'an UPDATE with a profile parameter runs on the shard') or diag($plan);
$coord->safe_psql('postgres', q{
DO $$
DECLARE p record;
BEGIN
  FOR p IN SELECT speaker, profile FROM shard_profiles LOOP
    UPDATE recordings SET emotion = ser_predict_shipped(audio, p.profile) WHERE speaker = p.speaker;
  END LOOP;
END $$});
is($coord->safe_psql('postgres', q{
SELECT count(*) FROM recordings r JOIN one_node o USING (id) JOIN one_node_profiles p ON p.speaker = o.speaker
WHERE r.emotion IS NOT DISTINCT FROM ser_predict(o.audio, speaker_profile => p.profile)}), $rows,
	'labels with profiles set on the shards equal those of one node');

# ---- SELECT: a plain foreign scan never sends its target list, so ----
# ---- labels are read through a view on each shard ----
$plan = $coord->safe_psql('postgres', 'EXPLAIN (VERBOSE, COSTS OFF) SELECT id, ser_predict_shipped(audio) FROM recordings');
like($plan, qr/Remote SQL: SELECT id, audio FROM public\.recordings_part/,
	'a foreign scan fetches the audio, not the label') or diag($plan);
for my $shard (@shards)
{
	$shard->safe_psql('postgres', q{CREATE VIEW recording_labels AS
SELECT id, speaker, public.ser_predict_shipped(audio) AS label FROM public.recordings_part});
}
$coord->safe_psql('postgres', 'CREATE TABLE labels (id bigint, speaker int NOT NULL, label text) PARTITION BY RANGE (speaker)');
for my $i (0, 1)
{
	$coord->safe_psql('postgres', sprintf(q{CREATE FOREIGN TABLE labels_%d PARTITION OF labels FOR VALUES %s
  SERVER shard%d OPTIONS (table_name 'recording_labels')}, $i + 1, $ranges[$i], $i + 1));
}
$plan = $coord->safe_psql('postgres', 'EXPLAIN (VERBOSE, COSTS OFF) SELECT id, label FROM labels');
my @async = $plan =~ /(Async Foreign Scan)/g;
is(scalar @async, 2, 'labels are read from both shards concurrently') or diag($plan);
$t0 = time();
my $via_views = $coord->safe_psql('postgres', q{SELECT string_agg(id || ':' || label, ',' ORDER BY id) FROM labels});
note(sprintf('SELECT through the shards\' views: %.2f s', time() - $t0));
is($via_views, $coord->safe_psql('postgres', q{SELECT string_agg(id || ':' || emotion, ',' ORDER BY id) FROM one_node_labels}),
	'labels read through the views equal those of one node');

done_testing();
