-- Presentation functions and views (sql/install/50_presentation.sql):
-- labelled probabilities, confusion matrices in emotion order, stored
-- evaluations and their summary, statistics of any table of recordings.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SET client_min_messages = warning;

-- Labelled probabilities: one row per class in ser_emotions() order, the
-- same numbers as ser_predict_proba, the top one ser_predict's label.
SELECT array_agg(r.emotion ORDER BY r.class_position) = ser_emotions() AS emotion_order,
       array_agg(r.probability ORDER BY r.class_position) = ser_predict_proba(f.audio) AS same_numbers,
       abs(sum(r.probability) - 1) < 1e-4 AS sums_to_one,
       (array_agg(r.emotion ORDER BY r.probability DESC))[1] = ser_predict(f.audio) AS top_is_prediction
FROM fixtures f, ser_probability_rows(f.audio) r
WHERE f.name = 'ravdess_03-01-05-02-01-01-01.wav'
GROUP BY f.audio;

-- The jsonb form: the class names as keys, the same probabilities.
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(ser_probabilities(audio)) k)
         = (SELECT array_agg(e ORDER BY e) FROM unnest(ser_emotions()) e) AS keys_are_classes,
       (ser_probabilities(audio) ->> 'angry')::real = (ser_predict_proba(audio))[5] AS angry_matches
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

-- NULL audio or model: no rows, NULL jsonb.
SELECT count(*) AS rows_for_null_audio FROM ser_probability_rows(NULL);
SELECT count(*) AS rows_for_null_model FROM fixtures, ser_probability_rows(audio, NULL) WHERE name = 'tone440_16k.flac';
SELECT ser_probabilities(NULL) IS NULL AS null_jsonb;
-- An unknown model is the prediction's own error.
SELECT sqlstate_of($$SELECT * FROM ser_probability_rows((SELECT audio FROM fixtures WHERE name = 'tone440_16k.flac'), 'nope')$$);

-- Confusion matrix: every cell, zero ones included, rows and columns in
-- the classes' order; a label outside them comes after; NULL pairs skipped.
SELECT * FROM ser_confusion_matrix(ARRAY['sad', 'angry', 'angry', 'bored', NULL, 'sad'],
                                   ARRAY['sad', 'sad', 'angry', 'angry', 'sad', NULL],
                                   ARRAY['angry', 'sad']);
-- The default classes are the eight emotions, in ser_emotions() order.
SELECT count(*) AS cells, sum(recordings) AS recordings,
       array_agg(DISTINCT actual) <@ ser_emotions() AS only_emotions,
       (array_agg(actual))[1] AS first_row, (array_agg(predicted))[64] AS last_column
FROM ser_confusion_matrix(ARRAY['angry', 'calm'], ARRAY['angry', 'sad']);
-- Unequal lengths are a mistake, said so.
SELECT sqlstate_of($$SELECT * FROM ser_confusion_matrix(ARRAY['angry'], ARRAY['angry', 'sad'])$$);
SELECT count(*) AS rows_for_null FROM ser_confusion_matrix(NULL, ARRAY['angry']);

-- Per-class figures from the same pairs.
SELECT emotion, recordings, predicted_as, correct, round(recall::numeric, 3) AS recall,
       round(precision::numeric, 3) AS precision, round(f1::numeric, 3) AS f1
FROM ser_class_summary(ARRAY['sad', 'angry', 'angry', 'bored'], ARRAY['sad', 'sad', 'angry', 'angry'],
                       ARRAY['angry', 'sad']);

-- The shipped model's evaluation (the model card) is installed in
-- ser_evaluations; the summary view gives one line per protocol.
SELECT evaluation, model, protocol, folds, recordings, round(uar::numeric, 4) AS uar,
       round(uar_mean::numeric, 4) AS uar_mean, round(uar_std::numeric, 4) AS uar_std,
       round(accuracy::numeric, 4) AS accuracy, round(macro_f1::numeric, 4) AS macro_f1
FROM ser_evaluation_summary ORDER BY protocol;
-- The stored rows agree with each other: the confusion matrix holds every
-- recording, and its diagonal over its rows gives the stored recall.
SELECT c.protocol LIKE '%with speaker profiles%' AS with_profiles,
       sum(c.recordings) AS confusion_total,
       bool_and(abs(c.recall_from_matrix - r.recall) < 5e-5) AS recall_agrees
FROM (SELECT protocol, actual, sum(recordings) AS recordings,
             sum(recordings) FILTER (WHERE actual = predicted)::float8 / sum(recordings) AS recall_from_matrix
      FROM ser_evaluation_confusion WHERE evaluation = 'model card' GROUP BY protocol, actual) c
JOIN ser_evaluation_recall r ON r.evaluation = 'model card' AND r.protocol = c.protocol AND r.emotion = c.actual
GROUP BY 1 ORDER BY 1;
-- The views list classes in emotion order.
SELECT array_agg(emotion) = ser_emotions() AS recall_in_emotion_order
FROM ser_evaluation_recall WHERE evaluation = 'model card' AND protocol LIKE '%with speaker profiles%';
SELECT actual, predicted, recordings FROM ser_evaluation_confusion
WHERE evaluation = 'model card' AND protocol LIKE '%with speaker profiles%' AND actual = 'sad';

-- A user's evaluation, stored the documented way, appears beside it.
INSERT INTO ser_evaluations (evaluation, model, protocol, fold, metric, label, predicted, value)
SELECT 'mine', 'my_model', 'p', NULL, m, NULL, NULL, v
FROM (VALUES ('uar', 0.5), ('accuracy', 0.25), ('macro_f1', 0.2), ('recordings', 4)) AS x(m, v);
SELECT evaluation, model, folds, recordings, uar, accuracy, macro_f1, uar_mean
FROM ser_evaluation_summary WHERE evaluation = 'mine';
DELETE FROM ser_evaluations WHERE evaluation = 'mine';
SELECT sqlstate_of($$INSERT INTO ser_evaluations (evaluation, protocol, metric, value) VALUES ('', 'p', 'uar', 1)$$);
-- pg_dump keeps the users' rows, not the installed ones.
SELECT unnest(extcondition) AS dump_condition FROM pg_extension WHERE extname = 'ser' AND extcondition IS NOT NULL
ORDER BY 1;

-- Any table of recordings: label, format, duration, hash, or the decoder's message.
SELECT label, format, round(duration_s::numeric, 2) AS duration_s, length(content_sha256) AS hash_bytes, error
FROM ser_table_recordings('fixtures', label_column => 'name')
WHERE label IN ('empty_16k.wav', 'tone440_16k.flac', 'tone440_48k.opus') ORDER BY label;
CREATE TABLE unreadable_clips (clip bytea, emotion text);
INSERT INTO unreadable_clips VALUES ('\x00010203', 'angry'), (NULL, 'sad');
SELECT * FROM ser_table_recordings('unreadable_clips', 'clip', 'emotion') ORDER BY label;
-- Wrong names are said so.
SELECT sqlstate_of($$SELECT * FROM ser_table_recordings('fixtures')$$);
SELECT sqlstate_of($$SELECT * FROM ser_table_recordings('fixtures', 'name', 'name')$$);
SELECT sqlstate_of($$SELECT * FROM ser_table_recordings('fixtures', 'audio', 'nope')$$);
SELECT sqlstate_of($$SELECT * FROM ser_table_recordings('no_such_table')$$);
-- Names are identifiers, never SQL text.
CREATE TABLE "odd ""name""" ("the audio" bytea, "the;label" text);
INSERT INTO "odd ""name""" VALUES (NULL, 'calm');
SELECT label, error FROM ser_table_recordings('"odd ""name"""', 'the audio', 'the;label');
DROP TABLE unreadable_clips, "odd ""name""";
