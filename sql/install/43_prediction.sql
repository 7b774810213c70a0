
-- ---------------------------------------------------------------------------
-- Prediction: speech or not, then an emotion (0.2.0)
-- ---------------------------------------------------------------------------
-- CREATE OR REPLACE: this part is also the update from 0.1.0.

CREATE OR REPLACE FUNCTION ser_speech(audio bytea, OUT speech boolean, OUT voiced_seconds real,
                                      OUT bandwidth_hz real, OUT f0_wobble_st real, OUT articulation real,
                                      OUT reason text)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_speech'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5000;

COMMENT ON FUNCTION ser_speech(bytea) IS
'Whether a recording is a voice speaking, as the prediction functions judge it before giving an emotion, and the evidence: voiced_seconds (at least 0.25 s), bandwidth_hz (median spectral bandwidth of voiced frames, at least 700 Hz: pure tones and chords of them are narrower), f0_wobble_st (median |second difference| of F0 between 10 ms frames in semitones, 0.012 to 1: synthetic tones, sweeps and played notes are steadier, pitch found in noise jumps more), articulation (median MFCC 1-12 distance between consecutive voiced frames, at least 10: held sounds do not move). reason is ''speech'' or the first test that failed. Measured: no RAVDESS recording rejected (16 and 48 kHz, MP3, -80 dBFS noise floor), 84 of 85 synthetic non-speech signals rejected (model/README.md).';

CREATE OR REPLACE FUNCTION ser_predict(audio bytea, model text DEFAULT 'default', speaker_profile real[] DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'ser_predict'
LANGUAGE C STABLE PARALLEL SAFE COST 10000;

COMMENT ON FUNCTION ser_predict(bytea, text, real[]) IS
'The most probable emotion of a recording (any format ser_decode reads). model names a row of ser_models; ''default'' (the default) is the model shipped with ser, loaded once per backend. speaker_profile: the speaker''s ser_speaker_profile() for a speaker-normalised model (the shipped one is), which removes the speaker''s own voice from the features and is much more accurate on a new speaker; without it the model assumes the average training speaker. NULL when audio or model is NULL, and when the recording is not a voice speaking (silence, noise, tones, music, or under 0.25 s of voiced speech: see ser_speech()). STABLE: a named model can be replaced between statements.';

CREATE OR REPLACE FUNCTION ser_predict_proba(audio bytea, model text DEFAULT 'default', speaker_profile real[] DEFAULT NULL)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ser_predict_proba'
LANGUAGE C STABLE PARALLEL SAFE COST 10000;

COMMENT ON FUNCTION ser_predict_proba(bytea, text, real[]) IS
'Class probabilities of a recording, aligned with the model''s classes (ser_emotions() for the shipped model; ser_models.classes for others). speaker_profile as for ser_predict(); NULL when the recording is not speech (see ser_speech()).';

-- 0.1.0's ser_classify had no speech columns: a new row type needs a new function.
DROP FUNCTION IF EXISTS ser_classify(bytea, text, real[]);
CREATE FUNCTION ser_classify(audio bytea, model text DEFAULT 'default', speaker_profile real[] DEFAULT NULL,
                             OUT label text, OUT confidence real, OUT probabilities real[],
                             OUT speech boolean, OUT speech_seconds real, OUT reason text)
RETURNS record
AS 'MODULE_PATHNAME', 'ser_classify'
LANGUAGE C STABLE PARALLEL SAFE COST 10000;

COMMENT ON FUNCTION ser_classify(bytea, text, real[]) IS
'Label, its probability (confidence) and every class probability of a recording, in one row, with whether it is speech (speech), its seconds of voiced sound (speech_seconds) and the speech gate''s reason (''speech'', ''too little voiced speech'', ''no voice: ...''): label, confidence and probabilities are NULL when it is not speech. speaker_profile as for ser_predict(). Thresholds: ser_speech().';


-- ser_speaker_profile(audio, model): a profile made with a model's own
-- feature parameters (0.2.0).  The one-argument form uses the defaults,
-- which changed in 0.2.0: a model trained with other parameters (any model
-- stored by 0.1.0) needs its profiles made this way.
CREATE FUNCTION ser_speaker_profile_accum(state float8[], audio bytea, model text)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'ser_speaker_profile_model_accum'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION ser_speaker_profile_accum(float8[], bytea, text) IS
'Transition function of ser_speaker_profile(audio, model): adds the features of one recording (NULL audio is skipped), computed with the feature parameters of model, to a state of sums.';

CREATE AGGREGATE ser_speaker_profile(audio bytea, model text) (
    SFUNC = ser_speaker_profile_accum,
    STYPE = float8[],
    COMBINEFUNC = ser_speaker_profile_combine,
    FINALFUNC = ser_speaker_profile_final,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE ser_speaker_profile(bytea, text) IS
'The speaker profile of a set of recordings of one speaker, as ser_speaker_profile(audio), but with the feature parameters of model (a name of ser_models, or ''default''): for a model trained with other parameters than the defaults, such as a model stored by ser 0.1.0, whose profiles have 1,049 values where today''s defaults give 1,133. STABLE: it reads the model.';
