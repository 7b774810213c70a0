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
  ('03-01-01-01-01-01-01.flac', 'actor 01', 'neutral', '{0.79874873,0.034812853,0.027178774,0.10195223,0.006481558,0.0066660843,0.009595093,0.014564696}'),
  ('03-01-01-01-01-01-01.flac', 'none', 'neutral', '{0.8485386,0.017141765,0.006070378,0.07030202,0.018475512,0.0014116926,0.019485146,0.018574918}'),
  ('03-01-02-01-01-02-01.flac', 'actor 01', 'calm', '{0.018008826,0.87622315,0.0042815893,0.08513787,0.0004680412,0.002442811,0.013009044,0.00042870195}'),
  ('03-01-02-01-01-02-01.flac', 'none', 'calm', '{0.029477693,0.74504685,0.00205198,0.100293644,0.0030541953,0.0010126797,0.117269315,0.0017936234}'),
  ('03-01-04-02-02-02-02.flac', 'none', 'sad', '{0.016624646,0.023633897,0.013618059,0.56701964,0.004014776,0.013679066,0.3057997,0.05561028}'),
  ('03-01-05-02-01-01-01.flac', 'actor 01', 'angry', '{5.5862223e-05,4.8870435e-05,0.0057424386,0.00019705227,0.94462204,0.04288284,0.0029564323,0.003494506}'),
  ('03-01-05-02-01-01-01.flac', 'none', 'angry', '{1.3732993e-06,5.1962286e-07,0.00013079475,1.9894298e-06,0.99871415,0.00018281119,0.0007720369,0.00019639714}'),
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
