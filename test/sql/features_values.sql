-- Known truths on the synthetic fixtures: a 440 Hz sine at -6 dBFS and
-- digital silence, 0.5 s each.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
CREATE TEMP TABLE vec AS
SELECT f.name AS fixture, u.n AS feature, u.v AS value
FROM fixtures f, unnest(ser_feature_names(), ser_features(f.audio)) AS u(n, v)
WHERE f.name IN ('silence_16k.wav', 'tone440_16k_pcm16.wav', 'ravdess_03-01-05-02-01-01-01.wav');

-- Every value is finite, for silence too.
SELECT fixture, count(*) AS values,
       count(*) FILTER (WHERE value = 'NaN' OR value IN ('Infinity', '-Infinity')) AS not_finite
FROM vec GROUP BY fixture ORDER BY fixture;

-- The sine: F0 440 Hz (+- 1 Hz) on voiced frames, nearly all frames voiced,
-- chroma strongest at A, RMS of a -6 dBFS sine is 0.5/sqrt(2).
SELECT abs(value - 440) <= 1 AS f0_is_440
FROM vec WHERE fixture = 'tone440_16k_pcm16.wav' AND feature = 'f0_voiced_p50';
SELECT value > 0.8 AS mostly_voiced
FROM vec WHERE fixture = 'tone440_16k_pcm16.wav' AND feature = 'voiced_fraction';
SELECT feature AS strongest_chroma
FROM vec WHERE fixture = 'tone440_16k_pcm16.wav' AND feature LIKE 'chroma\__%\_mean'
ORDER BY value DESC LIMIT 1;
SELECT round(value::numeric, 3) AS rms_p50
FROM vec WHERE fixture = 'tone440_16k_pcm16.wav' AND feature = 'rms_p50';
SELECT round(value::numeric, 1) AS hnr_p50_db
FROM vec WHERE fixture = 'tone440_16k_pcm16.wav' AND feature = 'hnr_voiced_p50';

-- Silence: nothing voiced, log-mel at the floor, statistics 0 rather than NaN.
SELECT feature, value
FROM vec WHERE fixture = 'silence_16k.wav'
  AND feature IN ('voiced_fraction', 'f0_voiced_mean', 'hnr_voiced_std', 'logmel_0_mean', 'logmel_0_std',
                  'mfcc_0_mean', 'rms_mean', 'flatness_mean', 'mfcc_1_skewness', 'jitter_mean')
ORDER BY feature;

-- Speech: some frames voiced.  The actor shouts (angry, strong intensity):
-- his F0 sits far above a male speaking voice, as librosa finds too on the
-- same clip (test/unit/test_features_librosa.c).
SELECT value BETWEEN 0.2 AND 0.8 AS partly_voiced
FROM vec WHERE fixture = 'ravdess_03-01-05-02-01-01-01.wav' AND feature = 'voiced_fraction';
SELECT value BETWEEN 250 AND 450 AS shouted_f0
FROM vec WHERE fixture = 'ravdess_03-01-05-02-01-01-01.wav' AND feature = 'f0_voiced_p50';
