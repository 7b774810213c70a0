-- ser_evaluate: cross-validation grouped by speaker, its rows, and its errors.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SET client_min_messages = warning;

-- Two classes over four speakers, from the fixture recordings.
CREATE TEMP TABLE train_rows AS
SELECT audio,
       CASE WHEN name LIKE 'tone440%' THEN 'tone' ELSE 'other' END AS label,
       (row_number() OVER (ORDER BY name) % 4)::text AS speaker
FROM fixtures
WHERE name NOT LIKE 'empty%';

-- The rows it returns (values depend on floating point, so shapes only):
-- with speaker normalisation (the default), the same fold models are
-- scored with the test speakers' profiles and without them.
SELECT protocol, count(*) FILTER (WHERE fold IS NOT NULL) AS per_fold_rows,
       count(*) FILTER (WHERE fold IS NULL AND metric = 'confusion') AS confusion_cells,
       sum(value) FILTER (WHERE fold IS NULL AND metric = 'confusion') AS recordings,
       bool_and(value BETWEEN 0 AND 1) FILTER (WHERE metric IN ('accuracy', 'uar', 'macro_f1')) AS in_range
FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', folds => 2, epochs => 1, batch_size => 4,
                  validation_fraction => 0)
GROUP BY protocol ORDER BY protocol;
-- Confidence: the calibration error before and after the temperature each
-- fold gets from the other folds' predictions, and those temperatures.
SELECT protocol LIKE '%without speaker profiles%' AS alone,
       count(*) FILTER (WHERE metric = 'temperature' AND fold IS NOT NULL) AS temperatures,
       bool_and(value BETWEEN 0.02 AND 50) FILTER (WHERE metric = 'temperature') AS temperatures_in_range,
       bool_and(value BETWEEN 0 AND 1) FILTER (WHERE metric IN ('ece', 'ece_uncalibrated', 'mean_confidence'))
         AS in_range,
       count(*) FILTER (WHERE fold IS NULL AND metric IN ('ece', 'ece_uncalibrated', 'mean_confidence')) AS pooled
FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', folds => 2, epochs => 1, batch_size => 4,
                  validation_fraction => 0, ensemble => 1, alone_ensemble => 1)
GROUP BY 1 ORDER BY 1;
-- Without calibration, ece is the uncalibrated one and there are no temperatures.
CREATE TEMP TABLE ev_plain AS
SELECT * FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', folds => 2, epochs => 1, batch_size => 4,
                           validation_fraction => 0, ensemble => 1, alone_ensemble => 0, calibrate => false);
SELECT protocol LIKE '%without speaker profiles%' AS alone,
       max(value) FILTER (WHERE metric = 'ece') = max(value) FILTER (WHERE metric = 'ece_uncalibrated')
         AS ece_is_uncalibrated,
       count(*) FILTER (WHERE metric = 'temperature') AS temperatures
FROM ev_plain GROUP BY 1 ORDER BY 1;

-- Without speaker normalisation there is one set of predictions.
SELECT DISTINCT protocol
FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', folds => 2, epochs => 1, batch_size => 4,
                  validation_fraction => 0, speaker_normalisation => false);

-- Explicit folds by integer speaker.
SELECT DISTINCT protocol, fold
FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', fold_groups => '0-1;2-3', epochs => 1,
                  batch_size => 4, validation_fraction => 0)
WHERE fold IS NOT NULL ORDER BY fold, protocol;

-- A split over recordings is only on request, and says what it is (a
-- WARNING, and the protocol column).
SELECT DISTINCT protocol
FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', folds => 2, speaker_dependent => true,
                  epochs => 1, batch_size => 4, validation_fraction => 0)
ORDER BY protocol;

-- Bad calls.
SELECT * FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', folds => 1);
SELECT * FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', folds => 5);
SELECT * FROM ser_evaluate('SELECT audio, label, ''s'' || speaker FROM train_rows', fold_groups => '0-1;2-3');
SELECT * FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', fold_groups => '0;1');
SELECT * FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows', fold_groups => '0-1;2-3',
                           speaker_dependent => true);
SELECT * FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows WHERE false');
