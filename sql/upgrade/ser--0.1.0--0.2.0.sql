-- ser 0.1.0 -> 0.2.0, the part written for the update: what changes in
-- objects 0.1.0 already had.  The Makefile appends the install parts that
-- hold only what 0.2.0 adds or replaces with CREATE OR REPLACE (training,
-- privileges, presentation, distributed) to make sql/ser--0.1.0--0.2.0.sql,
-- so an update and a fresh install run the same definitions; TAP test
-- 062_upgrade compares the two.

\echo Use "ALTER EXTENSION ser UPDATE TO '0.2.0'" to load this file. \quit

CREATE FUNCTION ser_version()
RETURNS text
AS 'MODULE_PATHNAME', 'ser_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_version() IS
'Version of the ser library this session runs, e.g. 0.2.0; each model of ser_models records the version that trained it (ser_version column).';

-- Models of 0.1.0 could only be stored by a role allowed to write the
-- table, in practice the extension's owner: they become its models.
-- Their version is 0.1.0; new ones record the version that trains them.
ALTER TABLE ser_models ADD COLUMN owner name;
UPDATE ser_models SET owner = (SELECT pg_catalog.pg_get_userbyid(extowner) FROM pg_catalog.pg_extension WHERE extname = 'ser');
ALTER TABLE ser_models ALTER COLUMN owner SET NOT NULL, ALTER COLUMN owner SET DEFAULT current_user;
ALTER TABLE ser_models ADD COLUMN ser_version text NOT NULL DEFAULT '0.1.0';
ALTER TABLE ser_models ALTER COLUMN ser_version SET DEFAULT ser_version();
-- ser_emotions() reads the shipped model's classes: STABLE, no longer IMMUTABLE.
CREATE OR REPLACE FUNCTION ser_emotions()
RETURNS text[]
AS 'MODULE_PATHNAME', 'ser_emotions'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_emotions() IS
'The classes of the shipped model, in the order of ser_predict_proba(): neutral, calm, happy, sad, angry, fearful, disgust, surprised. STABLE: read from the installed model file.';


-- ser_train and ser_evaluate take two more recipe arguments in 0.2.0
-- (alone_ensemble, calibrate): a new signature, so the 0.1.0 functions go
-- first rather than staying beside them as ambiguous overloads.
DROP FUNCTION ser_train(text, text, int, int, float8, float8, int, float8, boolean, float8, bigint, text[], boolean, boolean, int);
DROP FUNCTION ser_evaluate(text, int, text, boolean, int, int, float8, float8, int, float8, boolean, float8, bigint, text[], boolean, int);
