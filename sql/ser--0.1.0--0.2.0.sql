-- ser 0.1.0 -> 0.2.0: ser_version(), an owner and the training version
-- for each model, the roles ser_user and ser_model_admin, and the trigger
-- that lets only a model's owner or an admin replace or drop it.

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
-- As in sql/install/45_privileges.sql:
-- ser is a trusted extension: a database owner can CREATE EXTENSION ser.
-- The script then runs as the bootstrap superuser, who owns the objects
-- below; @extowner@ is the role that ran CREATE EXTENSION.
--
--   ser_user         predicts with any model, reads models and dataset
--                    statistics (SELECT on ser_models, ravdess_metadata
--                    and the ravdess_* views)
--   ser_model_admin  a ser_user that also trains, replaces and drops any
--                    model, and writes ravdess_metadata
--   the extension's  every right on both tables, with GRANT OPTION: it is
--   owner            their database, and they pg_dump and restore it
--
-- The roles are cluster-wide and created here when absent (NOLOGIN, no
-- other right); DROP EXTENSION leaves them, as other databases may use
-- them.  Membership is granted by a superuser or a CREATEROLE role:
-- GRANT ser_user TO alice;
--
-- Reading server files stays with pg_read_server_files (ser_load_ravdess,
-- see the dataset part).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ser_user') THEN
        CREATE ROLE ser_user NOLOGIN;
        COMMENT ON ROLE ser_user IS
            'ser: predict with any model of ser_models, read models and dataset statistics.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ser_model_admin') THEN
        CREATE ROLE ser_model_admin NOLOGIN;
        COMMENT ON ROLE ser_model_admin IS
            'ser: train, replace and drop any model of ser_models; write ravdess_metadata. Member of ser_user.';
    END IF;
    IF NOT pg_catalog.pg_has_role('ser_model_admin', 'ser_user', 'MEMBER') THEN
        GRANT ser_user TO ser_model_admin;
    END IF;
END
$roles$;

GRANT SELECT ON ser_models, ravdess_metadata TO ser_user;
GRANT SELECT ON ravdess_summary, ravdess_emotion_stats, ravdess_intensity_stats, ravdess_actor_stats,
                ravdess_gender_stats, ravdess_identical_content TO ser_user, @extowner@;
GRANT INSERT, UPDATE, DELETE ON ser_models, ravdess_metadata TO ser_model_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ser_models, ravdess_metadata TO @extowner@ WITH GRANT OPTION;

-- Who may replace or drop a model: its owner, the database owner and
-- members of ser_model_admin.  A trigger rather than row-level security:
-- every reader must see every model (ser_predict reads any of them), and
-- pg_dump refuses to dump a table with row-level security for a role that
-- does not own it, so the database owner could no longer dump their
-- database.  The table's privileges decide who may write at all; the
-- trigger only narrows UPDATE and DELETE to the rows one may manage.
-- INSERT is not narrowed: a restore writes rows of every owner.
CREATE FUNCTION ser_models_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $guard$
DECLARE
    may_manage boolean;
BEGIN
    may_manage := OLD.owner = current_user
        OR pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE')
        OR (EXISTS (SELECT FROM pg_roles WHERE rolname = 'ser_model_admin')
            AND pg_has_role(current_user, 'ser_model_admin', 'USAGE'));
    IF NOT may_manage THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied to %s model "%s"',
                             CASE TG_OP WHEN 'DELETE' THEN 'drop' ELSE 'replace' END, OLD.name),
            DETAIL = format('The model belongs to role "%s".', OLD.owner),
            HINT = 'Only its owner, the database owner and members of ser_model_admin may replace or drop a model: '
                   'train under another name, or ask for GRANT ser_model_admin TO ' || quote_ident(current_user) || ';';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.owner IS DISTINCT FROM OLD.owner
       AND NOT (pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE')
                OR (EXISTS (SELECT FROM pg_roles WHERE rolname = 'ser_model_admin')
                    AND pg_has_role(current_user, 'ser_model_admin', 'USAGE'))) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied to give model "%s" to role "%s"', OLD.name, NEW.owner),
            HINT = 'Only the database owner and members of ser_model_admin may change the owner of a model.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$guard$;

COMMENT ON FUNCTION ser_models_guard() IS
'Trigger of ser_models: only the owner of a model, the database owner and members of ser_model_admin may replace (UPDATE, ser_train(..., replace => true)) or drop (DELETE) it; only the latter two may change its owner.';

CREATE TRIGGER ser_models_guard
BEFORE UPDATE OR DELETE ON ser_models
FOR EACH ROW EXECUTE FUNCTION ser_models_guard();

COMMENT ON COLUMN ser_models.owner IS
'The role that trained the model (current_user at ser_train); it, the database owner and members of ser_model_admin may replace or drop it.';
COMMENT ON COLUMN ser_models.ser_version IS
'The version of ser that trained the model (ser_version() at ser_train).';
