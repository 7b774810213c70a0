-- The model shipped with ser: installed with the extension, described by
-- ser_model_info, used when no model is named.  Its feature parameters are
-- in the version-1 text; today's defaults are written as version 2 with the
-- new gate, floor and descriptors off, the same features, so the texts differ.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT name, format_version, classes = ser_emotions() AS emotion_classes,
       feature_params = ser_feature_params() AS current_feature_params,
       size_bytes < 5 * 1024 * 1024 AS under_5_mb, provenance LIKE 'ser_train:%' AS trained_by_ser_train
FROM ser_model_info();

-- Speech gets one of the eight emotions and probabilities summing to 1;
-- what is not speech (the tones, silence) gets none, and ser_classify says why.
SELECT name, ser_predict(audio) = ANY (ser_emotions()) AS emotion,
       round((SELECT sum(p) FROM unnest(ser_predict_proba(audio)) p)::numeric, 4) AS total,
       (ser_classify(audio)).label IS NOT DISTINCT FROM ser_predict(audio, model => 'default') AS consistent,
       (ser_classify(audio)).reason
FROM fixtures WHERE name NOT LIKE 'empty%' ORDER BY name;

-- A recording without audio gets no emotion: it is refused like empty input.
SELECT ser_predict(audio) FROM fixtures WHERE name = 'empty_16k.wav';

-- The same recording in another container is judged the same way.
SELECT count(DISTINCT (ser_speech(audio)).reason) = 1 AS container_independent
FROM fixtures WHERE name LIKE 'tone440%';
