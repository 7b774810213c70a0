-- ser: speech emotion recognition inside PostgreSQL.
-- This file is assembled from sql/install/*.sql at build time; edit the parts.

\echo Use "CREATE EXTENSION ser" to load this file. \quit

-- The version of the loaded library (EXTVERSION at build time).  The
-- installed SQL objects' version is pg_extension.extversion; after the
-- package is upgraded and before ALTER EXTENSION ser UPDATE the two differ.
CREATE FUNCTION ser_version()
RETURNS text
AS 'MODULE_PATHNAME', 'ser_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_version() IS
'Version of the ser library this session runs, e.g. 0.2.0; each model of ser_models records the version that trained it (ser_version column).';
