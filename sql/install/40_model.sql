
-- ---------------------------------------------------------------------------
-- Model: features -> model -> label
-- ---------------------------------------------------------------------------

-- Models trained in the database.  The shipped model is not a row: it is
-- the file ser_default.sermodel of the installation, named 'default'
-- (ser_model_info('default') describes it).
CREATE TABLE ser_models (
    name            text PRIMARY KEY CHECK (name <> '' AND name <> 'default'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    format_version  int NOT NULL,
    classes         text[] NOT NULL,
    feature_params  text NOT NULL,
    architecture    text NOT NULL,
    training        jsonb NOT NULL,
    size_bytes      int NOT NULL CHECK (size_bytes > 0),
    weights         bytea NOT NULL,
    owner           name NOT NULL DEFAULT current_user,
    ser_version     text NOT NULL DEFAULT ser_version()
);
ALTER TABLE ser_models ALTER COLUMN weights SET STORAGE EXTERNAL;
SELECT pg_catalog.pg_extension_config_dump('ser_models', '');

COMMENT ON TABLE ser_models IS
'Emotion models trained with ser_train(): the class list, the exact feature parameters and network architecture, the training arguments and outcome (training), and the weights (a versioned, checksummed blob of named tensors with the normalisation statistics; format in model/README.md). Name one in ser_predict(audio, model => name).';

CREATE FUNCTION ser_emotions()
RETURNS text[]
AS 'MODULE_PATHNAME', 'ser_emotions'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_emotions() IS
'The classes of the shipped model, in the order of ser_predict_proba(): neutral, calm, happy, sad, angry, fearful, disgust, surprised. STABLE: read from the installed model file.';

-- The speaker profile: the mean features of one speaker's recordings.
-- Its state is a float8[] of sums, so parallel workers' states add up.
CREATE FUNCTION ser_speaker_profile_accum(state float8[], audio bytea)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'ser_speaker_profile_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ser_speaker_profile_accum(float8[], bytea) IS
'Transition function of ser_speaker_profile(): adds the features of one recording (NULL audio is skipped) to a state of sums.';

CREATE FUNCTION ser_speaker_profile_combine(a float8[], b float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'ser_speaker_profile_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_speaker_profile_combine(float8[], float8[]) IS
'Combine function of ser_speaker_profile(): adds two states (parallel aggregation).';

CREATE FUNCTION ser_speaker_profile_final(state float8[])
RETURNS real[]
AS 'MODULE_PATHNAME', 'ser_speaker_profile_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_speaker_profile_final(float8[]) IS
'Final function of ser_speaker_profile(): the profile of a state.';

CREATE AGGREGATE ser_speaker_profile(audio bytea) (
    SFUNC = ser_speaker_profile_accum,
    STYPE = float8[],
    COMBINEFUNC = ser_speaker_profile_combine,
    FINALFUNC = ser_speaker_profile_final,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ser_speaker_profile(bytea) IS
'The speaker profile of a set of recordings of one speaker, for ser_predict(..., speaker_profile => ...): a real[] of the number of recordings, the mean of every frame feature over all their frames (ser_frame_feature_names() order) and the mean utterance vector (ser_feature_names() order), with the default feature parameters. Labels are not needed. Use a representative sample of the speaker''s speech, ten recordings or more: a profile of few or emotionally one-sided recordings (e.g. only neutral ones) makes predictions worse than none (model/README.md). NULL when there are no recordings.';

CREATE FUNCTION ser_model_info(model text DEFAULT 'default',
                               OUT name text, OUT format_version int, OUT classes text[],
                               OUT feature_params text, OUT architecture text, OUT provenance text,
                               OUT parameters bigint, OUT size_bytes bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_model_info'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_model_info(text) IS
'What a model is: format version, classes, the feature parameters it was trained with (ser_feature_params() form), its architecture, how it was trained (provenance), its number of parameters and size.';
