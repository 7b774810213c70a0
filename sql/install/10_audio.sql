
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
