-- ser_pitch: F0 in Hz per 10 ms frame, 0 when unvoiced.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT name, cardinality(ser_pitch(audio)) = array_length(ser_frames(audio), 1) AS one_per_frame
FROM fixtures WHERE name IN ('silence_16k.wav', 'tone440_16k_pcm16.wav', 'ravdess_03-01-05-02-01-01-01.wav')
ORDER BY name;

-- The 440 Hz sine in every format, away from the edges: 440 +- 1 Hz.
SELECT name, count(*) AS frames, bool_and(abs(f0 - 440) <= 1) AS within_1hz
FROM fixtures, unnest(ser_pitch(audio)) WITH ORDINALITY AS u(f0, t)
WHERE name LIKE 'tone440%' AND t BETWEEN 8 AND 43
GROUP BY name ORDER BY name;

-- Silence is unvoiced throughout.
SELECT max(f0) AS highest FROM fixtures, unnest(ser_pitch(audio)) AS f0 WHERE name = 'silence_16k.wav';

-- Speech: voiced frames are in the search range 50-500 Hz, the rest exactly 0.
SELECT count(*) FILTER (WHERE f0 > 0) > 50 AS enough_voiced,
       bool_and(f0 = 0 OR f0 BETWEEN 50 AND 500) AS in_range
FROM fixtures, unnest(ser_pitch(audio)) AS f0 WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
