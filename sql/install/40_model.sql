
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

-- Stores a trained model (ser_train() calls it): a plain INSERT, so that a
-- model stored meanwhile by another session under the same name is an
-- error, unless replace.
CREATE FUNCTION ser_models_store(name text, format_version int, classes text[], feature_params text,
                                 architecture text, training jsonb, size_bytes int, weights bytea,
                                 replace boolean)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$
INSERT INTO @extschema@.ser_models (name, format_version, classes, feature_params, architecture, training,
                                    size_bytes, weights)
SELECT name, format_version, classes, feature_params, architecture, training, size_bytes, weights
WHERE NOT replace;
INSERT INTO @extschema@.ser_models AS m (name, format_version, classes, feature_params, architecture, training,
                                         size_bytes, weights)
SELECT name, format_version, classes, feature_params, architecture, training, size_bytes, weights
WHERE replace
ON CONFLICT (name) DO UPDATE SET created_at = now(), format_version = EXCLUDED.format_version,
    classes = EXCLUDED.classes, feature_params = EXCLUDED.feature_params, architecture = EXCLUDED.architecture,
    training = EXCLUDED.training, size_bytes = EXCLUDED.size_bytes, weights = EXCLUDED.weights;
$$;

COMMENT ON FUNCTION ser_models_store(text, int, text[], text, text, jsonb, int, bytea, boolean) IS
'Stores a model trained by ser_train() in ser_models; with replace, over a model of the same name. Called by ser_train(); not meant to be called directly.';

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

CREATE FUNCTION ser_predict(audio bytea, model text DEFAULT 'default', speaker_profile real[] DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'ser_predict'
LANGUAGE C STABLE PARALLEL SAFE COST 10000;

COMMENT ON FUNCTION ser_predict(bytea, text, real[]) IS
'The most probable emotion of a recording (any format ser_decode reads). model names a row of ser_models; ''default'' (the default) is the model shipped with ser, loaded once per backend. speaker_profile: the speaker''s ser_speaker_profile() for a speaker-normalised model (the shipped one is), which removes the speaker''s own voice from the features and is much more accurate on a new speaker; without it the model assumes the average training speaker. NULL when audio or model is NULL. STABLE: a named model can be replaced between statements.';

CREATE FUNCTION ser_predict_proba(audio bytea, model text DEFAULT 'default', speaker_profile real[] DEFAULT NULL)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ser_predict_proba'
LANGUAGE C STABLE PARALLEL SAFE COST 10000;

COMMENT ON FUNCTION ser_predict_proba(bytea, text, real[]) IS
'Class probabilities of a recording, aligned with the model''s classes (ser_emotions() for the shipped model; ser_models.classes for others). speaker_profile as for ser_predict().';

CREATE FUNCTION ser_classify(audio bytea, model text DEFAULT 'default', speaker_profile real[] DEFAULT NULL,
                             OUT label text, OUT confidence real, OUT probabilities real[])
RETURNS record
AS 'MODULE_PATHNAME', 'ser_classify'
LANGUAGE C STABLE PARALLEL SAFE COST 10000;

COMMENT ON FUNCTION ser_classify(bytea, text, real[]) IS
'Label, its probability (confidence) and every class probability of a recording, in one row. speaker_profile as for ser_predict().';

CREATE FUNCTION ser_model_info(model text DEFAULT 'default',
                               OUT name text, OUT format_version int, OUT classes text[],
                               OUT feature_params text, OUT architecture text, OUT provenance text,
                               OUT parameters bigint, OUT size_bytes bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_model_info'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_model_info(text) IS
'What a model is: format version, classes, the feature parameters it was trained with (ser_feature_params() form), its architecture, how it was trained (provenance), its number of parameters and size.';

CREATE FUNCTION ser_train(
    name text,
    query text,
    epochs int DEFAULT NULL,
    batch_size int DEFAULT NULL,
    learning_rate float8 DEFAULT NULL,
    weight_decay float8 DEFAULT NULL,
    patience int DEFAULT NULL,
    validation_fraction float8 DEFAULT NULL,
    augment boolean DEFAULT NULL,
    perturbation float8 DEFAULT NULL,
    seed bigint DEFAULT NULL,
    classes text[] DEFAULT NULL,
    replace boolean DEFAULT false,
    speaker_normalisation boolean DEFAULT NULL,
    ensemble int DEFAULT NULL,
    OUT model text, OUT recordings int, OUT speakers int, OUT epochs_run int, OUT best_epoch int,
    OUT validation_uar float8, OUT size_bytes int)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_train_model'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION ser_train(text, text, int, int, float8, float8, int, float8, boolean, float8, bigint, text[], boolean, boolean, int) IS
'Trains an emotion model on the rows of query, which must return (audio bytea, label text, speaker text), and stores it in ser_models under name. validation_fraction > 0 holds out that fraction of the recordings, by whole speakers, for early stopping (patience epochs without a better validation UAR); the default 0 trains every network for epochs epochs on all recordings. classes: the label order (default: the shipped model''s classes in its order, ser_emotions(), when every label is one of them, else the sorted distinct labels). augment: random crops and SpecAugment-style time and feature masks; perturbation: the probability that a training recording is re-featurised each epoch after speed (0.9/1.1), gain (±6 dB) and noise (15-40 dB SNR) perturbation of its waveform (slower; 0.5 measured no better on RAVDESS). speaker_normalisation: every speaker''s features are centred on that speaker''s mean (ser_speaker_profile of its recordings) before training, and the model then takes a speaker_profile in ser_predict(). ensemble: the number of networks trained (seeds seed, seed + 1, ...), whose probabilities are averaged; epochs_run, best_epoch and validation_uar are those of the first. Every training argument left out or NULL takes the recipe''s default, listed by ser_training_defaults(): the recipe of the shipped model. The same seed on the same machine gives the same weights. Reports progress per epoch as NOTICEs; honours cancel.';

CREATE FUNCTION ser_evaluate(
    query text,
    folds int DEFAULT 5,
    fold_groups text DEFAULT NULL,
    speaker_dependent boolean DEFAULT false,
    epochs int DEFAULT NULL,
    batch_size int DEFAULT NULL,
    learning_rate float8 DEFAULT NULL,
    weight_decay float8 DEFAULT NULL,
    patience int DEFAULT NULL,
    validation_fraction float8 DEFAULT NULL,
    augment boolean DEFAULT NULL,
    perturbation float8 DEFAULT NULL,
    seed bigint DEFAULT NULL,
    classes text[] DEFAULT NULL,
    speaker_normalisation boolean DEFAULT NULL,
    ensemble int DEFAULT NULL)
RETURNS TABLE (protocol text, fold int, metric text, label text, predicted text, value float8)
AS 'MODULE_PATHNAME', 'ser_evaluate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION ser_evaluate(text, int, text, boolean, int, int, float8, float8, int, float8, boolean, float8, bigint, text[], boolean, int) IS
'Cross-validates the training of ser_train() on the rows of query (audio bytea, label text, speaker text) with folds grouped by speaker: no speaker is in both the training and the test side of a fold. fold_groups fixes the folds by integer speaker values, e.g. ''1-4;5-8;9-12;13-16;17-20''. Returns per fold (fold 1..k) and pooled (fold NULL) accuracy, uar (unweighted average recall), macro_f1, recordings and per-class recall; accuracy/uar/macro_f1 _mean and _std over folds; and the pooled confusion matrix (metric confusion, label = true class, predicted, value = count). speaker_dependent => true splits recordings instead of speakers, only for comparison with published figures; its rows are labelled as such. With speaker_normalisation (the default) every speaker, the test speakers included, is normalised by the profile of all its recordings (labels unused), as a user would with ser_speaker_profile(); the protocol says so. Training arguments left out or NULL take the defaults of ser_training_defaults(), as for ser_train().';

CREATE FUNCTION ser_training_defaults(OUT argument text, OUT type text, OUT default_value text,
                                      OUT minimum float8, OUT maximum float8, OUT description text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ser_training_defaults'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ser_training_defaults() IS
'The training recipe of ser_train() and ser_evaluate(): every argument that shapes training, its type, its default (used when the argument is left out or NULL; together the recipe of the shipped model), its allowed range (NULL where there is none) and what it does.';
