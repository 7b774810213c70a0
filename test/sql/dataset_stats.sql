-- Dataset statistics views and the documented joins of predictions with
-- metadata, over the fixture tree test/fixtures/ravdess_tree (6 recordings,
-- one byte-identical pair; dataset_load shows every message of its load).
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
\set fixtures :abs_srcdir '/fixtures/ravdess_tree'
TRUNCATE ravdess_metadata;
SET client_min_messages = error;
SELECT loaded, skipped, duplicates FROM ser_load_ravdess(:'fixtures');
RESET client_min_messages;

SELECT clips, actors, clips_with_audio, round(total_duration_s::numeric, 4) AS total_duration_s,
       round(mean_duration_s::numeric, 4) AS mean_duration_s, identical_content_clips
FROM ravdess_summary;
SELECT emotion, emotion_name, clips, round(mean_duration_s::numeric, 4) AS mean_duration_s
FROM ravdess_emotion_stats ORDER BY emotion;
SELECT intensity, intensity_name, clips, round(mean_duration_s::numeric, 4) AS mean_duration_s
FROM ravdess_intensity_stats ORDER BY intensity;
SELECT actor, gender, clips, round(mean_duration_s::numeric, 4) AS mean_duration_s
FROM ravdess_actor_stats ORDER BY actor;
SELECT gender, actors, clips, round(mean_duration_s::numeric, 4) AS mean_duration_s
FROM ravdess_gender_stats ORDER BY gender;

-- The views run with the caller's privileges.
SELECT c.relname, c.reloptions FROM pg_class c
WHERE c.relname LIKE 'ravdess\_%' AND c.relkind = 'v' ORDER BY c.relname;
CREATE ROLE regress_ser_viewer;
GRANT SELECT ON ravdess_summary TO regress_ser_viewer;
SET ROLE regress_ser_viewer;
SELECT * FROM ravdess_summary;
RESET ROLE;
REVOKE SELECT ON ravdess_summary FROM regress_ser_viewer;
DROP ROLE regress_ser_viewer;

-- Predictions joined with metadata.  stand_in_predict() stands in for
-- ser_predict(audio bytea) -> text: a "classifier" that hears only the
-- sample rate (16 kHz -> angry, otherwise neutral), so that every number
-- below can be checked by hand against the fixture README.
CREATE FUNCTION stand_in_predict(audio bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT CASE WHEN (ser_audio_info(audio)).sample_rate = 16000 THEN 'angry' ELSE 'neutral' END $$;

CREATE TABLE ravdess_predictions (
    file_name text PRIMARY KEY REFERENCES ravdess_metadata ON DELETE CASCADE,
    predicted text
);
INSERT INTO ravdess_predictions (file_name) SELECT file_name FROM ravdess_metadata;

-- Batch prediction.
UPDATE ravdess_predictions p
SET predicted = stand_in_predict(m.audio)
FROM ravdess_metadata m
WHERE m.file_name = p.file_name AND p.predicted IS NULL;

-- Per-actor accuracy, byte-identical recordings excluded.
SELECT m.actor, m.gender, count(*) AS clips,
       round(avg((p.predicted = m.emotion_name)::int), 3) AS accuracy
FROM ravdess_predictions p JOIN ravdess_metadata m USING (file_name)
WHERE NOT m.identical_content
GROUP BY m.actor, m.gender
ORDER BY m.actor;

-- Per-emotion accuracy (the recall of each class).
SELECT m.emotion, m.emotion_name, count(*) AS clips,
       count(*) FILTER (WHERE p.predicted = m.emotion_name) AS correct,
       round(avg((p.predicted = m.emotion_name)::int), 3) AS accuracy
FROM ravdess_predictions p JOIN ravdess_metadata m USING (file_name)
WHERE NOT m.identical_content
GROUP BY m.emotion, m.emotion_name
ORDER BY m.emotion;

-- Confusion matrix as rows: every (actual, predicted) pair of the emotions
-- present, zero cells included.
WITH labels AS (SELECT DISTINCT emotion, emotion_name FROM ravdess_metadata WHERE NOT identical_content),
     counts AS (SELECT m.emotion_name AS actual, p.predicted, count(*) AS clips
                FROM ravdess_predictions p JOIN ravdess_metadata m USING (file_name)
                WHERE NOT m.identical_content
                GROUP BY 1, 2)
SELECT a.emotion_name AS actual, b.emotion_name AS predicted, coalesce(c.clips, 0) AS clips
FROM labels a CROSS JOIN labels b
LEFT JOIN counts c ON c.actual = a.emotion_name AND c.predicted = b.emotion_name
ORDER BY a.emotion, b.emotion;

-- The same matrix, one row per actual emotion and one column per prediction.
SELECT m.emotion_name AS actual,
       count(*) FILTER (WHERE p.predicted = 'neutral') AS neutral,
       count(*) FILTER (WHERE p.predicted = 'calm') AS calm,
       count(*) FILTER (WHERE p.predicted = 'happy') AS happy,
       count(*) FILTER (WHERE p.predicted = 'sad') AS sad,
       count(*) FILTER (WHERE p.predicted = 'angry') AS angry,
       count(*) FILTER (WHERE p.predicted = 'fearful') AS fearful,
       count(*) FILTER (WHERE p.predicted = 'disgust') AS disgust,
       count(*) FILTER (WHERE p.predicted = 'surprised') AS surprised
FROM ravdess_predictions p JOIN ravdess_metadata m USING (file_name)
WHERE NOT m.identical_content
GROUP BY m.emotion, m.emotion_name
ORDER BY m.emotion;

-- Overall accuracy with and without the byte-identical pair.
SELECT count(*) AS clips, round(avg((p.predicted = m.emotion_name)::int), 3) AS accuracy,
       count(*) FILTER (WHERE NOT m.identical_content) AS clips_kept,
       round(avg((p.predicted = m.emotion_name)::int) FILTER (WHERE NOT m.identical_content), 3) AS accuracy_kept
FROM ravdess_predictions p JOIN ravdess_metadata m USING (file_name);

DROP TABLE ravdess_predictions;
DROP FUNCTION stand_in_predict(bytea);
TRUNCATE ravdess_metadata;
