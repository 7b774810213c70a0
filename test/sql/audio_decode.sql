-- ser_decode: mono PCM in [-1, 1] at the requested rate.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup

-- Every fixture tone (0.5 s, 440 Hz, amplitude 0.5) comes out as 8000 samples
-- at 16 kHz with the same level, whatever its container, encoding and rate.
SELECT name,
       cardinality(pcm) AS samples,
       round(sqrt((SELECT avg(x * x) FROM unnest(pcm) x))::numeric, 2) AS rms,
       round((SELECT max(abs(x)) FROM unnest(pcm) x)::numeric, 2) AS peak
FROM (SELECT name, ser_decode(audio) AS pcm FROM fixtures WHERE name LIKE 'tone440%') s
ORDER BY name;

-- Other output rates.
SELECT cardinality(ser_decode(audio, 8000)) AS at_8k,
       cardinality(ser_decode(audio, 22050)) AS at_22k,
       cardinality(ser_decode(audio, 48000)) AS at_48k,
       cardinality(ser_decode(audio, 192000)) AS at_192k
FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';

-- Channels are averaged: a stereo file with a silent right channel halves.
SELECT round((SELECT max(abs(x)) FROM unnest(ser_decode(audio)) x)::numeric, 2) AS peak
FROM fixtures WHERE name = 'stereo_left440_48k.wav';

-- Six identical channels average to the channel itself.
SELECT round((SELECT max(abs(x)) FROM unnest(ser_decode(audio)) x)::numeric, 2) AS peak
FROM fixtures WHERE name = 'six_channels_16k.wav';

-- Silence is zeros; a valid file with no samples is refused like empty input.
SELECT (SELECT max(abs(x)) FROM unnest(ser_decode(audio)) x) AS silence_peak
FROM fixtures WHERE name = 'silence_16k.wav';
SELECT ser_decode(audio) FROM fixtures WHERE name = 'empty_16k.wav';

-- 16 kHz in, 16 kHz out: the samples are the stored ones, scaled by 1/32768.
SELECT (ser_decode(audio))[1:4] AS first_samples
FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';

-- Deterministic: the same input gives bit-identical output (array_send: the
-- float4 bits, where = would take -0 for 0).
SELECT array_send(ser_decode(audio)) = array_send(ser_decode(audio)) AS repeatable
FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

-- STRICT: NULL in, NULL out.
SELECT ser_decode(NULL) IS NULL AS null_audio, ser_decode(audio, NULL) IS NULL AS null_rate
FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';
