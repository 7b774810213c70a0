
-- ---------------------------------------------------------------------------
-- Presentation: labelled probabilities, confusion matrices, evaluation
-- summaries and table statistics, for people (psql) and for ser-web's pages
-- alike.  Built in SQL over the functions above.
-- ---------------------------------------------------------------------------

-- Probabilities with their class names, in the model's class order.
CREATE FUNCTION ser_probability_rows(audio bytea, model text DEFAULT 'default', speaker_profile real[] DEFAULT NULL)
RETURNS TABLE (class_position int, emotion text, probability real)
LANGUAGE sql STABLE PARALLEL SAFE COST 10000 ROWS 8
AS $$
  SELECT u.position::int, u.emotion, u.probability
  FROM unnest((ser_model_info(model)).classes, ser_predict_proba(audio, model, speaker_profile))
       WITH ORDINALITY AS u(emotion, probability, position)
  WHERE audio IS NOT NULL
  ORDER BY u.position
$$;

COMMENT ON FUNCTION ser_probability_rows(bytea, text, real[]) IS
'Every class probability of a recording as a row (class_position, emotion, probability), in the model''s class order (ser_emotions() for the shipped model). No rows when audio or model is NULL. speaker_profile as for ser_predict().';

CREATE FUNCTION ser_probabilities(audio bytea, model text DEFAULT 'default', speaker_profile real[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE COST 10000
AS $$
  SELECT jsonb_object_agg(r.emotion, r.probability)
  FROM ser_probability_rows(audio, model, speaker_profile) r
$$;

COMMENT ON FUNCTION ser_probabilities(bytea, text, real[]) IS
'Class probabilities of a recording labelled with their classes, as jsonb: {"angry": 0.91, "calm": 0.01, ...} (jsonb keeps keys in its own order; ser_probability_rows() gives the class order). NULL when audio or model is NULL. speaker_profile as for ser_predict().';

-- A confusion matrix with every cell, zero cells included, in emotion order.
CREATE FUNCTION ser_confusion_matrix(actual_labels text[], predicted_labels text[], classes text[] DEFAULT ser_emotions())
RETURNS TABLE (actual text, predicted text, recordings bigint)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
  IF cardinality(actual_labels) <> cardinality(predicted_labels) THEN
    RAISE EXCEPTION 'actual_labels and predicted_labels must have the same number of elements'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('actual_labels has %s, predicted_labels has %s.', cardinality(actual_labels),
                            cardinality(predicted_labels)),
            HINT = 'Aggregate both from the same rows, e.g. array_agg(label ORDER BY id), array_agg(prediction ORDER BY id).';
  END IF;
  RETURN QUERY
  WITH pairs AS (
    SELECT u.a, u.p FROM unnest(actual_labels, predicted_labels) AS u(a, p)
    WHERE u.a IS NOT NULL AND u.p IS NOT NULL
  ), labels AS (
    -- The classes first, in their order; labels outside them after, sorted: none is dropped.
    SELECT l.label, row_number() OVER (ORDER BY array_position(classes, l.label) NULLS LAST, l.label) AS position
    FROM (SELECT unnest(classes) UNION SELECT a FROM pairs UNION SELECT p FROM pairs) AS l(label)
    WHERE l.label IS NOT NULL
  )
  SELECT ta.label, tp.label, count(pairs.a)
  FROM labels ta CROSS JOIN labels tp
  LEFT JOIN pairs ON pairs.a = ta.label AND pairs.p = tp.label
  GROUP BY ta.label, ta.position, tp.label, tp.position
  ORDER BY ta.position, tp.position;
END
$$;

COMMENT ON FUNCTION ser_confusion_matrix(text[], text[], text[]) IS
'The confusion matrix of paired true (actual_labels) and predicted labels (predicted_labels) as rows (actual, predicted, recordings), every cell included, zero ones too, rows and columns in the order of classes (default: ser_emotions()); labels outside classes follow, sorted. Pairs with a NULL on either side are not counted. In psql, \crosstabview actual predicted recordings draws it.';

-- Per-class figures of paired labels, from the confusion matrix.
CREATE FUNCTION ser_class_summary(actual_labels text[], predicted_labels text[], classes text[] DEFAULT ser_emotions())
RETURNS TABLE (emotion text, recordings bigint, predicted_as bigint, correct bigint, recall float8,
               "precision" float8, f1 float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  WITH m AS (SELECT c.*, row_number() OVER () AS n FROM ser_confusion_matrix(actual_labels, predicted_labels, classes) c),
  per_class AS (
    SELECT l.label, min(l.n) AS position,
           (SELECT sum(recordings) FROM m WHERE m.actual = l.label)::bigint AS recordings,
           (SELECT sum(recordings) FROM m WHERE m.predicted = l.label)::bigint AS predicted_as,
           (SELECT recordings FROM m WHERE m.actual = l.label AND m.predicted = l.label) AS correct
    FROM (SELECT m.actual AS label, m.n FROM m) l
    GROUP BY l.label
  )
  SELECT label, recordings, predicted_as, correct,
         correct::float8 / nullif(recordings, 0),
         correct::float8 / nullif(predicted_as, 0),
         2.0 * correct / nullif(recordings + predicted_as, 0)
  FROM per_class ORDER BY position
$$;

COMMENT ON FUNCTION ser_class_summary(text[], text[], text[]) IS
'Per class of paired true (actual_labels) and predicted labels (predicted_labels): recordings of that class, recordings predicted as it, correct ones, recall, precision and F1 (NULL where undefined), in the order of ser_confusion_matrix().';

-- Stored evaluations: ser_evaluate's rows kept under a name, so that a
-- page or a person can look at them without training again.
CREATE TABLE ser_evaluations (
    evaluation  text NOT NULL CHECK (evaluation <> ''),
    model       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    protocol    text NOT NULL,
    fold        int,
    metric      text NOT NULL,
    label       text,
    predicted   text,
    value       float8 NOT NULL
);
CREATE INDEX ser_evaluations_evaluation_idx ON ser_evaluations (evaluation);
-- The model card's rows below come with the extension: pg_dump keeps only the users'.
SELECT pg_catalog.pg_extension_config_dump('ser_evaluations', $$WHERE evaluation <> 'model card'$$);

COMMENT ON TABLE ser_evaluations IS
'Results of ser_evaluate() kept under a name (evaluation), optionally for a model: INSERT INTO ser_evaluations (evaluation, model, protocol, fold, metric, label, predicted, value) SELECT ''mine'', ''my_model'', e.* FROM ser_evaluate(...) e. The rows of evaluation ''model card'' are the shipped model''s speaker-independent evaluation (model/evaluation.txt), installed with the extension. ser_evaluation_summary, ser_evaluation_recall and ser_evaluation_confusion read them.';

INSERT INTO ser_evaluations (evaluation, model, protocol, fold, metric, label, predicted, value)
SELECT 'model card', 'default', p.protocol, v.fold, v.metric, v.label, v.predicted, v.value
FROM (VALUES
  ('profiles', 1::int, 'accuracy', NULL, NULL, 0.8083::float8),
  ('profiles', 1::int, 'macro_f1', NULL, NULL, 0.7999::float8),
  ('profiles', 1::int, 'recordings', NULL, NULL, 240.0000::float8),
  ('profiles', 1::int, 'temperature', NULL, NULL, 0.9264::float8),
  ('profiles', 1::int, 'uar', NULL, NULL, 0.8203::float8),
  ('profiles', 2::int, 'accuracy', NULL, NULL, 0.7782::float8),
  ('profiles', 2::int, 'macro_f1', NULL, NULL, 0.7598::float8),
  ('profiles', 2::int, 'recordings', NULL, NULL, 239.0000::float8),
  ('profiles', 2::int, 'temperature', NULL, NULL, 0.8854::float8),
  ('profiles', 2::int, 'uar', NULL, NULL, 0.7688::float8),
  ('profiles', 3::int, 'accuracy', NULL, NULL, 0.6500::float8),
  ('profiles', 3::int, 'macro_f1', NULL, NULL, 0.6227::float8),
  ('profiles', 3::int, 'recordings', NULL, NULL, 240.0000::float8),
  ('profiles', 3::int, 'temperature', NULL, NULL, 0.8627::float8),
  ('profiles', 3::int, 'uar', NULL, NULL, 0.6250::float8),
  ('profiles', 4::int, 'accuracy', NULL, NULL, 0.7333::float8),
  ('profiles', 4::int, 'macro_f1', NULL, NULL, 0.7268::float8),
  ('profiles', 4::int, 'recordings', NULL, NULL, 240.0000::float8),
  ('profiles', 4::int, 'temperature', NULL, NULL, 0.9075::float8),
  ('profiles', 4::int, 'uar', NULL, NULL, 0.7461::float8),
  ('profiles', 5::int, 'accuracy', NULL, NULL, 0.6208::float8),
  ('profiles', 5::int, 'macro_f1', NULL, NULL, 0.6089::float8),
  ('profiles', 5::int, 'recordings', NULL, NULL, 240.0000::float8),
  ('profiles', 5::int, 'temperature', NULL, NULL, 0.7927::float8),
  ('profiles', 5::int, 'uar', NULL, NULL, 0.6250::float8),
  ('alone', 1::int, 'accuracy', NULL, NULL, 0.6792::float8),
  ('alone', 1::int, 'macro_f1', NULL, NULL, 0.6575::float8),
  ('alone', 1::int, 'recordings', NULL, NULL, 240.0000::float8),
  ('alone', 1::int, 'temperature', NULL, NULL, 1.1597::float8),
  ('alone', 1::int, 'uar', NULL, NULL, 0.6914::float8),
  ('alone', 2::int, 'accuracy', NULL, NULL, 0.6904::float8),
  ('alone', 2::int, 'macro_f1', NULL, NULL, 0.6824::float8),
  ('alone', 2::int, 'recordings', NULL, NULL, 239.0000::float8),
  ('alone', 2::int, 'temperature', NULL, NULL, 1.1358::float8),
  ('alone', 2::int, 'uar', NULL, NULL, 0.6899::float8),
  ('alone', 3::int, 'accuracy', NULL, NULL, 0.5417::float8),
  ('alone', 3::int, 'macro_f1', NULL, NULL, 0.5165::float8),
  ('alone', 3::int, 'recordings', NULL, NULL, 240.0000::float8),
  ('alone', 3::int, 'temperature', NULL, NULL, 1.0196::float8),
  ('alone', 3::int, 'uar', NULL, NULL, 0.5156::float8),
  ('alone', 4::int, 'accuracy', NULL, NULL, 0.5625::float8),
  ('alone', 4::int, 'macro_f1', NULL, NULL, 0.5444::float8),
  ('alone', 4::int, 'recordings', NULL, NULL, 240.0000::float8),
  ('alone', 4::int, 'temperature', NULL, NULL, 1.0563::float8),
  ('alone', 4::int, 'uar', NULL, NULL, 0.5742::float8),
  ('alone', 5::int, 'accuracy', NULL, NULL, 0.5875::float8),
  ('alone', 5::int, 'macro_f1', NULL, NULL, 0.5792::float8),
  ('alone', 5::int, 'recordings', NULL, NULL, 240.0000::float8),
  ('alone', 5::int, 'temperature', NULL, NULL, 1.0462::float8),
  ('alone', 5::int, 'uar', NULL, NULL, 0.5898::float8),
  ('profiles', NULL::int, 'accuracy', NULL, NULL, 0.7181::float8),
  ('profiles', NULL::int, 'accuracy_mean', NULL, NULL, 0.7181::float8),
  ('profiles', NULL::int, 'accuracy_std', NULL, NULL, 0.0722::float8),
  ('profiles', NULL::int, 'ece', NULL, NULL, 0.0335::float8),
  ('profiles', NULL::int, 'ece_uncalibrated', NULL, NULL, 0.0454::float8),
  ('profiles', NULL::int, 'macro_f1', NULL, NULL, 0.7065::float8),
  ('profiles', NULL::int, 'macro_f1_mean', NULL, NULL, 0.7036::float8),
  ('profiles', NULL::int, 'macro_f1_std', NULL, NULL, 0.0755::float8),
  ('profiles', NULL::int, 'mean_confidence', NULL, NULL, 0.7181::float8),
  ('profiles', NULL::int, 'uar', NULL, NULL, 0.7170::float8),
  ('profiles', NULL::int, 'uar_mean', NULL, NULL, 0.7170::float8),
  ('profiles', NULL::int, 'uar_std', NULL, NULL, 0.0789::float8),
  ('alone', NULL::int, 'accuracy', NULL, NULL, 0.6122::float8),
  ('alone', NULL::int, 'accuracy_mean', NULL, NULL, 0.6122::float8),
  ('alone', NULL::int, 'accuracy_std', NULL, NULL, 0.0611::float8),
  ('alone', NULL::int, 'ece', NULL, NULL, 0.0318::float8),
  ('alone', NULL::int, 'ece_uncalibrated', NULL, NULL, 0.0394::float8),
  ('alone', NULL::int, 'macro_f1', NULL, NULL, 0.6014::float8),
  ('alone', NULL::int, 'macro_f1_mean', NULL, NULL, 0.5960::float8),
  ('alone', NULL::int, 'macro_f1_std', NULL, NULL, 0.0641::float8),
  ('alone', NULL::int, 'mean_confidence', NULL, NULL, 0.6203::float8),
  ('alone', NULL::int, 'uar', NULL, NULL, 0.6121::float8),
  ('alone', NULL::int, 'uar_mean', NULL, NULL, 0.6122::float8),
  ('alone', NULL::int, 'uar_std', NULL, NULL, 0.0687::float8),
  ('profiles', NULL::int, 'recall', 'neutral', NULL, 0.7000::float8),
  ('profiles', NULL::int, 'recall', 'calm', NULL, 0.8875::float8),
  ('profiles', NULL::int, 'recall', 'happy', NULL, 0.6981::float8),
  ('profiles', NULL::int, 'recall', 'sad', NULL, 0.4188::float8),
  ('profiles', NULL::int, 'recall', 'angry', NULL, 0.8188::float8),
  ('profiles', NULL::int, 'recall', 'fearful', NULL, 0.6500::float8),
  ('profiles', NULL::int, 'recall', 'disgust', NULL, 0.7938::float8),
  ('profiles', NULL::int, 'recall', 'surprised', NULL, 0.7688::float8),
  ('alone', NULL::int, 'recall', 'neutral', NULL, 0.6125::float8),
  ('alone', NULL::int, 'recall', 'calm', NULL, 0.7438::float8),
  ('alone', NULL::int, 'recall', 'happy', NULL, 0.5409::float8),
  ('alone', NULL::int, 'recall', 'sad', NULL, 0.3375::float8),
  ('alone', NULL::int, 'recall', 'angry', NULL, 0.7813::float8),
  ('alone', NULL::int, 'recall', 'fearful', NULL, 0.5438::float8),
  ('alone', NULL::int, 'recall', 'disgust', NULL, 0.6750::float8),
  ('alone', NULL::int, 'recall', 'surprised', NULL, 0.6625::float8),
  ('profiles', NULL::int, 'confusion', 'neutral', 'neutral', 56::float8),
  ('profiles', NULL::int, 'confusion', 'neutral', 'calm', 13::float8),
  ('profiles', NULL::int, 'confusion', 'neutral', 'happy', 1::float8),
  ('profiles', NULL::int, 'confusion', 'neutral', 'sad', 7::float8),
  ('profiles', NULL::int, 'confusion', 'neutral', 'angry', 0::float8),
  ('profiles', NULL::int, 'confusion', 'neutral', 'fearful', 0::float8),
  ('profiles', NULL::int, 'confusion', 'neutral', 'disgust', 1::float8),
  ('profiles', NULL::int, 'confusion', 'neutral', 'surprised', 2::float8),
  ('profiles', NULL::int, 'confusion', 'calm', 'neutral', 8::float8),
  ('profiles', NULL::int, 'confusion', 'calm', 'calm', 142::float8),
  ('profiles', NULL::int, 'confusion', 'calm', 'happy', 1::float8),
  ('profiles', NULL::int, 'confusion', 'calm', 'sad', 5::float8),
  ('profiles', NULL::int, 'confusion', 'calm', 'angry', 0::float8),
  ('profiles', NULL::int, 'confusion', 'calm', 'fearful', 1::float8),
  ('profiles', NULL::int, 'confusion', 'calm', 'disgust', 3::float8),
  ('profiles', NULL::int, 'confusion', 'calm', 'surprised', 0::float8),
  ('profiles', NULL::int, 'confusion', 'happy', 'neutral', 7::float8),
  ('profiles', NULL::int, 'confusion', 'happy', 'calm', 1::float8),
  ('profiles', NULL::int, 'confusion', 'happy', 'happy', 111::float8),
  ('profiles', NULL::int, 'confusion', 'happy', 'sad', 6::float8),
  ('profiles', NULL::int, 'confusion', 'happy', 'angry', 6::float8),
  ('profiles', NULL::int, 'confusion', 'happy', 'fearful', 12::float8),
  ('profiles', NULL::int, 'confusion', 'happy', 'disgust', 2::float8),
  ('profiles', NULL::int, 'confusion', 'happy', 'surprised', 14::float8),
  ('profiles', NULL::int, 'confusion', 'sad', 'neutral', 19::float8),
  ('profiles', NULL::int, 'confusion', 'sad', 'calm', 34::float8),
  ('profiles', NULL::int, 'confusion', 'sad', 'happy', 14::float8),
  ('profiles', NULL::int, 'confusion', 'sad', 'sad', 67::float8),
  ('profiles', NULL::int, 'confusion', 'sad', 'angry', 1::float8),
  ('profiles', NULL::int, 'confusion', 'sad', 'fearful', 8::float8),
  ('profiles', NULL::int, 'confusion', 'sad', 'disgust', 13::float8),
  ('profiles', NULL::int, 'confusion', 'sad', 'surprised', 4::float8),
  ('profiles', NULL::int, 'confusion', 'angry', 'neutral', 2::float8),
  ('profiles', NULL::int, 'confusion', 'angry', 'calm', 0::float8),
  ('profiles', NULL::int, 'confusion', 'angry', 'happy', 3::float8),
  ('profiles', NULL::int, 'confusion', 'angry', 'sad', 0::float8),
  ('profiles', NULL::int, 'confusion', 'angry', 'angry', 131::float8),
  ('profiles', NULL::int, 'confusion', 'angry', 'fearful', 3::float8),
  ('profiles', NULL::int, 'confusion', 'angry', 'disgust', 16::float8),
  ('profiles', NULL::int, 'confusion', 'angry', 'surprised', 5::float8),
  ('profiles', NULL::int, 'confusion', 'fearful', 'neutral', 1::float8),
  ('profiles', NULL::int, 'confusion', 'fearful', 'calm', 1::float8),
  ('profiles', NULL::int, 'confusion', 'fearful', 'happy', 12::float8),
  ('profiles', NULL::int, 'confusion', 'fearful', 'sad', 11::float8),
  ('profiles', NULL::int, 'confusion', 'fearful', 'angry', 8::float8),
  ('profiles', NULL::int, 'confusion', 'fearful', 'fearful', 104::float8),
  ('profiles', NULL::int, 'confusion', 'fearful', 'disgust', 4::float8),
  ('profiles', NULL::int, 'confusion', 'fearful', 'surprised', 19::float8),
  ('profiles', NULL::int, 'confusion', 'disgust', 'neutral', 2::float8),
  ('profiles', NULL::int, 'confusion', 'disgust', 'calm', 3::float8),
  ('profiles', NULL::int, 'confusion', 'disgust', 'happy', 6::float8),
  ('profiles', NULL::int, 'confusion', 'disgust', 'sad', 3::float8),
  ('profiles', NULL::int, 'confusion', 'disgust', 'angry', 13::float8),
  ('profiles', NULL::int, 'confusion', 'disgust', 'fearful', 2::float8),
  ('profiles', NULL::int, 'confusion', 'disgust', 'disgust', 127::float8),
  ('profiles', NULL::int, 'confusion', 'disgust', 'surprised', 4::float8),
  ('profiles', NULL::int, 'confusion', 'surprised', 'neutral', 5::float8),
  ('profiles', NULL::int, 'confusion', 'surprised', 'calm', 0::float8),
  ('profiles', NULL::int, 'confusion', 'surprised', 'happy', 7::float8),
  ('profiles', NULL::int, 'confusion', 'surprised', 'sad', 3::float8),
  ('profiles', NULL::int, 'confusion', 'surprised', 'angry', 1::float8),
  ('profiles', NULL::int, 'confusion', 'surprised', 'fearful', 15::float8),
  ('profiles', NULL::int, 'confusion', 'surprised', 'disgust', 6::float8),
  ('profiles', NULL::int, 'confusion', 'surprised', 'surprised', 123::float8),
  ('alone', NULL::int, 'confusion', 'neutral', 'neutral', 49::float8),
  ('alone', NULL::int, 'confusion', 'neutral', 'calm', 17::float8),
  ('alone', NULL::int, 'confusion', 'neutral', 'happy', 5::float8),
  ('alone', NULL::int, 'confusion', 'neutral', 'sad', 6::float8),
  ('alone', NULL::int, 'confusion', 'neutral', 'angry', 0::float8),
  ('alone', NULL::int, 'confusion', 'neutral', 'fearful', 0::float8),
  ('alone', NULL::int, 'confusion', 'neutral', 'disgust', 3::float8),
  ('alone', NULL::int, 'confusion', 'neutral', 'surprised', 0::float8),
  ('alone', NULL::int, 'confusion', 'calm', 'neutral', 19::float8),
  ('alone', NULL::int, 'confusion', 'calm', 'calm', 119::float8),
  ('alone', NULL::int, 'confusion', 'calm', 'happy', 3::float8),
  ('alone', NULL::int, 'confusion', 'calm', 'sad', 6::float8),
  ('alone', NULL::int, 'confusion', 'calm', 'angry', 1::float8),
  ('alone', NULL::int, 'confusion', 'calm', 'fearful', 3::float8),
  ('alone', NULL::int, 'confusion', 'calm', 'disgust', 9::float8),
  ('alone', NULL::int, 'confusion', 'calm', 'surprised', 0::float8),
  ('alone', NULL::int, 'confusion', 'happy', 'neutral', 6::float8),
  ('alone', NULL::int, 'confusion', 'happy', 'calm', 5::float8),
  ('alone', NULL::int, 'confusion', 'happy', 'happy', 86::float8),
  ('alone', NULL::int, 'confusion', 'happy', 'sad', 9::float8),
  ('alone', NULL::int, 'confusion', 'happy', 'angry', 13::float8),
  ('alone', NULL::int, 'confusion', 'happy', 'fearful', 19::float8),
  ('alone', NULL::int, 'confusion', 'happy', 'disgust', 4::float8),
  ('alone', NULL::int, 'confusion', 'happy', 'surprised', 17::float8),
  ('alone', NULL::int, 'confusion', 'sad', 'neutral', 20::float8),
  ('alone', NULL::int, 'confusion', 'sad', 'calm', 31::float8),
  ('alone', NULL::int, 'confusion', 'sad', 'happy', 14::float8),
  ('alone', NULL::int, 'confusion', 'sad', 'sad', 54::float8),
  ('alone', NULL::int, 'confusion', 'sad', 'angry', 4::float8),
  ('alone', NULL::int, 'confusion', 'sad', 'fearful', 17::float8),
  ('alone', NULL::int, 'confusion', 'sad', 'disgust', 14::float8),
  ('alone', NULL::int, 'confusion', 'sad', 'surprised', 6::float8),
  ('alone', NULL::int, 'confusion', 'angry', 'neutral', 1::float8),
  ('alone', NULL::int, 'confusion', 'angry', 'calm', 1::float8),
  ('alone', NULL::int, 'confusion', 'angry', 'happy', 1::float8),
  ('alone', NULL::int, 'confusion', 'angry', 'sad', 2::float8),
  ('alone', NULL::int, 'confusion', 'angry', 'angry', 125::float8),
  ('alone', NULL::int, 'confusion', 'angry', 'fearful', 2::float8),
  ('alone', NULL::int, 'confusion', 'angry', 'disgust', 16::float8),
  ('alone', NULL::int, 'confusion', 'angry', 'surprised', 12::float8),
  ('alone', NULL::int, 'confusion', 'fearful', 'neutral', 1::float8),
  ('alone', NULL::int, 'confusion', 'fearful', 'calm', 5::float8),
  ('alone', NULL::int, 'confusion', 'fearful', 'happy', 15::float8),
  ('alone', NULL::int, 'confusion', 'fearful', 'sad', 19::float8),
  ('alone', NULL::int, 'confusion', 'fearful', 'angry', 11::float8),
  ('alone', NULL::int, 'confusion', 'fearful', 'fearful', 87::float8),
  ('alone', NULL::int, 'confusion', 'fearful', 'disgust', 7::float8),
  ('alone', NULL::int, 'confusion', 'fearful', 'surprised', 15::float8),
  ('alone', NULL::int, 'confusion', 'disgust', 'neutral', 7::float8),
  ('alone', NULL::int, 'confusion', 'disgust', 'calm', 6::float8),
  ('alone', NULL::int, 'confusion', 'disgust', 'happy', 12::float8),
  ('alone', NULL::int, 'confusion', 'disgust', 'sad', 5::float8),
  ('alone', NULL::int, 'confusion', 'disgust', 'angry', 13::float8),
  ('alone', NULL::int, 'confusion', 'disgust', 'fearful', 4::float8),
  ('alone', NULL::int, 'confusion', 'disgust', 'disgust', 108::float8),
  ('alone', NULL::int, 'confusion', 'disgust', 'surprised', 5::float8),
  ('alone', NULL::int, 'confusion', 'surprised', 'neutral', 3::float8),
  ('alone', NULL::int, 'confusion', 'surprised', 'calm', 1::float8),
  ('alone', NULL::int, 'confusion', 'surprised', 'happy', 10::float8),
  ('alone', NULL::int, 'confusion', 'surprised', 'sad', 6::float8),
  ('alone', NULL::int, 'confusion', 'surprised', 'angry', 5::float8),
  ('alone', NULL::int, 'confusion', 'surprised', 'fearful', 20::float8),
  ('alone', NULL::int, 'confusion', 'surprised', 'disgust', 9::float8),
  ('alone', NULL::int, 'confusion', 'surprised', 'surprised', 106::float8),
  ('profiles', NULL::int, 'recordings', NULL, NULL, 1199::float8),
  ('alone', NULL::int, 'recordings', NULL, NULL, 1199::float8)
) AS v(mode, fold, metric, label, predicted, value)
JOIN (VALUES ('profiles', 'speaker-independent: 5 folds of speakers 1-4;5-8;9-12;13-16;17-20; with speaker profiles (labels unused)'),
             ('alone', 'speaker-independent: 5 folds of speakers 1-4;5-8;9-12;13-16;17-20; without speaker profiles (each recording alone, networks trained without them)')) AS p(mode, protocol) USING (mode);

-- The summary form of ser_evaluate: one row per evaluation and protocol.
CREATE VIEW ser_evaluation_summary WITH (security_invoker = true) AS
SELECT evaluation, min(model) AS model, max(created_at) AS created_at, protocol,
       count(DISTINCT fold) AS folds,
       max(value) FILTER (WHERE fold IS NULL AND metric = 'recordings')::bigint AS recordings,
       max(value) FILTER (WHERE fold IS NULL AND metric = 'accuracy') AS accuracy,
       max(value) FILTER (WHERE fold IS NULL AND metric = 'uar') AS uar,
       max(value) FILTER (WHERE fold IS NULL AND metric = 'macro_f1') AS macro_f1,
       max(value) FILTER (WHERE metric = 'accuracy_mean') AS accuracy_mean,
       max(value) FILTER (WHERE metric = 'accuracy_std') AS accuracy_std,
       max(value) FILTER (WHERE metric = 'uar_mean') AS uar_mean,
       max(value) FILTER (WHERE metric = 'uar_std') AS uar_std,
       max(value) FILTER (WHERE metric = 'macro_f1_mean') AS macro_f1_mean,
       max(value) FILTER (WHERE metric = 'macro_f1_std') AS macro_f1_std
FROM ser_evaluations
GROUP BY evaluation, protocol;

COMMENT ON VIEW ser_evaluation_summary IS
'ser_evaluate''s rows in one line per stored evaluation and protocol: folds, recordings, pooled accuracy, UAR and macro-F1, and their mean and standard deviation over folds.';

CREATE VIEW ser_evaluation_recall WITH (security_invoker = true) AS
SELECT evaluation, protocol, label AS emotion, value AS recall
FROM ser_evaluations
WHERE fold IS NULL AND metric = 'recall'
ORDER BY evaluation, protocol, array_position(ser_emotions(), label), label;

COMMENT ON VIEW ser_evaluation_recall IS
'Pooled recall per class of each stored evaluation and protocol, in emotion order (ser_emotions(); other labels after, sorted).';

CREATE VIEW ser_evaluation_confusion WITH (security_invoker = true) AS
SELECT evaluation, protocol, label AS actual, predicted, value::bigint AS recordings
FROM ser_evaluations
WHERE fold IS NULL AND metric = 'confusion'
ORDER BY evaluation, protocol, array_position(ser_emotions(), label), label,
         array_position(ser_emotions(), predicted), predicted;

COMMENT ON VIEW ser_evaluation_confusion IS
'Pooled confusion matrix of each stored evaluation and protocol (actual = true class), rows and columns in emotion order. In psql: SELECT actual, predicted, recordings FROM ser_evaluation_confusion WHERE evaluation = ... AND protocol = ... \crosstabview';

-- Any table of recordings: what the dataset page shows for tables other
-- than ravdess_metadata.  Names are quoted with format('%I'); a recording
-- that cannot be read is reported in its row, not raised.
CREATE FUNCTION ser_table_recordings(recordings regclass, audio_column text DEFAULT 'audio',
                                     label_column text DEFAULT 'label')
RETURNS TABLE (label text, format text, duration_s float8, content_sha256 bytea, error text)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
AS $$
DECLARE
  r record;
  column_type regtype;
BEGIN
  SELECT a.atttypid::regtype INTO column_type FROM pg_attribute a
  WHERE a.attrelid = recordings AND a.attname = audio_column AND a.attnum > 0 AND NOT a.attisdropped;
  IF column_type IS NULL THEN
    RAISE EXCEPTION 'table % has no column "%"', recordings, audio_column
      USING ERRCODE = 'undefined_column', HINT = 'Name the column of the recordings with audio_column => ....';
  ELSIF column_type <> 'bytea'::regtype THEN
    RAISE EXCEPTION 'column "%" of table % is of type %, not bytea', audio_column, recordings, column_type
      USING ERRCODE = 'datatype_mismatch', HINT = 'Name the column of the recordings with audio_column => ....';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = recordings AND a.attname = label_column
                 AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'table % has no column "%"', recordings, label_column
      USING ERRCODE = 'undefined_column', HINT = 'Name the column of the labels with label_column => ....';
  END IF;
  FOR r IN EXECUTE format('SELECT %I::text AS label, %I AS audio FROM %s', label_column, audio_column, recordings)
  LOOP
    label := r.label; format := NULL; duration_s := NULL; error := NULL;
    content_sha256 := sha256(r.audio);
    IF r.audio IS NULL THEN
      error := 'no audio';
    ELSE
      BEGIN
        SELECT i.format, i.duration_s INTO format, duration_s FROM ser_audio_info(r.audio) i;
      EXCEPTION WHEN data_exception OR feature_not_supported OR program_limit_exceeded THEN
        error := SQLERRM;
      END;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$;

COMMENT ON FUNCTION ser_table_recordings(regclass, text, text) IS
'One row per row of a table of recordings: its label (label_column as text), the format and duration of its audio (audio_column, bytea), the SHA-256 of the audio, and the decoder''s error message instead of format and duration when it cannot be read. What ser-web''s dataset page shows for a table other than ravdess_metadata; the caller needs SELECT on the table.';

-- Who may read and write the stored evaluations, as for ser_models
-- (45_privileges.sql): ser_user reads, ser_model_admin writes, and the role
-- that ran CREATE EXTENSION has every right with grant option, so that it
-- can pg_dump and restore its database.
GRANT SELECT ON ser_evaluations, ser_evaluation_summary, ser_evaluation_recall, ser_evaluation_confusion
    TO ser_user, @extowner@;
GRANT INSERT, UPDATE, DELETE ON ser_evaluations TO ser_model_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ser_evaluations TO @extowner@ WITH GRANT OPTION;
