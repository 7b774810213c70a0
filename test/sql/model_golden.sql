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
  ('03-01-01-01-01-01-01.flac', 'actor 01', 'neutral', '{0.84681493,0.017059242,0.02279499,0.064080514,0.0061291186,0.005050814,0.003709604,0.03436078}'),
  ('03-01-01-01-01-01-01.flac', 'none', 'neutral', '{0.8071332,0.03987427,0.035621047,0.056695458,0.01404761,0.009378185,0.007460963,0.02978928}'),
  ('03-01-02-01-01-02-01.flac', 'actor 01', 'calm', '{0.014118568,0.9142523,0.00078310806,0.06742314,0.0001707173,0.0010281276,0.0019968688,0.0002271836}'),
  ('03-01-02-01-01-02-01.flac', 'none', 'calm', '{0.06032555,0.812943,0.0056290124,0.0942148,0.0027432751,0.0063266153,0.015571973,0.002245778}'),
  ('03-01-04-02-02-02-02.flac', 'none', 'sad', '{0.12216279,0.019583654,0.027040014,0.58512866,0.011286796,0.0950748,0.026911922,0.11281136}'),
  ('03-01-05-02-01-01-01.flac', 'actor 01', 'angry', '{0.00023334859,0.00024048702,0.014323974,0.00065145973,0.9303602,0.0509014,0.0021729555,0.0011162021}'),
  ('03-01-05-02-01-01-01.flac', 'none', 'angry', '{0.0003534512,0.00033801366,0.014924018,0.00095540826,0.94654804,0.032769658,0.0023291733,0.001782219}'),
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
