-- Large tables and several machines (sql/install/60_distributed.sql): the
-- IMMUTABLE predictors bound to the shipped model, parallel plans at the
-- server's defaults, ser_citus_prepare without Citus.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup

-- The shipped forms give what the STABLE functions give with model 'default'.
SELECT name,
       ser_predict_shipped(audio) IS NOT DISTINCT FROM ser_predict(audio, 'default') AS predict,
       ser_predict_proba_shipped(audio) IS NOT DISTINCT FROM ser_predict_proba(audio, 'default') AS proba,
       ser_classify_shipped(audio) = ser_classify(audio, 'default') AS classify
FROM fixtures WHERE name NOT LIKE 'empty%' ORDER BY name;

-- With a speaker profile, too; and a profile changes the answer.
WITH p AS (SELECT ser_speaker_profile(audio) AS profile FROM fixtures WHERE name LIKE 'tone%')
SELECT ser_predict_proba_shipped(f.audio, p.profile) = ser_predict_proba(f.audio, 'default', p.profile) AS same,
       ser_predict_proba_shipped(f.audio, p.profile) <> ser_predict_proba_shipped(f.audio) AS profile_used
FROM fixtures f, p WHERE f.name = 'ravdess_03-01-05-02-01-01-01.wav';

-- NULL audio gives NULL; bad audio fails as ser_predict does.
SELECT ser_predict_shipped(NULL) IS NULL AS predict_null, ser_predict_proba_shipped(NULL) IS NULL AS proba_null,
       (ser_classify_shipped(NULL)).label IS NULL AS classify_null;
SELECT sqlstate_of($$SELECT ser_predict_shipped('not audio'::bytea)$$) AS bad_audio,
       sqlstate_of($$SELECT ser_predict(  'not audio'::bytea)$$) AS bad_audio_stable;

-- Members of the extension; the bodies name their schema, so a caller's
-- search_path (postgres_fdw's remote sessions use pg_catalog) does not matter.
SELECT p.oid::regprocedure AS function, p.provolatile AS volatility, p.proparallel AS parallel, p.procost AS cost,
       pg_get_functiondef(p.oid) LIKE '%public.ser_%(%''default''%' AS qualified_call
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ser'
WHERE p.proname LIKE '%\_shipped' ORDER BY p.oid::regprocedure::text;
BEGIN;
SET LOCAL search_path = pg_catalog;
SELECT public.ser_predict_shipped(audio) = public.ser_predict(audio) AS under_pg_catalog
FROM pg_temp.fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';
COMMIT;

-- Named models stay STABLE: a model can be replaced between statements.
SELECT p.oid::regprocedure AS function, p.provolatile AS volatility
FROM pg_proc p WHERE p.proname IN ('ser_predict', 'ser_predict_proba', 'ser_classify') ORDER BY p.oid::regprocedure::text;

-- ---- Parallel plans with the server's defaults ----
SELECT name, setting FROM pg_settings
WHERE name IN ('max_parallel_workers_per_gather', 'parallel_setup_cost', 'parallel_tuple_cost',
               'min_parallel_table_scan_size')
ORDER BY name;

-- A table of recordings: TOASTed audio leaves a heap far below
-- min_parallel_table_scan_size, and the planner does not consider workers.
CREATE TABLE many AS
  SELECT g AS id, (g % 10) AS speaker, f.audio
  FROM generate_series(1, 40) g, fixtures f WHERE f.name NOT LIKE 'empty%';
ALTER TABLE many ALTER audio SET STORAGE EXTERNAL;
ANALYZE many;
SELECT pg_relation_size('many') < 8 * 1024 * 1024 AS heap_below_min_parallel_table_scan_size;
EXPLAIN (COSTS OFF) SELECT ser_predict(audio) FROM many;

-- parallel_workers lets it consider them; the cost of the calls decides.
ALTER TABLE many SET (parallel_workers = 8);
EXPLAIN (COSTS OFF) SELECT ser_predict(audio) FROM many;
EXPLAIN (COSTS OFF) SELECT ser_predict_shipped(audio) FROM many;
EXPLAIN (COSTS OFF) SELECT count(*) FROM many;
EXPLAIN (COSTS OFF) SELECT ser_predict(audio) FROM many WHERE id = 7 AND speaker = 7;
EXPLAIN (COSTS OFF) SELECT speaker, ser_speaker_profile(audio) FROM many GROUP BY speaker;
EXPLAIN (COSTS OFF) CREATE TABLE labels AS SELECT id, ser_predict(audio) AS label FROM many;
SELECT procost FROM pg_proc WHERE oid = 'ser_speaker_profile_accum(float8[], bytea)'::regprocedure;

-- The extension's own table of recordings carries the reloption.
SELECT reloptions FROM pg_class WHERE oid = 'ravdess_metadata'::regclass;
DROP TABLE many;

-- ---- ser_citus_prepare needs Citus; only superusers run it ----
SELECT * FROM ser_citus_prepare();
SELECT sqlstate_of('SELECT * FROM ser_citus_prepare()');
SELECT has_function_privilege('public', 'ser_citus_prepare()', 'EXECUTE') AS public_can_execute;
