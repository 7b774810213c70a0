-- ser_audio_info describes every fixture that holds audio as stored (a
-- recording of zero frames is refused: audio_findings).
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT name, i.*
FROM fixtures, ser_audio_info(audio) AS i
WHERE name <> 'empty_16k.wav'
ORDER BY name;

-- frames is what was decoded, so it agrees with ser_decode at the stored rate.
SELECT name, i.frames = cardinality(ser_decode(audio, i.sample_rate)) AS frames_match
FROM fixtures, ser_audio_info(audio) AS i
WHERE name LIKE 'tone440%' AND i.format NOT IN ('mp3')
ORDER BY name;

-- The recording shipped from RAVDESS: 48 kHz mono, a little over 4 seconds.
SELECT format, sample_rate, channels, frames, round(duration_s::numeric, 3) AS duration_s
FROM fixtures, ser_audio_info(audio)
WHERE name LIKE 'ravdess%';
