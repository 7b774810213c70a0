-- ser_frames: one row every 10 ms (1 + samples / 160 frames, centred), one
-- column per name.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT name,
       array_length(ser_frames(audio), 1) AS frames,
       1 + cardinality(ser_decode(audio)) / 160 AS expected,
       array_length(ser_frames(audio), 2) AS columns
FROM fixtures
WHERE name IN ('silence_16k.wav', 'tone440_16k_pcm16.wav', 'tone440_48k_pcm16.wav',
               'ravdess_03-01-05-02-01-01-01.wav')
ORDER BY name;

-- Reading one column by name: F0 of the sine over the frames away from
-- the edges.
WITH m AS (SELECT ser_frames(audio) AS f FROM fixtures WHERE name = 'tone440_16k_pcm16.wav'),
     c AS (SELECT i AS col FROM unnest(ser_frame_feature_names()) WITH ORDINALITY AS u(n, i) WHERE n = 'f0')
SELECT bool_and(abs(f[t][col] - 440) <= 1) AS all_within_1hz, count(*) AS frames
FROM m, c, generate_series(8, array_length(f, 1) - 8) AS t;

-- Voicing of silence: every frame 0.
WITH m AS (SELECT ser_frames(audio) AS f FROM fixtures WHERE name = 'silence_16k.wav'),
     c AS (SELECT i AS col FROM unnest(ser_frame_feature_names()) WITH ORDINALITY AS u(n, i) WHERE n = 'voiced')
SELECT sum(f[t][col]) AS voiced_frames
FROM m, c, generate_series(1, array_length(f, 1)) AS t;

-- The frame matrix agrees with the dedicated functions.
SELECT ser_melspectrogram(audio) = (ser_frames(audio))[:][1:64] AS logmel_same,
       ser_mfcc(audio) = (ser_frames(audio))[:][65:84] AS mfcc_same
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
