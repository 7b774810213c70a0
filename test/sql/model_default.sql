-- The model shipped with ser: installed with the extension, described by
-- ser_model_info, used when no model is named.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT name, format_version, classes = ser_emotions() AS emotion_classes,
       feature_params = ser_feature_params() AS current_feature_params,
       size_bytes < 5 * 1024 * 1024 AS under_5_mb, provenance LIKE 'ser_train:%' AS trained_by_ser_train
FROM ser_model_info();

-- Every recording gets one of the eight emotions and probabilities summing to 1.
SELECT name, ser_predict(audio) = ANY (ser_emotions()) AS emotion,
       round((SELECT sum(p) FROM unnest(ser_predict_proba(audio)) p)::numeric, 4) AS total,
       (ser_classify(audio)).label = ser_predict(audio, model => 'default') AS consistent
FROM fixtures WHERE name NOT LIKE 'empty%' ORDER BY name;

-- A recording without audio gets no emotion: it is refused like empty input.
SELECT ser_predict(audio) FROM fixtures WHERE name = 'empty_16k.wav';

-- The same recording in another container gives (nearly) the same probabilities.
SELECT max(abs(a - b)) < 0.05 AS container_independent
FROM (SELECT unnest(ser_predict_proba(audio)) a, unnest(ser_predict_proba(
        (SELECT audio FROM fixtures WHERE name = 'tone440_16k.flac'))) b
      FROM fixtures WHERE name = 'tone440_16k_pcm16.wav') s;
