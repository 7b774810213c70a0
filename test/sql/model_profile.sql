-- Speaker profiles: ser_speaker_profile() summarises a speaker's recordings
-- (no labels), and ser_predict(..., speaker_profile => ...) normalises a
-- speaker-normalised model's input with it.  Every bad profile is refused.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SET client_min_messages = warning;

CREATE TABLE speaker_rows AS
SELECT name, audio, (row_number() OVER (ORDER BY name) % 2)::text AS speaker
FROM fixtures WHERE name NOT LIKE 'empty%';

-- Its shape: the number of recordings, the mean of every frame feature,
-- the mean utterance vector.
SELECT speaker, p[1] AS recordings,
       cardinality(p) = 1 + cardinality(ser_frame_feature_names()) + cardinality(ser_feature_names()) AS shape
FROM (SELECT speaker, ser_speaker_profile(audio) AS p FROM speaker_rows GROUP BY speaker) s
ORDER BY speaker;

-- One recording's profile holds its own utterance vector and the mean of its frames.
WITH one AS (SELECT audio FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav'),
     p AS (SELECT ser_speaker_profile(audio) AS p FROM one),
     f AS (SELECT cardinality(ser_frame_feature_names()) AS nf)
SELECT (SELECT max(abs(a - b)) FROM unnest(p[2 + nf:], (SELECT ser_features(audio) FROM one)) AS u(a, b)) < 1e-5
         AS utterance_means,
       abs(p[2] - (SELECT avg(r[1]) FROM (SELECT ser_frames(audio) AS m FROM one) q,
                   LATERAL (SELECT array_agg(m[i][1]) AS r FROM generate_subscripts(m, 1) i
                            GROUP BY i) z)) < 1e-3 AS first_frame_feature_mean
FROM p, f;

-- NULL audio is skipped; no recordings give NULL.
SELECT (SELECT ser_speaker_profile(a) FROM (VALUES (NULL::bytea)) v(a)) IS NULL AS none,
       (SELECT ser_speaker_profile(audio) FROM fixtures WHERE false) IS NULL AS empty,
       (SELECT (ser_speaker_profile(a))[1] FROM (SELECT audio FROM fixtures WHERE name = 'tone440_16k.flac'
                                              UNION ALL SELECT NULL) v(a)) AS counted;

-- A parallel aggregate (partial states combined) gives the same profile.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
CREATE TABLE many AS SELECT audio FROM speaker_rows, generate_series(1, 8);
ANALYZE many;
EXPLAIN (COSTS OFF) SELECT ser_speaker_profile(audio) FROM many;
-- Workers did run it (the leader, taking no part, only combined their states).
SELECT workers_launched('CREATE TABLE parallel_profile AS SELECT ser_speaker_profile(audio) AS p FROM many') > 0
         AS ran_in_workers;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT p[1] FROM parallel_profile) AS recordings,
       (SELECT max(abs(a - b) / (1 + abs(b))) FROM unnest((SELECT p FROM parallel_profile),
                                                         (SELECT ser_speaker_profile(audio) FROM many)) AS u(a, b))
         < 1e-6 AS same_as_serial;
RESET max_parallel_workers_per_gather;

-- The shipped model is speaker-normalised: a profile changes its answer,
-- and without one it uses the average training speaker.
SELECT architecture LIKE '%speaker_norm=1%' AS speaker_normalised FROM ser_model_info();
CREATE TABLE profiles AS SELECT speaker, ser_speaker_profile(audio) AS p FROM speaker_rows GROUP BY speaker;
SELECT r.name, ser_predict(r.audio, speaker_profile => p.p) = ANY (ser_emotions()) AS emotion,
       round((SELECT sum(x) FROM unnest(ser_predict_proba(r.audio, 'default', p.p)) x)::numeric, 4) AS total,
       (ser_classify(r.audio, speaker_profile => p.p)).label = ser_predict(r.audio, 'default', p.p) AS consistent,
       array_send(ser_predict_proba(r.audio, speaker_profile => p.p))
         = array_send(ser_predict_proba(r.audio, speaker_profile => p.p)) AS repeatable
FROM speaker_rows r JOIN profiles p USING (speaker)
WHERE r.name IN ('ravdess_03-01-05-02-01-01-01.wav', 'tone440_16k.flac') ORDER BY r.name;
SELECT ser_predict_proba(audio) <> ser_predict_proba(audio, speaker_profile => (SELECT p FROM profiles WHERE speaker = '0'))
         AS profile_matters
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
-- A NULL profile is no profile; NULL audio or model gives NULL.
SELECT ser_predict_proba(audio, speaker_profile => NULL) = ser_predict_proba(audio) AS null_is_none,
       ser_predict(NULL, speaker_profile => (SELECT p FROM profiles WHERE speaker = '0')) IS NULL AS null_audio,
       ser_predict(audio, NULL, (SELECT p FROM profiles WHERE speaker = '0')) IS NULL AS null_model,
       ser_classify(NULL) IS NULL AS null_row
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

-- Bad profiles.
\set VERBOSITY default
SELECT ser_predict(audio, speaker_profile => '{1,2,3}') FROM fixtures WHERE name = 'tone440_16k.flac';
SELECT ser_predict(audio, speaker_profile => array_fill(0::real, ARRAY[cardinality(p)]))
FROM fixtures, profiles WHERE name = 'tone440_16k.flac' AND speaker = '0';
SELECT ser_predict(audio, speaker_profile => p[1:1] || 'NaN'::real || p[3:])
FROM fixtures, profiles WHERE name = 'tone440_16k.flac' AND speaker = '0';
SELECT ser_predict(audio, speaker_profile => p[1:1] || NULL::real || p[3:])
FROM fixtures, profiles WHERE name = 'tone440_16k.flac' AND speaker = '0';
SELECT ser_predict(audio, speaker_profile => ARRAY[p, p])
FROM fixtures, profiles WHERE name = 'tone440_16k.flac' AND speaker = '0';
SELECT ser_predict(audio, speaker_profile => '{}')
FROM fixtures WHERE name = 'tone440_16k.flac';
SELECT sqlstate_of($$SELECT ser_predict(audio, speaker_profile => '{1,2,3}') FROM fixtures WHERE name = 'tone440_16k.flac'$$)
         AS wrong_length,
       sqlstate_of($$SELECT ser_predict(audio, speaker_profile => '{1,NULL}') FROM fixtures WHERE name = 'tone440_16k.flac'$$)
         AS with_null;

-- A model trained with other feature parameters than today's defaults
-- needs profiles made with its own: ser_speaker_profile(audio, model).  The
-- 0.1.0 shipped model (version-1 features: no gate, floor or extended
-- descriptors) as a user of 0.1.0 may have stored it:
\set f :abs_srcdir '/fixtures/models/shipped_v0.1.0.sermodel'
\lo_import :f
\set loid :LASTOID
INSERT INTO ser_models (name, format_version, classes, feature_params, architecture, training, size_bytes, weights)
SELECT 'old', 1, ser_emotions(), '', '', '{}', length(lo_get(:loid)), lo_get(:loid);
\lo_unlink :loid
SELECT cardinality(ser_speaker_profile(audio)) AS with_defaults,
       cardinality(ser_speaker_profile(audio, 'old')) AS with_its_parameters,
       array_send(ser_speaker_profile(audio, 'default')) = array_send(ser_speaker_profile(audio))
         AS shipped_same_as_defaults
FROM speaker_rows WHERE speaker = '0';
SELECT ser_predict(audio, 'old', (SELECT ser_speaker_profile(audio, 'old') FROM speaker_rows WHERE speaker = '0'))
         = ANY (ser_emotions()) AS old_model_with_its_profile
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
-- In parallel workers too (each loads the model from ser_models).
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT workers_launched('CREATE TABLE parallel_old AS SELECT ser_speaker_profile(audio, ''old'') AS p FROM many') > 0
         AS ran_in_workers;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT max(abs(a - b) / (1 + abs(b))) FROM unnest((SELECT p FROM parallel_old),
                                                         (SELECT ser_speaker_profile(audio, 'old') FROM many)) AS u(a, b))
         < 1e-6 AS same_as_serial;
SELECT ser_predict(audio, 'old', (SELECT ser_speaker_profile(audio) FROM speaker_rows WHERE speaker = '0'))
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
SELECT ser_speaker_profile(audio, NULL) FROM speaker_rows;
SELECT ser_speaker_profile(audio, 'no_such_model') FROM speaker_rows;
DELETE FROM ser_models WHERE name = 'old';

-- A model trained without speaker normalisation takes no profile.
SELECT model FROM ser_train('plain', 'SELECT audio, ''x'' || (length(name) % 2), speaker FROM speaker_rows',
                            epochs => 1, batch_size => 4, validation_fraction => 0,
                            speaker_normalisation => false);
SELECT training->>'speaker_normalisation' AS normalised FROM ser_models WHERE name = 'plain';
SELECT ser_predict(audio, 'plain') IS NOT NULL AS without_profile FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
SELECT ser_predict(audio, 'plain', p) FROM fixtures, profiles WHERE name = 'tone440_16k.flac' AND speaker = '0';
DELETE FROM ser_models WHERE name = 'plain';

-- The aggregate's support functions refuse states they did not make.
SELECT ser_speaker_profile_final('{1,2,3}');
SELECT ser_speaker_profile_final('{2,1,-1,0,0,0,0}');
SELECT ser_speaker_profile_combine('{1,1,1,1,0,0}', '{2,1,1,1,0,0,0}');
SELECT ser_speaker_profile_accum('{{1}}', NULL) IS NOT NULL AS null_audio_keeps_state;
SELECT ser_speaker_profile_accum('{1,1,1,1,0,0}', audio) FROM fixtures WHERE name = 'tone440_16k.flac';
SELECT ser_speaker_profile_final('{1,1,0,0,0,0}') IS NULL AS no_recordings;
SELECT (ser_speaker_profile_final(ser_speaker_profile_accum(NULL, audio)))[1] AS direct_call
FROM fixtures WHERE name = 'tone440_16k.flac';

DROP TABLE speaker_rows, many, parallel_profile, profiles;
