-- ser_train / ser_evaluate on the fixture recordings: the path works end to
-- end on tiny data, and every bad call is refused with a clear error.
-- Training figures (losses) differ in the last bits across CPUs, so only
-- robust facts are shown.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SET client_min_messages = warning;

CREATE TEMP TABLE train_rows AS
SELECT audio,
       CASE WHEN name LIKE 'tone440%' THEN 'tone' ELSE 'other' END AS label,
       (row_number() OVER (ORDER BY name) % 4)::text AS speaker
FROM fixtures
WHERE name NOT LIKE 'empty%';
SELECT label, count(*) FROM train_rows GROUP BY label ORDER BY label;

-- A small model: classes are the sorted distinct labels when they are not emotions.
SELECT model, recordings, speakers, epochs_run, best_epoch, size_bytes > 0 AS stored
FROM ser_train('tiny', 'SELECT audio, label, speaker FROM train_rows', epochs => 2, batch_size => 4,
               validation_fraction => 0, seed => 7);
SELECT name, format_version, classes, training->>'recordings' AS recordings, training->>'seed' AS seed,
       length(weights) = size_bytes AS consistent
FROM ser_models WHERE name = 'tiny';

-- It classifies: a label of its classes, probabilities that sum to one.
SELECT ser_predict(audio, model => 'tiny') IN ('other', 'tone') AS known_label,
       round((SELECT sum(p) FROM unnest(ser_predict_proba(audio, 'tiny')) p)::numeric, 4) AS total,
       cardinality(ser_predict_proba(audio, 'tiny')) AS classes
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
SELECT (c).label = ser_predict(audio, 'tiny') AS same_label,
       (c).confidence = (SELECT max(p) FROM unnest((c).probabilities) p) AS confidence_is_max
FROM (SELECT audio, ser_classify(audio, 'tiny') AS c FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav') s;

-- Deterministic: the same seed trains the same weights.
SELECT model FROM ser_train('tiny2', 'SELECT audio, label, speaker FROM train_rows', epochs => 2, batch_size => 4,
                            validation_fraction => 0, seed => 7);
SELECT a.weights = b.weights AS same_weights
FROM ser_models a, ser_models b WHERE a.name = 'tiny' AND b.name = 'tiny2';

-- Replacing needs replace => true.
SELECT model FROM ser_train('tiny', 'SELECT audio, label, speaker FROM train_rows', epochs => 1);
SELECT model, epochs_run FROM ser_train('tiny', 'SELECT audio, label, speaker FROM train_rows', epochs => 1,
                                        batch_size => 4, validation_fraction => 0, replace => true);

-- Explicit classes fix the order; a label outside them is refused.
SELECT classes FROM ser_model_info('tiny');
SELECT model FROM ser_train('ordered', 'SELECT audio, label, speaker FROM train_rows', epochs => 1, batch_size => 4,
                            validation_fraction => 0, classes => ARRAY['tone', 'other']);
SELECT classes FROM ser_models WHERE name = 'ordered';
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', classes => ARRAY['tone', 'noise']);

-- An ensemble of three networks by default, and three more trained without
-- speaker normalisation for recordings without a profile; ensemble => 1,
-- alone_ensemble => 0 trains one.  The provenance names each network, the
-- training record the recipe and the fitted temperatures.
SELECT model FROM ser_train('single', 'SELECT audio, label, speaker FROM train_rows', epochs => 1, batch_size => 4,
                            validation_fraction => 0, ensemble => 1, alone_ensemble => 0, calibrate => false);
SELECT s.parameters * 6 = e.parameters AS six_networks,
       e.provenance LIKE '%with speaker profiles: ensemble of 3 networks (seeds 1 to 3)%' AS provenance_says_so,
       e.provenance LIKE '%without a profile: ensemble of 3 networks (seeds 1 to 3)%' AS and_without_profiles,
       e.provenance LIKE '%fitted on out-of-fold predictions of 4 folds grouped by speaker%' AS calibrated,
       s.provenance NOT LIKE '%ensemble%' AND s.provenance NOT LIKE '%temperature%' AS single_says_nothing
FROM ser_model_info('single') s, ser_model_info('ordered') e;
SELECT name, training->>'ensemble' AS ensemble, training->>'alone_ensemble' AS alone_ensemble,
       training->>'speaker_normalisation' AS speaker_normalisation, training->>'calibrate' AS calibrate,
       (training->>'temperature')::float8 BETWEEN 0.02 AND 50 AS temperature_in_range,
       training ? 'temperature_alone' AS has_temperature_alone
FROM ser_models WHERE name IN ('single', 'ordered') ORDER BY name;
-- Both paths classify: with a profile, and without one.
SELECT ser_predict(audio, 'ordered') IN ('tone', 'other') AS alone,
       ser_predict(audio, 'ordered', (SELECT ser_speaker_profile(audio) FROM train_rows WHERE speaker = '1'))
         IN ('tone', 'other') AS with_profile
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
DELETE FROM ser_models WHERE name = 'single';

-- The recipe: every training argument, its default and range, defined once
-- in the core.  NULL or a left-out argument means the default.
SELECT * FROM ser_training_defaults();
SELECT model FROM ser_train('nulls', 'SELECT audio, label, speaker FROM train_rows', epochs => 1, batch_size => 4,
                            seed => NULL, speaker_normalisation => NULL, perturbation => NULL, ensemble => 1);
SELECT training->>'seed' AS seed, training->>'speaker_normalisation' AS speaker_normalisation,
       training->>'perturbation' AS perturbation, training->>'learning_rate' AS learning_rate,
       training->>'weight_decay' AS weight_decay
FROM ser_models WHERE name = 'nulls';
DELETE FROM ser_models WHERE name = 'nulls';

-- Bad calls.
SELECT ser_train('default', 'SELECT audio, label, speaker FROM train_rows');
SELECT ser_train('', 'SELECT audio, label, speaker FROM train_rows');
SELECT ser_train(NULL, 'SELECT audio, label, speaker FROM train_rows');
SELECT ser_train('bad', NULL);
SELECT ser_train('bad', 'SELECT audio, label FROM train_rows');
SELECT ser_train('bad', 'SELECT audio, label, speaker::int FROM train_rows');
SELECT ser_train('bad', 'SELEC audio');
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows WHERE false');
SELECT ser_train('bad', 'SELECT audio, ''tone''::text, speaker FROM train_rows');
SELECT ser_train('bad', 'SELECT audio, NULL::text, speaker FROM train_rows');
SELECT ser_train('bad', 'SELECT substring(audio for 100), label, speaker FROM train_rows');
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', epochs => 0);
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', batch_size => 1);
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', learning_rate => 0);
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', validation_fraction => 0.9);
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', classes => ARRAY['tone', 'tone']);
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', ensemble => 0);
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', ensemble => 17);
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', alone_ensemble => -1);
SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows', alone_ensemble => 17);
SELECT ser_train('bad', 'SELECT audio, repeat(''x'', 201), speaker FROM train_rows');
SELECT ser_train('bad', 'SELECT audio, '''', speaker FROM train_rows');

-- Training queries that are not one query that reads: each refused with
-- what is wrong (and nothing changed).
SELECT sqlstate_of($$SELECT ser_train('bad', '')$$);
SELECT sqlstate_of($$SELECT ser_train('bad', '  ;  ')$$);
SELECT sqlstate_of($$SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows; SELECT 1')$$);
SELECT sqlstate_of($$SELECT ser_train('bad', 'WITH gone AS (DELETE FROM train_rows RETURNING *) SELECT * FROM gone')$$);
SELECT sqlstate_of($$SELECT ser_train('bad', 'DELETE FROM train_rows RETURNING audio, label, speaker')$$);
SELECT sqlstate_of($$SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows FOR UPDATE')$$);
SELECT sqlstate_of($$SELECT ser_train('bad', 'CREATE TABLE t AS SELECT 1')$$);
SELECT count(*) AS rows_kept FROM train_rows;

-- A huge model name is shown clipped in messages, not echoed whole.
SELECT sqlstate_of(format('SELECT ser_model_info(%L)', repeat('x', 100000)));
SELECT sqlstate_of(format($$SELECT ser_predict(audio, %L) FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav'$$,
                          repeat('é', 50000)));
INSERT INTO ser_models (name, format_version, classes, feature_params, architecture, training, size_bytes, weights)
VALUES (repeat('m', 100000), 1, '{a,b}', '', '', '{}', 4, '\x00000000');
SELECT sqlstate_of(format($$SELECT ser_train(%L, 'SELECT audio, label, speaker FROM train_rows')$$,
                          repeat('m', 100000)));
SELECT sqlstate_of(format($$SELECT ser_predict(audio, %L) FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav'$$,
                          repeat('m', 100000)));
SELECT sqlstate_of($$SELECT ser_train('bad', 'SELECT audio, label, speaker FROM train_rows',
                                      classes => ARRAY[repeat('c', 1000), repeat('c', 1000)])$$);
DELETE FROM ser_models WHERE length(name) = 100000;
SELECT count(*) AS models FROM ser_models;

-- None of them stored a model.
SELECT count(*) AS stored_by_bad_calls FROM ser_models WHERE name IN ('bad', '', 'default');

DELETE FROM ser_models WHERE name IN ('tiny', 'tiny2', 'ordered');
