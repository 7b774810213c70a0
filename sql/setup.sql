-- Creates the extension and loads the repository's fixture recordings into
-- a table that the other tests read.  Files are read on the client side
-- (\lo_import), so the server needs no access to the source tree.
CREATE EXTENSION ser;
\getenv abs_srcdir PG_ABS_SRCDIR
CREATE TABLE fixtures (name text PRIMARY KEY, audio bytea NOT NULL);
CREATE FUNCTION load_fixture(name text, loid oid) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO fixtures VALUES (name, lo_get(loid));
  SELECT lo_unlink(loid);
$$;
\set f :abs_srcdir '/test/fixtures/audio/empty_16k.wav'
\lo_import :f
SELECT load_fixture('empty_16k.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/silence_16k.wav'
\lo_import :f
SELECT load_fixture('silence_16k.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/six_channels_16k.wav'
\lo_import :f
SELECT load_fixture('six_channels_16k.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/stereo_left440_48k.wav'
\lo_import :f
SELECT load_fixture('stereo_left440_48k.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_16k.au'
\lo_import :f
SELECT load_fixture('tone440_16k.au', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_16k.flac'
\lo_import :f
SELECT load_fixture('tone440_16k.flac', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_16k_float32.wav'
\lo_import :f
SELECT load_fixture('tone440_16k_float32.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_16k_pcm16.wav'
\lo_import :f
SELECT load_fixture('tone440_16k_pcm16.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_192k_pcm16.wav'
\lo_import :f
SELECT load_fixture('tone440_192k_pcm16.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_22k_pcm32.wav'
\lo_import :f
SELECT load_fixture('tone440_22k_pcm32.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_44k.aiff'
\lo_import :f
SELECT load_fixture('tone440_44k.aiff', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_44k.mp3'
\lo_import :f
SELECT load_fixture('tone440_44k.mp3', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_44k_pcm24.wav'
\lo_import :f
SELECT load_fixture('tone440_44k_pcm24.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_48k.ogg'
\lo_import :f
SELECT load_fixture('tone440_48k.ogg', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_48k.opus'
\lo_import :f
SELECT load_fixture('tone440_48k.opus', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_48k_pcm16.wav'
\lo_import :f
SELECT load_fixture('tone440_48k_pcm16.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_8k_alaw.wav'
\lo_import :f
SELECT load_fixture('tone440_8k_alaw.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_8k_pcm8.wav'
\lo_import :f
SELECT load_fixture('tone440_8k_pcm8.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/audio/tone440_8k_ulaw.wav'
\lo_import :f
SELECT load_fixture('tone440_8k_ulaw.wav', :LASTOID);
\set f :abs_srcdir '/test/fixtures/ravdess/03-01-05-02-01-01-01.wav'
\lo_import :f
SELECT load_fixture('ravdess_03-01-05-02-01-01-01.wav', :LASTOID);
SELECT count(*) AS fixtures, sum(length(audio)) > 0 AS nonempty FROM fixtures;
-- The SQLSTATE and message of a statement that is expected to fail.
CREATE FUNCTION sqlstate_of(query text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE query;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
