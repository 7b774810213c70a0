-- Inputs from the outside audit (test/fixtures/findings), each the smallest
-- that showed a defect, and what every audio function does with them now.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
CREATE TEMP TABLE findings (name text PRIMARY KEY, audio bytea NOT NULL);
\set f :abs_srcdir '/fixtures/findings/F-stream-wav-sox_pipe.wav'
\lo_import :f
\set oid :LASTOID
INSERT INTO findings SELECT 'sox_pipe', lo_get(:oid);
SELECT lo_unlink(:oid) AS unlinked \gset
\set f :abs_srcdir '/fixtures/findings/F-stream-wav-zero_sizes.wav'
\lo_import :f
\set oid :LASTOID
INSERT INTO findings SELECT 'zero_sizes', lo_get(:oid);
SELECT lo_unlink(:oid) AS unlinked \gset
\set f :abs_srcdir '/fixtures/findings/F-decode-nan_4120.wav'
\lo_import :f
\set oid :LASTOID
INSERT INTO findings SELECT 'huge_floats', lo_get(:oid);
SELECT lo_unlink(:oid) AS unlinked \gset
\set f :abs_srcdir '/fixtures/findings/vorbis_first_page_only_58B.ogg'
\lo_import :f
\set oid :LASTOID
INSERT INTO findings SELECT 'vorbis_first_page', lo_get(:oid);
SELECT lo_unlink(:oid) AS unlinked \gset
\set f :abs_srcdir '/fixtures/findings/vorbis_crcfixed_mutant_4864B.ogg'
\lo_import :f
\set oid :LASTOID
INSERT INTO findings SELECT 'vorbis_mutant', lo_get(:oid);
SELECT lo_unlink(:oid) AS unlinked \gset

-- F3: a WAV written by sox to a pipe carries the 0x7FFFF000 placeholder as
-- its sizes; it is read to the end, as sox and libsndfile read it.
SELECT format, sample_rate, frames, duration_s FROM findings, ser_audio_info(audio) WHERE name = 'sox_pipe';
SELECT cardinality(ser_decode(audio)) AS samples, (ser_classify(audio)).reason AS classified
FROM findings WHERE name = 'sox_pipe';
-- A header that states real sizes which the file does not hold is still truncated.
SELECT ser_decode(overlay(audio placing '\x10fa0000'::bytea from 41 for 4))
FROM findings WHERE name = 'sox_pipe';

-- F4: float samples of 1e38 and more are clipped to full scale before
-- resampling: no NaN leaves the decoder, and features follow.
SELECT count(*) AS samples,
       count(*) FILTER (WHERE x = 'NaN' OR x NOT BETWEEN -1 AND 1) AS outside_full_scale
FROM findings, unnest(ser_decode(audio)) AS x WHERE name = 'huge_floats';
SELECT count(*) FILTER (WHERE v = 'NaN' OR v IN ('Infinity', '-Infinity')) AS not_finite_features
FROM findings, unnest(ser_features(audio)) AS v WHERE name = 'huge_floats';

-- F6: zero frames (here a WAV whose data size is 0, followed by audio) is
-- refused like empty input (22023) by every function that takes audio.
SELECT ser_predict(audio) FROM findings WHERE name = 'zero_sizes';
SELECT f, sqlstate_of(format('SELECT %s FROM findings WHERE name = %L', f, 'zero_sizes'))
FROM unnest(ARRAY['ser_audio_info(audio)', 'ser_decode(audio)', 'ser_features(audio)', 'ser_frames(audio)',
                  'ser_melspectrogram(audio)', 'ser_mfcc(audio)', 'ser_pitch(audio)', 'ser_predict(audio)',
                  'ser_predict_proba(audio)', 'ser_classify(audio)', 'ser_speaker_profile(audio)']) AS f;
SELECT sqlstate_of($$SELECT ser_decode(''::bytea)$$) AS empty_input;

-- F1: Ogg/Vorbis streams whose pages are complete and checksummed but
-- whose headers are missing or damaged are refused before libvorbis sees
-- them (test/unit/test_decode_findings.c and t/050_leaks.pl show that
-- refusing them no longer loses memory).
SELECT ser_decode(audio) FROM findings WHERE name = 'vorbis_first_page';
SELECT ser_audio_info(audio) FROM findings WHERE name = 'vorbis_mutant';
