-- The names of the utterance vector and of the frame columns: as many as
-- values, unique, and usable to read a vector as a table.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT cardinality(ser_feature_names()) AS utterance_values,
       cardinality(ser_frame_feature_names()) AS frame_columns;

SELECT count(DISTINCT n) = count(*) AS utterance_names_unique
FROM unnest(ser_feature_names()) AS n;
SELECT count(DISTINCT n) = count(*) AS frame_names_unique
FROM unnest(ser_frame_feature_names()) AS n;

-- Same length as the values they name, for every fixture.
SELECT name,
       cardinality(ser_features(audio)) = cardinality(ser_feature_names()) AS vector_matches,
       array_length(ser_frames(audio), 2) = cardinality(ser_frame_feature_names()) AS frames_match
FROM fixtures
WHERE name IN ('silence_16k.wav', 'tone440_16k_pcm16.wav', 'ravdess_03-01-05-02-01-01-01.wav')
ORDER BY name;

-- Groups of names, in order.
SELECT regexp_replace(n, '_(\d+|[A-G]#?)$', '') AS family, count(*) AS columns, min(i) AS first_column
FROM unnest(ser_frame_feature_names()) WITH ORDINALITY AS u(n, i)
GROUP BY 1 ORDER BY min(i);

SELECT split_part(n, '_', 1) AS feature, count(*) AS values, min(i) AS first_value
FROM unnest(ser_feature_names()) WITH ORDINALITY AS u(n, i)
GROUP BY 1 ORDER BY min(i);

-- A vector read as a table.
SELECT n AS name, round(v::numeric, 1) AS value
FROM fixtures, unnest(ser_feature_names(), ser_features(audio)) AS u(n, v)
WHERE fixtures.name = 'tone440_16k_pcm16.wav' AND n IN ('f0_voiced_p50', 'voiced_fraction', 'rms_mean', 'chroma_A_mean');
