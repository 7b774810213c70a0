-- Every function of the extension: how it is marked and that it is documented.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT p.proname AS function, p.pronargs AS args,
       CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END AS volatility,
       p.proisstrict AS strict,
       CASE p.proparallel WHEN 's' THEN 'safe' WHEN 'r' THEN 'restricted' ELSE 'unsafe' END AS parallel,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS documented
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ser'
ORDER BY p.proname, p.pronargs;

-- Functions that read server files are not executable by PUBLIC.
SELECT p.oid::regprocedure AS function, has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ser'
WHERE NOT has_function_privilege('public', p.oid, 'EXECUTE')
ORDER BY 1;

-- The extension's version and that an update to the same version is a no-op.
SELECT extversion FROM pg_extension WHERE extname = 'ser';
ALTER EXTENSION ser UPDATE;

-- Tables whose rows pg_dump keeps with the extension.
SELECT t AS dumped_table FROM pg_extension, unnest(extconfig::regclass[]) AS t WHERE extname = 'ser' ORDER BY t::text;
