# Roles and privileges as ordinary roles see them: a database owner
# installs ser (trusted), ser_user predicts and reads, ser_model_admin
# trains, replaces and drops any model, a role with table rights of its
# own manages only its own models, a role without rights gets errors that
# name what to grant (with the SQLSTATE), the server-file loader stays
# with pg_read_server_files, GUCs exist in a fresh session once the
# database preloads ser, and the owner dumps and restores the database.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use SerTest;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use IPC::Run;

my $fixtures = abs_path(dirname(__FILE__) . '/../fixtures');

my $node = PostgreSQL::Test::Cluster->new('privileges');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE carol LOGIN;
CREATE ROLE dave LOGIN;
CREATE ROLE erin LOGIN;
});
$node->safe_psql('postgres', 'CREATE DATABASE alicedb OWNER alice');

# Run SQL as a role; returns (ok, stdout, "SQLSTATE: message" of the error or '').
sub as_role
{
	my ($role, $sql, $db) = @_;
	my ($out, $err) = ('', '');
	my $rc = $node->psql($db // 'alicedb', "\\set VERBOSITY verbose\nSET client_min_messages = warning;\n$sql",
		stdout => \$out, stderr => \$err, on_error_stop => 1, extra_params => [ '-U', $role ]);
	my ($error) = $err =~ /ERROR:\s+(\w{5}: [^\n]*)/;
	return ($rc == 0, $out, $error // '', $err);
}

sub ok_as
{
	my ($role, $sql, $name) = @_;
	my ($ok, $out, $error, $err) = as_role($role, $sql);
	ok($ok, $name) or diag($err);
	return $out;
}

sub fails_as
{
	my ($role, $sql, $sqlstate, $pattern, $name) = @_;
	my ($ok, $out, $error, $err) = as_role($role, $sql);
	ok(!$ok && $error =~ /^$sqlstate: / && $err =~ $pattern, $name) or diag("got: $err");
}

# ---- The database owner installs ser: it is trusted ----
ok_as('alice', 'CREATE EXTENSION ser', 'a database owner (not a superuser) can CREATE EXTENSION ser');
is($node->safe_psql('alicedb', q{SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'ser\_%'}),
	'ser_model_admin,ser_user', 'the install script created both roles');
is($node->safe_psql('alicedb', q{SELECT pg_has_role('ser_model_admin', 'ser_user', 'USAGE')}), 't',
	'ser_model_admin has the rights of ser_user');
$node->safe_psql('alicedb', 'GRANT ser_user TO bob; GRANT ser_model_admin TO carol');

# Recordings to train on, loaded by the owner with ser-import.
my ($out, $err);
IPC::Run::run([ 'ser-import', '-q', '-d', $node->connstr('alicedb') . ' user=alice', '--table', 'rec',
	fixture_copy_without('audio', 'empty_16k.wav'), fixture_path('ravdess') ], '>', \$out, '2>', \$err);
is($? >> 8, 0, 'the owner imports recordings') or diag($err);
ok_as('alice', 'GRANT SELECT ON rec TO PUBLIC', 'and shares them');
my $train_query = q{$$SELECT audio, CASE WHEN path LIKE 'tone%' THEN 'tone' ELSE 'other' END, (id % 3)::text FROM rec$$};
my $train = sub { my ($name, $extra) = @_; $extra //= '';
	return "SELECT model FROM ser_train('$name', $train_query, epochs => 1, batch_size => 4, ensemble => 1$extra)"; };

# ---- ser_model_admin trains; the model records its owner and version ----
ok_as('carol', $train->('carol_model'), 'ser_model_admin trains');
is($node->safe_psql('alicedb', q{SELECT owner || ' ' || (ser_version = ser_version()) FROM ser_models WHERE name = 'carol_model'}),
	'carol true', 'the model records its owner and the ser version that trained it');

# ---- ser_user predicts with any model and reads models and statistics, nothing more ----
is(ok_as('bob', q{SELECT count(ser_predict(audio, 'carol_model')) FROM rec}, 'ser_user predicts with a named model'),
	$node->safe_psql('alicedb', 'SELECT count(*) FROM rec WHERE (ser_speech(audio)).speech'), 'every recording that is speech');
ok_as('bob', 'SELECT name, owner, classes FROM ser_models; SELECT * FROM ravdess_summary', 'ser_user reads models and statistics');
fails_as('bob', $train->('bob_model'), '42501', qr/permission denied to train or store models.*HINT:.*GRANT ser_model_admin TO bob/s,
	'ser_user cannot train, and is told which role to ask for');
fails_as('bob', q{DELETE FROM ser_models WHERE name = 'carol_model'}, '42501', qr/permission denied for table ser_models/,
	'ser_user cannot drop a model');

# ---- No ser role: the shipped model only ----
ok_as('dave', q{SELECT ser_predict(audio) FROM rec LIMIT 1}, 'any role predicts with the shipped model');
fails_as('dave', q{SELECT ser_predict(audio, 'carol_model') FROM rec LIMIT 1}, '42501',
	qr/permission denied to use the models of ser_models.*HINT:.*GRANT ser_user TO dave/s,
	'a role outside ser_user cannot read trained models, and is told which role to ask for');

# ---- A role given table rights by the owner manages only its own models ----
ok_as('alice', 'GRANT SELECT, INSERT, UPDATE, DELETE ON ser_models TO erin', 'the owner grants table rights of its own');
ok_as('erin', $train->('erin_model'), 'that role trains');
ok_as('erin', $train->('erin_model', ', replace => true'), 'and replaces its own model');
fails_as('erin', $train->('carol_model', ', replace => true'), '42501',
	qr/permission denied to replace model "carol_model".*DETAIL:\s+The model belongs to role "carol".*HINT:.*GRANT ser_model_admin TO erin/s,
	"but not another role's: the error names the owner and the role to grant");
fails_as('erin', q{DELETE FROM ser_models WHERE name = 'carol_model'}, '42501', qr/permission denied to drop model "carol_model"/,
	"nor drops it");
fails_as('erin', q{UPDATE ser_models SET owner = 'bob' WHERE name = 'erin_model'}, '42501',
	qr/permission denied to give model "erin_model" to role "bob"/, 'nor gives its model away');
is($node->safe_psql('alicedb', q{SELECT owner FROM ser_models WHERE name = 'carol_model'}), 'carol', 'the model is untouched');

# ---- ser_model_admin and the database owner manage every model ----
ok_as('carol', $train->('erin_model', ', replace => true'), "ser_model_admin replaces another role's model");
is($node->safe_psql('alicedb', q{SELECT owner FROM ser_models WHERE name = 'erin_model'}), 'erin',
	'replacing keeps the owner');
ok_as('carol', q{DELETE FROM ser_models WHERE name = 'erin_model'}, "ser_model_admin drops another role's model");
ok_as('alice', q{UPDATE ser_models SET owner = 'bob' WHERE name = 'carol_model'; UPDATE ser_models SET owner = 'carol' WHERE name = 'carol_model'},
	'the database owner may change owners');

# ---- Reading server files stays with pg_read_server_files ----
fails_as('alice', q{SELECT * FROM ser_load_ravdess('/tmp')}, '42501', qr/permission denied for function ser_load_ravdess/,
	'the database owner cannot read server files');
fails_as('alice', q{GRANT EXECUTE ON FUNCTION ser_load_ravdess(text, boolean) TO alice}, '', qr/(no privileges were granted|WARNING)/,
	'nor grant the loader to itself') if 0;    # a GRANT without rights is only a warning: checked below
as_role('alice', q{GRANT EXECUTE ON FUNCTION ser_load_ravdess(text, boolean) TO alice});
is($node->safe_psql('alicedb', q{SELECT has_function_privilege('alice', 'ser_load_ravdess(text, boolean)', 'EXECUTE')}), 'f',
	'nor grant it to itself');

# ---- GUCs in a fresh session ----
fails_as('bob', 'SHOW ser.max_duration', '42704', qr/unrecognized configuration parameter "ser.max_duration"/,
	'without preloading, a fresh session does not know ser.max_duration');
ok_as('alice', q{ALTER DATABASE alicedb SET local_preload_libraries = 'ser'}, 'the database owner preloads ser');
is(ok_as('bob', 'SHOW ser.max_duration', 'then a fresh session shows it'), '10min', 'with its default');
ok_as('bob', 'SELECT ser_audio_info(audio) FROM rec LIMIT 1',
	'and the preloaded library serves the functions (loaded once)');

# ---- The owner dumps and restores the database ----
my $dump = PostgreSQL::Test::Utils::tempdir() . '/alicedb.dump';
IPC::Run::run([ 'pg_dump', '-Fc', '-d', $node->connstr('alicedb') . ' user=alice', '-f', $dump ], '2>', \$err);
is($? >> 8, 0, 'the database owner runs pg_dump') or diag($err);
$node->safe_psql('postgres', 'CREATE DATABASE restored OWNER alice');
IPC::Run::run([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored') . ' user=alice', $dump ], '2>', \$err);
is($? >> 8, 0, 'and pg_restore into a database it owns') or diag($err);
my $predict = q{SELECT string_agg(array_to_string(ser_predict_proba(audio, 'carol_model'), ','), ';' ORDER BY id) FROM rec};
is($node->safe_psql('restored', $predict), $node->safe_psql('alicedb', $predict), 'the restored model predicts identically');
is($node->safe_psql('restored', q{SELECT owner || ' ' || ser_version FROM ser_models}),
	$node->safe_psql('alicedb', q{SELECT owner || ' ' || ser_version FROM ser_models}), 'owners and versions survive');
is($node->safe_psql('restored', q{SELECT count(*) FROM pg_trigger WHERE tgname = 'ser_models_guard'}), '1',
	'the guard is in place after the restore');

done_testing();
