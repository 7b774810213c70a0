# ser-import as an ordinary role that owns its database: a folder with
# damaged, empty, unreadable and non-audio files beside good ones, labels
# from a CSV and from RAVDESS names, a second run that loads nothing, an
# interrupted run that leaves only whole batches and a run that resumes it,
# and an existing table of the wrong shape.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use File::Copy qw(copy);
use Cwd qw(abs_path);
use IPC::Run;
use Time::HiRes qw(time usleep);

my $fixtures = abs_path(dirname(__FILE__) . '/../fixtures');

my $node = PostgreSQL::Test::Cluster->new('import');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE ROLE alice LOGIN');
$node->safe_psql('postgres', 'CREATE DATABASE alicedb OWNER alice');
my $connstr = $node->connstr('alicedb') . ' user=alice';

# Run ser-import; returns (exit status, stdout, stderr).
sub import_run
{
	my @args = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'ser-import', '-d', $connstr, @args ], '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub query { return $node->safe_psql('alicedb', $_[0]); }

# ---- A folder as users have them ----
my $tree = PostgreSQL::Test::Utils::tempdir() . '/recordings';
mkdir $tree or die;
mkdir "$tree/alice" or die;
mkdir "$tree/ravdess" or die;
copy("$fixtures/audio/tone440_16k.flac", "$tree/alice/call_0001.flac") or die;
copy("$fixtures/audio/tone440_48k.ogg", "$tree/alice/call_0002.ogg") or die;
copy("$fixtures/audio/tone440_44k.mp3", "$tree/alice/call_0003.mp3") or die;
copy("$fixtures/audio/tone440_16k_pcm16.wav", "$tree/alice/no extension") or die;    # recognised by content
copy("$fixtures/ravdess/03-01-05-02-01-01-01.wav", "$tree/ravdess/03-01-05-02-01-01-01.wav") or die;
copy("$fixtures/audio/tone440_44k.aiff", "$tree/ravdess/03-01-04-01-01-01-02.aiff") or die;
# A copy of a recording under another name: one content, stored once.
copy("$fixtures/audio/tone440_16k.flac", "$tree/alice/call_0001_copy.flac") or die;
# Damaged or unreadable files with audio names: each is reported.
open(my $fh, '>', "$tree/alice/garbage.wav") or die;
print $fh "this is a text file, not a recording\n" x 20;
close $fh;
open($fh, '<:raw', "$fixtures/audio/tone440_16k.flac") or die;
read($fh, my $head, 2000);
close $fh;
open($fh, '>:raw', "$tree/alice/truncated.flac") or die;
print $fh $head;
close $fh;
open($fh, '>', "$tree/alice/empty.wav") or die;
close $fh;
copy("$fixtures/audio/tone440_44k_pcm24.wav", "$tree/alice/locked.wav") or die;
chmod 0000, "$tree/alice/locked.wav" or die;
# Files that are not audio at all are passed over quietly.
open($fh, '>', "$tree/alice/notes.txt") or die;
print $fh "call notes\n";
close $fh;
open($fh, '>', "$tree/.hidden.wav") or die;
close $fh;

my $csv = "$tree/../labels.csv";
open($fh, '>', $csv) or die;
print $fh "file,label,speaker,comment\n";
print $fh "alice/call_0001.flac,angry,alice,\"first call, loud\"\n";
print $fh "call_0002.ogg,calm,alice,\n";
print $fh "alice/call_0003.mp3,,alice,no label\n";
print $fh "missing.wav,sad,bob,\n";
close $fh;

# One job: of two files with the same bytes, the first by path is loaded
# (with several jobs, whichever a job reads first; the README says so).
my ($rc, $out, $err) = import_run('--table', 'recordings', '--metadata', $csv, '-j', '1', $tree);
is($rc, 1, 'files that could not be loaded: exit status 1');
like($err, qr{garbage\.wav: .*(not|format|recogn)}i, 'a text file named .wav is reported with a reason');
like($err, qr{truncated\.flac: \S}, 'a truncated FLAC is reported');
like($err, qr{empty\.wav: file is empty}, 'an empty file is reported');
like($err, qr{locked\.wav: could not open: Permission denied}, 'an unreadable file is reported');
unlike($err, qr{notes\.txt|hidden}, 'files that are not audio are not reported');
like($err, qr{1 rows of .*labels\.csv name no imported file \(the first: "missing\.wav"\)},
	'metadata rows that match no file are reported');
like($out, qr{^ser-import: 6 loaded, 1 already present, 4 failed, 1 other files ignored}m, 'summary')
  or diag($out, $err);
is(query(q{SELECT string_agg(format('%s|%s|%s|%s', path, format, coalesce(label, '-'), coalesce(speaker, '-')), E'\n' ORDER BY path)
           FROM recordings}),
	join("\n",
		'alice/call_0001.flac|flac|angry|alice',
		'alice/call_0002.ogg|ogg/vorbis|calm|alice',
		'alice/call_0003.mp3|mp3|-|alice',
		'alice/no extension|wav|-|-',
		'ravdess/03-01-04-01-01-01-02.aiff|aiff|sad|2',
		'ravdess/03-01-05-02-01-01-01.wav|wav|angry|1'),
	'paths, formats, labels from the CSV and from RAVDESS names');
is(query(q{SELECT count(*) FROM recordings WHERE sha256 = sha256(audio) AND size_bytes = length(audio)
           AND duration_s > 0 AND sample_rate > 0 AND channels > 0}), '6', 'hashes and sizes match the stored bytes');
is(query(q{SELECT tableowner FROM pg_tables WHERE tablename = 'recordings'}), 'alice', 'the table belongs to the importing role');
is(query('SELECT count(*) FROM pg_largeobject_metadata'), '0', 'no large object left behind');

# ---- A second run loads nothing; without the bad files it succeeds ----
($rc, $out, $err) = import_run('--table', 'recordings', '--metadata', $csv, '-q', $tree);
is($rc, 1, 'second run: the bad files still fail');
like($out, qr{^ser-import: 0 loaded, 7 already present, 4 failed}m, 'second run loads nothing');
unlink("$tree/alice/$_") for qw(garbage.wav truncated.flac empty.wav);
chmod 0644, "$tree/alice/locked.wav";
unlink("$tree/alice/locked.wav");
($rc, $out, $err) = import_run('--table', 'recordings', '--metadata', $csv, '-q', $tree);
is($rc, 0, 'a clean folder: exit status 0');
like($out, qr{^ser-import: 0 loaded, 7 already present, 0 failed}m, 'nothing loaded twice');
is(query('SELECT count(*) FROM recordings'), '6', 'still six rows');

# ---- A file named on the command line that is not audio ----
($rc, $out, $err) = import_run('--table', 'recordings', "$tree/alice/notes.txt");
is($rc, 1, 'a named file that is not audio fails');
like($err, qr{notes\.txt: }, 'and is reported');

# ---- Interrupted mid-batch: only whole batches stay; a second run resumes ----
# Forty distinct recordings, and a trigger that makes every row take 50 ms,
# so that the interrupt lands inside a batch whatever the machine.
my $many = PostgreSQL::Test::Utils::tempdir() . '/many';
mkdir $many or die;
for my $i (1 .. 40)
{
	my $n = 8000;    # 0.5 s at 16 kHz, 16-bit mono
	my $pcm = pack('s<*', map { int(8000 * sin(2 * 3.14159265 * (100 + 10 * $i) * $_ / 16000)) } 0 .. $n - 1);
	open(my $w, '>:raw', sprintf('%s/tone_%02d.wav', $many, $i)) or die;
	print $w 'RIFF', pack('V', 36 + length($pcm)), 'WAVE', 'fmt ', pack('VvvVVvv', 16, 1, 1, 16000, 32000, 2, 16),
	  'data', pack('V', length($pcm)), $pcm;
	close $w;
}
($rc, $out, $err) = import_run('--table', 'slow', "$fixtures/audio/tone440_16k_pcm16.wav");
is($rc, 0, 'the table for the interrupted run is made');
$node->safe_psql('alicedb', q{
CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$;
CREATE TRIGGER slow BEFORE INSERT ON slow FOR EACH ROW EXECUTE FUNCTION slow_row();
});
my ($bout, $berr) = ('', '');
my $h = IPC::Run::start([ 'ser-import', '-d', $connstr, '--table', 'slow', '--batch-size', '5', '-j', '1', $many ],
	'>', \$bout, '2>', \$berr);
my $deadline = time() + 60;
# Wait for the first whole batch (five rows besides the first file), then interrupt the next one.
usleep(20_000) while query('SELECT count(*) FROM slow') < 6 && time() < $deadline;
usleep(100_000);
$h->signal('INT');
$h->finish;
is($h->result(0), 130, 'interrupted: exit status 130');
like($berr, qr{interrupted: \d+ files loaded in whole batches; run the same command again}, 'the interrupt is explained');
my $after = query('SELECT count(*) FROM slow');
ok($after > 1 && $after < 41, "some batches were loaded ($after rows)");
is(($after - 1) % 5, 0, 'only whole batches of five');
is(query(q{SELECT count(*) FROM (SELECT imported_at FROM slow WHERE path LIKE 'tone\_%' GROUP BY imported_at HAVING count(*) = 5) b}),
	($after - 1) / 5, 'every transaction stored exactly one whole batch');
($rc, $out, $err) = import_run('--table', 'slow', '--batch-size', '5', '-q', $many);
is($rc, 0, 'the second run completes');
like($out, qr{^ser-import: @{[41 - $after]} loaded, @{[$after - 1]} already present, 0 failed}m, 'it loads only what was missing');
is(query('SELECT count(DISTINCT sha256) FROM slow'), '41', 'every recording once');

# ---- Two imports of the same folder at once: each content stored once ----
# Whichever commits second finds the first one's rows (a unique violation
# on sha256 makes it read the table again and retry the batch without them).
import_run('--table', 'twice', "$fixtures/audio/tone440_16k_pcm16.wav");
my @runs = map {
	my %r = (out => '', err => '');
	$r{h} = IPC::Run::start([ 'ser-import', '-q', '-d', $connstr, '--table', 'twice', '--batch-size', '4', '-j', '2', $many ],
		'>', \$r{out}, '2>', \$r{err});
	\%r;
} 1 .. 2;
my $loaded = 0;
for my $r (@runs)
{
	$r->{h}->finish;
	is($r->{h}->result(0), 0, 'concurrent import: exit status 0') or diag($r->{err});
	$loaded += $1 if $r->{out} =~ /^ser-import: (\d+) loaded, (\d+) already present, 0 failed/m;
}
is($loaded, 40, 'the two imports loaded forty recordings between them');
is(query('SELECT count(*) || \' \' || count(DISTINCT sha256) FROM twice'), '41 41', 'each once');

# ---- An existing table of another shape is refused, not altered ----
$node->safe_psql('alicedb', 'CREATE TABLE other (id int, path text)');
($rc, $out, $err) = import_run('--table', 'other', $many);
is($rc, 2, 'a table without the columns: exit status 2');
like($err, qr{table "other" exists but lacks the columns sha256, audio, size_bytes}, 'the missing columns are named');
($rc, $out, $err) = import_run($many);
is($rc, 2, 'no --table: exit status 2');
($rc, $out, $err) = import_run('--table', 'x', '--jobs', '0', $many);
like($err, qr{--jobs must be an integer from 1 to 64}, 'a bad option is explained');

done_testing();
