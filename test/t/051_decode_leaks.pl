# Finding F1 at the server level: Ogg/Vorbis streams whose pages are complete
# and checksummed but whose codec headers are missing or damaged lost ~5.8 kB
# of libvorbis memory per call (20,000 calls grew a backend from 3 to
# 117 MB).  10,000 calls on the audit's two inputs, through every kind of
# audio function, must leave the backend's memory flat; each call fails with
# 22P03, never XX000.  (The generated set of damaged Vorbis and Opus streams
# is in test/unit/test_decode_findings.c.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use SerTest;
use File::Basename qw(dirname);

my $findings = Cwd::abs_path(dirname(__FILE__) . '/../fixtures/findings');

my $node = PostgreSQL::Test::Cluster->new('leaks');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ser');


my @inputs = qw(vorbis_first_page_only_58B.ogg vorbis_crcfixed_mutant_4864B.ogg);
my $values = join(",\n", map { "($_, '\\x" . slurp_hex("$findings/$inputs[$_]") . "'::bytea)" } 0 .. $#inputs);
$node->safe_psql('postgres', "CREATE TABLE damaged (k int, audio bytea); INSERT INTO damaged VALUES $values");

my $session = $node->background_psql('postgres');
my $pid = $session->query_safe('SELECT pg_backend_pid()');
chomp $pid;

# Each iteration calls one audio function on one of the two inputs.
my $calls = q{
DO $$
DECLARE
  a bytea;
  refused int := 0;
BEGIN
  FOR i IN 1..%d LOOP
    SELECT audio INTO a FROM damaged WHERE k = i %% 2;
    BEGIN
      CASE i %% 3
        WHEN 0 THEN PERFORM ser_decode(a);
        WHEN 1 THEN PERFORM ser_audio_info(a);
        ELSE PERFORM ser_features(a);
      END CASE;
    EXCEPTION WHEN others THEN
      IF SQLSTATE <> '22P03' THEN RAISE 'call %%: %% %%', i, SQLSTATE, SQLERRM; END IF;
      refused := refused + 1;
    END;
  END LOOP;
  RAISE NOTICE 'refused: %%', refused;
END $$;
};

$session->query(sprintf($calls, 500));    # warm up
my $before = backend_rss_kb($pid);
$session->query(sprintf($calls, 10000));
my $after = backend_rss_kb($pid);
my @refused = ($session->{stderr} =~ /refused: (\d+)/g);
is($refused[-1], 10000, '10,000 calls on the two inputs are all refused with 22P03')
  or diag($session->{stderr});
# The leak grew the backend by ~58 MB over 10,000 calls.
# (fails, rather than passes, when /proc cannot be read)
rss_flat_ok($before, $after, 2048, 'backend RSS flat over 10,000 calls');
$session->quit;

$node->stop;
done_testing();
