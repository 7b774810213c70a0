-- ser_load_ravdess() on the fixture tree test/fixtures/ravdess_tree (see its
-- README.md): a nested duplicate subtree, files that are not RAVDESS audio,
-- an undecodable file, a dangling symbolic link and a byte-identical pair.
-- Messages name paths relative to the loaded directory; stored paths are
-- shown relative to it too, since the source tree's location varies.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
\set fixtures :abs_srcdir '/fixtures/ravdess_tree'
-- From an empty table, whatever ran before in this database.
TRUNCATE ravdess_metadata;

-- The table: audio stored out of line without compression, rows kept by pg_dump.
SELECT attname, attstorage FROM pg_attribute
WHERE attrelid = 'ravdess_metadata'::regclass AND attname = 'audio';
SELECT 'ravdess_metadata'::regclass = ANY (extconfig::regclass[]) AS dumped FROM pg_extension WHERE extname = 'ser';
SELECT p.oid::regprocedure AS function, provolatile, proisstrict, proparallel
FROM pg_proc p WHERE proname = 'ser_load_ravdess';

-- First load: 6 recordings, 7 entries skipped, 5 copies from the nested tree.
SELECT * FROM ser_load_ravdess(:'fixtures');

SELECT file_name, substr(path, length(:'fixtures') + 2) AS path, format, sample_rate, channels, frames,
       round(duration_s::numeric, 4) AS duration_s, file_size, identical_content
FROM ravdess_metadata ORDER BY file_name;
SELECT recording_id, modality, modality_name, vocal_channel_name, emotion, emotion_name,
       intensity_name, statement, statement_text, repetition, actor, gender
FROM ravdess_metadata ORDER BY file_name;

-- The stored bytes are the file's, uncompressed; the hash is SHA-256 of them.
SELECT file_name,
       length(audio) = file_size AS whole_file,
       pg_column_compression(audio) IS NULL AS uncompressed,
       content_sha256 = sha256(audio) AS hash_matches,
       (ser_audio_info(audio)).duration_s = duration_s AS probe_matches
FROM ravdess_metadata ORDER BY file_name;
SELECT * FROM ravdess_identical_content;

-- Idempotent: a second run adds nothing and counts every recording as a duplicate.
SELECT * FROM ser_load_ravdess(:'fixtures' || '/');
SELECT count(*) AS recordings FROM ravdess_metadata;

-- Only a subtree.
SELECT * FROM ser_load_ravdess(:'fixtures' || '/audio_speech_actors_01-24/Actor_07');

-- Without audio, then with it: the second run adds the missing audio.
TRUNCATE ravdess_metadata;
SELECT * FROM ser_load_ravdess(:'fixtures' || '/Actor_01', with_audio => false);
SELECT file_name, audio IS NULL AS no_audio, file_size, encode(content_sha256, 'hex') AS content_sha256
FROM ravdess_metadata ORDER BY file_name;
SELECT * FROM ser_load_ravdess(:'fixtures' || '/Actor_01');
SELECT file_name, content_sha256 = sha256(audio) AS audio_added FROM ravdess_metadata ORDER BY file_name;

-- ser.max_duration applies: recordings longer than it are reported and skipped.
TRUNCATE ravdess_metadata;
SET ser.max_duration = 0.25;
SELECT * FROM ser_load_ravdess(:'fixtures' || '/Actor_02');
RESET ser.max_duration;

-- Another version of a recording already loaded is reported, not loaded:
-- different bytes under the same name, or the same recording in another container.
SELECT * FROM ser_load_ravdess(:'fixtures' || '/Actor_01');
UPDATE ravdess_metadata SET content_sha256 = sha256('other bytes'), path = 'elsewhere/' || file_name
WHERE file_name = '03-01-01-01-01-01-01.wav';
UPDATE ravdess_metadata SET file_name = '03-01-02-01-01-02-01.flac', path = 'elsewhere/03-01-02-01-01-02-01.flac'
WHERE file_name = '03-01-02-01-01-02-01.wav';
SELECT * FROM ser_load_ravdess(:'fixtures' || '/Actor_01');

-- The flag follows the table: with one of the pair deleted, a new load clears it.
TRUNCATE ravdess_metadata;
SELECT * FROM ser_load_ravdess(:'fixtures' || '/Actor_07');
DELETE FROM ravdess_metadata WHERE file_name = '03-01-03-01-02-02-07.wav';
SELECT * FROM ser_load_ravdess(:'fixtures' || '/Actor_01');
SELECT file_name, identical_content FROM ravdess_metadata ORDER BY file_name;

-- The directory argument.
SELECT * FROM ser_load_ravdess('');
SELECT * FROM ser_load_ravdess('no/such/directory');
SELECT * FROM ser_load_ravdess('PG_VERSION');
SELECT * FROM ser_load_ravdess(NULL);

-- Privileges: not executable by PUBLIC; members of pg_read_server_files may
-- run it, and write the rows with their own table privileges.
CREATE ROLE regress_ser_loader;
SET ROLE regress_ser_loader;
SELECT * FROM ser_load_ravdess(:'fixtures');
RESET ROLE;
GRANT pg_read_server_files TO regress_ser_loader;
SET ROLE regress_ser_loader;
SELECT * FROM ser_load_ravdess(:'fixtures');
RESET ROLE;
GRANT SELECT, INSERT, UPDATE ON ravdess_metadata TO regress_ser_loader;
SET ROLE regress_ser_loader;
SET client_min_messages = warning;
SELECT * FROM ser_load_ravdess(:'fixtures');
RESET client_min_messages;
RESET ROLE;
REVOKE ALL ON ravdess_metadata FROM regress_ser_loader;
DROP ROLE regress_ser_loader;

TRUNCATE ravdess_metadata;
