-- Bad audio fails in every feature function with the decoder's error and
-- SQLSTATE; the limit ser.max_duration applies to all of them.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT sqlstate_of('SELECT ser_features(''''::bytea)');
SELECT sqlstate_of('SELECT ser_frames(''\x0102030405''::bytea)');
SELECT sqlstate_of('SELECT ser_pitch(convert_to(''not audio at all'', ''UTF8''))');
SELECT sqlstate_of('SELECT ser_melspectrogram(''\x52494646''::bytea)');
SELECT sqlstate_of('SELECT ser_mfcc(''\x52494646''::bytea)');

-- A truncated FLAC.
SELECT ser_features(substring(audio for length(audio) / 2)) FROM fixtures WHERE name = 'tone440_16k.flac';

-- ser.max_duration: the 4.3 s recording is refused under a 2 s limit, by every function.
SET ser.max_duration = 2;
SELECT ser_features(audio) IS NOT NULL FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
SELECT ser_frames(audio) IS NOT NULL FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
SELECT ser_pitch(audio) IS NOT NULL FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
RESET ser.max_duration;
SELECT cardinality(ser_features(audio)) FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

-- An empty recording (a valid WAV without samples) has no features: statistics
-- of nothing would be made up.  Refused like empty input, by every feature function.
SELECT ser_features(audio) FROM fixtures WHERE name = 'empty_16k.wav';
SELECT f, sqlstate_of(format('SELECT %s(audio) FROM fixtures WHERE name = %L', f, 'empty_16k.wav'))
FROM unnest(ARRAY['ser_features', 'ser_frames', 'ser_melspectrogram', 'ser_mfcc', 'ser_pitch']) AS f;
