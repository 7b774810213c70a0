
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
