
-- ---------------------------------------------------------------------------
-- Training: ser_train, ser_evaluate and their recipe (0.2.0)
-- ---------------------------------------------------------------------------
-- CREATE OR REPLACE: this part is also the upgrade from 0.1.0, which had
-- these functions with the recipe's defaults written out in SQL (and two
-- arguments fewer: sql/upgrade drops those signatures first).

-- Stores a trained model (ser_train() calls it): a plain INSERT, so that a
-- model stored meanwhile by another session under the same name is an
-- error, unless replace.
CREATE OR REPLACE FUNCTION ser_models_store(name text, format_version int, classes text[], feature_params text,
                                 architecture text, training jsonb, size_bytes int, weights bytea,
                                 replace boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
-- PL/pgSQL rather than SQL: Citus plans a SQL function's parameters in a
-- statement on a reference table (ser_citus_prepare) as it cannot.
AS $$
BEGIN
    IF $9 THEN
        INSERT INTO @extschema@.ser_models AS m (name, format_version, classes, feature_params, architecture,
                                                 training, size_bytes, weights)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT ON CONSTRAINT ser_models_pkey DO UPDATE SET created_at = now(),
            format_version = EXCLUDED.format_version, classes = EXCLUDED.classes,
            feature_params = EXCLUDED.feature_params, architecture = EXCLUDED.architecture,
            training = EXCLUDED.training, size_bytes = EXCLUDED.size_bytes, weights = EXCLUDED.weights;
    ELSE
        INSERT INTO @extschema@.ser_models (name, format_version, classes, feature_params, architecture, training,
                                            size_bytes, weights)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8);
    END IF;
END
$$;

COMMENT ON FUNCTION ser_models_store(text, int, text[], text, text, jsonb, int, bytea, boolean) IS
'Stores a model trained by ser_train() in ser_models; with replace, over a model of the same name. Called by ser_train(); not meant to be called directly.';

CREATE OR REPLACE FUNCTION ser_train(
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
    alone_ensemble int DEFAULT NULL,
    calibrate boolean DEFAULT NULL,
    OUT model text, OUT recordings int, OUT speakers int, OUT epochs_run int, OUT best_epoch int,
    OUT validation_uar float8, OUT size_bytes int)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_train_model'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION ser_train(text, text, int, int, float8, float8, int, float8, boolean, float8, bigint, text[], boolean, boolean, int, int, boolean) IS
'Trains an emotion model on the rows of query, which must return (audio bytea, label text, speaker text), and stores it in ser_models under name. validation_fraction > 0 holds out that fraction of the recordings, by whole speakers, for early stopping (patience epochs without a better validation UAR); the default 0 trains every network for epochs epochs on all recordings. classes: the label order (default: the shipped model''s classes in its order, ser_emotions(), when every label is one of them, else the sorted distinct labels). augment: random crops and SpecAugment-style time and feature masks; perturbation: the probability that a training recording is re-featurised each epoch after speed (0.9/1.1), gain (±6 dB) and noise (15-40 dB SNR) perturbation of its waveform (slower; 0.5 measured no better on RAVDESS). speaker_normalisation: every speaker''s features are centred on that speaker''s mean (ser_speaker_profile of its recordings) before training, and the model then takes a speaker_profile in ser_predict(). ensemble: the number of networks trained (seeds seed, seed + 1, ...), whose probabilities are averaged; epochs_run, best_epoch and validation_uar are those of the first. alone_ensemble: with speaker_normalisation, the number of networks trained on the same recordings without it, which classify a recording given without a speaker_profile (0: such a recording is centred on the training speakers'' mean profile instead). calibrate: before the final training, a cross-validation of 5 folds grouped by speaker fits one temperature per path on its out-of-fold predictions (Guo et al. 2017), stored in the model so that a confidence of 0.7 is right about 70 % of the time (costs about five trainings more; the temperatures are in ser_models.training). Every training argument left out or NULL takes the recipe''s default, listed by ser_training_defaults(): the recipe of the shipped model. The same seed on the same machine gives the same weights. Reports progress per epoch as NOTICEs; honours cancel.';

CREATE OR REPLACE FUNCTION ser_evaluate(
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
    ensemble int DEFAULT NULL,
    alone_ensemble int DEFAULT NULL,
    calibrate boolean DEFAULT NULL)
RETURNS TABLE (protocol text, fold int, metric text, label text, predicted text, value float8)
AS 'MODULE_PATHNAME', 'ser_evaluate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION ser_evaluate(text, int, text, boolean, int, int, float8, float8, int, float8, boolean, float8, bigint, text[], boolean, int, int, boolean) IS
'Cross-validates the training of ser_train() on the rows of query (audio bytea, label text, speaker text) with folds grouped by speaker: no speaker is in both the training and the test side of a fold. fold_groups fixes the folds by integer speaker values, e.g. ''1-4;5-8;9-12;13-16;17-20''. Returns per fold (fold 1..k) and pooled (fold NULL) accuracy, uar (unweighted average recall), macro_f1, recordings and per-class recall; accuracy/uar/macro_f1 _mean and _std over folds; and the pooled confusion matrix (metric confusion, label = true class, predicted, value = count). speaker_dependent => true splits recordings instead of speakers, only for comparison with published figures; its rows are labelled as such. With speaker_normalisation (the default) every speaker, the test speakers included, is normalised by the profile of all its recordings (labels unused), as a user would with ser_speaker_profile(); the protocol says so, and a second set of rows classifies every test recording alone (with alone_ensemble, by the networks trained without profiles). Confidence: ece_uncalibrated is the expected calibration error (10 bins) of the probabilities as averaged; with calibrate, each fold''s probabilities are scaled by a temperature fitted on the other folds'' predictions (metric temperature, per fold) and ece is theirs, as a calibrated model would give them; mean_confidence is the mean top-class probability. Training arguments left out or NULL take the defaults of ser_training_defaults(), as for ser_train().';

CREATE OR REPLACE FUNCTION ser_training_defaults(OUT argument text, OUT type text, OUT default_value text,
                                      OUT minimum float8, OUT maximum float8, OUT description text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ser_training_defaults'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ser_training_defaults() IS
'The training recipe of ser_train() and ser_evaluate(): every argument that shapes training, its type, its default (used when the argument is left out or NULL; together the recipe of the shipped model), its allowed range (NULL where there is none) and what it does.';
