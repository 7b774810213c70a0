-- Every kind of bad input gives an ERROR with a specific SQLSTATE and a
-- message saying what is wrong; the session goes on after each.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup

-- Empty input.
SELECT ser_decode(''::bytea);
SELECT ser_audio_info(''::bytea);

-- Bytes that are no audio at all: pseudo-random bytes, a text file.
SELECT ser_decode((SELECT decode(string_agg(lpad(to_hex((i * 2654435761) % 256), 2, '0'), ''), 'hex')
                   FROM generate_series(1, 4096) i));
SELECT ser_decode(convert_to('emotion,label\nthis is a CSV file, not audio\n', 'UTF8'));

-- A container libsndfile does not read (the first bytes of an M4A file).
SELECT ser_decode('\x00000018667479704d344120000002006973 6f6d4d344120'::bytea);

-- Truncated files: each fixture cut in half.
SELECT name, sqlstate_of(format('SELECT ser_decode(substring(audio for length(audio) / 2)) FROM fixtures WHERE name = %L', name))
FROM fixtures
WHERE name IN ('tone440_16k_pcm16.wav', 'tone440_16k.flac', 'tone440_44k.mp3', 'tone440_48k.ogg',
               'tone440_48k.opus', 'tone440_44k.aiff', 'tone440_16k.au')
ORDER BY name;
SELECT ser_decode(substring(audio for length(audio) / 2)) FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';
SELECT ser_decode(substring(audio for length(audio) / 2)) FROM fixtures WHERE name = 'tone440_48k.ogg';

-- Lying WAV headers (the sox fixture has a 44-byte header: channels at byte
-- 23, sample rate at 25, data size at 41).
SELECT ser_decode(overlay(audio placing '\xfeffff7f'::bytea from 41 for 4))  -- 2^31 bytes of data
FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';
SELECT ser_decode(overlay(audio placing '\x0000'::bytea from 23 for 2))      -- 0 channels
FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';
SELECT ser_decode(overlay(audio placing '\x00000000'::bytea from 25 for 4))  -- 0 Hz
FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';
SELECT ser_decode(overlay(audio placing '\xa00f0000'::bytea from 25 for 4))  -- 4000 Hz
FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';

-- Float samples holding NaN or infinity are rejected, not replaced.
SELECT ser_decode(overlay(audio placing '\x0000c07f'::bytea from position('data'::bytea in audio) + 8 + 400 for 4))
FROM fixtures WHERE name = 'tone440_16k_float32.wav';
SELECT ser_decode(overlay(audio placing '\x000080ff'::bytea from position('data'::bytea in audio) + 8 + 400 for 4))
FROM fixtures WHERE name = 'tone440_16k_float32.wav';

-- Output rates outside 8-192 kHz.
SELECT ser_decode(audio, 7999) FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';
SELECT ser_decode(audio, 192001) FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';

-- The SQLSTATE of each failure above.
SELECT q AS failure, sqlstate_of(sql)
FROM (VALUES
  ('empty', $$SELECT ser_decode(''::bytea)$$),
  ('text', $$SELECT ser_decode(convert_to('not audio at all', 'UTF8'))$$),
  ('m4a', $$SELECT ser_decode('\x00000018667479704d344120000002006973'::bytea)$$),
  ('zero channels', $$SELECT ser_decode(overlay(audio placing '\x0000'::bytea from 23 for 2)) FROM fixtures WHERE name = 'tone440_16k_pcm16.wav'$$),
  ('nan', $$SELECT ser_decode(overlay(audio placing '\x0000c07f'::bytea from position('data'::bytea in audio) + 408 for 4)) FROM fixtures WHERE name = 'tone440_16k_float32.wav'$$),
  ('bad rate', $$SELECT ser_decode(audio, 7999) FROM fixtures WHERE name = 'tone440_16k_pcm16.wav'$$)
) AS t(q, sql);

-- The session is still usable.
SELECT 1 AS still_here;
