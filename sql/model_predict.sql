-- ser_predict and friends: model lookup, caching and damaged models.
SELECT ser_emotions();

-- Unknown models.
SELECT ser_predict(audio, 'no_such_model') FROM fixtures WHERE name = 'tone440_16k.flac';
SELECT ser_model_info('no_such_model');

-- One statement uses one model over many rows and gives each row its own answer.
SELECT count(*) AS rows, count(DISTINCT ser_predict_proba(audio, 'tiny')) > 1 AS rows_differ
FROM fixtures WHERE name NOT LIKE 'empty%';

-- Damaged weights are refused with a clear error, never a crash.  (Terse:
-- the details quote checksums of weights, which vary in the last bits
-- across CPUs; a version mismatch is tested in test/unit/test_model_blob.c,
-- as SQL cannot recompute the checksum that covers the version.)
\set VERBOSITY terse
CREATE TABLE saved AS SELECT * FROM ser_models WHERE name = 'tiny';
UPDATE ser_models SET weights = substring(weights for length(weights) / 2) WHERE name = 'tiny';
SELECT ser_predict(audio, 'tiny') FROM fixtures WHERE name = 'tone440_16k.flac';
UPDATE ser_models SET weights = overlay(saved.weights placing '\x00'::bytea from 5000 for 1)
FROM saved WHERE ser_models.name = 'tiny';
SELECT ser_predict(audio, 'tiny') FROM fixtures WHERE name = 'tone440_16k.flac';
UPDATE ser_models SET weights = 'not a model'::bytea WHERE name = 'tiny';
SELECT ser_predict(audio, 'tiny') FROM fixtures WHERE name = 'tone440_16k.flac';
SELECT sqlstate_of($$SELECT ser_predict(audio, 'tiny') FROM fixtures WHERE name = 'tone440_16k.flac'$$);
UPDATE ser_models SET weights = saved.weights FROM saved WHERE ser_models.name = 'tiny';
SELECT ser_predict(audio, 'tiny') IS NOT NULL AS restored FROM fixtures WHERE name = 'tone440_16k.flac';
\set VERBOSITY default

-- Bad audio is reported as such, whatever the model.
SELECT ser_predict(''::bytea, 'tiny');
SELECT ser_classify(substring(audio for 500), 'tiny') FROM fixtures WHERE name = 'tone440_16k.flac';

-- STRICT: NULL model or audio gives NULL.
SELECT ser_predict(NULL, 'tiny') IS NULL AS null_audio,
       ser_predict(audio, NULL) IS NULL AS null_model
FROM fixtures WHERE name = 'tone440_16k.flac';
