-- ser: speech emotion recognition inside PostgreSQL, version 0.1.0.
-- The install script of 0.1.0 as released, kept unchanged so that
-- CREATE EXTENSION ser VERSION '0.1.0' followed by ALTER EXTENSION ser UPDATE
-- can be tested (test/t/062_upgrade.pl).  Do not edit.

\echo Use "CREATE EXTENSION ser" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Audio: bytes -> PCM
-- ---------------------------------------------------------------------------

CREATE FUNCTION ser_audio_info(audio bytea,
                               OUT format text, OUT sample_rate int, OUT channels int,
                               OUT frames bigint, OUT duration_s float8)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_audio_info'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_audio_info(bytea) IS
'Describes a stored recording as it is stored (before resampling): container/codec (wav, aiff, au, flac, ogg/vorbis, ogg/opus, mp3), sample rate in Hz, channels, frames actually decoded and duration in seconds. Fails on damaged or unsupported audio, and on recordings longer than ser.max_duration.';

CREATE FUNCTION ser_decode(audio bytea, sample_rate int DEFAULT 16000)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ser_decode'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_decode(bytea, int) IS
'Decodes a stored recording (WAV, AIFF, AU, FLAC, Ogg/Vorbis, Ogg/Opus, MP3; 8-192 kHz; any number of channels) to mono PCM in [-1, 1]: channels are averaged and the signal is resampled with libsoxr (high quality) to sample_rate Hz (default 16000). Non-finite float samples are rejected, not replaced.';

-- ---------------------------------------------------------------------------
-- Features: PCM -> frame features -> utterance vector
-- ---------------------------------------------------------------------------

CREATE FUNCTION ser_features(audio bytea)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ser_features'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10000;  -- milliseconds per call: worth parallel workers

COMMENT ON FUNCTION ser_features(bytea) IS
'Utterance-level feature vector of a recording (decoded to 16 kHz mono): mean, standard deviation, 10th/50th/90th percentiles, range, slope, skewness and kurtosis of the MFCCs, chroma, spectral contrast, centroid, bandwidth, roll-off, flatness, zero-crossing rate and RMS; the same of F0 and harmonics-to-noise ratio over voiced frames; mean and standard deviation of MFCC deltas, log-mel bands, jitter and shimmer; voicing statistics. Names in ser_feature_names(); parameters in ser_feature_params(). Finite for every input, silence included.';

CREATE FUNCTION ser_feature_names()
RETURNS text[]
AS 'MODULE_PATHNAME', 'ser_feature_names'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_feature_names() IS
'Names of the values of ser_features(), in order, so that unnest(ser_feature_names(), ser_features(audio)) reads as a table.';

CREATE FUNCTION ser_frames(audio bytea)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ser_frames'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10000;  -- milliseconds per call: worth parallel workers

COMMENT ON FUNCTION ser_frames(bytea) IS
'Frame-level features of a recording as a 2-D array [frame][feature], one frame every 10 ms (frame t centred on t * 10 ms): 64 log-mel bands (dB), 20 MFCCs with deltas and delta-deltas, 12 chroma, 7 spectral contrast bands (dB), centroid, bandwidth, roll-off (Hz), flatness, zero-crossing rate, RMS, F0 (Hz, 0 when unvoiced), voicing (0/1), harmonics-to-noise ratio (dB), jitter and shimmer. Column names in ser_frame_feature_names().';

CREATE FUNCTION ser_frame_feature_names()
RETURNS text[]
AS 'MODULE_PATHNAME', 'ser_frame_feature_names'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_frame_feature_names() IS
'Names of the columns of ser_frames(), in order.';

CREATE FUNCTION ser_melspectrogram(audio bytea, n_mels int DEFAULT 64)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ser_melspectrogram'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10000;  -- milliseconds per call: worth parallel workers

COMMENT ON FUNCTION ser_melspectrogram(bytea, int) IS
'Log-mel spectrogram [frame][band] in dB, 10*log10(max(power, 1e-10)): 16 kHz, 512-point FFT of a 25 ms periodic Hann window every 10 ms (centred frames, zero padding), n_mels Slaney-normalised mel bands over 0-8000 Hz (as librosa 0.11). n_mels must leave every band at least one FFT bin: 1 to 192 with the 512-point FFT.';

CREATE FUNCTION ser_mfcc(audio bytea, n_mfcc int DEFAULT 20)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ser_mfcc'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10000;  -- milliseconds per call: worth parallel workers

COMMENT ON FUNCTION ser_mfcc(bytea, int) IS
'Mel-frequency cepstral coefficients [frame][coefficient]: the orthonormal DCT-II of the 64-band log-mel spectrogram of ser_melspectrogram(), first n_mfcc coefficients (1 to 64).';

CREATE FUNCTION ser_pitch(audio bytea)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ser_pitch'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
COST 10000;  -- milliseconds per call: worth parallel workers

COMMENT ON FUNCTION ser_pitch(bytea) IS
'Fundamental frequency in Hz for each 10 ms frame, 0 for unvoiced frames: YIN (as librosa 0.11, 50-500 Hz, 64 ms frames) with a voicing decision (frame RMS at least -60 dBFS and harmonics-to-noise ratio at least 0 dB at the YIN period).';

CREATE FUNCTION ser_feature_params()
RETURNS text
AS 'MODULE_PATHNAME', 'ser_feature_params'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_feature_params() IS
'Every parameter the feature functions use, as the stable text form key=value;... (with a version number) that models store to record how their training features were computed.';

-- ---------------------------------------------------------------------------
-- Dataset: RAVDESS in the database
-- ---------------------------------------------------------------------------

-- One row per RAVDESS recording, audio included.  Metadata and audio share
-- one table: the audio column is stored out of line (STORAGE EXTERNAL puts
-- every value above ~2 kB in the TOAST table, uncompressed), so scans of the
-- metadata columns never read audio bytes, and a recording cannot exist
-- without its labels or the other way round.  Rows are written by
-- ser_load_ravdess(); the text columns carry the names of the codes so that
-- queries read without a lookup table.
CREATE TABLE ravdess_metadata (
    file_name          text PRIMARY KEY,
    recording_id       text NOT NULL UNIQUE
                       CHECK (recording_id = split_part(file_name, '.', 1)),
    path               text NOT NULL,
    modality           smallint NOT NULL CHECK (modality BETWEEN 1 AND 3),
    modality_name      text NOT NULL,
    vocal_channel      smallint NOT NULL CHECK (vocal_channel BETWEEN 1 AND 2),
    vocal_channel_name text NOT NULL,
    emotion            smallint NOT NULL CHECK (emotion BETWEEN 1 AND 8),
    emotion_name       text NOT NULL,
    intensity          smallint NOT NULL CHECK (intensity BETWEEN 1 AND 2),
    intensity_name     text NOT NULL,
    statement          smallint NOT NULL CHECK (statement BETWEEN 1 AND 2),
    statement_text     text NOT NULL,
    repetition         smallint NOT NULL CHECK (repetition BETWEEN 1 AND 2),
    actor              smallint NOT NULL CHECK (actor BETWEEN 1 AND 24),
    gender             text NOT NULL CHECK (gender IN ('male', 'female')),
    format             text NOT NULL,
    sample_rate        int NOT NULL CHECK (sample_rate > 0),
    channels           int NOT NULL CHECK (channels > 0),
    frames             bigint NOT NULL CHECK (frames >= 0),
    duration_s         float8 NOT NULL CHECK (duration_s >= 0),
    file_size          bigint NOT NULL CHECK (file_size >= 0),
    content_sha256     bytea NOT NULL CHECK (length(content_sha256) = 32),
    identical_content  boolean NOT NULL DEFAULT false,
    audio              bytea CHECK (audio IS NULL OR length(audio) = file_size)
);

ALTER TABLE ravdess_metadata ALTER COLUMN audio SET STORAGE EXTERNAL;
CREATE INDEX ravdess_metadata_content_sha256_idx ON ravdess_metadata (content_sha256);
CREATE INDEX ravdess_metadata_actor_idx ON ravdess_metadata (actor);

-- Loaded rows are user data: pg_dump dumps them with the extension.
SELECT pg_catalog.pg_extension_config_dump('ravdess_metadata', '');

COMMENT ON TABLE ravdess_metadata IS
'RAVDESS recordings loaded by ser_load_ravdess(): one row per recording (recording_id is the seven-code name without extension), its labels decoded from the file name, its properties as stored (format, sample rate, channels, frames, duration), the SHA-256 of the file and the file itself (audio, NULL when loaded with with_audio => false). identical_content is true for recordings whose bytes equal those of a recording with another name (the original release has one such pair); exclude them from analyses with WHERE NOT identical_content.';
COMMENT ON COLUMN ravdess_metadata.path IS 'Path of the file as the server read it.';
COMMENT ON COLUMN ravdess_metadata.recording_id IS 'The seven two-digit codes of the name, e.g. 03-01-05-02-01-01-01; unique, so the same recording is never counted twice whatever its container.';
COMMENT ON COLUMN ravdess_metadata.content_sha256 IS 'SHA-256 of the file as read; byte-identical files have equal hashes.';
COMMENT ON COLUMN ravdess_metadata.identical_content IS 'True when another recording (another name) has exactly the same bytes: its labels cannot both be right.';
COMMENT ON COLUMN ravdess_metadata.audio IS 'The file as read (compressed audio, stored out of line without compression attempts).';

CREATE FUNCTION ser_parse_ravdess_filename(name text,
    OUT recording_id text,
    OUT modality smallint, OUT modality_name text,
    OUT vocal_channel smallint, OUT vocal_channel_name text,
    OUT emotion smallint, OUT emotion_name text,
    OUT intensity smallint, OUT intensity_name text,
    OUT statement smallint, OUT statement_text text,
    OUT repetition smallint, OUT actor smallint, OUT gender text)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_parse_ravdess_filename'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_parse_ravdess_filename(text) IS
'Decodes a RAVDESS file name (or the last component of a path), e.g. 03-01-05-02-01-01-01.wav: modality (01 full-AV, 02 video-only, 03 audio-only), vocal channel (01 speech, 02 song), emotion (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful, 07 disgust, 08 surprised), intensity (01 normal, 02 strong), statement (01 "Kids are talking by the door", 02 "Dogs are sitting by the door"), repetition (01, 02), actor (01-24, odd = male). Refuses, naming the field, names that do not have seven two-digit fields, codes out of range, strong neutral recordings and song recordings of disgust or surprise (the corpus has neither).';

CREATE FUNCTION ser_load_ravdess(directory text, with_audio boolean DEFAULT true,
    OUT loaded int, OUT skipped int, OUT duplicates int)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_load_ravdess'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION ser_load_ravdess(text, boolean) IS
'Walks a server directory recursively (symbolic links followed, each directory visited once) and loads into ravdess_metadata every audio file (wav, flac, aiff, au, ogg, opus, mp3) with a RAVDESS name. loaded counts recordings added (or whose missing audio was added); duplicates counts files whose recording is already in the table with the same name and bytes (a copied subtree, or a second run); skipped counts entries that were reported and not loaded: other files (NOTICE), and unreadable or undecodable files, unreadable directories and conflicting versions of a recording already loaded (WARNING). Recordings byte-identical under different names are marked identical_content. A NOTICE reports progress every 100 files. Reads server files: executable by members of pg_read_server_files; the caller also needs SELECT, INSERT and UPDATE on ravdess_metadata.';

-- Reading server files is what pg_read_server_files grants (as pg_walinspect does).
REVOKE EXECUTE ON FUNCTION ser_load_ravdess(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ser_load_ravdess(text, boolean) TO pg_read_server_files;

-- Dataset statistics (what a "dataset info" page shows).  The views run
-- with the privileges of the caller: they show nothing to a role that
-- cannot read ravdess_metadata.  They count every loaded recording;
-- analyses that must not double count add WHERE NOT identical_content.

CREATE VIEW ravdess_summary WITH (security_invoker = true) AS
SELECT count(*) AS clips,
       count(DISTINCT actor) AS actors,
       count(audio) AS clips_with_audio,
       sum(duration_s) AS total_duration_s,
       avg(duration_s) AS mean_duration_s,
       count(*) FILTER (WHERE identical_content) AS identical_content_clips
FROM ravdess_metadata;

COMMENT ON VIEW ravdess_summary IS
'Size of the loaded dataset: recordings, actors, recordings with audio, total and mean duration in seconds, and recordings marked identical_content.';

CREATE VIEW ravdess_emotion_stats WITH (security_invoker = true) AS
SELECT emotion, emotion_name,
       count(*) AS clips,
       avg(duration_s) AS mean_duration_s
FROM ravdess_metadata
GROUP BY emotion, emotion_name;

COMMENT ON VIEW ravdess_emotion_stats IS
'Recordings and mean duration (seconds) per emotion.';

CREATE VIEW ravdess_intensity_stats WITH (security_invoker = true) AS
SELECT intensity, intensity_name,
       count(*) AS clips,
       avg(duration_s) AS mean_duration_s
FROM ravdess_metadata
GROUP BY intensity, intensity_name;

COMMENT ON VIEW ravdess_intensity_stats IS
'Recordings and mean duration (seconds) per intensity (neutral recordings are all of normal intensity).';

CREATE VIEW ravdess_actor_stats WITH (security_invoker = true) AS
SELECT actor, gender,
       count(*) AS clips,
       avg(duration_s) AS mean_duration_s
FROM ravdess_metadata
GROUP BY actor, gender;

COMMENT ON VIEW ravdess_actor_stats IS
'Recordings and mean duration (seconds) per actor, with the actor''s gender.';

CREATE VIEW ravdess_gender_stats WITH (security_invoker = true) AS
SELECT gender,
       count(DISTINCT actor) AS actors,
       count(*) AS clips,
       avg(duration_s) AS mean_duration_s
FROM ravdess_metadata
GROUP BY gender;

COMMENT ON VIEW ravdess_gender_stats IS
'Actors, recordings and mean duration (seconds) per gender.';

CREATE VIEW ravdess_identical_content WITH (security_invoker = true) AS
SELECT encode(content_sha256, 'hex') AS content_sha256,
       array_agg(file_name ORDER BY file_name) AS file_names
FROM ravdess_metadata
GROUP BY content_sha256
HAVING count(*) > 1;

COMMENT ON VIEW ravdess_identical_content IS
'Groups of recordings whose files are byte-identical under different names, one row per group.';

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
    weights         bytea NOT NULL
);
ALTER TABLE ser_models ALTER COLUMN weights SET STORAGE EXTERNAL;
SELECT pg_catalog.pg_extension_config_dump('ser_models', '');

COMMENT ON TABLE ser_models IS
'Emotion models trained with ser_train(): the class list, the exact feature parameters and network architecture, the training arguments and outcome (training), and the weights (a versioned, checksummed blob of named tensors with the normalisation statistics; format in model/README.md). Name one in ser_predict(audio, model => name).';

CREATE FUNCTION ser_emotions()
RETURNS text[]
AS 'MODULE_PATHNAME', 'ser_emotions'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ser_emotions() IS
'The eight emotion classes of the shipped model, in the order of ser_predict_proba(): neutral, calm, happy, sad, angry, fearful, disgust, surprised.';

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
    epochs int DEFAULT 25,
    batch_size int DEFAULT 32,
    learning_rate float8 DEFAULT 0.002,
    weight_decay float8 DEFAULT 0.001,
    patience int DEFAULT 10,
    validation_fraction float8 DEFAULT 0,
    augment boolean DEFAULT true,
    perturbation float8 DEFAULT 0,
    seed bigint DEFAULT 1,
    classes text[] DEFAULT NULL,
    replace boolean DEFAULT false,
    speaker_normalisation boolean DEFAULT true,
    ensemble int DEFAULT 3,
    OUT model text, OUT recordings int, OUT speakers int, OUT epochs_run int, OUT best_epoch int,
    OUT validation_uar float8, OUT size_bytes int)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_train_model'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION ser_train(text, text, int, int, float8, float8, int, float8, boolean, float8, bigint, text[], boolean, boolean, int) IS
'Trains an emotion model on the rows of query, which must return (audio bytea, label text, speaker text), and stores it in ser_models under name. validation_fraction > 0 holds out that fraction of the recordings, by whole speakers, for early stopping (patience epochs without a better validation UAR); the default 0 trains every network for epochs epochs on all recordings. classes: the label order (default: the eight emotions when every label is one, else the sorted distinct labels). augment: random crops and SpecAugment-style time and feature masks; perturbation: the probability that a training recording is re-featurised each epoch after speed (0.9/1.1), gain (±6 dB) and noise (15-40 dB SNR) perturbation of its waveform (slower; 0.5 measured no better on RAVDESS). speaker_normalisation: every speaker''s features are centred on that speaker''s mean (ser_speaker_profile of its recordings) before training, and the model then takes a speaker_profile in ser_predict(). ensemble: the number of networks trained (seeds seed, seed + 1, ...), whose probabilities are averaged; epochs_run, best_epoch and validation_uar are those of the first. The defaults are the recipe of the shipped model. The same seed on the same machine gives the same weights. Reports progress per epoch as NOTICEs; honours cancel.';

CREATE FUNCTION ser_evaluate(
    query text,
    folds int DEFAULT 5,
    fold_groups text DEFAULT NULL,
    speaker_dependent boolean DEFAULT false,
    epochs int DEFAULT 25,
    batch_size int DEFAULT 32,
    learning_rate float8 DEFAULT 0.002,
    weight_decay float8 DEFAULT 0.001,
    patience int DEFAULT 10,
    validation_fraction float8 DEFAULT 0,
    augment boolean DEFAULT true,
    perturbation float8 DEFAULT 0,
    seed bigint DEFAULT 1,
    classes text[] DEFAULT NULL,
    speaker_normalisation boolean DEFAULT true,
    ensemble int DEFAULT 3)
RETURNS TABLE (protocol text, fold int, metric text, label text, predicted text, value float8)
AS 'MODULE_PATHNAME', 'ser_evaluate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION ser_evaluate(text, int, text, boolean, int, int, float8, float8, int, float8, boolean, float8, bigint, text[], boolean, int) IS
'Cross-validates the training of ser_train() on the rows of query (audio bytea, label text, speaker text) with folds grouped by speaker: no speaker is in both the training and the test side of a fold. fold_groups fixes the folds by integer speaker values, e.g. ''1-4;5-8;9-12;13-16;17-20''. Returns per fold (fold 1..k) and pooled (fold NULL) accuracy, uar (unweighted average recall), macro_f1, recordings and per-class recall; accuracy/uar/macro_f1 _mean and _std over folds; and the pooled confusion matrix (metric confusion, label = true class, predicted, value = count). speaker_dependent => true splits recordings instead of speakers, only for comparison with published figures; its rows are labelled as such. With speaker_normalisation (the default) every speaker, the test speakers included, is normalised by the profile of all its recordings (labels unused), as a user would with ser_speaker_profile(); the protocol says so.';
