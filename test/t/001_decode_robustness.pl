# Cluster-level robustness of decoding: 1,000 damaged inputs in a row leave
# the server up and the backend's memory flat; a long decode honours
# statement_timeout and cancel.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use SerTest;

my $node = PostgreSQL::Test::Cluster->new('decode');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ser');

load_fixtures($node, 'postgres', 'fx', fixture_path('audio'),
	qw(tone440_16k_pcm16.wav tone440_16k.flac tone440_44k.mp3 tone440_48k.ogg
	  tone440_48k.opus tone440_44k.aiff tone440_16k.au tone440_16k_float32.wav));

# 1,000 damaged inputs, each derived deterministically from a fixture:
# prefixes, random byte overwrites, lying headers, pure noise.
my $garbage = q{
CREATE FUNCTION damaged(i int) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
  a bytea;
  n int;
  k int := i % 4;
BEGIN
  SELECT audio INTO a FROM fx ORDER BY name OFFSET (i / 4) % 8 LIMIT 1;
  n := length(a);
  IF k = 0 THEN
    RETURN substring(a for 1 + (i * 7919) % (n - 1));                        -- cut off anywhere
  ELSIF k = 1 THEN
    FOR j IN 1..8 LOOP                                                     -- flip bytes
      a := set_byte(a, (i * 104729 + j * 7907) % n, (i * j * 31) % 256);
    END LOOP;
    RETURN a;
  ELSIF k = 2 THEN
    RETURN overlay(a placing int4send((i * 2654435761)::int) from 1 + (i * 13) % 60 for 4);  -- header fields
  ELSE
    RETURN decode(md5(i::text) || md5((i + 1)::text) || md5((i + 2)::text), 'hex');          -- noise
  END IF;
END $$;
};
$node->safe_psql('postgres', $garbage);

my $session = $node->background_psql('postgres');
my $pid = $session->query_safe('SELECT pg_backend_pid()');
chomp $pid;

my $run_batch = q{
DO $$
DECLARE failures int := 0;
BEGIN
  FOR i IN %d..%d LOOP
    BEGIN
      PERFORM ser_decode(damaged(i));
      PERFORM ser_audio_info(damaged(i));
    EXCEPTION WHEN others THEN
      IF SQLSTATE = 'XX000' THEN RAISE 'internal error for input %%: %%', i, SQLERRM; END IF;
      failures := failures + 1;
    END;
  END LOOP;
  RAISE NOTICE 'failures: %%', failures;
END $$;
};

# Warm up (caches, plans, libraries), then measure over 1,000 inputs.
$session->query(sprintf($run_batch, 1, 200));
my $before = backend_rss_kb($pid);
my $t0 = time();
my $result = $session->query(sprintf($run_batch, 1001, 2000));
my $elapsed = time() - $t0;
my $after = backend_rss_kb($pid);
ok(!$session->{stderr} || $session->{stderr} !~ /ERROR/, '1,000 damaged inputs: every failure is a specific SQLSTATE, never XX000')
  or diag($session->{stderr});
like($session->{stderr}, qr/failures: \d+/, 'the batch ran to the end');
my @counts = ($session->{stderr} =~ /failures: (\d+)/g);
my $failures = $counts[-1];
# Overwritten samples are still valid audio; cut-off files, lying headers and noise are not.
cmp_ok($failures, '>=', 500, "damaged inputs are refused ($failures of 1000; the rest are valid audio with altered samples)");
rss_flat_ok($before, $after, 2048, 'backend RSS flat over 1,000 damaged inputs');
note(sprintf('1,000 damaged inputs (2,000 calls) in %.2f s', $elapsed));
$session->quit;

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still accepts connections');
ok(!(slurp_file($node->logfile) =~ /terminated by signal|server process .* was terminated/), 'no backend crashed');

# A long decode honours statement_timeout: 30 minutes of 48 kHz silence as
# FLAC (270 kB undithered, over a second of decoding and resampling).
SKIP:
{
	skip 'sox is not installed', 2 unless system('sox --version >/dev/null 2>&1') == 0;
	my $long = "${PostgreSQL::Test::Utils::tmp_check}/long.flac";
	system('sox', '-D', '-n', '-r', '48000', '-b', '16', '-c', '1', $long, 'trim', '0', '1800') == 0
	  or die "sox failed";
	$node->safe_psql('postgres', "CREATE TABLE longrec AS SELECT '\\x" . slurp_hex($long) . "'::bytea AS audio");
	my ($stdout, $stderr);
	my $t = time();
	$node->psql('postgres',
		"SET ser.max_duration = '1h'; SET statement_timeout = '300ms'; SELECT cardinality(ser_decode(audio)) FROM longrec",
		stdout => \$stdout, stderr => \$stderr);
	my $took = time() - $t;
	like($stderr, qr/canceling statement due to statement timeout/, 'a long decode is canceled by statement_timeout');
	cmp_ok($took, '<', 2.0, sprintf('and stops promptly (%.2f s after a 0.3 s timeout)', $took));
}

$node->stop;
done_testing();
