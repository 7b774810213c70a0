
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
