
-- ---------------------------------------------------------------------------
-- Large tables and several machines: parallel plans at the server's
-- defaults, a predictor that postgres_fdw and Citus push to the shards,
-- and what a Citus cluster needs (README: "Large tables", "Several machines")
-- ---------------------------------------------------------------------------

-- The speaker profile's transition function featurises a recording (as
-- ser_features does, COST 10000); at the default COST of 1 the planner sees
-- a cheap aggregate and never aggregates profiles in parallel workers.
ALTER FUNCTION ser_speaker_profile_accum(float8[], bytea) COST 10000;

-- Recordings are TOASTed: the heap of RAVDESS' 1,200 clips is 392 kB, below
-- min_parallel_table_scan_size (8 MB), so the planner does not consider a
-- parallel scan whatever the functions cost.  parallel_workers lets it
-- consider one; the planner still chooses by cost, and caps the number at
-- max_parallel_workers_per_gather.
ALTER TABLE ravdess_metadata SET (parallel_workers = 8);

-- IMMUTABLE forms of prediction, bound to the model file shipped with this
-- version of ser ('default' names that file; no ser_models row can be
-- called so).  Engines push only IMMUTABLE functions to where the data is:
-- postgres_fdw sends them in remote WHERE clauses and direct UPDATEs, Citus
-- runs them in UPDATE on the shards.  SQL-standard bodies: the call is
-- resolved when the function is created, so the remote sessions'
-- search_path (pg_catalog) does not matter.
CREATE FUNCTION ser_predict_shipped(audio bytea, speaker_profile real[] DEFAULT NULL)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000
RETURN @extschema@.ser_predict(audio, 'default', speaker_profile);

COMMENT ON FUNCTION ser_predict_shipped(bytea, real[]) IS
'ser_predict(audio, ''default'', speaker_profile): the most probable emotion by the model shipped with ser, as an IMMUTABLE function that postgres_fdw and Citus run on the shards (batch UPDATEs included). IMMUTABLE: the shipped model is a file of the installed version of ser, read-only, that no setting or table changes; it changes only with an upgrade of ser, after which labels stored with it (and expression indexes over it) are those of the old model. ser.max_duration decides only whether a call fails. Named models stay with the STABLE ser_predict(), since ser_train can replace them. NULL when audio is NULL.';

CREATE FUNCTION ser_predict_proba_shipped(audio bytea, speaker_profile real[] DEFAULT NULL)
RETURNS real[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000
RETURN @extschema@.ser_predict_proba(audio, 'default', speaker_profile);

COMMENT ON FUNCTION ser_predict_proba_shipped(bytea, real[]) IS
'ser_predict_proba(audio, ''default'', speaker_profile): the shipped model''s class probabilities, in ser_emotions() order, as an IMMUTABLE function engines push to the shards. IMMUTABLE for the reasons given for ser_predict_shipped().';

CREATE FUNCTION ser_classify_shipped(audio bytea, speaker_profile real[] DEFAULT NULL,
                                     OUT label text, OUT confidence real, OUT probabilities real[],
                                     OUT speech boolean, OUT speech_seconds real, OUT reason text)
RETURNS record
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000
BEGIN ATOMIC
    SELECT c.label, c.confidence, c.probabilities, c.speech, c.speech_seconds, c.reason
    FROM @extschema@.ser_classify(audio, 'default', speaker_profile) c;
END;

COMMENT ON FUNCTION ser_classify_shipped(bytea, real[]) IS
'ser_classify(audio, ''default'', speaker_profile): label, confidence and probabilities by the shipped model, and whether the recording is speech, as an IMMUTABLE function engines push to the shards. IMMUTABLE for the reasons given for ser_predict_shipped().';

-- Citus: the cluster's models on every node, and named-model lookups that
-- work inside a shard's query.
CREATE FUNCTION ser_citus_prepare()
RETURNS TABLE (node text, action text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    fn regprocedure;
    r record;
    commands text := '';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'ser_citus_prepare() needs the citus extension'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Run it on a Citus coordinator, after CREATE EXTENSION citus and CREATE EXTENSION ser.';
    END IF;
    IF NOT citus_is_coordinator() THEN
        RAISE EXCEPTION 'ser_citus_prepare() must run on the coordinator'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'This node is a worker, or a coordinator without nodes: call citus_set_coordinator_host() and citus_add_node() first.';
    END IF;

    -- Models trained on the coordinator reach every node: a reference table
    -- is replicated to all of them, and ser_train's writes with it.
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition
                   WHERE logicalrelid = '@extschema@.ser_models'::regclass) THEN
        -- ser_models has a trigger (ser_models_guard: who may replace or
        -- drop a model); Citus distributes a table with triggers only when
        -- told to, and then keeps the trigger on every node's copy.
        PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
        PERFORM create_reference_table('@extschema@.ser_models'::regclass);
        node := 'coordinator';
        action := 'ser_models is a reference table';
        RETURN NEXT;
    END IF;

    -- A named model is read from ser_models (a distributed table now) while
    -- a worker runs its part of a query: Citus refuses that nested
    -- execution unless the function that does it allows it.  The
    -- reference table's placement is local on every node, so the lookup
    -- never leaves the node.  ALTER FUNCTION on the coordinator does not
    -- reach the workers for an extension's functions: it is run on each.
    FOR fn IN SELECT p.oid::regprocedure
              FROM pg_proc p
              JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
              JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ser'
              WHERE p.proname IN ('ser_predict', 'ser_predict_proba', 'ser_classify', 'ser_model_info')
                AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
              ORDER BY 1
    LOOP
        commands := commands || format('ALTER FUNCTION %s SET citus.allow_nested_distributed_execution = on;', fn);
    END LOOP;
    FOR r IN SELECT * FROM run_command_on_all_nodes(commands) LOOP
        IF NOT r.success THEN
            RAISE EXCEPTION 'ser_citus_prepare() could not prepare node %', r.nodeid
                USING ERRCODE = 'connection_failure', DETAIL = r.result;
        END IF;
        node := (SELECT format('%s:%s', nodename, nodeport) FROM pg_dist_node WHERE nodeid = r.nodeid);
        action := 'named-model prediction allowed inside shard queries';
        RETURN NEXT;
    END LOOP;
END
$fn$;

COMMENT ON FUNCTION ser_citus_prepare() IS
'Prepares ser on a Citus cluster; run it on the coordinator after CREATE EXTENSION ser (which Citus propagates to the workers), and again after adding a node. Makes ser_models a reference table, so that models trained on the coordinator are on every node, and lets the named-model functions (ser_predict, ser_predict_proba, ser_classify, ser_model_info) read it inside a worker''s shard query (citus.allow_nested_distributed_execution on those functions, on every node; the lookup reads the node''s local placement). Returns what it did on which node. Idempotent. VOLATILE and PARALLEL UNSAFE: it changes catalogs on every node. Executable by superusers only.';

REVOKE EXECUTE ON FUNCTION ser_citus_prepare() FROM PUBLIC;
