-- Features are a deterministic function of the recording: the same bits on
-- every call, in this backend and in parallel workers.
SELECT ser_features(audio) = ser_features(audio) AS same_vector,
       ser_frames(audio) = ser_frames(audio) AS same_frames,
       ser_pitch(audio) = ser_pitch(audio) AS same_pitch
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

-- Interleaving other parameter sets does not change the results.
SELECT ser_melspectrogram(audio, 40) IS NOT NULL AS other_bands,
       ser_mfcc(audio, 13) IS NOT NULL AS other_coefficients
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

CREATE TEMP TABLE leader AS
SELECT name, ser_features(audio) AS v FROM fixtures WHERE name NOT IN ('empty_16k.wav');

CREATE TABLE parallel_input AS
SELECT g, name, audio FROM fixtures, generate_series(1, 20) AS g WHERE name NOT IN ('empty_16k.wav');
ANALYZE parallel_input;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT name, ser_features(audio) FROM parallel_input;
CREATE TEMP TABLE from_workers AS SELECT name, ser_features(audio) AS v FROM parallel_input;
RESET parallel_leader_participation;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;

SELECT count(*) AS rows, count(*) FILTER (WHERE w.v = l.v) AS identical
FROM from_workers w JOIN leader l USING (name);
DROP TABLE parallel_input;
