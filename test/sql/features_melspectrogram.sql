-- ser_melspectrogram: [frame][band] in dB.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT name, array_dims(ser_melspectrogram(audio)) AS default_dims,
       array_dims(ser_melspectrogram(audio, 40)) AS dims_40,
       array_dims(ser_melspectrogram(audio, 1)) AS dims_1,
       array_dims(ser_melspectrogram(audio, 192)) AS dims_192
FROM fixtures WHERE name IN ('silence_16k.wav', 'tone440_16k_pcm16.wav') ORDER BY name;

-- Silence sits at the 1e-10 floor: -100 dB in every band.
SELECT min(v) AS lowest, max(v) AS highest
FROM fixtures, unnest(ser_melspectrogram(audio)) AS v WHERE name = 'silence_16k.wav';

-- The sine's energy is in the bands around 440 Hz: band 10 of 64 (1-based)
-- peaks at 464 Hz, band 9 at 418 Hz (0-1 kHz is linear on Slaney's mel scale).
WITH s AS (SELECT ser_melspectrogram(audio) AS m FROM fixtures WHERE name = 'tone440_16k_pcm16.wav')
SELECT b AS loudest_band
FROM s, generate_series(1, 64) AS b ORDER BY m[25][b] DESC LIMIT 1;

-- Band counts the FFT cannot support, or that make no sense.
SELECT ser_melspectrogram(audio, 0) FROM fixtures WHERE name = 'silence_16k.wav';
SELECT ser_melspectrogram(audio, -3) FROM fixtures WHERE name = 'silence_16k.wav';
SELECT ser_melspectrogram(audio, 193) FROM fixtures WHERE name = 'silence_16k.wav';
SELECT ser_melspectrogram(audio, 513) FROM fixtures WHERE name = 'silence_16k.wav';

-- STRICT: NULL in, NULL out.
SELECT ser_melspectrogram(NULL) IS NULL AS null_audio, ser_melspectrogram(audio, NULL) IS NULL AS null_bands
FROM fixtures WHERE name = 'silence_16k.wav';

-- The SQLSTATEs: invalid_parameter_value for both kinds.
SELECT sqlstate_of('SELECT ser_melspectrogram(audio, 0) FROM fixtures WHERE name = ''silence_16k.wav''');
SELECT sqlstate_of('SELECT ser_melspectrogram(audio, 193) FROM fixtures WHERE name = ''silence_16k.wav''');
