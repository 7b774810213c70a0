# ALTER EXTENSION ser UPDATE from 0.1.0: a model trained under 0.1.0
# predicts identically afterwards, is attributed to the extension's owner
# and to version 0.1.0, new models record the new version, and the
# upgraded objects (functions, columns, defaults, comments, privileges,
# trigger) are those of a fresh install.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use IPC::Run;

use SerTest;
# Every fixture recording but the empty one (every audio function refuses it).
my $fixtures = fixture_copy_without('audio', 'empty_16k.wav');
my $speech = abs_path(dirname(__FILE__) . '/../fixtures/ravdess');

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE old');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');

my ($out, $err);
for my $db ('old', 'fresh')
{
	IPC::Run::run([ 'ser-import', '-q', '-d', $node->connstr($db), '--table', 'rec', $fixtures, $speech ], '>', \$out, '2>', \$err);
	is($? >> 8, 0, "recordings imported into $db") or diag($err);
}

$node->safe_psql('old', q{CREATE EXTENSION ser VERSION '0.1.0'});
is($node->safe_psql('old', q{SELECT extversion FROM pg_extension WHERE extname = 'ser'}), '0.1.0', '0.1.0 installed');
my $train = q{SET client_min_messages = warning;
SELECT model FROM ser_train('%s', $$SELECT audio, CASE WHEN path LIKE 'tone%%' THEN 'tone' ELSE 'other' END, (id %% 3)::text FROM rec$$,
                            epochs => 2, batch_size => 4, ensemble => 2, seed => 3)};
# A model as 0.1.0 stored it: a blob written by the 0.1.0 code, the shipped
# model's (the library of this build cannot train under 0.1.0's SQL
# objects: ser_train needs ser_models_store, which the update adds), in a
# row of 0.1.0's table.
# The blob is 0.1.0's shipped model (test/fixtures/models): version-1
# feature parameters, speaker-normalised, as a model trained under 0.1.0.
my $blob = slurp_hex(fixture_path('models/shipped_v0.1.0.sermodel'));
$node->safe_psql('old', qq{INSERT INTO ser_models (name, format_version, classes, feature_params, architecture, training, size_bytes, weights)
VALUES ('before', 1, '{}', '', '', '{}', length('\\x$blob'::bytea), '\\x$blob'::bytea)});
# its descriptive columns as 0.1.0's ser_train wrote them: what the blob says
$node->safe_psql('old', q{UPDATE ser_models m SET classes = i.classes, feature_params = i.feature_params, architecture = i.architecture
FROM ser_model_info('before') i WHERE m.name = 'before'});
# 0.2.0 gives no emotion to what is not speech (the speech gate): the
# recordings it judges speech must predict exactly as under 0.1.0, the
# others must get NULL.
$node->safe_psql('old', q{CREATE TABLE predicted_before AS
SELECT path, ser_predict(audio, 'before') AS label, ser_predict_proba(audio, 'before') AS probabilities FROM rec});
my $info = q{SELECT row(i.*)::text FROM ser_model_info('before') i};
my $info_before = $node->safe_psql('old', $info);
my $weights_before = $node->safe_psql('old', q{SELECT md5(weights) FROM ser_models});

$node->safe_psql('old', 'ALTER EXTENSION ser UPDATE');
is($node->safe_psql('old', q{SELECT extversion FROM pg_extension WHERE extname = 'ser'}), '0.2.0', 'updated to 0.2.0');
is($node->safe_psql('old', q{SELECT count(*) FILTER (WHERE (ser_speech(r.audio)).speech) || ' ' ||
  count(*) FILTER (WHERE (ser_speech(r.audio)).speech AND (ser_predict(r.audio, 'before') IS DISTINCT FROM b.label
                          OR ser_predict_proba(r.audio, 'before') IS DISTINCT FROM b.probabilities)) || ' ' ||
  count(*) FILTER (WHERE NOT (ser_speech(r.audio)).speech AND ser_predict(r.audio, 'before') IS NOT NULL)
FROM rec r JOIN predicted_before b USING (path)}), '1 0 0',
	'the 0.1.0 model predicts identically after the update on speech, and gives no emotion to the rest');
is($node->safe_psql('old', $info), $info_before, 'and describes itself identically');
# The defaults changed in 0.2.0 (version-2 features): a model of 0.1.0
# takes a profile made with its own parameters, and classifies with it.
is($node->safe_psql('old', q{SELECT cardinality(ser_speaker_profile(audio, 'before')) || ' ' || cardinality(ser_speaker_profile(audio)) FROM rec}),
	'1049 1133', "ser_speaker_profile(audio, model) has the 0.1.0 model's length; the one-argument form the new defaults'");
is($node->safe_psql('old', q{SELECT count(*) FROM rec r WHERE (ser_speech(r.audio)).speech
  AND ser_predict(r.audio, 'before', (SELECT ser_speaker_profile(audio, 'before') FROM rec)) IS NULL}), '0',
	'and the 0.1.0 model classifies speech with it');
is($node->safe_psql('old', q{SELECT md5(weights) FROM ser_models}), $weights_before, 'its weights are untouched');
is($node->safe_psql('old', q{SELECT owner || ' ' || ser_version FROM ser_models}), 'postgres 0.1.0',
	'it belongs to the extension owner and records version 0.1.0');
is($node->safe_psql('old', 'SELECT ser_version()'), '0.2.0', 'ser_version()');
$node->safe_psql('old', sprintf($train, 'after'));
is($node->safe_psql('old', q{SELECT ser_version FROM ser_models WHERE name = 'after'}), '0.2.0', 'a new model records 0.2.0');

# The upgraded extension is the fresh one: members, comments, columns, defaults, privileges, triggers.
$node->safe_psql('fresh', 'CREATE EXTENSION ser');
my $shape = q{
SELECT string_agg(d, E'\n' ORDER BY d) FROM (
  SELECT pg_describe_object(classid, objid, 0) || ' comment ' ||
         coalesce(md5(obj_description(objid, (SELECT relname FROM pg_class WHERE oid = classid))), '-') AS d
  FROM pg_depend
  WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ser')
  UNION ALL
  SELECT format('%s.%s %s notnull=%s default=%s comment=%s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid), coalesce(md5(col_description(c.oid, a.attnum)), '-'))
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
  WHERE c.relname IN ('ser_models', 'ravdess_metadata')
  UNION ALL
  SELECT format('%s acl %s', relname, relacl) FROM pg_class WHERE relname LIKE 'ser\_%' OR relname LIKE 'ravdess\_%'
  UNION ALL
  SELECT format('%s acl %s', oid::regprocedure, proacl) FROM pg_proc WHERE proname LIKE 'ser\_%'
  UNION ALL
  SELECT format('trigger %s on %s: %s', tgname, tgrelid::regclass, pg_get_triggerdef(oid)) FROM pg_trigger WHERE NOT tgisinternal
) s};
is($node->safe_psql('old', $shape), $node->safe_psql('fresh', $shape), 'the updated objects equal a fresh install of 0.2.0');

done_testing();
