-- ser_mfcc: [frame][coefficient], orthonormal DCT-II of the 64 log-mel bands.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT name, array_dims(ser_mfcc(audio)) AS default_dims, array_dims(ser_mfcc(audio, 13)) AS dims_13,
       array_dims(ser_mfcc(audio, 64)) AS dims_64
FROM fixtures WHERE name IN ('silence_16k.wav', 'tone440_16k_pcm16.wav') ORDER BY name;

-- Silence: every band at -100 dB, so c0 = -100 * 64 / sqrt(64) = -800 and the rest 0.
SELECT DISTINCT round(m[t][1]::numeric, 3) AS c0, round(m[t][2]::numeric, 3) AS c1, round(m[t][20]::numeric, 3) AS c19
FROM (SELECT ser_mfcc(audio) AS m FROM fixtures WHERE name = 'silence_16k.wav') s,
     generate_series(1, array_length(m, 1)) AS t;

-- The first 13 of 20 coefficients are the 13 coefficients.
SELECT ser_mfcc(audio, 13) = (ser_mfcc(audio))[:][1:13] AS prefix
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

-- Counts out of range.
SELECT ser_mfcc(audio, 0) FROM fixtures WHERE name = 'silence_16k.wav';
SELECT ser_mfcc(audio, 65) FROM fixtures WHERE name = 'silence_16k.wav';
SELECT ser_mfcc(NULL, 20) IS NULL AS null_audio;
SELECT sqlstate_of('SELECT ser_mfcc(audio, 65) FROM fixtures WHERE name = ''silence_16k.wav''');
