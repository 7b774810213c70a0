-- Features are a deterministic function of the recording: the same bits on
-- every call, whatever ran before in the backend, and in parallel workers.
-- Bits are compared through array_send (each value's float4 bits): = on
-- real[] would take -0 for 0.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup

CREATE TEMP TABLE first_call AS
SELECT name, array_send(ser_features(audio)) AS vector, array_send(ser_frames(audio)) AS frames,
       array_send(ser_pitch(audio)) AS pitch, array_send(ser_melspectrogram(audio)) AS logmel,
       array_send(ser_mfcc(audio)) AS mfcc, array_send(ser_decode(audio)) AS pcm
FROM fixtures
WHERE name IN ('ravdess_03-01-05-02-01-01-01.wav', 'tone440_44k.mp3', 'tone440_8k_ulaw.wav', 'silence_16k.wav');

-- Other parameter sets in between: other mel banks, DCT sizes and
-- resampling ratios in the backend's caches.
SELECT count(ser_melspectrogram(audio, 40)) AS other_bands, count(ser_mfcc(audio, 13)) AS other_coefficients,
       count(ser_decode(audio, 22050)) AS other_rate
FROM fixtures WHERE name NOT LIKE 'empty%';

-- The second call gives the same bits.
SELECT name, vector = array_send(ser_features(audio)) AS same_vector,
       frames = array_send(ser_frames(audio)) AS same_frames,
       pitch = array_send(ser_pitch(audio)) AS same_pitch,
       logmel = array_send(ser_melspectrogram(audio)) AS same_logmel,
       mfcc = array_send(ser_mfcc(audio)) AS same_mfcc,
       pcm = array_send(ser_decode(audio)) AS same_pcm
FROM first_call JOIN fixtures USING (name) ORDER BY name;

-- Parallel workers compute the leader's bits.  The leader's first (a
-- temporary table is never scanned in parallel).
CREATE TEMP TABLE leader AS
SELECT name, array_send(ser_features(audio)) AS v FROM fixtures WHERE name NOT IN ('empty_16k.wav');

CREATE TABLE parallel_input AS
SELECT g, name, audio FROM fixtures, generate_series(1, 20) AS g WHERE name NOT IN ('empty_16k.wav');
ANALYZE parallel_input;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT name, array_send(ser_features(audio)) FROM parallel_input;
-- Workers did run it (the leader, taking no part, computed no row).
SELECT workers_launched($$CREATE TABLE from_workers AS
                          SELECT name, array_send(ser_features(audio)) AS v FROM parallel_input$$) > 0
         AS ran_in_workers;
RESET parallel_leader_participation;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;

SELECT count(*) AS rows, count(*) FILTER (WHERE w.v = l.v) AS identical
FROM from_workers w JOIN leader l USING (name);
DROP TABLE parallel_input, from_workers;
