-- Golden predictions of the shipped model: the label and the eight
-- probabilities it gives a few fixture recordings, alone and with their
-- speaker's profile, recorded when the model was trained.  A change to the
-- decoder, the features, the network or the model file shows here.
-- Probabilities are compared with a tolerance of 1e-3: OpenBLAS and FFTW
-- pick other kernels on other CPUs and change the last bits (about 1e-6),
-- while any real change to the pipeline moves them by far more.
--
-- When the shipped model is retrained, the golden rows below change: print
-- the new ones from the source tree with
--   PG_ABS_SRCDIR=$PWD/test psql -X -q -At -v regenerate=1 -f test/sql/model_golden.sql | grep '^  ('
-- check them against the model card, and paste them over the rows of
-- INSERT INTO golden below (the last row ends in ; rather than ,).
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup

-- Four RAVDESS recordings at 16 kHz (test/fixtures/librosa: three of actor
-- 01, one of actor 02), with a 440 Hz tone and silence.
CREATE TEMP TABLE clips (clip text PRIMARY KEY, audio bytea NOT NULL);
\set f :abs_srcdir '/fixtures/librosa/03-01-01-01-01-01-01.flac'
\lo_import :f
\set loid :LASTOID
INSERT INTO clips VALUES ('03-01-01-01-01-01-01.flac', lo_get(:loid));
\lo_unlink :loid
\set f :abs_srcdir '/fixtures/librosa/03-01-02-01-01-02-01.flac'
\lo_import :f
\set loid :LASTOID
INSERT INTO clips VALUES ('03-01-02-01-01-02-01.flac', lo_get(:loid));
\lo_unlink :loid
\set f :abs_srcdir '/fixtures/librosa/03-01-04-02-02-02-02.flac'
\lo_import :f
\set loid :LASTOID
INSERT INTO clips VALUES ('03-01-04-02-02-02-02.flac', lo_get(:loid));
\lo_unlink :loid
\set f :abs_srcdir '/fixtures/librosa/03-01-05-02-01-01-01.flac'
\lo_import :f
\set loid :LASTOID
INSERT INTO clips VALUES ('03-01-05-02-01-01-01.flac', lo_get(:loid));
\lo_unlink :loid
INSERT INTO clips SELECT name, audio FROM fixtures WHERE name IN ('tone440_16k_pcm16.wav', 'silence_16k.wav');

-- Actor 01's profile from his three recordings.
CREATE TEMP TABLE profiles AS
SELECT 'actor 01' AS profile, ser_speaker_profile(audio) AS p FROM clips WHERE clip LIKE '03-%-01.flac';

-- What the shipped model says now: every clip alone, actor 01's also with
-- his profile.
CREATE TEMP TABLE predicted AS
SELECT clip, 'none' AS profile, ser_predict(audio) AS label, ser_predict_proba(audio) AS probabilities
FROM clips
UNION ALL
SELECT clip, profiles.profile, ser_predict(audio, speaker_profile => p), ser_predict_proba(audio, speaker_profile => p)
FROM clips, profiles WHERE clip LIKE '03-%-01.flac';

\if :{?regenerate}
SELECT format('  (%L, %L, %L, %L),', clip, profile, label, probabilities) FROM predicted ORDER BY clip, profile;
\quit
\endif

CREATE TEMP TABLE golden (clip text, profile text, label text, probabilities real[]);
INSERT INTO golden VALUES
  ('03-01-01-01-01-01-01.flac', 'actor 01', 'neutral', '{0.7817946,0.011770926,0.024302248,0.1087388,0.005988189,0.0089342045,0.0033601846,0.05511081}'),
  ('03-01-01-01-01-01-01.flac', 'none', 'neutral', '{0.71105623,0.049605243,0.059734546,0.09823252,0.011849138,0.018375041,0.009394393,0.041752875}'),
  ('03-01-02-01-01-02-01.flac', 'actor 01', 'calm', '{0.04087221,0.8756508,0.0006389202,0.0789341,0.000120543824,0.0009753491,0.0027370155,7.104886e-05}'),
  ('03-01-02-01-01-02-01.flac', 'none', 'calm', '{0.11969291,0.74284315,0.0062687835,0.1081731,0.0012311648,0.0060781874,0.013966668,0.0017460448}'),
  ('03-01-04-02-02-02-02.flac', 'none', 'sad', '{0.07379916,0.02045241,0.034413826,0.53346467,0.011919558,0.14314322,0.050340492,0.13246664}'),
  ('03-01-05-02-01-01-01.flac', 'actor 01', 'angry', '{2.1428461e-05,3.46332e-05,0.010928416,0.00039881386,0.9090243,0.076530635,0.0019382271,0.0011235598}'),
  ('03-01-05-02-01-01-01.flac', 'none', 'angry', '{0.00013171023,0.00013169314,0.022328548,0.0008030455,0.9172432,0.054256547,0.003263599,0.001841671}'),
  -- not speech: no emotion (the speech gate), where 0.1.0 said "angry" and "fearful"
  ('silence_16k.wav', 'none', NULL, NULL),
  ('tone440_16k_pcm16.wav', 'none', NULL, NULL);

SELECT g.clip, g.profile, g.label AS golden_label, p.label IS NOT DISTINCT FROM g.label AS same_label,
       coalesce((SELECT max(abs(a - b)) FROM unnest(p.probabilities, g.probabilities) AS u(a, b)) < 1e-3,
                p.probabilities IS NULL AND g.probabilities IS NULL) AS probabilities_within_1e_3
FROM golden g LEFT JOIN predicted p USING (clip, profile)
ORDER BY g.clip, g.profile;
-- Every prediction has a golden row.
SELECT count(*) AS without_golden FROM predicted p LEFT JOIN golden g USING (clip, profile) WHERE g.clip IS NULL;
