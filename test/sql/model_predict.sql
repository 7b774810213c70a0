-- ser_predict and friends: model lookup, caching and damaged models.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup

-- A small model of two classes, trained on the fixture recordings.
CREATE TEMP TABLE train_rows AS
SELECT audio, CASE WHEN name LIKE 'tone440%' THEN 'tone' ELSE 'other' END AS label,
       (row_number() OVER (ORDER BY name) % 4)::text AS speaker
FROM fixtures WHERE name NOT LIKE 'empty%';
SET client_min_messages = warning;
SELECT model FROM ser_train('tiny_predict', 'SELECT audio, label, speaker FROM train_rows', epochs => 1,
                            batch_size => 4, validation_fraction => 0);
RESET client_min_messages;

SELECT ser_emotions();

-- Unknown models.
SELECT ser_predict(audio, 'no_such_model') FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
SELECT ser_model_info('no_such_model');

-- One statement uses one model over many rows and gives each row its own answer.
SELECT count(*) AS rows, count(DISTINCT ser_classify(audio, 'tiny_predict')) > 1 AS rows_differ
FROM fixtures WHERE name NOT LIKE 'empty%';

-- Damaged weights are refused with a clear error, never a crash.  (Terse:
-- the details quote checksums of weights, which vary in the last bits
-- across CPUs; a version mismatch is tested in test/unit/test_model_blob.c,
-- as SQL cannot recompute the checksum that covers the version.)
\set VERBOSITY terse
CREATE TEMP TABLE saved AS SELECT * FROM ser_models WHERE name = 'tiny_predict';
UPDATE ser_models SET weights = substring(weights for length(weights) / 2) WHERE name = 'tiny_predict';
SELECT ser_predict(audio, 'tiny_predict') FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
UPDATE ser_models SET weights = overlay(saved.weights placing '\x00'::bytea from 5000 for 1)
FROM saved WHERE ser_models.name = 'tiny_predict';
SELECT ser_predict(audio, 'tiny_predict') FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
UPDATE ser_models SET weights = 'not a model'::bytea WHERE name = 'tiny_predict';
SELECT ser_predict(audio, 'tiny_predict') FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
SELECT sqlstate_of($$SELECT ser_predict(audio, 'tiny_predict') FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav'$$);
UPDATE ser_models SET weights = saved.weights FROM saved WHERE ser_models.name = 'tiny_predict';
SELECT ser_predict(audio, 'tiny_predict') IS NOT NULL AS restored FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
\set VERBOSITY default

-- Bad audio is reported as such, whatever the model.
SELECT ser_predict(''::bytea, 'tiny_predict');
SELECT ser_classify(substring(audio for 500), 'tiny_predict') FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

-- STRICT: NULL model or audio gives NULL.
SELECT ser_predict(NULL, 'tiny_predict') IS NULL AS null_audio,
       ser_predict(audio, NULL) IS NULL AS null_model
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

DELETE FROM ser_models WHERE name = 'tiny_predict';
