-- ser_parse_ravdess_filename(): every field, every refusal.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup

-- How the function is declared.
SELECT p.oid::regprocedure AS function, provolatile, proisstrict, proparallel
FROM pg_proc p WHERE proname = 'ser_parse_ravdess_filename';

-- A speech clip, a song clip, a path, a bare code, a compound extension.
\x on
SELECT * FROM ser_parse_ravdess_filename('03-01-05-02-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('Actor_24/03-02-06-02-02-02-24.flac');
\x off
SELECT recording_id, modality_name, vocal_channel_name, emotion_name, actor, gender
FROM ser_parse_ravdess_filename('01-01-01-01-01-01-01');
SELECT recording_id, modality_name, emotion_name, intensity_name
FROM ser_parse_ravdess_filename('02-01-08-02-02-02-13.tar.gz');
SELECT ser_parse_ravdess_filename(NULL) IS NULL AS strict_on_null;

-- Every code of every field, with its name.
SELECT e AS emotion, p.emotion_name
FROM generate_series(1, 8) e,
     ser_parse_ravdess_filename(format('03-01-%s-01-01-01-01.wav', to_char(e, 'FM00'))) p
ORDER BY e;
SELECT a AS actor, p.gender
FROM generate_series(1, 24) a,
     ser_parse_ravdess_filename(format('03-01-02-01-01-01-%s.wav', to_char(a, 'FM00'))) p
WHERE a IN (1, 2, 23, 24)
ORDER BY a;

-- All 768 combinations of valid-range codes for actors 01 and 02: exactly
-- the corpus's combinations parse (speech: neutral at normal intensity and
-- seven emotions at two intensities = 15; song: neutral and five emotions at
-- two intensities = 11; (15 + 11) x 3 modalities x 2 statements x
-- 2 repetitions x 2 actors = 624).
SELECT count(*) AS combinations,
       count(*) FILTER (WHERE r = 'no error') AS parsed,
       count(*) FILTER (WHERE r LIKE '22023: invalid intensity "02"%') AS strong_neutral,
       count(*) FILTER (WHERE r LIKE '22023: invalid emotion "0_"%') AS song_without_emotion
FROM (SELECT sqlstate_of(format('SELECT ser_parse_ravdess_filename(%L)',
                                concat_ws('-', to_char(m, 'FM00'), to_char(v, 'FM00'), to_char(e, 'FM00'),
                                          to_char(i, 'FM00'), to_char(s, 'FM00'), to_char(r, 'FM00'),
                                          to_char(a, 'FM00')) || '.wav')) AS r
      FROM generate_series(1, 3) m, generate_series(1, 2) v, generate_series(1, 8) e,
           generate_series(1, 2) i, generate_series(1, 2) s, generate_series(1, 2) r,
           generate_series(1, 2) a) t;

-- Refusals name the field and say what it must hold.
SELECT * FROM ser_parse_ravdess_filename('');
SELECT * FROM ser_parse_ravdess_filename('Actor_01/');
SELECT * FROM ser_parse_ravdess_filename('README.md');
SELECT * FROM ser_parse_ravdess_filename('03-01-05-02-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-05-02-01-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-05-02-01-01-01.');
SELECT * FROM ser_parse_ravdess_filename('3-01-05-02-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-0x-02-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-05-02-01-01-001.wav');
SELECT * FROM ser_parse_ravdess_filename('03--05-02-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('04-01-05-02-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-03-05-02-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-09-02-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-00-02-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-05-03-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-05-02-03-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-05-02-01-03-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-05-02-01-01-25.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-05-02-01-01-00.wav');
SELECT * FROM ser_parse_ravdess_filename('03-01-01-02-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-02-07-01-01-01-01.wav');
SELECT * FROM ser_parse_ravdess_filename('03-02-08-02-01-01-02.wav');
